package main

// The benchmark of issue 6, "Mailbox in production":
//
//	go test ./cmd/foiwatch -run '^$' -bench BenchmarkSyncDovecot -benchtime 1x -timeout 30m
//
// It needs Dovecot (dovecot-imapd) and, for the comparison, mbsync (isync);
// FOIWATCH_BENCH_N sets the number of messages (default 10000).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/mailbox"
	"github.com/foiwatch/foiwatch/mailbox/mailtest"
	"github.com/foiwatch/foiwatch/queue"
	"github.com/foiwatch/foiwatch/worker"
)

// benchBinary builds cmd/foiwatch into dir (foiwatchBinary wants a *testing.T).
func benchBinary(tb testing.TB, dir string) string {
	tb.Helper()
	path := filepath.Join(dir, "foiwatch")
	if out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return path
}

// benchPDFMessage is message i with a PDF letter attached (a scanned-in reply
// as authorities often send).
func benchPDFMessage(i, n int, pdf []byte) []byte {
	k := i % n
	date := time.Date(2024, 1, 3, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute).Format(time.RFC1123Z)
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: FOI Team <foi@authority%03d.example.gov.uk>\r\nTo: researcher@requests.example.org\r\n"+
		"Date: %s\r\nMessage-ID: <gen-%d@authority%03d.example.gov.uk>\r\nIn-Reply-To: <req-%03d@requests.example.org>\r\n"+
		"Subject: RE: FOI request - response letter\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n"+
		"--b%d\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease find our response attached.\r\n\r\nFOI Team %d\r\n"+
		"--b%d\r\nContent-Type: application/pdf; name=\"response.pdf\"\r\nContent-Disposition: attachment; filename=\"response.pdf\"\r\n"+
		"Content-Transfer-Encoding: base64\r\n\r\n", k, date, i, k, k, i, i, i, i)
	enc := base64.StdEncoding.EncodeToString(pdf)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--b" + strconv.Itoa(i) + "--\r\n")
	return b.Bytes()
}

// benchMessage is message i of the benchmark's mailbox: 1 in 20 with a PDF.
func benchMessage(i, n int, pdf []byte) []byte {
	if i%20 == 7 {
		return benchPDFMessage(i, n, pdf)
	}
	return genMessage(i, n)
}

// run runs cmd to the end and returns its wall time and peak RSS.
func benchRun(tb testing.TB, cmd *exec.Cmd) (time.Duration, int64) {
	tb.Helper()
	start := time.Now()
	if err := cmd.Run(); err != nil {
		tb.Fatalf("%s: %v", strings.Join(cmd.Args, " "), err)
	}
	wall := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return wall, ru.Maxrss * 1024 // Linux: KiB
}

func benchMiB(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// benchInputs skips b without Dovecot, and gives the number of messages
// to sync (FOIWATCH_BENCH_N, default 10,000) and the PDF letter some of
// them carry.
func benchInputs(b *testing.B) (int, []byte) {
	b.Helper()
	if !mailtest.DovecotInstalled() {
		b.Skip("dovecot is not installed (apt-get install -y dovecot-imapd)")
	}
	n := 10000
	if s := os.Getenv("FOIWATCH_BENCH_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("FOIWATCH_BENCH_N=%q: want a positive number of messages", s)
		}
		n = v
	}
	pdf, err := os.ReadFile("../../parser/extract/testdata/letter.pdf")
	if err != nil {
		b.Fatal(err)
	}
	return n, pdf
}

func BenchmarkSyncDovecot(b *testing.B) {
	n, pdf := benchInputs(b)
	const nReqs = 97
	bin := benchBinary(b, b.TempDir())

	for range b.N {
		b.StopTimer()
		d := mailtest.StartDovecot(b, nil)
		msgs := make([][]byte, n)
		var bytesTotal int
		for i := range msgs {
			msgs[i] = benchMessage(i, nReqs, pdf)
			bytesTotal += len(msgs[i])
		}
		fill := time.Now()
		d.Deliver(b, "INBOX", msgs)
		// Open the folder once (Dovecot indexes the new files) and read every
		// message (the page cache holds them): neither tool pays for that.
		if got, err := mailtest.ListMessages(d.Addr(), nil, d.Username, d.Password, "INBOX"); err != nil || len(got) != n {
			b.Fatalf("Dovecot holds %d messages (%v), want %d", len(got), err, n)
		}
		b.Logf("%d messages (%s, %d with a PDF) written into Dovecot's Maildir and indexed in %s",
			n, benchMiB(int64(bytesTotal)), (n+12)/20, time.Since(fill).Round(time.Millisecond))

		dir := b.TempDir()
		os.WriteFile(filepath.Join(dir, "campaign.toml"), []byte(genCampaign(nReqs)), 0o600)
		os.WriteFile(filepath.Join(dir, "imap-password"), []byte(d.Password), 0o600)
		httpPort := freePorts(b, 1)[0]
		cfg := filepath.Join(dir, "foiwatch.toml")
		os.WriteFile(cfg, []byte(fmt.Sprintf(`data_dir = "data"
campaigns = ["campaign.toml"]
[http]
listen = "127.0.0.1:%d"
[[mailboxes]]
name = "foi"
address = %q
tls = "none"
username = %q
password_file = %q
idle = true
`, httpPort, d.Addr(), d.Username, filepath.Join(dir, "imap-password"))), 0o600)

		// 1. The IMAP side alone: a Poller whose handler does nothing.
		rec := 0
		p, err := mailbox.NewPoller(mailbox.Config{
			Name: "foi", Address: d.Addr(), TLS: mailbox.TLSNone, Username: d.Username,
			PasswordFile: filepath.Join(dir, "imap-password"),
		}, &benchNopCursors{}, func(context.Context, *mailbox.Message) error { rec++; return nil },
			&mailbox.PollerOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if got, err := p.SyncOnce(context.Background()); err != nil || got != n {
			b.Fatalf("poller alone: %d, %v", got, err)
		}
		imapOnly := time.Since(start)

		// 2. mbsync copies the mailbox to a Maildir.
		var mbsyncWall time.Duration
		var mbsyncRSS int64
		if mbsync, err := exec.LookPath("mbsync"); err != nil {
			b.Logf("mbsync is not installed (apt-get install -y isync): no comparison")
		} else {
			md := filepath.Join(dir, "maildir")
			os.MkdirAll(md, 0o700)
			rc := filepath.Join(dir, "mbsyncrc")
			host, port, _ := strings.Cut(d.Addr(), ":")
			os.WriteFile(rc, []byte(fmt.Sprintf(`IMAPAccount dovecot
Host %s
Port %s
User %s
Pass %s
SSLType None
AuthMechs LOGIN

IMAPStore far
Account dovecot

MaildirStore near
Path %s/
Inbox %s/INBOX

Channel bench
Far :far:
Near :near:
Patterns INBOX
Create Near
Sync Pull
SyncState *
`, host, port, d.Username, d.Password, md, md)), 0o600)
			cmd := exec.Command(mbsync, "-q", "-c", rc, "bench")
			var errOut bytes.Buffer
			cmd.Stderr = &errOut // "Password is being sent in the clear": loopback
			mbsyncWall, mbsyncRSS = benchRun(b, cmd)
			files, _ := os.ReadDir(filepath.Join(md, "INBOX", "new"))
			cur, _ := os.ReadDir(filepath.Join(md, "INBOX", "cur"))
			if len(files)+len(cur) != n {
				b.Fatalf("mbsync copied %d messages, want %d\n%s", len(files)+len(cur), n, errOut.String())
			}
		}

		// 3. foiwatch sync: fetch, store raw, queue, parse, store replies.
		var stderr bytes.Buffer
		cmd := exec.Command(bin, "sync", "--config", cfg, "--log-level", "info", "--log-format", "json")
		cmd.Stderr = &stderr
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		b.StartTimer()
		syncWall, syncRSS := benchRun(b, cmd)
		b.StopTimer()
		if !strings.Contains(stdout.String(), fmt.Sprintf("fetched %d, processed %d, unmatched 0, failed 0", n, n)) {
			b.Fatalf("foiwatch sync: %s\n%s", stdout.String(), benchTail(stderr.String(), 3000))
		}
		fetchPhase := benchFetchSpan(stderr.String())

		rate := func(d time.Duration) float64 { return float64(n) / d.Seconds() }
		b.ReportMetric(rate(syncWall), "foiwatch-msgs/s")
		b.ReportMetric(rate(imapOnly), "poller-only-msgs/s")
		b.ReportMetric(float64(syncRSS)/(1<<20), "foiwatch-sync-peak-MiB")
		b.Logf("poller alone (no-op handler): %s, %.0f msgs/s", imapOnly.Round(time.Millisecond), rate(imapOnly))
		b.Logf("foiwatch sync: %s, %.0f msgs/s (fetch + store raw + queue: %s, %.0f msgs/s; then parse + store replies), peak RSS %s",
			syncWall.Round(time.Millisecond), rate(syncWall), fetchPhase.Round(time.Millisecond), rate(fetchPhase), benchMiB(syncRSS))
		if mbsyncWall > 0 {
			b.ReportMetric(rate(mbsyncWall), "mbsync-msgs/s")
			b.ReportMetric(syncWall.Seconds()/mbsyncWall.Seconds(), "foiwatch/mbsync-time")
			b.Logf("mbsync: %s, %.0f msgs/s, peak RSS %s; foiwatch sync takes %.2f× mbsync's time (aim ≤ 1.5×)",
				mbsyncWall.Round(time.Millisecond), rate(mbsyncWall), benchMiB(mbsyncRSS), syncWall.Seconds()/mbsyncWall.Seconds())
		}

		// 4. IDLE: foiwatch run, then 200 APPENDs 50 ms apart; the time from
		// each APPEND's completion to its Reply in the replies bucket.
		lat, runRSS := idleLatency(b, bin, cfg, httpPort, d, nReqs, n)
		b.ReportMetric(float64(benchPercentile(lat, 50).Microseconds())/1000, "idle-p50-ms")
		b.ReportMetric(float64(benchPercentile(lat, 99).Microseconds())/1000, "idle-p99-ms")
		b.ReportMetric(float64(runRSS)/(1<<20), "foiwatch-run-peak-MiB")
		b.Logf("IDLE, APPEND to stored Reply over %d messages: p50 %s, p99 %s, max %s (aim p99 < 1s); foiwatch run peak RSS %s",
			len(lat), benchPercentile(lat, 50).Round(time.Millisecond), benchPercentile(lat, 99).Round(time.Millisecond),
			benchPercentile(lat, 100).Round(time.Millisecond), benchMiB(runRSS))
	}
}

// fetchSpan is the time between the first and the last "fetching INBOX"
// progress line of a JSON log: the IMAP side of a sync with its Handler.
func benchFetchSpan(log string) time.Duration {
	var first, last time.Time
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l struct {
			Time time.Time `json:"time"`
			Msg  string    `json:"msg"`
		}
		if json.Unmarshal(sc.Bytes(), &l) != nil || !strings.HasPrefix(l.Msg, "fetching INBOX:") {
			continue
		}
		if first.IsZero() {
			first = l.Time
		}
		last = l.Time
	}
	return last.Sub(first)
}

func benchTail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func benchPercentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100 // nearest rank
	return s[max(0, min(len(s)-1, i-1))]
}

type benchNopCursors struct{}

func (benchNopCursors) Cursor(context.Context, string, string) (mailbox.Cursor, bool, error) {
	return mailbox.Cursor{}, false, nil
}
func (benchNopCursors) SetCursor(context.Context, string, string, mailbox.Cursor) error { return nil }

// idleLatency runs `foiwatch run` on cfg and measures, for 200 messages
// appended one at a time, the time from the APPEND's completion to the
// Reply being stored. It returns the latencies and the run's peak RSS.
func idleLatency(b *testing.B, bin, cfg string, httpPort int, d *mailtest.Dovecot, nReqs, offset int) ([]time.Duration, int64) {
	const count = 200
	cmd := exec.Command(bin, "run", "--config", cfg, "--log-level", "warn")
	var stderr syncBuffer
	cmd.Stderr, cmd.Stdout = &stderr, io.Discard
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", httpPort)
	deadline := time.Now().Add(60 * time.Second)
	for takeoverReadyz(addr, "foi") != "ok" {
		if time.Now().After(deadline) {
			b.Fatalf("foiwatch run not ready after 60s: %q\n%s", takeoverReadyz(addr, "foi"), stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // IDLE has started

	c, err := worker.LoadConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	wd, err := worker.Open(ctx, c, &worker.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer wd.Close()

	lat := make([]time.Duration, count)
	var wg sync.WaitGroup
	for i := range count {
		raw := genMessage(offset+i, nReqs)
		sha := queue.SHA256(raw)
		d.Append(b, "INBOX", raw)
		appended := time.Now()
		wg.Go(func() {
			for {
				if _, _, err := wd.Q.Replies.Get(ctx, sha); err == nil {
					lat[i] = time.Since(appended)
					return
				}
				if time.Since(appended) > time.Minute {
					lat[i] = time.Minute
					b.Errorf("message %d not stored a minute after its APPEND", i)
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(60 * time.Second):
		b.Fatalf("foiwatch run did not stop on SIGTERM")
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return lat, ru.Maxrss * 1024
}

// BenchmarkSyncPhases is foiwatch sync in this process, split into its
// steps, to see where the time goes (add -cpuprofile for a profile):
//
//	go test ./cmd/foiwatch -run '^$' -bench BenchmarkSyncPhases -benchtime 1x -cpuprofile /tmp/sync.prof
//
// The IMAP handler does what Daemon.Ingest does (PutRaw, PublishMail) and
// the cursor store what the daemon's does (a Put in the cursors bucket),
// each timed; then the queue is drained with the daemon's Processor.
func BenchmarkSyncPhases(b *testing.B) {
	n, pdf := benchInputs(b)
	const nReqs = 97
	for range b.N {
		b.StopTimer()
		d := mailtest.StartDovecot(b, nil)
		msgs := make([][]byte, n)
		for i := range msgs {
			msgs[i] = benchMessage(i, nReqs, pdf)
		}
		d.Deliver(b, "INBOX", msgs)
		if got, err := mailtest.ListMessages(d.Addr(), nil, d.Username, d.Password, "INBOX"); err != nil || len(got) != n {
			b.Fatalf("Dovecot holds %d messages (%v), want %d", len(got), err, n)
		}
		dir := b.TempDir()
		os.WriteFile(filepath.Join(dir, "campaign.toml"), []byte(genCampaign(nReqs)), 0o600)
		os.WriteFile(filepath.Join(dir, "imap-password"), []byte(d.Password), 0o600)
		cfgPath := filepath.Join(dir, "foiwatch.toml")
		os.WriteFile(cfgPath, []byte(fmt.Sprintf(`data_dir = %q
campaigns = [%q]
[http]
listen = ""
[[mailboxes]]
name = "foi"
address = %q
tls = "none"
username = %q
password_file = %q
`, filepath.Join(dir, "data"), filepath.Join(dir, "campaign.toml"), d.Addr(), d.Username, filepath.Join(dir, "imap-password"))), 0o600)
		cfg, err := worker.LoadConfig(cfgPath)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		b.StartTimer()
		start := time.Now()
		wd, err := worker.Open(ctx, cfg, &worker.Options{Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		openTime := time.Since(start)

		var putRaw, publish, cursor, handle, handlePDF time.Duration
		var nPDF int
		ingest := func(ctx context.Context, m *mailbox.Message) error {
			t0 := time.Now()
			sha, err := wd.Q.PutRaw(ctx, m.Raw)
			if err != nil {
				return err
			}
			t1 := time.Now()
			_, err = wd.Q.PublishMail(ctx, queue.Envelope{
				SHA256: sha, Mailbox: m.Mailbox, Folder: m.Folder, UIDValidity: m.UIDValidity, UID: m.UID,
				InternalDate: m.InternalDate, Size: len(m.Raw), Source: "imap",
			})
			t2 := time.Now()
			putRaw += t1.Sub(t0)
			publish += t2.Sub(t1)
			return err
		}
		cursors := &benchTimedCursors{b: wd.Q.Cursors, d: &cursor}
		p, err := mailbox.NewPoller(cfg.Mailboxes[0], cursors, ingest, &mailbox.PollerOptions{Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if got, err := p.SyncOnce(ctx); err != nil || got != n {
			b.Fatalf("SyncOnce = %d, %v", got, err)
		}
		fetchTime := time.Since(t0)

		t0 = time.Now()
		got, err := wd.Q.Drain(ctx, &queue.WorkOptions{Concurrency: cfg.Workers}, func(ctx context.Context, dl *queue.Delivery) error {
			h0 := time.Now()
			err := wd.Proc.Handle(ctx, dl)
			handle += time.Since(h0)
			if dl.Size > 2000 { // the messages with a PDF; the others are < 1 KB
				handlePDF += time.Since(h0)
				nPDF++
			}
			return err
		})
		if err != nil || got != n {
			b.Fatalf("Drain = %d, %v", got, err)
		}
		drainTime := time.Since(t0)
		b.StopTimer()
		wd.Close()

		per := func(d time.Duration) string { return fmt.Sprintf("%.0f µs/msg", float64(d.Microseconds())/float64(n)) }
		imapTime := fetchTime - putRaw - publish - cursor
		b.Logf("open (embedded NATS, buckets): %s", openTime.Round(time.Millisecond))
		b.Logf("IMAP + ingest: %s (%.0f msgs/s): IMAP and poller %s, PutRaw %s, PublishMail %s, SetCursor %s",
			fetchTime.Round(time.Millisecond), float64(n)/fetchTime.Seconds(), per(imapTime), per(putRaw), per(publish), per(cursor))
		b.Logf("drain: %s (%.0f msgs/s): Processor.Handle %s, queue overhead (fetch, ack) %s",
			drainTime.Round(time.Millisecond), float64(n)/drainTime.Seconds(), per(handle), per(drainTime-handle))
		if nPDF > 0 && nPDF < n {
			b.Logf("Processor.Handle: %d messages with a PDF %.0f µs each (%s in all), %d without %.0f µs each",
				nPDF, float64(handlePDF.Microseconds())/float64(nPDF), handlePDF.Round(time.Millisecond),
				n-nPDF, float64((handle-handlePDF).Microseconds())/float64(n-nPDF))
		}
		b.ReportMetric(float64(n)/fetchTime.Seconds(), "ingest-msgs/s")
		b.ReportMetric(float64(n)/drainTime.Seconds(), "drain-msgs/s")
	}
}

// benchTimedCursors is the daemon's cursor store (JSON in the cursors
// bucket), timed.
type benchTimedCursors struct {
	b *queue.Bucket
	d *time.Duration
}

func (c *benchTimedCursors) Cursor(context.Context, string, string) (mailbox.Cursor, bool, error) {
	return mailbox.Cursor{}, false, nil
}

func (c *benchTimedCursors) SetCursor(ctx context.Context, mbox, folder string, cur mailbox.Cursor) error {
	t0 := time.Now()
	v, _ := json.Marshal(cur)
	_, err := c.b.Put(ctx, mbox+"."+base64.RawURLEncoding.EncodeToString([]byte(folder)), v)
	*c.d += time.Since(t0)
	return err
}
