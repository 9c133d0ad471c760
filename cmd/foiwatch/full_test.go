package main

// A full store: data_dir's disk, or the limit nats.max_bytes sets. foiwatch
// must say what is full and where, stop `sync` at once instead of waiting
// through retries, keep `run` from mistaking the write errors for another
// process holding its leases, be not ready, and go on by itself once there
// is room, every message stored once.

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/worker"
)

func TestSyncOnAFullStoreStopsSayingSoAndResumesWithRoom(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the full-store test")
	}
	nMsgs, nReqs := 2000, 29
	msgs := genMessages(nMsgs, nReqs)
	srv := memMailbox(t, "full-pw", msgs...)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, srv.Addr(), srv.Username(), srv.Password(), "")
	os.WriteFile(filepath.Join(dir, "campaign.toml"), []byte(genCampaign(nReqs)), 0o600)
	setMaxBytes := func(v string) {
		b, _ := os.ReadFile(cfg)
		text := string(b)
		if i := strings.Index(text, "[nats]\nmax_bytes"); i >= 0 {
			text = text[:i]
		}
		os.WriteFile(cfg, []byte(text+"[nats]\nmax_bytes = \""+v+"\"\n"), 0o600)
	}
	// [nats] must come after the mailbox's keys: append it at the end.
	setMaxBytes("1M")
	t.Setenv("FOIWATCH_CONFIG", cfg)

	start := time.Now()
	code, out, errOut := foiwatch(t, "sync")
	took := time.Since(start)
	t.Logf("sync on a 1 MiB store: exit %d in %s: %s %s", code, took.Round(time.Millisecond), strings.TrimSpace(out), lastLine(errOut))
	if code != 1 {
		t.Fatalf("sync on a full store: exit %d, want 1", code)
	}
	for _, want := range []string{"foiwatch sync: data_dir is full", filepath.Join(dir, "data", "nats", "jetstream"), "max_bytes = 1.0 MiB"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("sync does not say %q", want)
		}
	}
	if took > time.Minute {
		t.Errorf("sync took %s to say the store is full: it must stop, not wait through retries", took)
	}
	if strings.Count(errOut, "data_dir is full") > 3 {
		t.Errorf("the full store is said %d times", strings.Count(errOut, "data_dir is full"))
	}

	// Room: a larger limit. Every message once, none failed.
	setMaxBytes("256M")
	code, out, errOut = foiwatch(t, "sync")
	t.Logf("sync with room: exit %d: %s", code, strings.TrimSpace(out))
	if code != 0 {
		t.Fatalf("sync with room: %d %s", code, logTail(errOut, 2000))
	}
	if m := syncLine.FindStringSubmatch(out); m == nil || m[6] != fmt.Sprint(nMsgs) || m[4] != "0" || m[5] != "0" {
		t.Errorf("sync with room: %q, want all %d stored, none failed or waiting", out, nMsgs)
	}
	checkStoredOnce(t, openStore(t, cfg), msgs, nReqs, worker.StateAnswered)
}

// mountTmpfs mounts a tmpfs of size at dir until the test ends, or skips
// the test where that is not allowed (not root, a container without
// CAP_SYS_ADMIN).
func mountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("not root: cannot mount a small tmpfs for data_dir")
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s): skipping", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Logf("unmount %s: %v", dir, err)
		}
	})
}

func TestDaemonOnAFullDiskIsNotReadySaysWhyAndGoesOnWhenSpaceIsFreed(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the full-disk test")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	os.MkdirAll(data, 0o700)
	mountTmpfs(t, data, "64m")
	// Most of the disk is taken by something else when foiwatch starts:
	// 8 MiB are left, less than the mail needs.
	ballast := filepath.Join(data, "ballast")
	if err := os.WriteFile(ballast, make([]byte, 56<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := foiwatchBinary(t)
	nMsgs, nReqs := 3000, 29
	msgs := genMessages(nMsgs, nReqs)
	srv := memMailbox(t, "disk-pw", msgs...)
	httpPort := freePorts(t, 1)[0]
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	cfg := writeConfig(t, dir, srv.Addr(), srv.Username(), srv.Password(), "poll_interval = \"1s\"\n")
	os.WriteFile(filepath.Join(dir, "campaign.toml"), []byte(genCampaign(nReqs)), 0o600)
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(b), "[http]\nlisten = \"\"", fmt.Sprintf("[http]\nlisten = \"127.0.0.1:%d\"", httpPort), 1)), 0o600)

	p := startFoiwatchLevel(t, bin, cfg, "info")
	var body string
	waitFor(t, 2*time.Minute, "/readyz 503 saying data_dir is full", func() (bool, string) {
		code, rd, b := getReadyz(base)
		body = b
		return code == http.StatusServiceUnavailable && strings.HasPrefix(rd.Store, "data_dir is full"), fmt.Sprint(code, " ", b)
	})
	t.Logf("/readyz on a full disk: %s", body)
	if !strings.Contains(body, filepath.Join(data, "nats", "jetstream")) {
		t.Errorf("/readyz does not say where: %s", body)
	}
	time.Sleep(12 * time.Second) // long enough for a lease renewal to fail
	_, rd, body := getReadyz(base)
	if strings.HasPrefix(rd.Mailboxes["foi"], "standby") {
		t.Errorf("/readyz says %q on a full disk with no other process", rd.Mailboxes["foi"])
	}
	if logHas(p.stderr.String(), "another foiwatch process holds this job") {
		t.Errorf("the log says another process holds a job; there is none:\n%s", logTail(p.stderr.String(), 3000))
	}
	if !logHas(p.stderr.String(), "the store is full") {
		t.Errorf("the log does not say the store is full")
	}
	t.Logf("/readyz a while later: %s", body)
	stored, _ := progress(t, cfg)
	t.Logf("%d of %d stored when the disk filled", stored, nMsgs)

	// Space freed: foiwatch goes on by itself.
	os.Remove(ballast)
	freed := time.Now()
	if err := waitStored(t, cfg, nMsgs, 4*time.Minute, p); err != nil {
		t.Fatal(err)
	}
	t.Logf("all %d stored %s after the space was freed", nMsgs, time.Since(freed).Round(time.Millisecond))
	waitFor(t, time.Minute, "/readyz 200 again", func() (bool, string) {
		code, _, b := getReadyz(base)
		return code == http.StatusOK, fmt.Sprint(code, " ", b)
	})
	if err := p.stop(t); err != nil {
		t.Errorf("foiwatch did not stop cleanly: %v", err)
	}
	checkStoredOnce(t, openStore(t, cfg), msgs, nReqs, "")
}
