package main

// Server faults: the NATS server (external mode) and the IMAP server are
// stopped and started again under a running `foiwatch run`. /readyz must
// say what is wrong while it is down and recover after; nothing is lost or
// stored twice.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/mailbox/mailtest"
	"github.com/foiwatch/foiwatch/queue"
)

// startNATSServer runs one nats-server with JetStream on 127.0.0.1:port,
// its store under dir/nats-store (the same on every start).
func startNATSServer(t *testing.T, bin, dir string, port int) *natsNode {
	t.Helper()
	conf := fmt.Sprintf("server_name: single\nlisten: 127.0.0.1:%d\njetstream { store_dir: %q }\n", port, filepath.Join(dir, "nats-store"))
	return runNATSServer(t, bin, filepath.Join(dir, "nats.conf"), conf)
}

func (n *natsNode) term(t *testing.T) {
	t.Helper()
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(30 * time.Second):
		t.Fatal("nats-server did not stop within 30s of SIGTERM")
	}
}

// readiness is what /readyz answers.
type readiness struct {
	Ready     bool              `json:"ready"`
	Starting  string            `json:"starting"`
	NATS      bool              `json:"nats_connected"`
	Store     string            `json:"store"`
	Mailboxes map[string]string `json:"mailboxes"`
}

func getReadyz(base string) (int, readiness, string) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(base + "/readyz")
	if err != nil {
		return 0, readiness{}, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var rd readiness
	json.Unmarshal(b, &rd)
	return resp.StatusCode, rd, strings.TrimSpace(string(b))
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// waitFor polls cond every 100 ms and returns how long it took to hold,
// failing after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) time.Duration {
	t.Helper()
	start := time.Now()
	last := ""
	for {
		ok, state := cond()
		if ok {
			return time.Since(start)
		}
		last = state
		if time.Since(start) > timeout {
			t.Fatalf("%s: not within %s; last seen: %s", what, timeout, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// logHas reports whether a JSON log line has msg containing want.
func logHas(log, want string) bool {
	for _, line := range strings.Split(log, "\n") {
		var e struct {
			Msg string `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &e) == nil && strings.Contains(e.Msg, want) {
			return true
		}
	}
	return false
}

func TestNATSServerStoppedAndStartedUnderTheDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the NATS outage test")
	}
	nMsgs, nReqs := 600, 29
	natsBin := natsServerBinary(t)
	bin := foiwatchBinary(t)
	dir := t.TempDir()
	ports := freePorts(t, 2)
	natsPort, httpPort := ports[0], ports[1]
	url := fmt.Sprintf("nats://127.0.0.1:%d", natsPort)
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)

	nats := startNATSServer(t, natsBin, dir, natsPort)
	waitFor(t, 30*time.Second, "nats-server ready", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		q, err := queue.Open(ctx, queue.Config{URL: url}, &queue.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			return false, err.Error()
		}
		q.Close()
		return true, ""
	})

	srv := memMailbox(t, "nats-outage-pw")
	msgs := genMessages(nMsgs, nReqs)
	first := nMsgs / 2
	for _, m := range msgs[:first] {
		srv.Append("INBOX", m)
	}
	cfg := writeConfig(t, dir, srv.Addr(), srv.Username(), srv.Password(), "poll_interval = \"1s\"\n")
	os.WriteFile(filepath.Join(dir, "campaign.toml"), []byte(genCampaign(nReqs)), 0o600)
	b, _ := os.ReadFile(cfg)
	text := strings.Replace(string(b), "[http]\nlisten = \"\"", fmt.Sprintf("[nats]\nurl = %q\n[http]\nlisten = \"127.0.0.1:%d\"", url, httpPort), 1)
	os.WriteFile(cfg, []byte(text), 0o600)

	p := startFoiwatchLevel(t, bin, cfg, "info")
	waitFor(t, 60*time.Second, "/readyz 200 after start", func() (bool, string) {
		code, _, body := getReadyz(base)
		return code == 200, fmt.Sprint(code, " ", body)
	})
	waitFor(t, 60*time.Second, "a third of the mail stored", func() (bool, string) {
		n, _ := progress(t, cfg)
		return n >= nMsgs/6, fmt.Sprint(n, " stored")
	})

	// Mail keeps arriving, before, during and after the outage.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, m := range msgs[first:] {
			srv.Append("INBOX", m)
			time.Sleep(15 * time.Millisecond)
		}
	}()

	time.Sleep(500 * time.Millisecond)
	nats.term(t)
	down := time.Now()
	var last readiness
	detect := waitFor(t, 30*time.Second, "/readyz 503 with nats_connected false", func() (bool, string) {
		code, rd, body := getReadyz(base)
		last = rd
		return code == http.StatusServiceUnavailable && !rd.NATS && !rd.Ready, fmt.Sprint(code, " ", body)
	})
	t.Logf("NATS stopped: /readyz said 503, nats_connected false, %s later (%+v)", detect.Round(time.Millisecond), last)
	waitFor(t, 10*time.Second, "the log says NATS is disconnected", func() (bool, string) {
		return logHas(p.stderr.String(), "nats disconnected"), logTail(p.stderr.String(), 2000)
	})
	if code, _, body := getReadyz(base); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d %s while NATS is down", code, body)
	}
	if resp, err := http.Get(base + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("/healthz while NATS is down: %v %v (the process is alive)", resp, err)
	} else {
		resp.Body.Close()
	}
	time.Sleep(3 * time.Second) // a while down, with mail arriving

	startNATSServer(t, natsBin, dir, natsPort) // stopped when the test ends
	outage := time.Since(down)
	recover := waitFor(t, 90*time.Second, "/readyz 200 after NATS is back", func() (bool, string) {
		code, rd, body := getReadyz(base)
		return code == 200 && rd.NATS, fmt.Sprint(code, " ", body)
	})
	t.Logf("NATS down for %s; /readyz 200 again %s after it was started", outage.Round(time.Millisecond), recover.Round(time.Millisecond))
	waitFor(t, 10*time.Second, "the log says NATS reconnected", func() (bool, string) {
		return logHas(p.stderr.String(), "nats reconnected"), logTail(p.stderr.String(), 2000)
	})

	wg.Wait()
	start := time.Now()
	if err := waitStored(t, cfg, nMsgs, 5*time.Minute, p); err != nil {
		t.Fatal(err)
	}
	t.Logf("all %d messages stored %s after the last one arrived", nMsgs, time.Since(start).Round(time.Millisecond))
	if err := p.stop(t); err != nil {
		t.Errorf("foiwatch did not stop cleanly: %v\n%s", err, logTail(p.stderr.String(), 4000))
	}
	checkStoredOnce(t, openStore(t, cfg), msgs, nReqs, "")
}

func TestIMAPServerStoppedAndStartedUnderTheDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the IMAP outage test")
	}
	if !mailtest.DovecotInstalled() {
		t.Skip("dovecot is not installed (apt-get install -y dovecot-imapd): skipping the IMAP outage test")
	}
	nMsgs, nReqs := 80, 7
	bin := foiwatchBinary(t)
	dv := mailtest.StartDovecot(t, nil)
	msgs := make([][]byte, nMsgs)
	for i := range msgs {
		msgs[i] = genMessage(i, nReqs)
	}
	first := nMsgs / 2
	for _, m := range msgs[:first] {
		dv.Append(t, "INBOX", m)
	}
	dir := t.TempDir()
	httpPort := freePorts(t, 1)[0]
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	cfg := writeConfig(t, dir, dv.Addr(), dv.Username, dv.Password, "poll_interval = \"1s\"\n")
	os.WriteFile(filepath.Join(dir, "campaign.toml"), []byte(genCampaign(nReqs)), 0o600)
	b, _ := os.ReadFile(cfg)
	text := strings.Replace(string(b), "[http]\nlisten = \"\"", fmt.Sprintf("[http]\nlisten = \"127.0.0.1:%d\"", httpPort), 1)
	os.WriteFile(cfg, []byte(text), 0o600)

	p := startFoiwatchLevel(t, bin, cfg, "info")
	waitFor(t, 60*time.Second, "/readyz 200 after start", func() (bool, string) {
		code, rd, body := getReadyz(base)
		return code == 200 && rd.Mailboxes["foi"] == "ok", fmt.Sprint(code, " ", body)
	})
	if err := waitStored(t, cfg, first, 2*time.Minute, p); err != nil {
		t.Fatal(err)
	}

	dv.Stop(t)
	down := time.Now()
	var said string
	detect := waitFor(t, 30*time.Second, "/readyz names the mailbox's error", func() (bool, string) {
		_, rd, body := getReadyz(base)
		said = rd.Mailboxes["foi"]
		return said != "ok" && said != "" && !strings.HasPrefix(said, "standby"), body
	})
	t.Logf("Dovecot stopped: /readyz reported %q %s later", said, detect.Round(time.Millisecond))
	if !strings.Contains(said, dv.Addr()) && !strings.Contains(said, "connect") && !strings.Contains(said, "closed") {
		t.Errorf("/readyz says %q: it does not say what is wrong with the mailbox", said)
	}
	if *long {
		// Past the grace period (3 × poll_interval + 1 minute) it is not ready.
		unready := waitFor(t, 3*time.Minute, "/readyz 503 while the mailbox is down", func() (bool, string) {
			code, _, body := getReadyz(base)
			return code == http.StatusServiceUnavailable, body
		})
		t.Logf("/readyz turned 503 %s after Dovecot stopped", (detect + unready).Round(time.Second))
	} else {
		time.Sleep(3 * time.Second)
	}

	dv.Start(t)
	outage := time.Since(down)
	recover := waitFor(t, 2*time.Minute, "/readyz ok after Dovecot is back", func() (bool, string) {
		code, rd, body := getReadyz(base)
		return code == 200 && rd.Mailboxes["foi"] == "ok", fmt.Sprint(code, " ", body)
	})
	t.Logf("Dovecot down for %s; /readyz ok again %s after it was started", outage.Round(time.Millisecond), recover.Round(time.Millisecond))
	for _, m := range msgs[first:] {
		dv.Append(t, "INBOX", m)
	}
	if err := waitStored(t, cfg, nMsgs, 2*time.Minute, p); err != nil {
		t.Fatal(err)
	}

	metrics := httpGet(t, base+"/metrics")
	t.Run("imap_reconnects_total", func(t *testing.T) {
		if !strings.Contains(metrics, `foiwatch_imap_reconnects_total{mailbox="foi"}`) {
			t.Fatalf("/metrics has no foiwatch_imap_reconnects_total for the mailbox")
		}
		if strings.Contains(metrics, `foiwatch_imap_reconnects_total{mailbox="foi"} 0`) {
			t.Errorf("foiwatch_imap_reconnects_total is 0 after an IMAP outage")
		}
	})
	if err := p.stop(t); err != nil {
		t.Errorf("foiwatch did not stop cleanly: %v\n%s", err, logTail(p.stderr.String(), 4000))
	}
	checkStoredOnce(t, openStore(t, cfg), msgs, nReqs, "")
}
