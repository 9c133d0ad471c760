package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/mailbox/mailtest"
)

// A mailbox announcing a 500 MB message: `foiwatch sync` (a child process,
// measured as its own: measuredCommand) asks for its header only, records it in
// FAILED, stores the message behind it, and stays under 200 MB.
func TestSyncOfA500MBMessageStaysUnder200MB(t *testing.T) {
	bin := foiwatchBinary(t)
	samples := sampleMessages(t)
	srv := memMailbox(t, "pw-500mb")
	huge := []byte("From: Records <foi@big.example.gov.uk>\r\nTo: researcher@requests.example.org\r\n" +
		"Subject: Everything we hold\r\nDate: Mon, 17 Jun 2024 11:02:13 +0100\r\nMessage-ID: <huge@big.example.gov.uk>\r\n\r\nThe files.\r\n")
	if _, err := srv.AppendHuge("INBOX", huge, 500<<20); err != nil {
		t.Fatal(err)
	}
	if err := srv.Append("INBOX", samples[1]); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := writeConfig(t, dir, srv.Addr(), srv.Username(), srv.Password(), "")

	cmd, peakRSS := measuredCommand(t, bin, "sync", "--config", cfg)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	peak := peakRSS()
	t.Logf("foiwatch sync: %q; peak RSS %d MiB; %d bytes of the 500 MB body sent", strings.TrimSpace(out.String()), peak>>20, srv.HugeBytesSent())
	if err != nil {
		t.Fatalf("sync: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "fetched 2, processed 1, unmatched 0, failed 1") {
		t.Errorf("sync printed %q, want 2 fetched, 1 processed, 1 failed", out.String())
	}
	if peak > 200<<20 {
		t.Errorf("peak RSS %d MiB, want under 200 MiB", peak>>20)
	}
	if n := srv.HugeBytesSent(); n != 0 {
		t.Errorf("%d bytes of the large message's body were asked for", n)
	}
	if !strings.Contains(errOut.String(), "message too large to fetch") {
		t.Errorf("sync's warnings do not mention the message too large: %s", errOut.String())
	}
	code, list, e := foiwatch(t, "failed", "--config", cfg, "list")
	if code != 0 || !strings.Contains(list, "message too large to fetch: 524288000 bytes (500.0 MiB) is over max_message_bytes = 67108864 (64.0 MiB)") {
		t.Errorf("failed list: %d %q %q", code, list, e)
	}
	// It is not in the way of replaying the others.
	code, out2, e := foiwatch(t, "failed", "--config", cfg, "replay", "--all")
	if code != 0 || !strings.Contains(out2, "skipped 1 that cannot be replayed") {
		t.Errorf("failed replay --all: %d %q %q", code, out2, e)
	}
}

// `sync` counts the messages it stored even when their after-action
// cannot be done: exit 1 with what to set when the folder is named wrongly
// for the server, exit 0 when the folder only had to be created.
func TestSyncWithAnAfterActionThatCannotBeDoneCountsWhatItStored(t *testing.T) {
	samples := sampleMessages(t)
	t.Run("folder missing: created", func(t *testing.T) {
		srv := memMailbox(t, "pw-after", samples[0], samples[1])
		dir := t.TempDir()
		cfg := writeConfig(t, dir, srv.Addr(), srv.Username(), srv.Password(), `after = "move:Done"`+"\n")
		code, out, errOut := foiwatch(t, "sync", "--config", cfg)
		if code != 0 || !strings.Contains(out, "fetched 2, processed 2") {
			t.Fatalf("sync: exit %d %q %q; want 0 and 2 fetched", code, out, errOut)
		}
		if msgs, err := srv.Messages("Done"); err != nil || len(msgs) != 2 {
			t.Errorf("Done holds %d messages (%v), want 2", len(msgs), err)
		}
	})
	t.Run("folder named wrongly for a Cyrus-like server: refused", func(t *testing.T) {
		d := mailtest.StartDovecot(t, &mailtest.DovecotOptions{CyrusNames: true})
		d.Append(t, "INBOX", samples[0])
		d.Append(t, "INBOX", samples[1])
		dir := t.TempDir()
		cfg := writeConfig(t, dir, d.Addr(), d.Username, d.Password, `after = "move:Done"`+"\n")
		code, out, errOut := foiwatch(t, "sync", "--config", cfg)
		if code != 1 || !strings.Contains(out, "fetched 2, processed 2") || !strings.Contains(errOut, `set after = "move:INBOX.Done"`) {
			t.Fatalf("sync: exit %d %q %q; want 1, 2 fetched, and the name to set", code, out, errOut)
		}
		// Fixed: the waiting moves are done.
		os.WriteFile(cfg, bytes.Replace(must(os.ReadFile(cfg)), []byte("move:Done"), []byte("move:INBOX.Done"), 1), 0o600)
		code, out, errOut = foiwatch(t, "sync", "--config", cfg)
		if code != 0 || !strings.Contains(out, "fetched 0") {
			t.Fatalf("sync after the fix: exit %d %q %q", code, out, errOut)
		}
		if n := len(d.Messages(t, "INBOX.Done")); n != 2 {
			t.Errorf("INBOX.Done holds %d messages, want 2", n)
		}
	})
}

// Under `foiwatch run`, an after-action refused at the start leaves the
// daemon ready: /readyz is 200 with a note naming the fix, and mail keeps
// coming in.
func TestRunWithAnAfterActionThatCannotBeDoneStaysReadyWithANote(t *testing.T) {
	bin := foiwatchBinary(t)
	samples := sampleMessages(t)
	d := mailtest.StartDovecot(t, &mailtest.DovecotOptions{CyrusNames: true})
	d.Append(t, "INBOX", samples[0])
	dir := t.TempDir()
	httpPort := freePorts(t, 1)[0]
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	cfg := writeConfig(t, dir, d.Addr(), d.Username, d.Password, "poll_interval = \"1s\"\nafter = \"move:Done\"\n")
	text := strings.Replace(string(must(os.ReadFile(cfg))), "[http]\nlisten = \"\"", fmt.Sprintf("[http]\nlisten = \"127.0.0.1:%d\"", httpPort), 1)
	os.WriteFile(cfg, []byte(text), 0o600)
	p := startFoiwatchLevel(t, bin, cfg, "info")

	var notes []string
	waitFor(t, 60*time.Second, "/readyz 200 with a note on the after-action", func() (bool, string) {
		code, rd, body := getReadyz(base)
		var n struct{ Notes []string }
		json.Unmarshal([]byte(body), &n)
		notes = n.Notes
		return code == 200 && rd.Mailboxes["foi"] == "ok" && len(notes) == 1, body
	})
	if want := `mailbox foi: after = "move:Done" cannot be done: the server has no folder "Done", and it should be called "INBOX.Done"`; !strings.HasPrefix(notes[0], want) {
		t.Errorf("/readyz note %q, want it to start %q", notes[0], want)
	}
	d.Append(t, "INBOX", samples[1])
	if err := waitStored(t, cfg, 2, time.Minute, p); err != nil {
		t.Fatal(err)
	}
	if !logHas(p.stderr.String(), "after-action refused") {
		t.Errorf("the log does not say the after-action is refused")
	}
	if n := len(d.Messages(t, "INBOX")); n != 2 {
		t.Errorf("INBOX holds %d messages, want both, not moved", n)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// An export holds the replies: it is written readable by its owner only,
// also over an older file that was not, and never left half-written.
func TestExportFileIsReadableByItsOwnerOnly(t *testing.T) {
	srv := memMailbox(t, "pw-export", sampleMessages(t)...)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, srv.Addr(), srv.Username(), srv.Password(), "")
	if code, _, errOut := foiwatch(t, "sync", "--config", cfg); code != 0 {
		t.Fatalf("sync: %s", errOut)
	}
	out := filepath.Join(dir, "results.csv")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"csv", "xlsx"} {
		if code, _, errOut := foiwatch(t, "export", "--config", cfg, "--format", format, "-o", out); code != 0 {
			t.Fatalf("export %s: %s", format, errOut)
		}
		fi, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 || fi.Size() < 100 {
			t.Errorf("export %s: %s, %d bytes; want mode 0600 and the export", format, fi.Mode(), fi.Size())
		}
	}
	// A failed export (no such campaign) leaves the last one as it was.
	before := must(os.ReadFile(out))
	if code, _, _ := foiwatch(t, "export", "--config", cfg, "--format", "csv", "--campaign", "nope", "-o", out); code != 1 {
		t.Errorf("export of an unknown campaign: exit %d, want 1", code)
	}
	if !bytes.Equal(must(os.ReadFile(out)), before) {
		t.Errorf("a failed export changed the file")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}
