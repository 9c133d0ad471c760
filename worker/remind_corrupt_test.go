package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/foiwatch/foiwatch/mailbox/mailtest"
	"github.com/foiwatch/foiwatch/worker"
)

// A reminder record that cannot be read (a damaged store, a hand edit)
// must not read as "sent", which would drop its reminder silently, nor as
// "not sent", which could send it twice: whether it went is unknown, so it
// is treated as uncertain (never sent again by itself) and the operator is
// told, by the dry run, by the run that meets it, and in the log, once.
func TestAnUnreadableReminderRecordIsUncertainAndTold(t *testing.T) {
	sink, err := mailtest.NewSMTPSink(&mailtest.SinkOptions{Username: "researcher", Password: "smtp-secret-2718"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	clk := &clock{}
	d := openReminderDaemon(t, t.TempDir(), sink, clk)
	ctx := context.Background()
	const camp = "dapp-demo-2023-24"
	corrupt := func(key string) {
		t.Helper()
		if _, err := d.Q.Reminders.Put(ctx, key, []byte(`{"status":"sent"`)); err != nil { // cut short
			t.Fatal(err)
		}
	}
	status := func(key string) string {
		t.Helper()
		b, _, err := d.Q.Reminders.Get(ctx, key)
		if err != nil {
			t.Fatalf("record %s: %v", key, err)
		}
		var rec struct{ Status string }
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatalf("record %s still unreadable after the run that met it: %v", key, err)
		}
		return rec.Status
	}
	told := func(err error, key, what string) {
		t.Helper()
		var se *worker.SendError
		if !errors.As(err, &se) || len(se.Failures) != 1 || !se.Failures[0].Unknown ||
			!strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), what) || !strings.Contains(err.Error(), "unknown") {
			t.Fatalf("the run said %v; want one failure naming record %s of the %s, its sending unknown", err, key, what)
		}
	}

	// Due soon: the digest's record of borsetshire is unreadable.
	clk.Set("2024-06-07T09:00:00+01:00")
	key := camp + ".borsetshire.due_soon.digest"
	corrupt(key)
	dry, err := d.Remind(ctx, d.Now(), true)
	told(err, key, "operator digest")
	if len(dry.Digest) != 3 {
		t.Errorf("the dry run's digest lists %d requests, want the 3 whose records can be read", len(dry.Digest))
	}
	res, err := d.Remind(ctx, d.Now(), false)
	told(err, key, "operator digest")
	if len(res.Digest) != 3 {
		t.Errorf("the digest listed %d requests, want 3", len(res.Digest))
	}
	for _, n := range res.Digest {
		if n.Request == "borsetshire" {
			t.Errorf("borsetshire, whose record says nothing certain, was in the digest")
		}
	}
	if got := status(key); got != "uncertain" {
		t.Errorf("the unreadable record became %q, want uncertain", got)
	}
	// Told once: the next run sends nothing and says nothing.
	if res, err := d.Remind(ctx, d.Now(), false); err != nil || len(res.Digest)+len(res.Chased) != 0 {
		t.Errorf("the run after: %+v %v; want nothing sent, no error", res, err)
	}
	if n := len(sink.Messages()); n != 1 {
		t.Errorf("%d emails sent, want the one digest", n)
	}

	// Late: midsomer's chase-up record is unreadable; the other three go.
	clk.Set("2024-06-12T09:00:00+01:00")
	key = camp + ".midsomer.late.chase"
	corrupt(key)
	res, err = d.Remind(ctx, d.Now(), false)
	told(err, key, "chase-up to opcc@midsomer.police.uk")
	if len(res.Chased) != 3 || len(res.Digest) != 4 {
		t.Errorf("chased %d, digest %d; want 3 chase-ups and a digest of 4", len(res.Chased), len(res.Digest))
	}
	for _, m := range sink.Messages() {
		if m.To[0] == "opcc@midsomer.police.uk" {
			t.Errorf("a chase-up went to midsomer, whose record says nothing certain")
		}
	}
	if got := status(key); got != "uncertain" {
		t.Errorf("the unreadable record became %q, want uncertain", got)
	}
}
