package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/worker/demo"
)

// foiwatch runs the command in-process and returns its exit status and output.
func foiwatch(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestDeadlineCommandGivesTheWorkedExamples(t *testing.T) {
	for _, tc := range []struct{ received, want string }{
		{"2023-07-25", "2023-08-23"}, // Scotland's summer bank holiday 2023-08-07 is skipped
		{"2024-05-19", "2024-06-17"}, // 2024-05-27 is a bank holiday
	} {
		code, out, errOut := foiwatch(t, "deadline", "--received", tc.received)
		if code != 0 || strings.TrimSpace(out) != tc.want {
			t.Errorf("deadline --received %s = %d %q %q, want %s", tc.received, code, out, errOut, tc.want)
		}
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"nonsense"},
		{"deadline"},
		{"deadline", "--received", "25/07/2023"},
		{"parse"},
		{"export", "--config", "x.toml"},
		{"failed", "--config", "x.toml", "frobnicate"},
		{"status"}, // no config, no FOIWATCH_CONFIG
	} {
		t.Setenv("FOIWATCH_CONFIG", "")
		code, _, errOut := foiwatch(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d (%s), want 2", args, code, errOut)
		}
		if errOut == "" {
			t.Errorf("%v: no message", args)
		}
	}
}

func TestParsePrintsOneReplyPerFile(t *testing.T) {
	dir := t.TempDir()
	camp := filepath.Join(dir, "campaign.toml")
	os.WriteFile(camp, []byte(demo.CampaignTOML()), 0o600)
	samples, _ := demo.Samples()
	var files []string
	for _, s := range samples {
		f := filepath.Join(dir, s.Name)
		os.WriteFile(f, s.Raw, 0o600)
		files = append(files, f)
	}
	code, out, errOut := foiwatch(t, append([]string{"parse", "--campaign", camp}, files...)...)
	if code != 0 {
		t.Fatalf("parse: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(files) {
		t.Fatalf("%d lines for %d files", len(lines), len(files))
	}
	for i, l := range lines {
		var r parser.Reply
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %d is not a Reply: %v", i+1, err)
		}
		if r.File != files[i] {
			t.Errorf("line %d: file %q, want %q", i+1, r.File, files[i])
		}
		// Every spec field is present, even when empty.
		for _, key := range []string{`"message_id"`, `"from"`, `"subject"`, `"date"`, `"campaign"`, `"request"`, `"match"`, `"kind"`, `"reference"`, `"stated_due"`, `"answers"`, `"attachments"`, `"warnings"`} {
			if !strings.Contains(l, key+":") {
				t.Errorf("line %d lacks %s: %s", i+1, key, l)
			}
		}
	}
	var r parser.Reply
	json.Unmarshal([]byte(lines[1]), &r)
	if r.Request != "borsetshire" || r.Kind != parser.KindResponse || r.Answers["self_referred"].Value != int64(8) {
		t.Errorf("borsetshire response parsed as %+v", r)
	}

	code, _, errOut = foiwatch(t, "parse", "--campaign", camp, filepath.Join(dir, "missing.eml"))
	if code != 1 || !strings.Contains(errOut, "missing.eml") {
		t.Errorf("missing file: exit %d %q, want 1 naming the file", code, errOut)
	}
}

// writeConfig writes a config for a mailbox at addr and returns its path.
func writeConfig(t *testing.T, dir, addr, user, pass, extra string) string {
	t.Helper()
	os.WriteFile(filepath.Join(dir, "campaign.toml"), []byte(demo.CampaignTOML()), 0o600)
	os.WriteFile(filepath.Join(dir, "imap-password"), []byte(pass), 0o600)
	cfg := `data_dir = "data"
campaigns = ["campaign.toml"]
[http]
listen = ""
[[mailboxes]]
name = "foi"
address = "` + addr + `"
tls = "none"
username = "` + user + `"
password_file = "` + filepath.Join(dir, "imap-password") + `"
idle = false
` + extra
	p := filepath.Join(dir, "foiwatch.toml")
	os.WriteFile(p, []byte(cfg), 0o600)
	return p
}

func TestConfigMistakesAreRefusedWithTheKey(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, extra, want string }{
		{"unknown key", "pol_interval = \"5m\"\n", "unknown key(s) mailboxes.pol_interval"},
		{"bad duration", "poll_interval = \"five minutes\"\n", "poll_interval"},
		{"bad after", "after = \"delete\"\n", "after"},
	} {
		cfg := writeConfig(t, dir, "127.0.0.1:1143", "u", "p", tc.extra)
		code, _, errOut := foiwatch(t, "status", "--config", cfg)
		if code != 1 || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, cfg) {
			t.Errorf("%s: exit %d, %q; want 1 naming %q and the file", tc.name, code, errOut, tc.want)
		}
	}

	// A missing password is refused at the start of a command that reads
	// mail; a command that does not (status) does not need it.
	cfg := writeConfig(t, dir, "127.0.0.1:1143", "u", "p", "")
	os.Remove(filepath.Join(dir, "imap-password"))
	code, _, errOut := foiwatch(t, "sync", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "password_file") || !strings.Contains(errOut, "imap-password") {
		t.Errorf("missing password file: exit %d %q", code, errOut)
	}
	if code, _, errOut := foiwatch(t, "status", "--config", cfg); code != 0 {
		t.Errorf("status without the mailbox's password: exit %d %q, want 0", code, errOut)
	}
	// A password file others may read is used, with a warning as ssh gives.
	cfg = writeConfig(t, dir, "127.0.0.1:1", "u", "p", "")
	os.Chmod(filepath.Join(dir, "imap-password"), 0o644)
	_, _, errOut = foiwatch(t, "sync", "--config", cfg)
	if !strings.Contains(errOut, "can be read by others than its owner (mode 0644)") || !strings.Contains(errOut, "chmod 600") {
		t.Errorf("a password file others may read: %q, want a warning", errOut)
	}
	// No mailbox, or a campaign glob that matches nothing: refused.
	for _, tc := range []struct{ old, new, want string }{
		{"[[mailboxes]]", "[[nomailboxes]]", "no [[mailboxes]] section"},
		{`campaigns = ["campaign.toml"]`, `campaigns = ["campaigns/*.toml"]`, "matches no file"},
	} {
		cfg = writeConfig(t, dir, "127.0.0.1:1143", "u", "p", "")
		b, _ := os.ReadFile(cfg)
		text := strings.Replace(string(b), tc.old, tc.new, 1)
		if tc.new == "[[nomailboxes]]" {
			text = text[:strings.Index(text, "[[nomailboxes]]")]
		}
		os.WriteFile(cfg, []byte(text), 0o600)
		if code, _, errOut := foiwatch(t, "run", "--config", cfg); code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("run with %s: exit %d %q, want 1 saying %q", tc.new, code, errOut, tc.want)
		}
	}

	cfg = writeConfig(t, dir, "imap.example.org:143", "u", "p", "")
	code, _, errOut = foiwatch(t, "status", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "plaintext") {
		t.Errorf("plaintext to a remote host: exit %d %q, want refused", code, errOut)
	}

	// Two campaign files with one id.
	cfg = writeConfig(t, dir, "127.0.0.1:1143", "u", "p", "")
	os.WriteFile(filepath.Join(dir, "copy.toml"), []byte(demo.CampaignTOML()), 0o600)
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, bytes.Replace(b, []byte(`campaigns = ["campaign.toml"]`), []byte(`campaigns = ["campaign.toml", "copy.toml"]`), 1), 0o600)
	code, _, errOut = foiwatch(t, "status", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "must be unique") {
		t.Errorf("duplicate campaign ids: exit %d %q", code, errOut)
	}
}

func TestSyncStatusExportAndUnmatchedOnAStoppedDaemon(t *testing.T) {
	srv := memMailbox(t, "s3cret-imap-pw", sampleMessages(t)...)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, srv.Addr(), srv.Username(), srv.Password(), "")
	t.Setenv("FOIWATCH_CONFIG", cfg)

	code, out, errOut := foiwatch(t, "sync")
	if code != 0 || !strings.Contains(out, "fetched 6, processed 6, unmatched 1, failed 0") {
		t.Fatalf("sync: %d %q %q", code, out, errOut)
	}
	if strings.Contains(out+errOut, "s3cret-imap-pw") {
		t.Fatal("the password appears in the output")
	}

	code, out, errOut = foiwatch(t, "status", "--now", "2024-06-21")
	if code != 0 {
		t.Fatalf("status: %d %s", code, errOut)
	}
	for _, want := range []string{"borsetshire", "FOI/OPCCB/0412", "partially_answered", "wessex"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut = foiwatch(t, "export", "--format", "csv")
	if code != 0 {
		t.Fatalf("export csv: %d %s", code, errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 5 {
		t.Fatalf("csv: %d records, %v", len(recs), err)
	}
	head := strings.Join(recs[0], ",")
	if !strings.HasPrefix(head, "campaign,request,authority,sent_at,reference,due,status,replied_at,days_late,programme,self_referred") {
		t.Errorf("csv header = %s", head)
	}
	if recs[1][1] != "borsetshire" || recs[1][10] != "8" {
		t.Errorf("borsetshire row = %v", recs[1])
	}

	xlsxPath := filepath.Join(dir, "results.xlsx")
	if code, _, errOut := foiwatch(t, "export", "--format", "xlsx", "-o", xlsxPath); code != 0 {
		t.Fatalf("export xlsx: %s", errOut)
	}
	wb, err := excelize.OpenFile(xlsxPath)
	if err != nil {
		t.Fatalf("the xlsx export does not open: %v", err)
	}
	if got, _ := wb.GetCellValue("dapp-demo-2023-24", "L2"); got != "8" {
		t.Errorf("xlsx L2 (borsetshire self_referred, after programme and its status) = %q, want 8", got)
	}
	if typ, _ := wb.GetCellType("dapp-demo-2023-24", "L2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("xlsx counts are stored as text (type %v): a spreadsheet could not sum them", typ)
	}
	wb.Close()

	repliesPath := filepath.Join(dir, "replies.jsonl")
	if code, _, errOut := foiwatch(t, "export", "--format", "jsonl", "--replies", "-o", repliesPath); code != 0 {
		t.Fatalf("export --replies: %s", errOut)
	}
	b, _ := os.ReadFile(repliesPath)
	if n := strings.Count(string(b), "\n"); n != 6 {
		t.Errorf("export --replies wrote %d lines, want 6", n)
	}

	code, list, _ := foiwatch(t, "unmatched", "list")
	if code != 0 || !strings.Contains(list, "news@civicdata.example.net") {
		t.Fatalf("unmatched list: %q", list)
	}
	id := strings.Fields(list)[0]
	if code, out, errOut := foiwatch(t, "unmatched", "assign", id, "wessex"); code != 0 || !strings.Contains(out, "dapp-demo-2023-24/wessex") {
		t.Fatalf("assign: %d %q %q", code, out, errOut)
	}
	if _, list, _ = foiwatch(t, "unmatched", "list"); !strings.Contains(list, "no unmatched replies") {
		t.Errorf("after assign: %q", list)
	}
	code, out, _ = foiwatch(t, "failed", "list")
	if code != 0 || !strings.Contains(out, "no failed messages") {
		t.Errorf("failed list: %q", out)
	}

	// A message that is not email at all ends in FAILED, and the failed
	// commands show, replay and drop it.
	srv.Append("INBOX", []byte("this line is no email header\r\nnor is this\r\n"))
	if code, out, errOut := foiwatch(t, "sync"); code != 0 || !strings.Contains(out, "fetched 1, processed 1") || !strings.Contains(out, "failed 1") {
		t.Fatalf("sync of a non-email: %d %q %q", code, out, errOut)
	}
	code, out, _ = foiwatch(t, "failed", "list")
	if code != 0 || !strings.Contains(out, "not an email") {
		t.Fatalf("failed list: %q", out)
	}
	failedID := strings.Fields(out)[0]
	if code, out, _ := foiwatch(t, "failed", "show", failedID); code != 0 || !strings.Contains(out, `"attempts": 1`) || !strings.Contains(out, `"mailbox": "foi"`) {
		t.Errorf("failed show: %d %q", code, out)
	}
	if code, out, _ := foiwatch(t, "failed", "replay", failedID); code != 0 || !strings.Contains(out, "replayed "+failedID) || !strings.Contains(out, "failed 1") {
		t.Errorf("failed replay of a message that still cannot succeed: %d %q", code, out)
	}
	// The ID is the message's sha256 prefix, as everywhere: it stays the
	// same when the message fails again.
	_, out, _ = foiwatch(t, "failed", "list")
	if newID := strings.Fields(out)[0]; newID != failedID || len(failedID) != 12 {
		t.Errorf("after a replay that failed again the ID is %q, was %q: want the same 12-character sha256 prefix", newID, failedID)
	}
	if code, out, _ := foiwatch(t, "failed", "show", failedID[:6]); code != 0 || !strings.Contains(out, failedID) {
		t.Errorf("failed show with a shorter prefix: %d %q", code, out)
	}
	if code, out, _ := foiwatch(t, "failed", "drop", failedID); code != 0 || !strings.Contains(out, "dropped "+failedID) {
		t.Errorf("failed drop: %d %q", code, out)
	}
	if _, out, _ = foiwatch(t, "failed", "list"); !strings.Contains(out, "no failed messages") {
		t.Errorf("after drop: %q", out)
	}
	if code, _, errOut := foiwatch(t, "failed", "replay", failedID); code != 1 || !strings.Contains(errOut, "no failed message has the ID "+failedID) {
		t.Errorf("replaying an ID that is no longer in FAILED: %d %q, want exit 1 saying so", code, errOut)
	}

	// reprocess keeps the operator's assignment and stores nothing twice.
	code, out, errOut = foiwatch(t, "reprocess")
	if code != 0 || !strings.Contains(out, "queued 7") || !strings.Contains(out, "processed 7") {
		t.Fatalf("reprocess: %d %q %q", code, out, errOut)
	}
	if _, list, _ = foiwatch(t, "unmatched", "list"); !strings.Contains(list, "no unmatched replies") {
		t.Errorf("reprocess undid the operator's assignment: %q", list)
	}
	foiwatch(t, "export", "--format", "jsonl", "--replies", "-o", repliesPath)
	b, _ = os.ReadFile(repliesPath)
	if n := strings.Count(string(b), "\n"); n != 6 { // the non-email is kept raw, and in FAILED again, not as a Reply
		t.Errorf("after reprocess %d replies, want 6", n)
	}
}

func TestDemoRunsTheWholePipeline(t *testing.T) {
	code, out, errOut := foiwatch(t, "demo")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"fetched 6 messages, processed 6, 1 unmatched, 0 failed",
		"Sync again: fetched 0, processed 0",
		"FOI/OPCCB/0412",
		"£98,500 per year",
		"news@civicdata.example.net",
		"Wessex: due 2024-06-11, 8 working days late",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}
