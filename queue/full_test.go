package queue

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// A store at its limit (nats.max_bytes here; data_dir's disk the same way)
// refuses every write with "insufficient resources". That is said as a
// full store, where it is; Drain (foiwatch sync) stops at once without
// costing a message an attempt; Work waits and goes on by itself once there
// is room, each message processed once and none failed.
func TestAFullStoreIsSaidAsSuchAndWorkGoesOnWhenThereIsRoom(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	q, err := Open(ctx, Config{DataDir: dir, MaxBytes: 1 << 20}, &Options{NoListen: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	var envs []Envelope
	for i := range 3 {
		env := Envelope{SHA256: SHA256([]byte{byte(i)}), Source: "test"}
		if _, err := q.PublishMail(ctx, env); err != nil {
			t.Fatal(err)
		}
		envs = append(envs, env)
	}
	// Fill the store with what does not compress.
	var full error
	for i := 0; i < 100 && full == nil; i++ {
		b := make([]byte, 64<<10)
		rand.Read(b)
		_, full = q.PutRaw(ctx, b)
	}
	if !errors.Is(full, ErrStoreFull) {
		t.Fatalf("filling 1 MiB: %v, want ErrStoreFull", full)
	}
	for _, want := range []string{"data_dir is full", dir, "max_bytes = 1.0 MiB"} {
		if !strings.Contains(full.Error(), want) {
			t.Errorf("full store said as %q: it does not say %q", full, want)
		}
	}
	t.Logf("said: %v", full)
	if _, err := q.Cursors.Put(ctx, "k", []byte("v")); !errors.Is(err, ErrStoreFull) {
		t.Errorf("a bucket write on a full store: %v, want ErrStoreFull", err)
	}
	if q.Full() == nil {
		t.Error("Full() is nil while the store is full")
	}

	var mu sync.Mutex
	seen := map[string][]int{}
	h := func(ctx context.Context, d *Delivery) error {
		mu.Lock()
		seen[d.SHA256] = append(seen[d.SHA256], d.Attempt)
		mu.Unlock()
		_, err := q.Replies.Put(ctx, d.SHA256, []byte(`{"ok":true}`))
		return err
	}
	start := time.Now()
	n, err := q.Drain(ctx, nil, h)
	if !errors.Is(err, ErrStoreFull) || n != 0 || len(seen) != 0 {
		t.Fatalf("drain on a full store: n=%d err=%v handled=%v; want it to stop at once with ErrStoreFull", n, err, seen)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("drain took %s to say the store is full", took)
	}

	wctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		q.Work(wctx, &WorkOptions{Concurrency: 2, Backoff: []time.Duration{10 * time.Millisecond}}, h)
	}()
	time.Sleep(500 * time.Millisecond) // Work is waiting for room
	// Room again: what filled the store is removed.
	s, err := q.js.Stream(ctx, "KV_"+BucketRawSmall)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; {
		mu.Lock()
		got := len(seen)
		mu.Unlock()
		if w, f, _ := q.Pending(ctx); got == len(envs) && w+f == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after room came back: handled %v", seen)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	<-done
	if q.Full() != nil {
		t.Errorf("still full after room came back: %v", q.Full())
	}
	for _, env := range envs {
		if _, _, err := q.Replies.Get(ctx, env.SHA256); err != nil {
			t.Errorf("%s: %v", env.SHA256[:12], err)
		}
	}
	if f, _ := q.Failed(ctx); len(f) != 0 {
		t.Errorf("a full store failed messages: %+v", f)
	}
	t.Logf("attempts per message: %v", seen)
	var _ jetstream.Stream = s
}

func TestByteSizeReadsWhatAnOperatorWrites(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ByteSize
		bad  bool
	}{
		{"", 0, false}, {"500M", 500 << 20, false}, {"20G", 20 << 30, false}, {"1.5T", 3 << 39, false},
		{"64 MiB", 64 << 20, false}, {"1048576", 1 << 20, false}, {"2k", 2 << 10, false},
		{"lots", 0, true}, {"-1G", 0, true},
	} {
		var b ByteSize
		err := b.UnmarshalTOML(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && b != tc.want) {
			t.Errorf("%q: %d, %v; want %d (error: %v)", tc.in, b, err, tc.want, tc.bad)
		}
	}
	var b ByteSize
	if err := b.UnmarshalTOML(int64(4096)); err != nil || b != 4096 {
		t.Errorf("an integer: %d, %v", b, err)
	}
}

// The embedded store's default limit is three quarters of what its file
// system offers when it starts; space freed later raises it (a reload of
// the server's options), and writes go on. Needs a small tmpfs (root).
func TestTheDefaultLimitGrowsWhenSpaceIsFreed(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	// With the loopback listener operator commands use (the daemon), and
	// without (sync in tests, the demo): a reload must keep either.
	for _, noListen := range []bool{false, true} {
		t.Run(fmt.Sprintf("listener %v", !noListen), func(t *testing.T) { testLimitGrows(t, noListen) })
	}
}

func testLimitGrows(t *testing.T, noListen bool) {
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		t.Skip("not root: cannot mount a small tmpfs")
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s)", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	ballast := filepath.Join(dir, "ballast")
	if err := os.WriteFile(ballast, make([]byte, 40<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	q, err := Open(ctx, Config{DataDir: dir}, &Options{NoListen: noListen, Owner: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	_, limit := q.embedded.usage()
	t.Logf("limit at start: %s", sizeText(limit))
	var full error
	for i := 0; i < 1000 && full == nil; i++ {
		b := make([]byte, 64<<10)
		rand.Read(b)
		_, full = q.PutRaw(ctx, b)
	}
	if !errors.Is(full, ErrStoreFull) || !strings.Contains(full.Error(), "three quarters") {
		t.Fatalf("filling the store: %v, want it full at its default limit", full)
	}
	os.Remove(ballast)
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := q.WaitForRoom(wctx); err != nil {
		t.Fatalf("no room after the ballast went: %v", err)
	}
	_, grown := q.embedded.usage()
	t.Logf("limit after space was freed: %s", sizeText(grown))
	if grown <= limit {
		t.Errorf("the limit did not grow: %s → %s", sizeText(limit), sizeText(grown))
	}
	b := make([]byte, 64<<10)
	rand.Read(b)
	if _, err := q.PutRaw(ctx, b); err != nil {
		t.Errorf("a write after space was freed: %v", err)
	}
}
