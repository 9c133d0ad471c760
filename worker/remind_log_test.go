package worker

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/mailbox"
	"github.com/foiwatch/foiwatch/mailbox/mailtest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// One SMTP failure is one ERROR line, saying a retry waits and when; the
// scheduler does not log it again.
func TestOneSMTPFailureIsOneErrorLine(t *testing.T) {
	sink, err := mailtest.NewSMTPSink(&mailtest.SinkOptions{FailNext: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	dir := t.TempDir()
	camp := filepath.Join(dir, "campaign.toml")
	os.WriteFile(camp, []byte(`id = "c"
title = "A campaign"
[[questions]]
key = "n"
type = "count"
text = "How many?"
[[requests]]
id = "r"
authority = "An authority"
email = "foi@authority.example.org"
sent_at = 2024-05-13T10:00:00+01:00
`), 0o600)
	off := ""
	logs := &lockedBuffer{}
	now := time.Date(2024, 6, 12, 9, 0, 0, 0, london) // the first working day after the demo's due date
	d, err := Open(context.Background(), Config{
		DataDir: filepath.Join(dir, "data"), Campaigns: []string{camp}, HTTP: HTTPConfig{Listen: &off},
		SMTP:      &mailbox.SMTPConfig{Address: sink.Addr(), TLS: "none", From: "foiwatch <researcher@requests.example.org>"},
		Reminders: RemindersConfig{To: []string{"operator@requests.example.org"}},
	}, &Options{Logger: slog.New(slog.NewTextHandler(logs, nil)), NoListen: true, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	d.scheduledRemind(context.Background(), now)
	out := logs.String()
	if n := strings.Count(out, "level=ERROR"); n != 1 {
		t.Fatalf("%d ERROR lines for one failed digest:\n%s", n, out)
	}
	if !strings.Contains(out, "retry waits") || !strings.Contains(out, "retry_at=2024-06-12T08:05:00Z") || !strings.Contains(out, "451") {
		t.Errorf("the ERROR line does not say a retry waits, when, and why:\n%s", out)
	}
	_, err = d.Remind(context.Background(), now, false)
	if err != nil {
		t.Errorf("within the retry wait nothing is sent and nothing fails: %v", err)
	}
}
