package worker_test

import (
	"context"
	"io"
	"log/slog"
	"os"
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

// clock is a settable clock shared by a test and its daemon.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(s string) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func openReminderDaemon(t *testing.T, dir string, sink *mailtest.SMTPSink, clk *clock) *worker.Daemon {
	t.Helper()
	camp := filepath.Join(dir, "campaign.toml")
	os.WriteFile(camp, []byte(demo.CampaignTOML()), 0o600)
	pw := filepath.Join(dir, "smtp-password")
	os.WriteFile(pw, []byte("smtp-secret-2718\n"), 0o600)
	off := ""
	cfg := worker.Config{
		DataDir:   filepath.Join(dir, "data"),
		Campaigns: []string{camp},
		SMTP: &mailbox.SMTPConfig{Address: sink.Addr(), TLS: "none", Username: "researcher", PasswordFile: pw,
			From: "foiwatch <researcher@requests.example.org>"},
		Reminders: worker.RemindersConfig{To: []string{"operator@requests.example.org"}, ChaseAuthorities: true},
		HTTP:      worker.HTTPConfig{Listen: &off},
	}
	d, err := worker.Open(context.Background(), cfg, &worker.Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), NoListen: true, Now: clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func remind(t *testing.T, d *worker.Daemon) worker.RemindResult {
	t.Helper()
	res, err := d.Remind(context.Background(), d.Now(), false)
	if err != nil {
		t.Fatalf("remind at %s: %v", d.Now(), err)
	}
	return res
}

func TestEveryReminderStageIsSentOnceAcrossARestart(t *testing.T) {
	sink, err := mailtest.NewSMTPSink(&mailtest.SinkOptions{Username: "researcher", Password: "smtp-secret-2718"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	dir := t.TempDir()
	clk := &clock{}
	d := openReminderDaemon(t, dir, sink, clk)
	ctx := context.Background()

	// Every request of the demo campaign was sent on Mon 2024-05-13 and is
	// due on Tue 2024-06-11 (2024-05-27 is a bank holiday).
	clk.Set("2024-06-06T09:00:00+01:00") // too early for anything
	if res := remind(t, d); len(res.Notices) != 0 || len(sink.Messages()) != 0 {
		t.Fatalf("on 06-06: %+v", res)
	}
	clk.Set("2024-06-07T09:00:00+01:00") // 2 working days before the due date
	res := remind(t, d)
	if len(res.Digest) != 4 || len(res.Chased) != 0 || res.Digest[0].Stage != "due_soon" {
		t.Fatalf("due_soon: digest %d chased %d %+v", len(res.Digest), len(res.Chased), res.Digest)
	}
	if res := remind(t, d); len(res.Digest)+len(res.Chased) != 0 {
		t.Fatalf("the same day again sent %d more", len(res.Digest)+len(res.Chased))
	}

	clk.Set("2024-06-12T09:00:00+01:00") // the first working day after the due date
	dry, err := d.Remind(ctx, d.Now(), true)
	if err != nil || len(dry.Digest) != 4 || len(dry.Chased) != 4 {
		t.Fatalf("dry run: %+v %v", dry, err)
	}
	sink.FailNext(1) // the digest fails once with a 451
	if _, err := d.Remind(ctx, d.Now(), false); err == nil || !strings.Contains(err.Error(), "451") ||
		!strings.Contains(err.Error(), "a retry waits: it is tried again from 2024-06-12 09:05") {
		t.Fatalf("a 451 from the server should be reported with the retry's time, got %v", err)
	}
	// Restart in the middle of the "late" stage: the chase-ups went, the
	// digest waits for its retry.
	d.Close()
	d = openReminderDaemon(t, dir, sink, clk)
	if res := remind(t, d); len(res.Digest)+len(res.Chased) != 0 {
		t.Fatalf("after restart, before the retry time: sent %+v", res)
	}
	clk.Set("2024-06-12T09:06:00+01:00") // past the 5-minute retry
	res = remind(t, d)
	if len(res.Digest) != 4 || len(res.Chased) != 0 {
		t.Fatalf("retry: digest %d chased %d", len(res.Digest), len(res.Chased))
	}
	if res := remind(t, d); len(res.Digest)+len(res.Chased) != 0 {
		t.Fatal("late stage sent twice")
	}

	// Borsetshire answers; the others stay silent until very late.
	samples, _ := demo.Samples()
	for _, s := range samples[:2] {
		if _, err := d.IngestRaw(ctx, s.Raw, "test"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Set("2024-07-09T09:00:00+01:00") // 20 working days after the due date
	res = remind(t, d)
	if len(res.Digest) != 3 || len(res.Chased) != 3 {
		t.Fatalf("very_late: digest %d chased %d", len(res.Digest), len(res.Chased))
	}
	for _, n := range res.Digest {
		if n.Request == "borsetshire" || n.Stage != "very_late" {
			t.Errorf("very_late notice %+v", n)
		}
	}
	clk.Set("2024-07-10T09:00:00+01:00")
	if res := remind(t, d); len(res.Digest)+len(res.Chased) != 0 {
		t.Fatal("very_late sent twice")
	}

	msgs := sink.Messages()
	// due_soon digest, 4 late chase-ups, late digest, very_late digest, 3 chase-ups.
	if len(msgs) != 10 {
		t.Fatalf("%d emails sent, want 10", len(msgs))
	}
	chases := map[string]int{}
	digests := 0
	for _, m := range msgs {
		data := string(m.Data)
		if strings.Contains(data, "Auto-Submitted: auto-generated") {
			digests++
			if m.To[0] != "operator@requests.example.org" || !strings.Contains(data, "text/html") || !strings.Contains(data, "text/plain") {
				t.Errorf("digest to %v is not plain text and HTML:\n%s", m.To, data)
			}
			continue
		}
		chases[m.To[0]]++
		if !strings.Contains(data, "In-Reply-To: <dapp-demo-") || !strings.Contains(data, "2024-05-13") || !strings.Contains(data, "2024-06-11") {
			t.Errorf("chase-up to %v lacks the thread or the dates:\n%s", m.To, data)
		}
		if m.AuthUser != "researcher" {
			t.Errorf("sent without AUTH: %+v", m.AuthUser)
		}
		if strings.Contains(data, "smtp-secret-2718") {
			t.Fatal("the SMTP password is in a message")
		}
	}
	if digests != 3 {
		t.Errorf("%d digests, want 3", digests)
	}
	if chases["foi@opcc-borsetshire.police.uk"] != 1 || chases["opcc@midsomer.police.uk"] != 2 || len(chases) != 4 {
		t.Errorf("chase-ups by authority: %v", chases)
	}
	for _, m := range msgs {
		for _, to := range m.To {
			if !strings.HasSuffix(to, ".police.uk") && !strings.HasSuffix(to, ".gov.uk") && to != "operator@requests.example.org" {
				t.Errorf("an email went to %s, neither an operator nor an authority of the campaign", to)
			}
		}
	}
}

func TestChaseUpQuotesTheAuthoritysReference(t *testing.T) {
	sink, err := mailtest.NewSMTPSink(&mailtest.SinkOptions{Username: "researcher", Password: "smtp-secret-2718"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	clk := &clock{}
	d := openReminderDaemon(t, t.TempDir(), sink, clk)
	samples, _ := demo.Samples()
	// Only the acknowledgement with the reference FOI/OPCCB/0412.
	if _, err := d.IngestRaw(context.Background(), samples[0].Raw, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	clk.Set("2024-06-12T10:00:00+01:00")
	remind(t, d)
	found := false
	for _, m := range sink.Messages() {
		if m.To[0] == "foi@opcc-borsetshire.police.uk" {
			found = true
			if !strings.Contains(string(m.Data), "FOI/OPCCB/0412") {
				t.Errorf("chase-up lacks the reference:\n%s", m.Data)
			}
		}
	}
	if !found {
		t.Fatal("no chase-up to Borsetshire")
	}
}
