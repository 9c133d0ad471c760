package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func openTest(t *testing.T, dir string, o *Options) *Queue {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q, err := Open(ctx, Config{DataDir: dir}, o)
	if err != nil {
		t.Fatalf("open queue: %v", err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

func TestRawIsStoredOnceByContentHash(t *testing.T) {
	q := openTest(t, t.TempDir(), &Options{NoListen: true})
	ctx := context.Background()
	raw := []byte("Subject: hello\r\n\r\nbody\r\n")
	sha1, err := q.PutRaw(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	sha2, err := q.PutRaw(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	if sha1 != sha2 || sha1 != SHA256(raw) {
		t.Fatalf("hashes differ: %s %s", sha1, sha2)
	}
	got, err := q.GetRaw(ctx, sha1)
	if err != nil || string(got) != string(raw) {
		t.Fatalf("GetRaw = %q, %v", got, err)
	}
	big := bytes.Repeat([]byte("x"), SmallRaw+1)
	bigSHA, err := q.PutRaw(ctx, big)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.PutRaw(ctx, big); err != nil {
		t.Fatal(err)
	}
	if got, err := q.GetRaw(ctx, bigSHA); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("GetRaw of a large message: %d bytes, %v", len(got), err)
	}
	n := 0
	q.RawList(ctx, func(string) error { n++; return nil })
	if n != 2 {
		t.Fatalf("raw messages listed = %d, want 2 (one small, one large)", n)
	}
	if _, err := q.GetRaw(ctx, SHA256([]byte("other"))); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing raw: %v, want ErrNotFound", err)
	}
}

func TestPublishingTheSameEnvelopeTwiceQueuesItOnce(t *testing.T) {
	q := openTest(t, t.TempDir(), &Options{NoListen: true})
	ctx := context.Background()
	env := Envelope{SHA256: SHA256([]byte("x")), Source: "imap"}
	if dup, err := q.PublishMail(ctx, env); err != nil || dup {
		t.Fatalf("first publish: dup=%v err=%v", dup, err)
	}
	if dup, err := q.PublishMail(ctx, env); err != nil || !dup {
		t.Fatalf("second publish: dup=%v err=%v, want duplicate", dup, err)
	}
	var seen []string
	n, err := q.Drain(ctx, nil, func(ctx context.Context, d *Delivery) error {
		seen = append(seen, d.SHA256)
		return nil
	})
	if err != nil || n != 1 || len(seen) != 1 {
		t.Fatalf("drain: n=%d seen=%v err=%v", n, seen, err)
	}
	waiting, inFlight, err := q.Pending(ctx)
	if err != nil || waiting != 0 || inFlight != 0 {
		t.Fatalf("pending after drain: %d %d %v", waiting, inFlight, err)
	}
}

func TestFailingMessageIsRetriedThenFailedThenReplayed(t *testing.T) {
	q := openTest(t, t.TempDir(), &Options{NoListen: true})
	ctx := context.Background()
	env := Envelope{SHA256: SHA256([]byte("bad")), Source: "imap"}
	if _, err := q.PublishMail(ctx, env); err != nil {
		t.Fatal(err)
	}
	var broken atomic.Bool
	broken.Store(true)
	var attempts []int
	h := func(ctx context.Context, d *Delivery) error {
		attempts = append(attempts, d.Attempt)
		if broken.Load() {
			return fmt.Errorf("store unavailable")
		}
		return nil
	}
	opts := &WorkOptions{Backoff: []time.Duration{50 * time.Millisecond, 50 * time.Millisecond}}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		q.Drain(ctx, opts, h)
		if f, _ := q.Failed(ctx); len(f) > 0 {
			break
		}
		time.Sleep(60 * time.Millisecond)
	}
	failed, err := q.Failed(ctx)
	if err != nil || len(failed) != 1 {
		t.Fatalf("failed = %v, %v; want one entry", failed, err)
	}
	if failed[0].Attempts != 3 || failed[0].Error != "store unavailable" || failed[0].Envelope.SHA256 != env.SHA256 {
		t.Fatalf("failed entry = %+v", failed[0])
	}
	if len(attempts) != 3 || attempts[0] != 1 || attempts[2] != 3 {
		t.Fatalf("attempts = %v, want [1 2 3]", attempts)
	}
	if waiting, inFlight, _ := q.Pending(ctx); waiting+inFlight != 0 {
		t.Fatalf("MAIL still holds %d+%d after FAILED", waiting, inFlight)
	}

	broken.Store(false)
	if err := q.Replay(ctx, failed[0].ID); err != nil {
		t.Fatal(err)
	}
	attempts = nil
	var src string
	n, err := q.Drain(ctx, opts, func(ctx context.Context, d *Delivery) error { src = d.Source; return h(ctx, d) })
	if err != nil || n != 1 || src != "replay" || len(attempts) != 1 {
		t.Fatalf("after replay: n=%d src=%q attempts=%v err=%v", n, src, attempts, err)
	}
	if f, _ := q.Failed(ctx); len(f) != 0 {
		t.Fatalf("FAILED still holds %v", f)
	}
	if err := q.Replay(ctx, failed[0].ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("replaying twice: %v, want ErrNotFound", err)
	}
}

func TestPanicGoesToFailedWithStack(t *testing.T) {
	q := openTest(t, t.TempDir(), &Options{NoListen: true})
	ctx := context.Background()
	q.PublishMail(ctx, Envelope{SHA256: SHA256([]byte("p"))})
	q.Drain(ctx, nil, func(ctx context.Context, d *Delivery) error { panic("boom") })
	f, err := q.Failed(ctx)
	if err != nil || len(f) != 1 || f[0].Stack == "" || !f[0].Permanent || f[0].Attempts != 1 {
		t.Fatalf("failed = %+v, %v", f, err)
	}
}

func TestBucketCompareAndSet(t *testing.T) {
	q := openTest(t, t.TempDir(), &Options{NoListen: true})
	ctx := context.Background()
	b := q.Requests
	rev, err := b.Create(ctx, "c.r", []byte("1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Create(ctx, "c.r", []byte("x")); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: %v", err)
	}
	if _, err := b.Update(ctx, "c.r", []byte("2"), rev); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Update(ctx, "c.r", []byte("3"), rev); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale update: %v, want ErrConflict", err)
	}
	v, _, err := b.Get(ctx, "c.r")
	if err != nil || string(v) != "2" {
		t.Fatalf("get = %q %v", v, err)
	}
	keys, err := q.Replies.Keys(ctx)
	if err != nil || len(keys) != 0 {
		t.Fatalf("empty bucket keys = %v %v", keys, err)
	}
}

func TestSecondProcessReachesTheOwnersServerAndStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	owner, err := Open(ctx, Config{DataDir: dir}, &Options{Owner: true})
	if err != nil {
		t.Fatal(err)
	}
	if !owner.Embedded() {
		t.Fatal("owner does not run the embedded server")
	}
	if _, err := owner.Cursors.Put(ctx, "k", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	client, err := Open(ctx, Config{DataDir: dir}, nil)
	if err != nil {
		t.Fatalf("operator connection while the daemon runs: %v", err)
	}
	if client.Embedded() {
		t.Fatal("a second process started its own server on the same store")
	}
	v, _, err := client.Cursors.Get(ctx, "k")
	if err != nil || string(v) != "v1" {
		t.Fatalf("client read %q %v", v, err)
	}
	client.Close()
	owner.Close()

	// Daemon stopped: an operator command opens the store itself.
	again := openTest(t, dir, nil)
	if !again.Embedded() {
		t.Fatal("with no daemon running, the command should run the server itself")
	}
	v, _, err = again.Cursors.Get(ctx, "k")
	if err != nil || string(v) != "v1" {
		t.Fatalf("after restart read %q %v", v, err)
	}
}

func TestRedactURLHidesCredentials(t *testing.T) {
	got := redactURL("nats://user:secret@10.0.0.5:4222,nats://10.0.0.6:4222")
	if got != "nats://***@10.0.0.5:4222,nats://10.0.0.6:4222" {
		t.Fatalf("redactURL = %q", got)
	}
}

// The object store can leave an object's metadata without its chunks (a
// chunk's publish failed mid-write); storing the message again repairs it
// instead of trusting the metadata.
func TestRawWithMetadataButNoDataIsStoredAgain(t *testing.T) {
	q := openTest(t, t.TempDir(), &Options{NoListen: true})
	ctx := context.Background()
	// Large enough for the object store (small ones are single writes).
	raw := append([]byte("Subject: partial\r\n\r\n"), bytes.Repeat([]byte("a scanned letter\r\n"), SmallRaw/8)...)
	sha, err := q.PutRaw(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	info, err := q.raw.GetInfo(ctx, sha)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := q.js.Stream(ctx, "OBJ_"+ObjectRaw)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Purge(ctx, jetstream.WithPurgeSubject("$O."+ObjectRaw+".C."+info.NUID)); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	_, err = q.GetRaw(short, sha)
	cancel()
	if err == nil {
		t.Fatal("the chunks were purged but the message still reads")
	}
	if _, err := q.PutRaw(ctx, raw); err != nil {
		t.Fatal(err)
	}
	got, err := q.GetRaw(ctx, sha)
	if err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("after storing again: %d bytes, %v", len(got), err)
	}
}
