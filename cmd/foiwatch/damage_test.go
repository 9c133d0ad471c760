package main

// A damaged store: block files of a stopped embedded store cut short or
// overwritten, as a disk error or a machine crash leaves them. status and
// export must not show silently wrong results nor fail with a bare "not
// found"; check must name the damage; check --repair must rebuild from the
// raw messages what they showed before.

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/queue"
)

// streamBlock is the first message block of a stream of the embedded store.
func streamBlock(t *testing.T, cfgDir, stream string) string {
	t.Helper()
	p := filepath.Join(cfgDir, "data", "nats", "jetstream", "jetstream", "$G", "streams", stream, "msgs", "1.blk")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no block file for %s: %v", stream, err)
	}
	return p
}

func TestADamagedStoreIsNamedAndRebuiltFromTheRawMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the damaged-store test")
	}
	nMsgs, nReqs := 300, 29
	msgs := genMessages(nMsgs, nReqs)
	srv := memMailbox(t, "damage-pw", msgs...)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, srv.Addr(), srv.Username(), srv.Password(), "")
	os.WriteFile(filepath.Join(dir, "campaign.toml"), []byte(genCampaign(nReqs)), 0o600)
	t.Setenv("FOIWATCH_CONFIG", cfg)
	if code, out, errOut := foiwatch(t, "sync"); code != 0 {
		t.Fatalf("sync: %d %s %s", code, out, errOut)
	}
	code, before, _ := foiwatch(t, "status", "--now", "2024-03-04")
	if code != 0 {
		t.Fatal("status before the damage failed")
	}
	if code, out, _ := foiwatch(t, "check"); code != 0 || !strings.Contains(out, "the store is sound") {
		t.Fatalf("check of a sound store: %d %q", code, out)
	}

	// The store is stopped (every in-process command closed it). Phase 1:
	// overwrite the record of one response in the replies block, as a bad
	// sector would: nothing notices until it is read.
	repBlk := streamBlock(t, dir, "KV_replies")
	b, err := os.ReadFile(repBlk)
	if err != nil {
		t.Fatal(err)
	}
	victim := queue.SHA256(msgs[2]) // a response (genMessage: i%10 >= 2)
	at := bytes.Index(b, []byte("$KV.replies."+victim))
	if at < 0 {
		t.Fatal("the reply's record is not in the block")
	}
	for i := at + 80; i < at+280; i++ {
		b[i] = 'A'
	}
	if err := os.WriteFile(repBlk, b, 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, out, errOut := foiwatch(t, "status", "--now", "2024-03-04")
	t.Logf("status with a damaged replies block: exit %d in %s\n%s", code, time.Since(start).Round(time.Millisecond), logTail(errOut, 1500))
	if code != 1 || out != "" {
		t.Errorf("status on a damaged store: exit %d, %d bytes out; want 1 and no table", code, len(out))
	}
	for _, want := range []string{"damaged", "bucket replies", victim[:12], "foiwatch check --config " + cfg + " --repair"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("status does not say %q", want)
		}
	}
	if strings.Contains(errOut, ": not found") {
		t.Errorf("status says a bare 'not found'")
	}
	start = time.Now()
	code, out, errOut = foiwatch(t, "export", "--format", "jsonl", "--replies")
	t.Logf("export --replies: exit %d in %s: %s", code, time.Since(start).Round(time.Millisecond), lastLine(errOut))
	if code != 1 || !strings.Contains(errOut, "replies") || !strings.Contains(errOut, "foiwatch check") {
		t.Errorf("export --replies on a damaged store: exit %d, %d bytes out, %q", code, len(out), lastLine(errOut))
	}
	if took := time.Since(start); took > 40*time.Second {
		t.Errorf("export --replies took %s on a damaged store", took)
	}
	checkAndRepair(t, cfg, []string{"damaged: bucket replies", "cannot be read", "replies/" + victim[:12]})
	if code, after, errOut := foiwatch(t, "status", "--now", "2024-03-04"); code != 0 || after != before {
		t.Errorf("status after the repair: exit %d %s\nbefore:\n%s\nafter:\n%s", code, errOut, before, after)
	}
	if code, out, _ := foiwatch(t, "export", "--format", "jsonl", "--replies"); code != 0 || strings.Count(out, "\n") != nMsgs {
		t.Errorf("export --replies after the repair: exit %d, %d replies, want %d", code, strings.Count(out, "\n"), nMsgs)
	}

	// Phase 2: the requests block cut short, as a crash of the machine
	// before the data reached the disk leaves it: the newest states are
	// gone, older revisions show instead.
	reqBlk := streamBlock(t, dir, "KV_requests")
	fi, _ := os.Stat(reqBlk)
	if err := os.Truncate(reqBlk, fi.Size()*2/5); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = foiwatch(t, "status", "--now", "2024-03-04")
	t.Logf("status with a truncated requests block: exit %d\n%s", code, lastLine(errOut))
	if code != 1 || out != "" {
		t.Errorf("status on a truncated requests block: exit %d, want 1 and no table:\n%s", code, out)
	}
	for _, want := range []string{"damaged", "bucket requests", "KV_requests", "foiwatch check --config " + cfg + " --repair"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("status does not say %q", want)
		}
	}
	if code, _, errOut := foiwatch(t, "export", "--format", "csv"); code != 1 || !strings.Contains(errOut, "bucket requests") {
		t.Errorf("export on a truncated requests block: exit %d %q", code, lastLine(errOut))
	}
	checkAndRepair(t, cfg, []string{"damaged: bucket requests", "requests/gen.r", "its state lacks"})
	if code, after, errOut := foiwatch(t, "status", "--now", "2024-03-04"); code != 0 || after != before {
		t.Errorf("status after the repair: exit %d %s\nbefore:\n%s\nafter:\n%s", code, errOut, before, after)
	}
	checkStoredOnce(t, openStore(t, cfg), msgs, nReqs, "")
}

// checkAndRepair runs check (it must fail, saying each of want), then
// check --repair (it must leave the store sound), then check again.
func checkAndRepair(t *testing.T, cfg string, want []string) {
	t.Helper()
	code, out, errOut := foiwatch(t, "check")
	t.Logf("check: exit %d\n%s", code, logTail(out, 2500))
	if code != 1 {
		t.Errorf("check of a damaged store: exit %d, want 1", code)
	}
	for _, w := range append(want, "--repair would") {
		if !strings.Contains(out, w) {
			t.Errorf("check does not say %q", w)
		}
	}
	if !strings.Contains(errOut, "foiwatch check --config "+cfg+" --repair") {
		t.Errorf("check's error does not give the command to repair: %q", lastLine(errOut))
	}
	code, out, errOut = foiwatch(t, "check", "--repair")
	t.Logf("check --repair: exit %d\n%s", code, logTail(out, 2500))
	if code != 0 || !strings.Contains(out, "the store is sound") {
		t.Fatalf("check --repair: exit %d\n%s", code, logTail(errOut, 2000))
	}
	if code, out, _ := foiwatch(t, "check"); code != 0 || !strings.Contains(out, "the store is sound") {
		t.Errorf("check after the repair: exit %d\n%s", code, out)
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
