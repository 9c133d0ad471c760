package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/mailbox"
	"github.com/foiwatch/foiwatch/mailbox/mailtest"
	"github.com/foiwatch/foiwatch/worker"
	"github.com/foiwatch/foiwatch/worker/demo"
)

// When things go wrong around the mailbox: a message too large to fetch, a
// program the parser needs that is missing, a request for the status page
// under a name that is not this machine's.

// logBuffer is a bytes.Buffer safe for slog's concurrent writes.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// openLogged is openDaemon with the log kept, and cfg changed by edit.
func openLogged(t *testing.T, peer imapPeer, edit func(*worker.Config)) (*worker.Daemon, *logBuffer) {
	t.Helper()
	dir := t.TempDir()
	camp := filepath.Join(dir, "campaign.toml")
	pw := filepath.Join(dir, "imap-password")
	if err := os.WriteFile(camp, []byte(demo.CampaignTOML()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pw, []byte(peer.pass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	off := ""
	idle := false
	cfg := worker.Config{
		DataDir:   filepath.Join(dir, "data"),
		Campaigns: []string{camp},
		Mailboxes: []mailbox.Config{{Name: "foi", Address: peer.addr, TLS: peer.tls, Username: peer.user, PasswordFile: pw, IDLE: &idle}},
		HTTP:      worker.HTTPConfig{Listen: &off},
	}
	if edit != nil {
		edit(&cfg)
	}
	logs := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("daemon log:\n%s", logs)
		}
	})
	d, err := worker.Open(context.Background(), cfg, &worker.Options{
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})), NoListen: true,
		Now: func() time.Time { return demo.Clock },
	})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d, logs
}

func readyz(t *testing.T, d *worker.Daemon) worker.Readiness {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
	req.Host = "127.0.0.1:8080"
	d.HTTPHandler().ServeHTTP(rec, req)
	var rd worker.Readiness
	if err := json.Unmarshal(rec.Body.Bytes(), &rd); err != nil {
		t.Fatalf("/readyz = %d %q: %v", rec.Code, rec.Body, err)
	}
	return rd
}

func TestTooLargeMessageIsRecordedInFailedWithItsHeaderAndTheRestComesIn(t *testing.T) {
	s, err := mailtest.NewMemServer("researcher@requests.example.org", "pw-mem-3141")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	samples, _ := demo.Samples()
	huge := []byte("From: Records <foi@big.example.gov.uk>\r\nTo: researcher@requests.example.org\r\n" +
		"Subject: =?utf-8?q?Your_request_=E2=80=93_all_the_files?=\r\nDate: Mon, 17 Jun 2024 11:02:13 +0100\r\n" +
		"Message-ID: <huge-1@big.example.gov.uk>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nThe files.\r\n")
	if _, err := s.AppendHuge("INBOX", huge, 500<<20); err != nil {
		t.Fatal(err)
	}
	if err := s.Append("INBOX", samples[1].Raw); err != nil {
		t.Fatal(err)
	}
	d, logs := openLogged(t, imapPeer{addr: s.Addr(), user: s.Username(), pass: s.Password(), tls: "none"}, nil)
	ctx := context.Background()
	res, err := d.Sync(ctx)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if res.Fetched != 2 || res.Failed != 1 || res.Processed != 1 {
		t.Errorf("sync = %+v; want 2 fetched, the large one failed, the other processed", res)
	}
	if _, err := d.Store.Reply(ctx, sha(samples[1].Raw)); err != nil {
		t.Errorf("the message behind the large one is not stored: %v", err)
	}
	failed, err := d.Q.Failed(ctx)
	if err != nil || len(failed) != 1 {
		t.Fatalf("FAILED holds %d entries (%v), want 1", len(failed), err)
	}
	fe := failed[0]
	for _, want := range []string{
		"message too large to fetch: 524288000 bytes (500.0 MiB) is over max_message_bytes = 67108864 (64.0 MiB); it was not fetched and stays on the server, in mailbox foi, folder INBOX, UID 1",
		"Subject: Your request – all the files", "From: Records <foi@big.example.gov.uk>", "Message-Id: <huge-1@big.example.gov.uk>",
		"Its header as the server sent it:\nFrom: Records",
	} {
		if !strings.Contains(fe.Error, want) {
			t.Errorf("FAILED entry lacks %q:\n%s", want, fe.Error)
		}
	}
	if !fe.Permanent || fe.Envelope.UID != 1 || fe.Envelope.Size != 500<<20 || fe.Envelope.SHA256 != "" {
		t.Errorf("FAILED entry %+v", fe)
	}
	if s.HugeBytesSent() != 0 {
		t.Errorf("%d bytes of the large body were fetched", s.HugeBytesSent())
	}
	if !strings.Contains(logs.String(), "message too large to fetch: recorded in FAILED") {
		t.Errorf("no log line about the message too large")
	}
	if err := d.Q.Replay(ctx, fe.ID); err == nil {
		t.Errorf("replaying an entry that was never fetched succeeded")
	}
	res, err = d.Sync(ctx)
	if err != nil || res.Fetched != 0 || res.Failed != 1 {
		t.Errorf("second sync = %+v, %v; want nothing new and still 1 failed", res, err)
	}
}

// Without pdftotext a PDF letter's text is not read: the daemon says so at
// start and on /readyz (a note: it stays ready), the reply carries a
// warning naming the attachment, and reprocess reads it once pdftotext is
// back.
func TestMissingPdftotextIsSaidAtStartOnReadyzAndOnTheAttachment(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext is not installed: the test needs it for the second half")
	}
	letter, err := os.ReadFile("../parser/extract/testdata/letter.pdf")
	if err != nil {
		t.Fatal(err)
	}
	raw := scanMail(map[string][]byte{"response.pdf": letter}, map[string]string{"response.pdf": "application/pdf"})
	peer := memPeer(t)
	peer.append(t, raw)
	path := os.Getenv("PATH")
	t.Setenv("PATH", t.TempDir())
	off := false
	d, logs := openLogged(t, peer, func(c *worker.Config) { c.OCR.Enabled = &off })
	ctx := context.Background()
	if _, err := d.Sync(ctx); err != nil {
		t.Fatalf("sync: %v", err)
	}
	want := "pdftotext is not installed (apt-get install poppler-utils): PDF attachments are not read"
	if !strings.Contains(logs.String(), want) {
		t.Errorf("the log does not say %q", want)
	}
	if strings.Contains(logs.String(), "tesseract") {
		t.Errorf("the log speaks of tesseract although OCR is turned off")
	}
	rd := readyz(t, d)
	if len(rd.Notes) != 1 || !strings.Contains(rd.Notes[0], want) {
		t.Errorf("/readyz notes = %q, want the missing pdftotext", rd.Notes)
	}
	r, err := d.Store.Reply(ctx, sha(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Attachments) != 1 || r.Attachments[0].TextChars != 0 || !strings.Contains(strings.Join(r.Warnings, "\n"), "response.pdf") {
		t.Errorf("reply without pdftotext: attachments %+v, warnings %q; want no text and a warning naming response.pdf", r.Attachments, r.Warnings)
	}

	t.Logf("without pdftotext: /readyz notes %q; reply warnings %q", rd.Notes, r.Warnings)
	t.Setenv("PATH", path)
	if rd := readyz(t, d); len(rd.Notes) != 0 {
		t.Errorf("/readyz notes once pdftotext is back = %q", rd.Notes)
	}
	if _, err := d.Reprocess(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Sync(ctx); err != nil {
		t.Fatalf("sync: %v", err)
	}
	r, err = d.Store.Reply(ctx, sha(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Attachments) != 1 || r.Attachments[0].TextChars == 0 || strings.Contains(strings.Join(r.Warnings, "\n"), "response.pdf") {
		t.Errorf("reply after reprocess: attachments %+v, warnings %q; want the letter read", r.Attachments, r.Warnings)
	}
}

func TestStatusPageAnswersOnlyToLoopbackNamesUnlessPublic(t *testing.T) {
	peer := memPeer(t)
	for _, public := range []bool{false, true} {
		d, _ := openLogged(t, peer, func(c *worker.Config) { c.HTTP.Public = public })
		h := d.HTTPHandler()
		for _, tc := range []struct {
			host string
			ok   bool
		}{
			{"127.0.0.1:8080", true},
			{"localhost:8080", true},
			{"[::1]:8080", true},
			{"127.0.0.1", true},
			{"LOCALHOST.:8080", true},
			{"attacker.example:8080", public},
			{"10.0.0.5:8080", public},
		} {
			for _, path := range []string{"/", "/readyz", "/metrics"} {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.Host = tc.host
				h.ServeHTTP(rec, req)
				if got := rec.Code != http.StatusMisdirectedRequest; got != tc.ok {
					t.Errorf("public = %v, Host %s, GET %s: %d %q", public, tc.host, path, rec.Code, rec.Body)
				}
				if !tc.ok && !strings.Contains(rec.Body.String(), "DNS rebinding") {
					t.Errorf("refusal does not say why: %q", rec.Body)
				}
			}
		}
	}
}
