package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Each class of failure a handler can meet, and where it must end: a
// permanent one in FAILED on the attempt that met it, with its error; a
// transient one retried up to the bound, then FAILED.
func TestEachFailureClassEndsWhereItShould(t *testing.T) {
	q := openTest(t, t.TempDir(), &Options{NoListen: true})
	ctx := context.Background()
	big := bytes.Repeat([]byte("s"), 2<<20) // a 2 MB value, as a 2 MB Subject makes
	for _, tc := range []struct {
		name     string
		fail     func(ctx context.Context) error
		class    string
		attempts int
		says     string
	}{
		{"explicitly permanent", func(context.Context) error { return Permanent(errors.New("not an email")) },
			FailedPermanent, 1, "not an email"},
		{"a value larger than any NATS message (a bucket that cannot spill)", func(ctx context.Context) error {
			_, err := q.Requests.Put(ctx, "c.r", big)
			return fmt.Errorf("record state: %w", err)
		}, FailedPermanent, 1, "the most one NATS message holds"},
		{"a publish over max_payload", func(ctx context.Context) error {
			_, err := q.js.Publish(ctx, SubjectFailed, big)
			return err
		}, FailedPermanent, 1, "maximum payload"},
		{"a stored value that cannot be read back", func(context.Context) error {
			return fmt.Errorf("read state: %w", &DamagedError{What: "requests/c.r", Why: "not valid JSON"})
		}, FailedPermanent, 1, "run foiwatch check --repair"},
		{"a panic", func(context.Context) error { panic("parser bug") }, FailedPermanent, 1, "panic: parser bug"},
		{"transient", func(context.Context) error { return errors.New("nats: timeout") }, FailedExhausted, 3, "nats: timeout"},
		{"a permanent error said to be worth retrying", func(context.Context) error { return RetryLater(Permanent(errors.New("try again"))) },
			FailedExhausted, 3, "try again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := Envelope{SHA256: SHA256([]byte(tc.name)), Source: "test"}
			if _, err := q.PublishMail(ctx, env); err != nil {
				t.Fatal(err)
			}
			opts := &WorkOptions{Backoff: []time.Duration{20 * time.Millisecond, 20 * time.Millisecond}}
			var attempts []int
			var mu sync.Mutex
			h := func(ctx context.Context, d *Delivery) error {
				mu.Lock()
				attempts = append(attempts, d.Attempt)
				mu.Unlock()
				return tc.fail(ctx)
			}
			var fe *FailedEntry
			deadline := time.Now().Add(20 * time.Second)
			for fe == nil && time.Now().Before(deadline) {
				if _, err := q.Drain(ctx, opts, h); err != nil {
					t.Fatalf("drain: %v", err)
				}
				list, _ := q.Failed(ctx)
				for i := range list {
					if list[i].Envelope.SHA256 == env.SHA256 {
						fe = &list[i]
					}
				}
				if fe == nil {
					time.Sleep(25 * time.Millisecond) // the backoff of the retry
				}
			}
			if fe == nil {
				t.Fatalf("not in FAILED after %v attempts", attempts)
			}
			if fe.Class != tc.class || fe.Attempts != tc.attempts || len(attempts) != tc.attempts {
				t.Errorf("FAILED as %q after %d attempts (handler ran %v), want %q after %d", fe.Class, fe.Attempts, attempts, tc.class, tc.attempts)
			}
			if !strings.Contains(fe.Error, tc.says) {
				t.Errorf("FAILED with %q, want it to say %q", fe.Error, tc.says)
			}
			if tc.class == FailedPermanent && !fe.Permanent {
				t.Errorf("entry not marked permanent: %+v", fe)
			}
			if w, f, _ := q.Pending(ctx); w+f != 0 {
				t.Errorf("MAIL still holds %d+%d", w, f)
			}
		})
	}
}

// A Reply of megabytes (a hostile 2 MB Subject) is larger than one NATS
// message: the replies bucket keeps it in the object store by reference,
// and reads it back whole.
func TestValueLargerThanMaxPayloadIsKeptByReference(t *testing.T) {
	q := openTest(t, t.TempDir(), &Options{NoListen: true})
	ctx := context.Background()
	big := append([]byte(`{"subject":"`), bytes.Repeat([]byte("Ж"), 1<<20)...)
	big = append(big, `"}`...)
	if _, err := q.Replies.Put(ctx, "a1", big); err != nil {
		t.Fatalf("put %d bytes: %v", len(big), err)
	}
	got, _, err := q.Replies.Get(ctx, "a1")
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("get: %d bytes, %v", len(got), err)
	}
	n := 0
	if err := q.Replies.Each(ctx, func(k string, v []byte) error {
		if !bytes.Equal(v, big) {
			t.Errorf("Each gives %d bytes for %s", len(v), k)
		}
		n++
		return nil
	}); err != nil || n != 1 {
		t.Fatalf("each: %d, %v", n, err)
	}
	// Replaced by another large value: the first object goes.
	big2 := append(bytes.Clone(big), ' ')
	if _, err := q.Replies.Put(ctx, "a1", big2); err != nil {
		t.Fatal(err)
	}
	objs, err := q.large.List(ctx)
	if err != nil || len(objs) != 1 {
		t.Fatalf("objects after a replace: %d (%v), want 1", len(objs), err)
	}
	if got, _, _ := q.Replies.Get(ctx, "a1"); !bytes.Equal(got, big2) {
		t.Fatalf("after replace: %d bytes", len(got))
	}
	// Over the bound of any value: refused with the reason, permanent.
	huge := make([]byte, MaxLargeValue+1)
	_, err = q.Replies.Put(ctx, "a2", huge)
	if !errors.Is(err, ErrTooLarge) || Classify(err) != ClassPermanent {
		t.Fatalf("a %d-byte value: %v (class %s), want a permanent ErrTooLarge", len(huge), err, Classify(err))
	}
}

// runJetStream runs a nats-server with JetStream on a loopback port,
// stopped when the test ends.
func runJetStream(t *testing.T, port int) *server.Server {
	t.Helper()
	o := serverOptions(t.TempDir())
	o.Port = port
	srv, err := server.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	return srv
}

// Several processes creating every stream and bucket at the same moment
// (workers of one deployment started together) all succeed.
func TestSeveralProcessesCreatingTheStreamsAtOnceConverge(t *testing.T) {
	srv := runJetStream(t, server.RANDOM_PORT)
	url := srv.ClientURL()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			q, err := Open(ctx, Config{URL: url}, &Options{Logger: quiet})
			errs[i] = err
			if err == nil {
				q.Close()
			}
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("process %d: %v", i, err)
		}
	}
}

// A stream of foiwatch's name that has settings foiwatch must not change
// is a configuration error, named, and not waited for.
func TestAStreamWithOtherSettingsIsNamedAndNotWaitedFor(t *testing.T) {
	srv := runJetStream(t, server.RANDOM_PORT)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: StreamMail, Subjects: []string{SubjectMail}, Retention: jetstream.LimitsPolicy}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Open(ctx, Config{URL: srv.ClientURL()}, &Options{Logger: quiet, OpenWait: -1})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.What != "stream MAIL" || !strings.Contains(err.Error(), "nats stream info MAIL") {
		t.Fatalf("open: %v, want a ConfigError naming stream MAIL", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("a configuration error was waited for (%s)", took)
	}
	t.Logf("said: %v", err)
}

// The daemon may start before its NATS server: Open waits, telling what it
// waits for, and succeeds once the server is up.
func TestOpenWaitsForANATSServerThatIsNotUpYet(t *testing.T) {
	port := freePort(t)
	var mu sync.Mutex
	var waited []string
	done := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var opened atomic.Pointer[Queue]
	go func() {
		q, err := Open(ctx, Config{URL: fmt.Sprintf("nats://127.0.0.1:%d", port)}, &Options{Logger: quiet, OpenWait: -1,
			OnWaiting: func(what string, err error, retry time.Duration) {
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					waited = append(waited, what+": "+err.Error())
				}
			}})
		if err == nil {
			opened.Store(q)
		}
		done <- err
	}()
	// Wait until Open has said at least once what it waits for.
	for deadline := time.Now().Add(30 * time.Second); ; {
		mu.Lock()
		n := len(waited)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Open did not say what it waits for")
		}
		time.Sleep(50 * time.Millisecond)
	}
	runJetStream(t, port)
	if err := <-done; err != nil {
		t.Fatalf("open after the server came up: %v", err)
	}
	opened.Load().Close()
	mu.Lock()
	defer mu.Unlock()
	if !strings.HasPrefix(waited[0], "JetStream: ") || !strings.Contains(waited[0], "no NATS server at nats://127.0.0.1:") {
		t.Errorf("first wait = %q, want it to say that no NATS server answers", waited[0])
	}
	t.Logf("waited %d times, first: %s", len(waited), waited[0])
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
