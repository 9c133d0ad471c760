package queue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// settleBackoff is the wait after each failed attempt to create or update a
// stream, bucket, the object store or the consumer while JetStream cannot
// serve yet (a cluster electing its leader, a server restarting, a request
// timing out): attempt 1 fails → wait 0.5s; 2 → 1s; 3 → 2s; 4 → 4s;
// 5 → 8s; 6 → 15s; 7 and every later one → 30s. Each wait d is drawn
// uniformly from [d/2, d] ("equal jitter"), so that several processes
// started together (two workers under one deployment) do not ask in step.
// Each attempt may take settleTimeout. A fresh three-node cluster settles
// within the first few attempts; a cluster that lost its quorum is waited
// for at 30s a try, each try logged, for as long as Options.OpenWait says.
var settleBackoff = []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second,
	8 * time.Second, 15 * time.Second, 30 * time.Second}

// settleTimeout bounds one attempt: JetStream's own default for a request.
// A healthy cluster creates a replicated stream well within it; a create
// that goes unanswered (see ensure) is found made on the next attempt.
const settleTimeout = 5 * time.Second

func settleDelay(attempt int) time.Duration {
	d := settleBackoff[min(attempt, len(settleBackoff))-1]
	return d/2 + rand.N(d/2+1)
}

// ConfigError says that JetStream holds a stream or bucket of foiwatch's
// name with settings foiwatch must not change, or refuses the settings
// foiwatch asks for. Retrying cannot help: the daemon exits with it.
type ConfigError struct {
	What string // "stream MAIL"
	Err  error
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("queue: %s: JetStream refuses foiwatch's settings (%v). "+
		"If it was made by something else or by another version, compare it with `nats stream info %s`; "+
		"foiwatch does not change or remove it on its own", e.What, e.Err, streamOf(e.What))
}

func (e *ConfigError) Unwrap() error { return e.Err }

// streamOf is the JetStream stream behind "bucket replies" or "stream MAIL".
func streamOf(what string) string {
	var kind, name string
	fmt.Sscanf(what, "%s %s", &kind, &name)
	switch kind {
	case "bucket":
		return "KV_" + name
	case "object":
		return "OBJ_" + name
	}
	return name
}

// settle runs fn until it succeeds, waiting settleBackoff between attempts
// while the errors are ones JetStream gives when it cannot serve yet. An
// error of another kind (a real configuration conflict) ends it at once as
// a *ConfigError. It gives up after o.OpenWait (never when negative).
func (q *Queue) settle(ctx context.Context, what string, fn func(ctx context.Context) error) error {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		var err error
		if q.nc != nil && !q.nc.IsConnected() {
			// Not connected yet (the daemon started before its servers):
			// say so instead of waiting settleTimeout for a request.
			err = notConnected{q.url}
		} else {
			actx, cancel := context.WithTimeout(ctx, settleTimeout)
			err = fn(actx)
			cancel()
		}
		if err == nil {
			if attempt > 1 {
				q.log.Info("JetStream is ready", "waited_for", what, "attempts", attempt, "after", time.Since(start).Round(time.Millisecond).String())
			}
			q.waiting(what, nil, 0)
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("queue: %s: %w (while waiting: %v)", what, ctx.Err(), err)
		}
		if isFullErr(err) {
			err = q.wrapWrite(err) // a full store: wait for room, say so
		} else if !isSettling(ctx, err) {
			return &ConfigError{What: what, Err: err}
		}
		if q.openWait >= 0 && time.Since(start) > q.openWait {
			return fmt.Errorf("queue: %s: JetStream did not answer within %s (%w); is the NATS server or cluster up, with JetStream enabled and a leader elected?", what, q.openWait, err)
		}
		d := settleDelay(attempt)
		q.log.Warn("JetStream is not ready; waiting", "waiting_for", what, "err", err, "attempt", attempt, "retry_in", d.Round(time.Millisecond).String())
		q.waiting(what, err, d)
		select {
		case <-ctx.Done():
			return fmt.Errorf("queue: %s: %w (while waiting: %v)", what, ctx.Err(), err)
		case <-time.After(d):
		}
	}
}

func (q *Queue) waiting(what string, err error, next time.Duration) {
	if q.onWaiting != nil {
		q.onWaiting(what, err, next)
	}
}

// ensure creates or updates every stream, bucket and the object store. Each
// is retried on its own (settle): several processes creating the same
// streams at once converge, because an update to the same settings, or a
// create that finds the stream made meanwhile by another process ("already
// in use" is retried as an update), both succeed. They are made all at
// once: on a cluster each is a raft group of its own, elected in parallel,
// and a create that two processes send together may go unanswered (each
// then waits settleTimeout before it finds the stream made), so one after
// the other took minutes where all at once take one such wait. A stream
// that has the settings already is not updated: opening writes nothing.
//
// It is over 100 lines: mostly the table of every stream and bucket with its
// settings, then the one loop that makes them all at once (see above).
func (q *Queue) ensure(ctx context.Context, dupWindow time.Duration) error {
	// First JetStream itself (connected, a leader elected): one line in the
	// log a try while it is not, rather than one for each stream.
	if err := q.settle(ctx, "JetStream", func(ctx context.Context) error {
		_, err := q.js.AccountInfo(ctx)
		return err
	}); err != nil {
		return err
	}
	var jobs []func(ctx context.Context) error
	for _, s := range []struct {
		dst *jetstream.Stream
		cfg jetstream.StreamConfig
	}{
		{&q.mail, jetstream.StreamConfig{
			Name:        StreamMail,
			Description: "foiwatch: envelopes of received mail, waiting to be parsed",
			Subjects:    []string{SubjectMail},
			Retention:   jetstream.WorkQueuePolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    q.replicas,
			Duplicates:  dupWindow,
		}},
		{&q.failed, jetstream.StreamConfig{
			Name:        StreamFailed,
			Description: "foiwatch: messages whose processing failed, with their error; replay or drop them",
			Subjects:    []string{SubjectFailed},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    q.replicas,
		}},
	} {
		jobs = append(jobs, func(ctx context.Context) error {
			return q.settle(ctx, "stream "+s.cfg.Name, func(ctx context.Context) error {
				if st, err := q.js.Stream(ctx, s.cfg.Name); err == nil && sameStream(st.CachedInfo().Config, s.cfg) {
					*s.dst = st
					return nil
				}
				st, err := q.js.CreateOrUpdateStream(ctx, s.cfg)
				if err == nil {
					*s.dst = st
				}
				return err
			})
		})
	}
	for _, o := range []struct {
		dst  *jetstream.ObjectStore
		name string
		desc string
	}{
		{&q.raw, ObjectRaw, "foiwatch: every raw message, by sha256"},
		{&q.large, ObjectLarge, "foiwatch: bucket values too large for one NATS message, by bucket/key"},
	} {
		jobs = append(jobs, func(ctx context.Context) error {
			return q.settle(ctx, "object store "+o.name, func(ctx context.Context) error {
				if st, err := q.js.Stream(ctx, "OBJ_"+o.name); err == nil {
					c := st.CachedInfo().Config
					if c.Description == o.desc && c.Replicas == max(q.replicas, 1) && c.Compression == jetstream.S2Compression {
						os, err := q.js.ObjectStore(ctx, o.name)
						if err == nil {
							*o.dst = os
						}
						return err
					}
				}
				os, err := q.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
					Bucket:      o.name,
					Description: o.desc,
					Storage:     jetstream.FileStorage,
					Replicas:    q.replicas,
					Compression: true,
				})
				if err == nil {
					*o.dst = os
				}
				return err
			})
		})
	}
	for _, b := range q.bucketSpecs() {
		jobs = append(jobs, func(ctx context.Context) error { return q.createBucket(ctx, b) })
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, job := range jobs {
		wg.Go(func() {
			if errs[i] = job(ctx); errs[i] != nil {
				cancel() // one real error is enough: stop waiting for the rest
			}
		})
	}
	wg.Wait()
	// The first error that is not the others' cancellation.
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// bucketSpec is how ensure makes one key-value bucket.
type bucketSpec struct {
	dst     **Bucket
	name    string
	desc    string
	ttl     time.Duration
	history uint8
	spill   bool // values over MaxPayload go to ObjectLarge
}

func (q *Queue) bucketSpecs() []bucketSpec {
	return []bucketSpec{
		{&q.Requests, BucketRequests, "foiwatch: state of each request", 0, 8, false},
		{&q.Replies, BucketReplies, "foiwatch: parsed replies by sha256", 0, 1, true},
		{&q.Cursors, BucketCursors, "foiwatch: IMAP cursors (UIDVALIDITY, last UID)", 0, 1, false},
		{&q.Unmatched, BucketUnmatched, "foiwatch: replies that matched no request", 0, 1, true},
		{&q.Reminders, BucketReminders, "foiwatch: reminders sent, by request and stage", 0, 4, false},
		{&q.Locks, BucketLocks, "foiwatch: leases (one poller per mailbox, one scheduler)", LockTTL, 1, false},
		{&q.References, BucketReferences, "foiwatch: authorities' references learned from replies", 0, 1, false},
		{&q.Sends, BucketSends, "foiwatch: requests sent by foiwatch send (Message-ID, time), by request", 0, 4, false},
		{&q.Threads, BucketThreads, "foiwatch: Message-IDs of stored replies and the request each was filed under", 0, 1, false},
		{&q.Decisions, BucketDecisions, "foiwatch: operator decisions (placements, corrected and accepted answers); kept apart from parsed replies", 0, 8, false},
		{&q.rawSmall, BucketRawSmall, "foiwatch: raw messages up to 960 KiB, by sha256", 0, 1, false},
	}
}

func (q *Queue) createBucket(ctx context.Context, b bucketSpec) error {
	return q.settle(ctx, "bucket "+b.name, func(ctx context.Context) error {
		if st, err := q.js.Stream(ctx, "KV_"+b.name); err == nil {
			c := st.CachedInfo().Config
			if c.Description == b.desc && c.MaxMsgsPerSubject == int64(b.history) && c.MaxAge == b.ttl && c.Replicas == max(q.replicas, 1) {
				kv, err := q.js.KeyValue(ctx, b.name)
				if err == nil && b.dst != nil {
					*b.dst = &Bucket{kv: kv, name: b.name, q: q, spill: b.spill}
				}
				return err
			}
		}
		kv, err := q.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      b.name,
			Description: b.desc,
			History:     b.history,
			TTL:         b.ttl,
			Storage:     jetstream.FileStorage,
			Replicas:    q.replicas,
		})
		if err == nil && b.dst != nil {
			*b.dst = &Bucket{kv: kv, name: b.name, q: q, spill: b.spill}
		}
		return err
	})
}

// notConnected is the wait for a first connection.
type notConnected struct{ url string }

func (e notConnected) Error() string { return "no NATS server at " + e.url + " answers yet" }
func (e notConnected) Unwrap() error { return nats.ErrConnectionReconnecting }

// sameStream reports whether a stream already has the settings foiwatch
// asks for, so that opening the store writes nothing (a full disk does not
// stop operator commands from reading it; on a cluster, each start of a
// process does not go through the metadata leader for every stream).
func sameStream(have, want jetstream.StreamConfig) bool {
	return have.Description == want.Description && have.Retention == want.Retention && have.Storage == want.Storage &&
		have.Replicas == max(want.Replicas, 1) && (want.Duplicates == 0 || have.Duplicates == want.Duplicates) &&
		strings.Join(have.Subjects, ",") == strings.Join(want.Subjects, ",")
}
