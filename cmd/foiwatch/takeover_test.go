package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/mailbox/mailtest"
	"github.com/foiwatch/foiwatch/queue"
	"github.com/foiwatch/foiwatch/worker"
)

// startNATS runs one nats-server with JetStream under dir (built as
// natsServerBinary does) and waits until foiwatch can open its streams. It
// returns the client URL.
func takeoverNATS(t *testing.T, dir string) string {
	t.Helper()
	bin := natsServerBinary(t)
	port := freePorts(t, 1)[0]
	conf := fmt.Sprintf("server_name: solo\nlisten: 127.0.0.1:%d\njetstream { store_dir: %q }\n", port, filepath.Join(dir, "jetstream"))
	path := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", path)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		q, err := queue.Open(ctx, queue.Config{URL: url}, &queue.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		cancel()
		if err == nil {
			q.Close()
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("nats-server did not become ready: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// readyz fetches /readyz and returns what it says of mailbox name ("" when
// it does not answer).
func takeoverReadyz(addr, name string) string {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + addr + "/readyz")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var rd worker.Readiness
	if err := json.NewDecoder(resp.Body).Decode(&rd); err != nil {
		return ""
	}
	return rd.Mailboxes[name]
}

// Two `foiwatch run` processes share one NATS server and one mailbox: one
// polls, the other stands by; when the poller is killed with SIGKILL (its
// lease is never released) the other takes the mailbox over once the lease's
// TTL (queue.LockTTL, 30 s) ran out, within 30 s + one lease retry (10 s),
// and every message is stored exactly once.
func TestPollerLeaseIsTakenOverWhenItsHolderIsKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the lock takeover test (about 45 s)")
	}
	const nReqs, nBefore, nAfter = 19, 150, 60
	bin := foiwatchBinary(t)
	dir := t.TempDir()
	url := takeoverNATS(t, dir)

	msgs := make([][]byte, nBefore+nAfter)
	for i := range msgs {
		msgs[i] = genMessage(i, nReqs)
	}
	var addr, user, pass, server string
	var appendMail func(raw []byte)
	if mailtest.DovecotInstalled() {
		d := mailtest.StartDovecot(t, nil)
		d.Deliver(t, "INBOX", msgs[:nBefore])
		addr, user, pass, server = d.Addr(), d.Username, d.Password, "Dovecot"
		appendMail = func(raw []byte) { d.Append(t, "INBOX", raw) }
	} else {
		srv := memMailbox(t, "takeover-pw", msgs[:nBefore]...)
		addr, user, pass, server = srv.Addr(), srv.Username(), srv.Password(), "MemServer (Dovecot is not installed)"
		appendMail = func(raw []byte) {
			if err := srv.Append("INBOX", raw); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("mail server: %s", server)

	os.WriteFile(filepath.Join(dir, "campaign.toml"), []byte(genCampaign(nReqs)), 0o600)
	os.WriteFile(filepath.Join(dir, "imap-password"), []byte(pass), 0o600)
	ports := freePorts(t, 2)
	var cfgs, https []string
	for i, port := range ports {
		listen := fmt.Sprintf("127.0.0.1:%d", port)
		cfg := fmt.Sprintf(`data_dir = "data%d"
campaigns = ["campaign.toml"]
[nats]
url = %q
[http]
listen = %q
[[mailboxes]]
name = "foi"
address = %q
tls = "none"
username = %q
password_file = %q
idle = true
poll_interval = "5s"
`, i, url, listen, addr, user, filepath.Join(dir, "imap-password"))
		path := filepath.Join(dir, fmt.Sprintf("foiwatch-%d.toml", i))
		os.WriteFile(path, []byte(cfg), 0o600)
		cfgs, https = append(cfgs, path), append(https, listen)
	}

	procs := []*proc{startFoiwatch(t, bin, cfgs[0]), startFoiwatch(t, bin, cfgs[1])}
	// Exactly one process polls; the other says it stands by.
	var poller int
	deadline := time.Now().Add(60 * time.Second)
	for {
		a, b := takeoverReadyz(https[0], "foi"), takeoverReadyz(https[1], "foi")
		if (a == "ok" && strings.HasPrefix(b, "standby")) || (b == "ok" && strings.HasPrefix(a, "standby")) {
			if b == "ok" {
				poller = 1
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no single poller after 60s: /readyz says %q and %q\n%s\n%s", a, b, procs[0].stderr, procs[1].stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	other := 1 - poller
	if err := waitStored(t, cfgs[other], nBefore, time.Minute, procs...); err != nil {
		t.Fatal(err)
	}
	for range 10 { // and it stays so
		if a, b := takeoverReadyz(https[poller], "foi"), takeoverReadyz(https[other], "foi"); a != "ok" || !strings.HasPrefix(b, "standby") {
			t.Fatalf("/readyz of the poller says %q, of the other %q", a, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("process %d polls, process %d stands by; %d messages stored", poller, other, nBefore)

	procs[poller].kill() // SIGKILL: its lease is never released
	killed := time.Now()
	for _, m := range msgs[nBefore:] {
		appendMail(m)
	}
	// The lease expires at most LockTTL (30 s) after the last renewal, and
	// the standby asks every 10 s: 40 s, plus slack for a loaded machine.
	deadline = killed.Add(50 * time.Second)
	for takeoverReadyz(https[other], "foi") != "ok" {
		if time.Now().After(deadline) {
			t.Fatalf("50s after the poller was killed the other process still says %q\n%s", takeoverReadyz(https[other], "foi"), procs[other].stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("the standby process took the mailbox over %s after the poller was killed", time.Since(killed).Round(100*time.Millisecond))
	if err := waitStored(t, cfgs[other], nBefore+nAfter, time.Minute, procs[other]); err != nil {
		t.Fatal(err)
	}
	t.Logf("all %d messages stored %s after the kill", nBefore+nAfter, time.Since(killed).Round(100*time.Millisecond))
	if err := procs[other].stop(t); err != nil {
		t.Errorf("foiwatch did not stop cleanly: %v\n%s", err, procs[other].stderr)
	}

	// Every message stored once, on the request it threads on.
	checkStoredOnce(t, openStore(t, cfgs[other]), msgs, nReqs, "")
}
