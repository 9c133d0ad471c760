package worker_test

import (
	"context"
	"strings"
	"testing"

	"github.com/foiwatch/foiwatch/queue"
	"github.com/foiwatch/foiwatch/worker"
)

// The references and threads buckets are derived from the replies: a store
// that lost their keys is named by check, reply by reply, and check
// --repair files those replies again, so that what they teach is recorded
// and the requests are what they were.
func TestCheckFindsAndRebuildsLostReferencesAndThreads(t *testing.T) {
	mails := loopMails(t)
	byName := names(mails)
	peer := memPeer(t)
	for _, m := range mails {
		peer.append(t, m.raw)
	}
	d := openLoop(t, peer, 1, nil)
	syncAll(t, d)
	ctx := context.Background()
	before := snapshot(t, d, byName)
	if rep, err := d.Check(ctx, worker.CheckOptions{}); err != nil || !rep.Sound() {
		t.Fatalf("check of a sound store: %v %+v", err, rep)
	}

	lost := map[string]int{}
	for _, b := range []*queue.Bucket{d.Q.References, d.Q.Threads} {
		keys, err := b.Keys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) == 0 {
			t.Fatalf("bucket %s is empty: the fixtures teach nothing", b.Name())
		}
		for _, k := range keys {
			if err := b.Delete(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
		lost[b.Name()] = len(keys)
	}

	rep, err := d.Check(ctx, worker.CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sound() {
		t.Fatal("check finds nothing wrong with the references and threads gone")
	}
	said := map[string]bool{}
	n := 0
	for _, p := range rep.Problems {
		if !strings.HasPrefix(p.Where, "index/") {
			t.Errorf("a problem elsewhere: %+v", p)
			continue
		}
		n++
		for name := range lost {
			if strings.Contains(p.What, "bucket "+name) {
				said[name] = true
			}
		}
		if p.Fix == "" || p.Repaired {
			t.Errorf("problem %+v: want a fix, not done yet", p)
		}
	}
	for name := range lost {
		if !said[name] {
			t.Errorf("no problem names bucket %s", name)
		}
	}
	t.Logf("lost %v keys; check names %d replies", lost, n)

	rep, err = d.Check(ctx, worker.CheckOptions{Repair: true})
	if err != nil || !rep.Sound() {
		t.Fatalf("check --repair: %v %+v", err, rep)
	}
	syncAll(t, d) // what filing again queued to be matched again
	if rep, err := d.Check(ctx, worker.CheckOptions{}); err != nil || !rep.Sound() {
		t.Fatalf("check after the repair: %v %+v", err, rep.Problems)
	}
	for _, b := range []*queue.Bucket{d.Q.References, d.Q.Threads} {
		keys, err := b.Keys(ctx)
		if err != nil || len(keys) == 0 {
			t.Errorf("bucket %s after the repair: %d keys, %v", b.Name(), len(keys), err)
		}
	}
	if after := snapshot(t, d, byName); after != before {
		t.Errorf("the requests after the repair differ:\n--- before\n%s\n--- after\n%s", before, after)
	}
}
