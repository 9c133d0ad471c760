package main

// Tests that run foiwatch as a separate process: killed at random moments,
// stopped cleanly, several at once against a NATS cluster. They build the
// binary once (TestMain).

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/mailbox/mailtest"
	"github.com/foiwatch/foiwatch/queue"
	"github.com/foiwatch/foiwatch/worker"
	"github.com/foiwatch/foiwatch/worker/demo"
)

var long = flag.Bool("long", false, "run the long variants of the crash and fault tests")

// builtBinary is a binary built once per test run.
type builtBinary struct {
	once sync.Once
	path string
	err  error
}

var foiwatchBin, natsServerBin builtBinary

// get builds pkg (a package path or ".") into a temporary directory once.
func (b *builtBinary) get(t *testing.T, name, pkg string) string {
	t.Helper()
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "foiwatch-test-bin-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, name)
		// -tags foiwatch_testclock: FOIWATCH_CLOCK sets the clock (clock_testclock.go).
		if out, err := exec.Command("go", "build", "-tags", "foiwatch_testclock", "-o", b.path, pkg).CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// foiwatchBinary builds cmd/foiwatch once per test run.
func foiwatchBinary(t *testing.T) string { return foiwatchBin.get(t, "foiwatch", ".") }

// natsServerBinary builds nats-server from the module foiwatch embeds
// (Debian's 2.9 is too old for the streams foiwatch makes).
func natsServerBinary(t *testing.T) string {
	return natsServerBin.get(t, "nats-server", "github.com/nats-io/nats-server/v2")
}

func TestMain(m *testing.M) {
	if file := os.Getenv(peakRSSEnv); file != "" {
		os.Exit(runForPeakRSS(file)) // a command measured for a test (rss_test.go)
	}
	flag.Parse()
	code := m.Run()
	for _, b := range []*builtBinary{&foiwatchBin, &natsServerBin} {
		if b.path != "" {
			os.RemoveAll(filepath.Dir(b.path))
		}
	}
	os.Exit(code)
}

// genCampaign is a campaign of n requests, each answered by messages that
// thread on it, so the expected state does not depend on processing order.
func genCampaign(n int) string {
	var b strings.Builder
	b.WriteString(`id = "gen"
title = "Generated campaign"
[[questions]]
key = "referrals"
number = 1
type = "count"
text = "The total number of people referred into the programme"
[[questions]]
key = "partners"
number = 2
type = "list"
text = "The names of the organisations who made referrals"
[[questions]]
key = "budget"
number = 3
type = "money"
text = "Budget inclusive of running costs"
`)
	for k := 0; k < n; k++ {
		fmt.Fprintf(&b, `[[requests]]
id = "r%03d"
authority = "Authority %03d"
email = "foi@authority%03d.example.gov.uk"
sent_at = 2024-01-02T10:00:00Z
message_id = "<req-%03d@requests.example.org>"
`, k, k, k, k)
	}
	return b.String()
}

// genMessage is message i of a generated mailbox: mostly responses, some
// acknowledgements and out-of-office notes, threaded on request i % n.
// memMailbox is an in-memory IMAP server for researcher@requests.example.org
// with password, closed when the test ends, its INBOX holding msgs.
func memMailbox(t *testing.T, password string, msgs ...[]byte) *mailtest.MemServer {
	t.Helper()
	srv, err := mailtest.NewMemServer("researcher@requests.example.org", password)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	for _, m := range msgs {
		if err := srv.Append("INBOX", m); err != nil {
			t.Fatal(err)
		}
	}
	return srv
}

// genMessages is messages 0 to n-1 of genMessage for nReqs requests.
func genMessages(n, nReqs int) [][]byte {
	msgs := make([][]byte, n)
	for i := range msgs {
		msgs[i] = genMessage(i, nReqs)
	}
	return msgs
}

// sampleMessages are the demo's sample replies.
func sampleMessages(t *testing.T) [][]byte {
	t.Helper()
	samples, err := demo.Samples()
	if err != nil {
		t.Fatal(err)
	}
	var msgs [][]byte
	for _, s := range samples {
		msgs = append(msgs, s.Raw)
	}
	return msgs
}

func genMessage(i, n int) []byte {
	k := i % n
	date := time.Date(2024, 1, 3, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute).Format(time.RFC1123Z)
	head := fmt.Sprintf("From: FOI Team <foi@authority%03d.example.gov.uk>\r\nTo: researcher@requests.example.org\r\n"+
		"Date: %s\r\nMessage-ID: <gen-%d@authority%03d.example.gov.uk>\r\nIn-Reply-To: <req-%03d@requests.example.org>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n", k, date, i, k, k)
	switch i % 10 {
	case 0:
		return []byte(head + fmt.Sprintf("Subject: RE: FOI request [FOI/%03d/%d]\r\n\r\nYour request has been logged under reference FOI/%03d/%d.\r\n"+
			"We will respond no later than 31 January 2024.\r\n", k, i, k, i))
	case 1:
		return []byte(head + "Subject: Automatic reply: FOI request\r\nAuto-Submitted: auto-replied\r\n\r\nI am out of the office until Monday.\r\n")
	default:
		return []byte(head + fmt.Sprintf("Subject: RE: FOI request\r\n\r\nI can advise the following:\r\n\r\n"+
			"1. %d.\r\n2. Police, Probation Service.\r\n3. £%d,000 per annum.\r\n\r\nYours sincerely\r\nFOI Team %d\r\n", i%97, 10+i%50, i))
	}
}

type proc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{} // closed when the process exited
	err    error         // its exit status, once done is closed
}

// syncBuffer is a bytes.Buffer safe for the writing process pipe and a
// reading test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startFoiwatch(t *testing.T, bin, cfg string, env ...string) *proc {
	t.Helper()
	return startFoiwatchLevel(t, bin, cfg, "warn", env...)
}

// startFoiwatchLevel is startFoiwatch with a log level of the test's choice
// (info shows the reconnections).
func startFoiwatchLevel(t *testing.T, bin, cfg, level string, env ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, "run", "--config", cfg, "--log-level", level)
	cmd.Env = append(os.Environ(), env...)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stderr: stderr, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	return p
}

// waitStored waits until n replies are stored and nothing is queued. Past
// timeout it returns an error with the processes' logs, for the caller to
// fail on at once or after more checks.
func waitStored(t *testing.T, cfg string, n int, timeout time.Duration, procs ...*proc) error {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got, pending := progress(t, cfg)
		if got == n && pending == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			var logs []string
			for _, p := range procs {
				logs = append(logs, logTail(p.stderr.String(), 6000))
			}
			return fmt.Errorf("after %s: %d of %d replies stored, %d pending\n%s", timeout, got, n, pending, strings.Join(logs, "\n---\n"))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func logTail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// openStore opens the store of a stopped foiwatch (or reaches a running
// one's server) as an operator command would; it is closed at cleanup.
func openStore(t *testing.T, cfgPath string) *worker.Daemon {
	t.Helper()
	c, err := worker.LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	d, err := worker.Open(context.Background(), c, &worker.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// checkStoredOnce checks that nothing failed, that every generated message
// has a stored reply, and checkGenRequests.
func checkStoredOnce(t *testing.T, d *worker.Daemon, msgs [][]byte, nReqs int, state string) {
	t.Helper()
	ctx := context.Background()
	if f, _ := d.Q.Failed(ctx); len(f) != 0 {
		t.Errorf("%d messages failed, the first: %+v", len(f), f[0])
	}
	keys, err := d.Q.Replies.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != len(msgs) {
		t.Errorf("%d replies stored, want %d", len(keys), len(msgs))
	}
	checkGenRequests(t, d, msgs, nReqs, state)
}

func (p *proc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM and returns the exit error, failing after 60 s.
func (p *proc) stop(t *testing.T) error {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(60 * time.Second):
		t.Fatalf("foiwatch did not stop within 60s of SIGTERM\n%s", p.stderr)
		return nil
	}
}

// progress opens the store as an operator command would (reaching the
// running daemon's server) and counts stored replies and queued envelopes.
func progress(t *testing.T, cfgPath string) (replies int, pending uint64) {
	t.Helper()
	cfg, err := worker.LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d, err := worker.Open(ctx, cfg, &worker.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Logf("open store: %v", err)
		return -1, 0
	}
	defer d.Close()
	keys, err := d.Q.Replies.Keys(ctx)
	if err != nil {
		t.Logf("replies: %v", err)
		return -1, 0
	}
	w, f, _ := d.Q.Pending(ctx)
	return len(keys), w + f
}

func TestKilledAtRandomMomentsLosesAndDoublesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the crash test")
	}
	nMsgs, nKills, nReqs := 2000, 20, 49 // 49 is coprime with the 10 kinds of genMessage: each request gets every kind
	if *long {
		nMsgs, nKills = 10000, 100
	}
	bin := foiwatchBinary(t)
	msgs := genMessages(nMsgs, nReqs)
	srv := memMailbox(t, "crash-test-pw", msgs...)
	sink, err := mailtest.NewSMTPSink(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })

	dir := t.TempDir()
	cfg := writeConfig(t, dir, srv.Addr(), srv.Username(), srv.Password(), "")
	os.WriteFile(filepath.Join(dir, "campaign.toml"), []byte(genCampaign(nReqs)), 0o600) // in place of the demo campaign
	b, _ := os.ReadFile(cfg)
	b = append(b, []byte(fmt.Sprintf(`
[smtp]
address = %q
tls = "none"
from = "foiwatch <researcher@requests.example.org>"
[reminders]
to = ["operator@requests.example.org"]
chase_authorities = true
at = "09:00"
`, sink.Addr()))...)
	os.WriteFile(cfg, b, 0o600)
	// Monday 4 March 2024, 10:00 London: every request is past its due date.
	clock := "FOIWATCH_CLOCK=2024-03-04T10:00:00Z"

	rng := rand.New(rand.NewSource(1))
	start := time.Now()
	for k := 0; k < nKills; k++ {
		p := startFoiwatch(t, bin, cfg, clock)
		time.Sleep(time.Duration(150+rng.Intn(900)) * time.Millisecond)
		p.kill()
	}
	killPhase := time.Since(start)
	replies, _ := progress(t, cfg)
	t.Logf("%d kills in %s; %d of %d replies stored when the last one died", nKills, killPhase.Round(time.Millisecond), replies, nMsgs)

	p := startFoiwatch(t, bin, cfg, clock)
	if err := waitStored(t, cfg, nMsgs, 5*time.Minute, p); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // let the scheduler's first run finish
	if err := p.stop(t); err != nil {
		t.Fatalf("foiwatch did not stop cleanly on SIGTERM: %v\n%s", err, p.stderr)
	}
	t.Logf("all %d messages stored %s after the first start", nMsgs, time.Since(start).Round(time.Millisecond))

	// Every message stored exactly once, and each request holds exactly the
	// replies threaded on it.
	checkStoredOnce(t, openStore(t, cfg), msgs, nReqs, worker.StateAnswered)

	// No reminder twice. The requests were all answered (late), so the
	// scheduler may have sent stages only for replies not yet processed at
	// the time; whatever went, went once.
	seen := map[string]int{}
	for _, m := range sink.Messages() {
		data := string(m.Data)
		if strings.Contains(data, "Auto-Submitted: auto-generated") {
			for _, line := range strings.Split(data, "\n") {
				if strings.HasPrefix(line, "- Authority ") {
					seen["digest "+strings.Fields(line)[2]]++
				}
			}
			continue
		}
		seen["chase "+m.To[0]]++
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("%s sent %d times", k, n)
		}
	}
	t.Logf("%d reminder emails went out, none twice", len(sink.Messages()))
}

// checkGenRequests checks that each generated message (genMessage) is held
// exactly once by the request it threads on and by no other, and, unless
// state is "", that every request is in that state.
func checkGenRequests(t *testing.T, d *worker.Daemon, msgs [][]byte, nReqs int, state string) {
	t.Helper()
	ctx := context.Background()
	want := map[string]map[string]bool{}
	for i, m := range msgs {
		r := fmt.Sprintf("r%03d", i%nReqs)
		if want[r] == nil {
			want[r] = map[string]bool{}
		}
		want[r][queue.SHA256(m)] = true
	}
	for r, shas := range want {
		s, _, err := d.Store.State(ctx, "gen", r)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, ref := range s.Replies {
			if got[ref.SHA256] {
				t.Errorf("%s holds reply %s twice", r, ref.SHA256[:12])
			}
			if !shas[ref.SHA256] {
				t.Errorf("%s holds reply %s, which is not one of its messages", r, ref.SHA256[:12])
			}
			got[ref.SHA256] = true
		}
		if len(got) != len(shas) {
			t.Errorf("%s holds %d replies, want %d", r, len(got), len(shas))
		}
		if state != "" && s.State != state {
			t.Errorf("%s is %s, want %s", r, s.State, state)
		}
	}
}
