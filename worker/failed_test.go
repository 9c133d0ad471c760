package worker_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/foiwatch/foiwatch/queue"
	"github.com/foiwatch/foiwatch/worker/demo"
)

func TestFailingMessageLandsInFailedAndReplaysOnce(t *testing.T) {
	peer := memPeer(t)
	samples, _ := demo.Samples()
	for _, s := range samples {
		peer.append(t, s.Raw)
	}
	d := openDaemon(t, t.TempDir(), peer)
	ctx := context.Background()

	// The store for one message is "down": every attempt fails.
	bad := sha(samples[2].Raw)
	var broken atomic.Bool
	broken.Store(true)
	d.Proc.BeforeParse = func(ctx context.Context, sha string) error {
		if sha == bad && broken.Load() {
			return errors.New("replies store unavailable (test)")
		}
		return nil
	}
	d.SetRetries([]time.Duration{10 * time.Millisecond, 10 * time.Millisecond})

	res, err := d.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed == 0 && res.Waiting != 1 {
		t.Errorf("after the first pass: %+v; want the bad message counted as waiting for a retry", res)
	}
	for i := 0; i < 100 && res.Failed == 0; i++ { // retries wait their backoff
		time.Sleep(20 * time.Millisecond)
		if res, err = d.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	failed, err := d.Q.Failed(ctx)
	if err != nil || len(failed) != 1 {
		t.Fatalf("failed = %+v, %v", failed, err)
	}
	f := failed[0]
	if f.Envelope.SHA256 != bad || f.Attempts != 3 || f.Error != "replies store unavailable (test)" || f.Envelope.Mailbox != "foi" || f.Envelope.UID == 0 {
		t.Fatalf("failed entry = %+v", f)
	}
	if _, err := d.Store.Reply(ctx, bad); !errors.Is(err, queue.ErrNotFound) {
		t.Fatalf("a failed message has a stored reply: %v", err)
	}
	if n := countReplies(t, d); n != len(samples)-1 {
		t.Fatalf("%d replies stored, want %d: one bad message must not hold up the others", n, len(samples)-1)
	}
	if res.Stored != len(samples)-1 || res.Failed != 1 || res.Waiting != 0 {
		t.Errorf("sync says %+v; want %d stored, 1 failed, none waiting", res, len(samples)-1)
	}
	if f.Class != queue.FailedExhausted {
		t.Errorf("class %q, want %q", f.Class, queue.FailedExhausted)
	}
	if got := counterValue(d.Metrics.Failed.WithLabelValues(queue.FailedExhausted)); got != 1 {
		t.Errorf("foiwatch_messages_failed_total{class=%q} = %g, want 1", queue.FailedExhausted, got)
	}
	if got := counterValue(d.Metrics.Retries); got != 2 {
		t.Errorf("foiwatch_messages_retried_total = %g, want 2", got)
	}

	// Fixed: replay it, twice for good measure.
	broken.Store(false)
	if err := d.Q.Replay(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.Q.Replay(ctx, f.ID); !errors.Is(err, queue.ErrNotFound) {
		t.Fatalf("second replay: %v, want not found", err)
	}
	if res, err := d.Sync(ctx); err != nil || res.Processed != 1 || res.Failed != 0 {
		t.Fatalf("sync after replay = %+v, %v", res, err)
	}
	checkReplies(t, d) // processed exactly as a new message would have been
	if n := countReplies(t, d); n != len(samples) {
		t.Fatalf("%d replies, want %d", n, len(samples))
	}
	s, _, _ := d.Store.State(ctx, "dapp-demo-2023-24", "midsomer")
	if len(s.Replies) != 1 {
		t.Fatalf("midsomer holds %d replies after replay, want 1", len(s.Replies))
	}
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	c.Write(&m)
	return m.GetCounter().GetValue()
}
