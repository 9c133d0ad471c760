package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sort"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Envelope says where a raw message came from; it is what the MAIL stream
// carries. The raw bytes are in the object store under SHA256.
type Envelope struct {
	SHA256       string    `json:"sha256"`
	Mailbox      string    `json:"mailbox,omitempty"`
	Folder       string    `json:"folder,omitempty"`
	UIDValidity  uint32    `json:"uidvalidity,omitempty"`
	UID          uint32    `json:"uid,omitempty"`
	InternalDate time.Time `json:"internal_date,omitzero"`
	Size         int       `json:"size"`
	// Source is how the message entered the queue: "imap", "replay",
	// "reprocess", "rematch", "operator" or "import".
	Source   string    `json:"source"`
	Received time.Time `json:"received"` // when foiwatch took it in
	// Reprocess asks the worker to parse the message again even when a
	// Reply by the current parser version is stored (after an upgrade, or a
	// change to a campaign's questions).
	Reprocess bool `json:"reprocess,omitempty"`
	// Hops counts how many times in a row the worker queued the message
	// again to be matched anew (a reply it depends on changed): a bound
	// against a loop.
	Hops int `json:"hops,omitempty"`
}

// MsgID is the Nats-Msg-Id of the envelope: the same raw message fetched
// twice (a crash before the IMAP cursor moved, two mailboxes holding one
// message) is recorded once within the duplicate window.
func (e Envelope) msgID(suffix string) string {
	if suffix == "" {
		return e.SHA256
	}
	return e.SHA256 + ":" + suffix
}

// PublishMail records env in the MAIL stream and waits for JetStream's
// acknowledgement. duplicate is true when JetStream already had it.
func (q *Queue) PublishMail(ctx context.Context, env Envelope) (duplicate bool, err error) {
	return q.publishMail(ctx, env, "")
}

func (q *Queue) publishMail(ctx context.Context, env Envelope, idSuffix string) (bool, error) {
	if env.SHA256 == "" {
		return false, errors.New("queue: publish envelope without sha256")
	}
	if env.Received.IsZero() {
		env.Received = time.Now().UTC()
	}
	b, err := json.Marshal(env)
	if err != nil {
		return false, fmt.Errorf("queue: encode envelope %s: %w", env.SHA256, err)
	}
	if mv := q.maxValue(); mv > 0 && len(b) > mv {
		return false, &TooLargeError{What: "the envelope of " + short(env.SHA256), Size: len(b), Max: mv, Why: "the most one NATS message holds (the server's max_payload)"}
	}
	if err := q.checkRoom(); err != nil {
		return false, err
	}
	ack, err := q.js.Publish(ctx, SubjectMail, b, jetstream.WithMsgID(env.msgID(idSuffix)))
	if err != nil {
		return false, q.wrapWrite(fmt.Errorf("queue: publish envelope %s to %s: %w", short(env.SHA256), StreamMail, err))
	}
	return ack.Duplicate, nil
}

// Republish queues env again with a fresh Nats-Msg-Id (reprocess, an
// operator's assignment), so the duplicate window does not swallow it.
func (q *Queue) Republish(ctx context.Context, env Envelope, reason string) error {
	_, err := q.publishMail(ctx, env, reason+":"+strconv.FormatInt(time.Now().UnixNano(), 36))
	return err
}

// Delivery is one envelope handed to a worker.
type Delivery struct {
	Envelope
	// Attempt is 1 on the first delivery (JetStream's NumDelivered: the
	// attempt is counted by the server before the worker tries it).
	Attempt int
	// Seq is the envelope's sequence in the MAIL stream.
	Seq uint64
}

// WorkOptions tune Work and Drain. A nil *WorkOptions means the defaults.
type WorkOptions struct {
	// Backoff is the wait before each retry of a transient failure (see
	// Classify); its length + 1 is the number of attempts. Default: attempt
	// 1 fails → retry after 10s; attempt 2 → 1m; attempt 3 → 5m; attempt 4 →
	// 30m; attempt 5 fails → FAILED. Five attempts over about 36 minutes
	// ride out a NATS or disk hiccup, and a parser bug does not spin. A
	// permanent failure goes to FAILED on attempt 1; a full store costs no
	// attempt in Work (it waits in place for room).
	Backoff []time.Duration
	// Concurrency is the number of envelopes processed at once by Work.
	// Default 2.
	Concurrency int
	// OnFailed, when set, is called after a message was moved to FAILED
	// (for metrics). Default nil.
	OnFailed func(FailedEntry)
	// OnRetry, when set, is called when a message is put back to be tried
	// again after delay (for metrics). Default nil.
	OnRetry func(d *Delivery, delay time.Duration, err error)
}

// DefaultBackoff is WorkOptions.Backoff's default.
var DefaultBackoff = []time.Duration{10 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute}

func (o *WorkOptions) withDefaults() WorkOptions {
	var w WorkOptions
	if o != nil {
		w = *o
	}
	if w.Backoff == nil {
		w.Backoff = DefaultBackoff
	}
	if w.Concurrency <= 0 {
		w.Concurrency = 2
	}
	return w
}

// AckWait is how long a worker may take over one envelope before JetStream
// hands it to another worker (it was probably killed). The handler signals
// progress for long work, so this bounds only a dead worker's delay.
const AckWait = 2 * time.Minute

func (q *Queue) consumer(ctx context.Context) (jetstream.Consumer, error) {
	c, err := q.mail.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       ConsumerWorker,
		Description:   "foiwatch workers: parse, match and store received mail",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       AckWait,
		MaxDeliver:    -1, // the worker decides when to give up (see handle)
		MaxAckPending: 256,
		FilterSubject: SubjectMail,
		Replicas:      q.replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: create consumer %s on %s: %w", ConsumerWorker, StreamMail, err)
	}
	return c, nil
}

// Handler processes one delivery. Returning nil acks it; what an error
// does depends on its class (see Classify): permanent → FAILED now;
// transient → retried later (WorkOptions.Backoff), FAILED after the last
// attempt; a full store → retried once there is room, no attempt counted.
type Handler func(ctx context.Context, d *Delivery) error

// Work processes envelopes until ctx is done. While the store is full it
// fetches nothing and waits for room (WaitForRoom).
//
// Pulls are kept flowing as in Drain: one pull request at a time brings
// envelopes as they arrive, up to twice Concurrency in hand, and a worker
// takes the next as soon as it is done with one.
func (q *Queue) Work(ctx context.Context, opts *WorkOptions, h Handler) error {
	o := opts.withDefaults()
	var cons jetstream.Consumer
	err := q.settle(ctx, "consumer "+ConsumerWorker+" on "+StreamMail, func(ctx context.Context) error {
		c, err := q.consumer(ctx)
		cons = c
		return err
	})
	if err != nil {
		return err
	}
	p := q.startPool(ctx, &o, h, true)
	for ctx.Err() == nil {
		if q.Full() != nil {
			q.WaitForRoom(ctx)
			continue
		}
		room := p.room(ctx)
		if room == 0 {
			continue
		}
		batch, err := cons.Fetch(room, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			q.log.Warn("fetch from MAIL failed; retrying", "err", err)
			sleepCtx(ctx, time.Second)
			continue
		}
		for m := range batch.Messages() {
			p.give(m) // handed over even when ctx is done: handle puts it back
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && ctx.Err() == nil {
			q.log.Warn("fetch from MAIL failed; retrying", "err", err)
			sleepCtx(ctx, time.Second)
		}
	}
	p.stop()
	return nil
}

// Drain processes what is queued now, Concurrency envelopes at a time, and
// returns when nothing is left that can be processed now (messages waiting
// for a retry stay queued). It returns how many envelopes it handled. When
// the store is full it stops at once with the *StoreFullError (checked
// before fetching anything, so that a `sync` run on a full store costs no
// message an attempt; a message in hand when the store fills up is put back
// to be delivered again, which counts as one of its attempts).
//
// Pulls are kept flowing: the next envelopes are fetched while those in
// hand are handled (up to twice Concurrency in hand), and a worker takes
// the next as soon as it is done with one, so one slow message (a large
// PDF) holds up no other. Drain ends when nothing is in hand, a fetch that
// does not wait finds nothing, and the consumer has nothing pending: a
// handler may queue envelopes (a reply matched again), which are then
// processed too.
func (q *Queue) Drain(ctx context.Context, opts *WorkOptions, h Handler) (int, error) {
	o := opts.withDefaults()
	if err := q.Probe(ctx); errors.Is(err, ErrStoreFull) {
		return 0, err
	}
	cons, err := q.consumer(ctx)
	if err != nil {
		return 0, err
	}
	p := q.startPool(ctx, &o, h, false)
	stop := func(err error) (int, error) { return p.stop(), err }
	wait := false // the last fetch that did not wait found nothing pending
	for ctx.Err() == nil {
		if err := q.Full(); err != nil {
			return stop(err)
		}
		room := p.room(ctx)
		if room == 0 {
			continue
		}
		var batch jetstream.MessageBatch
		busy := p.inHand.Load() > 0
		switch {
		case busy:
			// What is in hand may queue more: wait for it a little.
			batch, err = cons.Fetch(room, jetstream.FetchMaxWait(100*time.Millisecond))
		case wait:
			batch, err = cons.Fetch(room, jetstream.FetchMaxWait(500*time.Millisecond))
		default:
			batch, err = cons.FetchNoWait(room)
		}
		if err != nil {
			return stop(fmt.Errorf("queue: fetch from %s: %w", StreamMail, err))
		}
		got := 0
		for m := range batch.Messages() {
			got++
			p.give(m)
		}
		if got > 0 || busy {
			wait = false
			continue
		}
		info, err := cons.Info(ctx)
		if err != nil {
			return stop(fmt.Errorf("queue: consumer %s: %w", ConsumerWorker, err))
		}
		if info.NumPending == 0 && p.inHand.Load() == 0 {
			return stop(q.Full())
		}
		// Pending but not delivered to this fetch: wait for it next time.
		wait = true
	}
	return stop(ctx.Err())
}

// Pending reports how many envelopes wait in MAIL: not yet delivered, and
// delivered but not yet acknowledged (in work, or waiting for a retry: after
// Drain returned, all of those wait for a retry).
func (q *Queue) Pending(ctx context.Context) (waiting, inFlight uint64, err error) {
	cons, err := q.consumer(ctx)
	if err != nil {
		return 0, 0, err
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("queue: consumer %s: %w", ConsumerWorker, err)
	}
	return info.NumPending, uint64(info.NumAckPending), nil
}

// handle runs h on one message and acts on the outcome. wait (Work) makes a
// full store wait in place for room, holding the message; without it
// (Drain) the message is put back at once.
func (q *Queue) handle(ctx context.Context, o *WorkOptions, m jetstream.Msg, h Handler, wait bool) {
	md, err := m.Metadata()
	if err != nil {
		q.log.Error("MAIL message without metadata; terminating it", "err", err)
		m.Term()
		return
	}
	var env Envelope
	if err := json.Unmarshal(m.Data(), &env); err != nil || env.SHA256 == "" {
		q.toFailed(ctx, o, m, FailedEntry{Error: fmt.Sprintf("the envelope in %s is not valid: %v", StreamMail, err), Attempts: int(md.NumDelivered), Permanent: true, Class: FailedPermanent, Raw: m.Data()})
		return
	}
	d := &Delivery{Envelope: env, Attempt: int(md.NumDelivered), Seq: md.Sequence.Stream}
	maxAttempts := len(o.Backoff) + 1
	if d.Attempt > maxAttempts {
		// The previous attempts never reported back: the worker was killed or
		// crashed while processing it. Do not try a fifth time blindly.
		q.toFailed(ctx, o, m, FailedEntry{Envelope: env, Error: fmt.Sprintf("processing did not finish in %d attempts (the worker stopped or crashed each time)", maxAttempts), Attempts: d.Attempt - 1, Class: FailedCrashed})
		return
	}

	// Tell JetStream we are alive while the handler works (and while it
	// waits for room in a full store), so a long parse (a large PDF) is not
	// handed to a second worker.
	hctx, cancel := context.WithCancel(ctx)
	go func() {
		t := time.NewTicker(AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-t.C:
				m.InProgress()
			}
		}
	}()
	var stack string
	for {
		stack, err = callHandler(hctx, h, d)
		if err == nil || stack != "" || !wait || Classify(err) != ClassStoreFull || ctx.Err() != nil {
			break
		}
		q.log.Warn("the store is full: the message waits in hand until it has room", "sha", short(env.SHA256), "err", err)
		if q.WaitForRoom(hctx) != nil {
			break
		}
	}
	cancel()

	if err == nil {
		if aerr := m.DoubleAck(ctx); aerr != nil {
			q.log.Warn("ack failed; the message will be delivered again and recognised as stored", "sha", short(env.SHA256), "err", aerr)
		}
		return
	}
	if ctx.Err() != nil {
		// Shutting down: let another worker (or the next start) have it.
		m.NakWithDelay(time.Second)
		return
	}
	class := Classify(err)
	switch {
	case stack != "" || class == ClassPermanent:
		q.toFailed(ctx, o, m, FailedEntry{Envelope: env, Error: err.Error(), Stack: stack, Attempts: d.Attempt, Permanent: true, Class: FailedPermanent})
		return
	case class == ClassStoreFull:
		q.log.Warn("the store is full; the message is put back", "sha", short(env.SHA256), "err", err)
		m.Nak()
		return
	case d.Attempt >= maxAttempts:
		q.toFailed(ctx, o, m, FailedEntry{Envelope: env, Error: err.Error(), Attempts: d.Attempt, Class: FailedExhausted})
		return
	}
	delay := o.Backoff[d.Attempt-1]
	q.log.Warn("processing failed; will retry", "sha", short(env.SHA256), "attempt", d.Attempt, "of", maxAttempts, "retry_in", delay.String(), "err", err)
	m.NakWithDelay(delay)
	if o.OnRetry != nil {
		o.OnRetry(d, delay, err)
	}
}

func callHandler(ctx context.Context, h Handler, d *Delivery) (stack string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
			stack = string(debug.Stack())
		}
	}()
	return "", h(ctx, d)
}

// Why a message is in FAILED (FailedEntry.Class).
const (
	FailedPermanent = "permanent"         // no retry could cure it; failed on the attempt that met it
	FailedExhausted = "retries exhausted" // a transient error on every attempt
	FailedCrashed   = "worker crashed"    // no attempt reported back
)

// FailedEntry is one message in FAILED.
type FailedEntry struct {
	ID        uint64   `json:"id"` // its sequence in FAILED; set when read
	Envelope  Envelope `json:"envelope"`
	Error     string   `json:"error"`
	Stack     string   `json:"stack,omitempty"`
	Attempts  int      `json:"attempts"`
	Permanent bool     `json:"permanent,omitempty"`
	// Class says why: FailedPermanent, FailedExhausted or FailedCrashed
	// ("" in entries written before it existed).
	Class    string    `json:"class,omitempty"`
	FailedAt time.Time `json:"failed_at"`
	Raw      []byte    `json:"raw_envelope,omitempty"` // an envelope that could not be decoded
}

// Bounds of a FailedEntry's parts, so that every entry fits in one NATS
// message whatever the error held (a 2 MB subject quoted in it).
const (
	maxFailedError = 16 << 10
	maxFailedStack = 64 << 10
	maxFailedRaw   = 256 << 10
)

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("… (%d more bytes cut)", len(s)-n)
}

// fitFailed cuts fe's parts to their bounds, and further to fit the
// server's max_payload, and encodes it.
func (q *Queue) fitFailed(fe FailedEntry) (FailedEntry, []byte) {
	fe.Error = truncateText(fe.Error, maxFailedError)
	fe.Stack = truncateText(fe.Stack, maxFailedStack)
	if len(fe.Raw) > maxFailedRaw {
		fe.Raw = fe.Raw[:maxFailedRaw]
	}
	b, _ := json.Marshal(fe)
	if mv := q.maxValue(); mv > 0 && len(b) > mv {
		// A server with a small max_payload: keep what says why.
		fe.Raw, fe.Stack = nil, truncateText(fe.Stack, 4<<10)
		fe.Error = truncateText(fe.Error, 4<<10)
		b, _ = json.Marshal(fe)
	}
	return fe, b
}

func (q *Queue) toFailed(ctx context.Context, o *WorkOptions, m jetstream.Msg, fe FailedEntry) {
	fe.FailedAt = time.Now().UTC()
	fe, b := q.fitFailed(fe)
	// Publish to FAILED first, then remove from MAIL: a crash in between
	// leaves the message in both, and its replay is recognised as stored.
	err := q.checkRoom()
	if err == nil {
		_, err = q.js.Publish(ctx, SubjectFailed, b)
		err = q.wrapWrite(err)
	}
	if err != nil {
		q.log.Error("cannot record a failed message; it stays queued", "sha", short(fe.Envelope.SHA256), "err", err)
		m.NakWithDelay(time.Minute)
		return
	}
	q.log.Error("message failed; it is kept in FAILED for an operator (foiwatch failed list)", "sha", short(fe.Envelope.SHA256), "class", fe.Class, "attempts", fe.Attempts, "err", fe.Error)
	if err := m.Term(); err != nil {
		q.log.Warn("terminate failed message", "sha", short(fe.Envelope.SHA256), "err", err)
	}
	// On a work-queue stream a terminated message may stay stored: delete it.
	if md, err := m.Metadata(); err == nil {
		q.mail.DeleteMsg(ctx, md.Sequence.Stream)
	}
	if o.OnFailed != nil {
		o.OnFailed(fe)
	}
}

// Failed lists the entries in FAILED, oldest first.
func (q *Queue) Failed(ctx context.Context) ([]FailedEntry, error) {
	info, err := q.failed.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("queue: %s: %w", StreamFailed, err)
	}
	var out []FailedEntry
	if info.State.Msgs == 0 {
		return nil, nil
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		fe, err := q.FailedEntry(ctx, seq)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, fe)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// FailedEntry returns the entry with the given id.
func (q *Queue) FailedEntry(ctx context.Context, id uint64) (FailedEntry, error) {
	msg, err := q.failed.GetMsg(ctx, id)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return FailedEntry{}, fmt.Errorf("queue: failed message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return FailedEntry{}, fmt.Errorf("queue: read failed message %d: %w", id, err)
	}
	var fe FailedEntry
	if err := json.Unmarshal(msg.Data, &fe); err != nil {
		return FailedEntry{}, fmt.Errorf("queue: failed message %d is not valid: %w", id, err)
	}
	fe.ID = id
	return fe, nil
}

// Replay queues a failed message again, exactly as a newly received one,
// and removes it from FAILED.
func (q *Queue) Replay(ctx context.Context, id uint64) error {
	fe, err := q.FailedEntry(ctx, id)
	if err != nil {
		return err
	}
	if fe.Envelope.SHA256 == "" {
		return fmt.Errorf("queue: failed message %d has no usable envelope; drop it", id)
	}
	env := fe.Envelope
	env.Source = "replay"
	if _, err := q.publishMail(ctx, env, "replay:"+strconv.FormatUint(id, 10)); err != nil {
		return err
	}
	return q.DropFailed(ctx, id)
}

// DropFailed removes an entry from FAILED. The raw message stays stored.
func (q *Queue) DropFailed(ctx context.Context, id uint64) error {
	if err := q.failed.DeleteMsg(ctx, id); err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return fmt.Errorf("queue: failed message %d: %w", id, ErrNotFound)
		}
		return fmt.Errorf("queue: remove failed message %d: %w", id, err)
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
