package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/parser/scantest"
	"github.com/foiwatch/foiwatch/queue"
)

// The operator commands of issue 15 (review, answer, show, raw, move, add,
// event --undo) on the loop fixtures of package worker, run in-process.

// loopFixtures are worker/testdata/loop's replies, by file name.
func loopFixtures(t *testing.T) (names []string, raws map[string][]byte) {
	t.Helper()
	files, err := filepath.Glob("../../worker/testdata/loop/*.eml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no loop fixtures: %v", err)
	}
	sort.Strings(files)
	raws = map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, filepath.Base(f))
		raws[filepath.Base(f)] = b
	}
	return names, raws
}

// writeLoopConfig writes a config for the loop campaign and a mailbox at
// addr, and returns its path.
func writeLoopConfig(t *testing.T, dir, addr, user, pass string) string {
	t.Helper()
	camp, err := filepath.Abs("../../worker/testdata/loop/campaign.toml")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "imap-password"), []byte(pass), 0o600)
	cfg := fmt.Sprintf(`data_dir = "data"
campaigns = [%q]
[http]
listen = ""
[[mailboxes]]
name = "foi"
address = %q
tls = "none"
username = %q
password_file = %q
idle = false
poll_interval = "1s"
`, camp, addr, user, filepath.Join(dir, "imap-password"))
	p := filepath.Join(dir, "foiwatch.toml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// letterPDF is a one-page PDF with a text layer holding lines.
func letterPDF(lines ...string) []byte {
	var c strings.Builder
	y := 780
	for _, l := range lines {
		s := strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`, "£", `\243`).Replace(l)
		fmt.Fprintf(&c, "BT /F1 11 Tf 1 0 0 1 56 %d Tm (%s) Tj ET\n", y, s)
		y -= 16
	}
	content := c.String()
	return scantest.PDF([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
	})
}

// suffolkLetter is a posted letter answering the loop campaign.
func suffolkLetter() []byte {
	return letterPDF("Office of the Police and Crime Commissioner for Suffolk", "Our reference: SPCC-77", "",
		"Dear Requester,", "Further to our email, please find our corrected response below.", "",
		"1. Suffolk Stalking Service.", "2. 7.", "3. 41.", "4. 15.", "5. Suffolk Police; Probation Service",
		"6. The Police and Crime Commissioner", "7. £97,500 per annum.", "", "Yours faithfully,", "Disclosure Officer")
}

func mustRun(t *testing.T, want string, args ...string) string {
	t.Helper()
	code, out, errOut := foiwatch(t, args...)
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("foiwatch %s: exit %d, want output with %q:\n%s\n%s", strings.Join(args, " "), code, want, out, errOut)
	}
	return out
}

func mustFail(t *testing.T, code int, want string, args ...string) {
	t.Helper()
	got, out, errOut := foiwatch(t, args...)
	if got != code || !strings.Contains(errOut, want) {
		t.Fatalf("foiwatch %s: exit %d, want %d saying %q:\n%s\n%s", strings.Join(args, " "), got, code, want, out, errOut)
	}
}

// operatorLoop runs the operator commands of issue 15 against the store cfg
// names; the replies of the loop fixtures are stored already.
func operatorLoop(t *testing.T, dir string, raws map[string][]byte, running bool) {
	sha := func(name string) string { return queue.SHA256(raws[name])[:12] }

	out := mustRun(t, "answer(s) to check", "review")
	for _, k := range []string{"stalking-2024/opccn", "budget (money)", "why:", "read from:", "Kind regards"} {
		if k == "Kind regards" {
			if strings.Contains(out, k) {
				t.Errorf("review prints the letter's sign-off as an answer's words:\n%s", out)
			}
			continue
		}
		if !strings.Contains(out, k) {
			t.Errorf("review lacks %q:\n%s", k, out)
		}
	}
	mustRun(t, `"key":"budget"`, "review", "--format", "jsonl")

	// Correct: the value may come in several arguments.
	mustRun(t, "set to £400,000 per year (read from the reply as: £1,200,000)", "answer", "stalking-2024/opccn", "budget", "set", "£400,000", "per", "year", "--note", "1.2 million over three years")
	mustFail(t, 1, "not a count", "answer", "opccn", "self_referrals", "set", "twelve")
	mustFail(t, 2, "unknown action", "answer", "opccn", "budget", "frobnicate")
	mustRun(t, "accepted as read", "answer", "opccn", "service", "accept")
	mustRun(t, "is dropped", "answer", "opccn", "service", "clear")
	mustRun(t, "nothing to clear", "answer", "opccn", "service", "clear")
	if out := mustRun(t, "", "review"); strings.Contains(out, "  budget (money)") || !strings.Contains(out, "  service (text)") {
		t.Errorf("review after correcting budget and clearing service's acceptance:\n%s", out)
	}
	csvOut := mustRun(t, "corrected_by_operator", "export", "--format", "csv")
	if !strings.Contains(csvOut, ",400000,") {
		t.Errorf("the csv lacks the corrected budget:\n%s", csvOut)
	}
	mustRun(t, `"corrected":{"by":`, "export", "--format", "jsonl")

	// See the original.
	out = mustRun(t, "matched by sender", "show", sha("02-opccn-response.eml"))
	for _, k := range []string{"From:", "opccn@norfolk.police.uk", "Message-Id:", "<resp-239@norfolk.police.uk>", "the text as read: the message", "Fewer than five.", "check:"} {
		if !strings.Contains(out, k) {
			t.Errorf("show reply lacks %q:\n%s", k, out)
		}
	}
	out = mustRun(t, "answer budget set by hand to £400,000 per year", "show", "opccn")
	for _, k := range []string{"request sent to opccn@norfolk.police.uk", "acknowledgement from opccn@norfolk.police.uk", "FOI/OPCCN/239", "[set by hand by"} {
		if !strings.Contains(out, k) {
			t.Errorf("show request lacks %q:\n%s", k, out)
		}
	}
	out = mustRun(t, "", "raw", sha("02-opccn-response.eml"))
	if out != string(raws["02-opccn-response.eml"]) {
		t.Errorf("raw gave %d bytes that differ from the %d stored", len(out), len(raws["02-opccn-response.eml"]))
	}
	mustFail(t, 1, "not a stored message ID", "raw", "xyz")

	// Move, and put back among the unmatched.
	mustRun(t, "moved from stalking-2024/constabulary to stalking-2024/opccn", "move", sha("11-constabulary-misfiled.eml"), "opccn", "--note", "on the OPCC's behalf")
	mustRun(t, "back among the unmatched", "move", sha("06-constabulary-ack.eml"), "none")
	out = mustRun(t, "could be", "unmatched", "list")
	if !strings.Contains(out, sha("06-constabulary-ack.eml")) || !strings.Contains(out, "stalking-2024/constabulary") {
		t.Errorf("unmatched list:\n%s", out)
	}
	mustRun(t, "moved from unmatched to stalking-2024/constabulary", "move", sha("06-constabulary-ack.eml"), "constabulary")

	// Events: a repeat refused, a mistake undone.
	out = mustRun(t, "(event ", "event", "suffolk", "clarification_sent", "--at", "2024-06-03", "--note", "asked which year")
	id := strings.TrimSuffix(strings.Fields(out[strings.Index(out, "(event ")+7:])[0], ");")
	mustFail(t, 1, "already has clarification_sent", "event", "suffolk", "clarification_sent")
	mustRun(t, "removed clarification_sent", "event", "suffolk", id, "--undo")
	mustFail(t, 1, "has no event", "event", "suffolk", id, "--undo")

	// A letter that came by post.
	letter := filepath.Join(dir, "suffolk-letter.pdf")
	if err := os.WriteFile(letter, suffolkLetter(), 0o600); err != nil {
		t.Fatal(err)
	}
	out = mustRun(t, "to stalking-2024/suffolk: response", "add", "--request", "suffolk", "--received", "2024-06-26", letter)
	added := strings.TrimSuffix(strings.Fields(out)[0], ":")
	mustFail(t, 1, "was added before", "add", "--request", "suffolk", letter)
	got := filepath.Join(dir, "back.pdf")
	mustRun(t, "", "raw", added, "--attachment", "1", "-o", got)
	if b, _ := os.ReadFile(got); !bytes.Equal(b, suffolkLetter()) {
		t.Errorf("raw --attachment 1 of the added letter gave %d bytes that differ from the file's", len(b))
	}
	if fi, err := os.Stat(got); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("raw -o made %v (%v), want mode 0600", fi.Mode(), err)
	}
	out = mustRun(t, "added by hand", "show", added)
	if !strings.Contains(out, "Suffolk Stalking Service.") || !strings.Contains(out, "suffolk-letter.pdf") {
		t.Errorf("show of the added letter:\n%s", out)
	}
	if !running {
		mustRun(t, "£97,500", "show", "suffolk")
	}
}

func TestOperatorLoopOnAStoppedDaemon(t *testing.T) {
	names, raws := loopFixtures(t)
	var msgs [][]byte
	for _, n := range names {
		msgs = append(msgs, raws[n])
	}
	srv := memMailbox(t, "loop-pw", msgs...)
	dir := t.TempDir()
	t.Setenv("FOIWATCH_CONFIG", writeLoopConfig(t, dir, srv.Addr(), srv.Username(), srv.Password()))
	t.Setenv("FOIWATCH_OPERATOR", "alice")
	mustRun(t, fmt.Sprintf("fetched %d,", len(names)), "sync")
	operatorLoop(t, dir, raws, false)
	// reprocess keeps every decision.
	mustRun(t, "queued 12", "reprocess")
	if out := mustRun(t, "", "show", "opccn"); !strings.Contains(out, `"Information for the OPCC request"; matched by operator`) {
		t.Errorf("after reprocess the moved reply is not on opccn:\n%s", out)
	}
	mustRun(t, "set by hand by alice", "show", "opccn")
}

func TestOperatorLoopWhileTheDaemonRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping a test that runs foiwatch as a process")
	}
	bin := foiwatchBinary(t)
	names, raws := loopFixtures(t)
	var msgs [][]byte
	for _, n := range names {
		msgs = append(msgs, raws[n])
	}
	srv := memMailbox(t, "loop-pw", msgs...)
	dir := t.TempDir()
	cfg := writeLoopConfig(t, dir, srv.Addr(), srv.Username(), srv.Password())
	t.Setenv("FOIWATCH_CONFIG", cfg)
	p := startFoiwatch(t, bin, cfg)
	if err := waitStored(t, cfg, len(names), 60*time.Second, p); err != nil {
		t.Fatal(err)
	}
	operatorLoop(t, dir, raws, true)
	// What the running daemon's workers do after the decisions (matching
	// again what depended on a moved reply) settles.
	if err := waitStored(t, cfg, len(names)+1, 60*time.Second, p); err != nil {
		t.Fatal(err)
	}
	if err := p.stop(t); err != nil {
		t.Fatalf("foiwatch run did not stop cleanly: %v\n%s", err, p.stderr)
	}
	mustRun(t, "£97,500", "show", "suffolk")
	mustRun(t, "moved by", "show", "opccn")
}
