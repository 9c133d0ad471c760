package worker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/foiwatch/foiwatch/mailbox"
	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/queue"
)

// Options tune Open. A nil *Options means the defaults.
type Options struct {
	// Logger. Default slog.Default().
	Logger *slog.Logger
	// Daemon marks the long-running process: it runs the embedded NATS
	// server (waiting for an operator command that holds it to finish).
	Daemon bool
	// NoListen runs the embedded NATS server with no TCP listener (demo,
	// tests): no other process can reach it.
	NoListen bool
	// Poller tunes the mailbox pollers (tests: a private CA; the sync
	// command: a progress bar). Logger and OnReconnect are set by Open.
	Poller *mailbox.PollerOptions
	// Work tunes retries. Default queue's defaults.
	Work *queue.WorkOptions
	// SMTP tunes the reminder sender (tests: a private CA). Default nil.
	SMTP *mailbox.SenderOptions
	// Now is the clock. Default time.Now. Tests set it.
	Now func() time.Time
}

// Daemon is foiwatch with its state open: the queue, the campaigns, the
// store and the processor. Operator commands use it as well as `run`.
type Daemon struct {
	Cfg       Config
	Q         *queue.Queue
	Campaigns *Campaigns
	Store     *Store
	Proc      *Processor
	Metrics   *Metrics
	Log       *slog.Logger

	opts    Options
	pollers []*mailbox.Poller

	inWork atomic.Int64 // envelopes this process is processing now
	http   *httpSide    // set by RunDaemon: the HTTP side started before Open

	mu      sync.Mutex
	polling map[string]bool // mailboxes this process polls (holds the lease of)
	// leaseProblems: why a lease could not be taken (lease.go).
	leaseProblems map[string]string
}

func (d *Daemon) setPolling(name string, on bool) {
	d.mu.Lock()
	d.polling[name] = on
	d.mu.Unlock()
}

func (d *Daemon) isPolling(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.polling[name]
}

// Open loads the campaigns and opens the queue. The caller closes it.
func Open(ctx context.Context, cfg Config, opts *Options) (*Daemon, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cs, err := LoadCampaigns(cfg.Campaigns)
	if err != nil {
		return nil, err
	}
	q, err := queue.Open(ctx, cfg.NATS, &queue.Options{Logger: o.Logger, Owner: o.Daemon, NoListen: o.NoListen})
	if err != nil {
		return nil, err
	}
	return newDaemon(cfg, cs, q, o), nil
}

// NewWith builds a Daemon from parts already open (the demo).
func NewWith(cfg Config, cs *Campaigns, q *queue.Queue, opts *Options) *Daemon {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return newDaemon(cfg.WithDefaults(), cs, q, o)
}

func newDaemon(cfg Config, cs *Campaigns, q *queue.Queue, o Options) *Daemon {
	d := &Daemon{Cfg: cfg, Q: q, Campaigns: cs, Log: o.Logger, opts: o, Metrics: NewMetrics(), polling: map[string]bool{}}
	d.Store = NewStore(q, cs)
	d.Metrics.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "foiwatch_queue_pending",
		Help: "Envelopes in MAIL not yet processed (waiting, in work, or waiting for a retry): the consumer's lag.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		w, f, err := q.Pending(ctx)
		if err != nil {
			return -1
		}
		return float64(w + f)
	}))
	d.Proc = &Processor{Q: q, Store: d.Store, Campaigns: cs, Log: o.Logger, Metrics: d.Metrics, Limits: cfg.ParserLimits()}
	d.registerStoreGauges()
	return d
}

// Close closes the queue (and the embedded server, when this process runs it).
func (d *Daemon) Close() error { return d.Q.Close() }

// Now is the daemon's clock.
func (d *Daemon) Now() time.Time { return d.opts.Now() }

// Ingest stores a raw message and queues its envelope; it returns once
// JetStream has acknowledged both. It is the mailbox pollers' handler.
func (d *Daemon) Ingest(ctx context.Context, m *mailbox.Message) error {
	sha, err := d.Q.PutRaw(ctx, m.Raw)
	if err != nil {
		return err
	}
	dup, err := d.Q.PublishMail(ctx, queue.Envelope{
		SHA256: sha, Mailbox: m.Mailbox, Folder: m.Folder, UIDValidity: m.UIDValidity, UID: m.UID,
		InternalDate: m.InternalDate, Size: len(m.Raw), Source: "imap",
	})
	if err != nil {
		return err
	}
	if !dup {
		d.Metrics.fetched(m.Mailbox)
	}
	return nil
}

// IngestRaw queues a message that did not come from IMAP (import, tests).
func (d *Daemon) IngestRaw(ctx context.Context, raw []byte, source string) (string, error) {
	sha, err := d.Q.PutRaw(ctx, raw)
	if err != nil {
		return "", err
	}
	_, err = d.Q.PublishMail(ctx, queue.Envelope{SHA256: sha, Size: len(raw), Source: source})
	return sha, err
}

func (d *Daemon) workOptions() *queue.WorkOptions {
	var w queue.WorkOptions
	if d.opts.Work != nil {
		w = *d.opts.Work
	}
	w.Concurrency = d.Cfg.Workers
	prev := w.OnFailed
	w.OnFailed = func(fe queue.FailedEntry) {
		d.Metrics.failed(fe.Class)
		if prev != nil {
			prev(fe)
		}
	}
	prevRetry := w.OnRetry
	w.OnRetry = func(dl *queue.Delivery, delay time.Duration, err error) {
		d.Metrics.retried()
		if prevRetry != nil {
			prevRetry(dl, delay, err)
		}
	}
	return &w
}

// handle is the processor counted as in work (for the retry gauge).
func (d *Daemon) handle(ctx context.Context, dl *queue.Delivery) error {
	d.inWork.Add(1)
	defer d.inWork.Add(-1)
	return d.Proc.Handle(ctx, dl)
}

// SetRetries replaces the retry schedule (tests make it short).
func (d *Daemon) SetRetries(backoff []time.Duration) {
	if d.opts.Work == nil {
		d.opts.Work = &queue.WorkOptions{}
	}
	d.opts.Work.Backoff = backoff
}

// cursorStore keeps the IMAP cursors in the cursors bucket.
type cursorStore struct{ b *queue.Bucket }

func cursorKey(mbox, folder string) string {
	// Folder names may hold any character; bucket keys may not.
	return mbox + "." + base64.RawURLEncoding.EncodeToString([]byte(folder))
}

func (c cursorStore) Cursor(ctx context.Context, mbox, folder string) (mailbox.Cursor, bool, error) {
	b, _, err := c.b.Get(ctx, cursorKey(mbox, folder))
	if errors.Is(err, queue.ErrNotFound) {
		return mailbox.Cursor{}, false, nil
	}
	if err != nil {
		return mailbox.Cursor{}, false, err
	}
	var cur mailbox.Cursor
	if err := json.Unmarshal(b, &cur); err != nil {
		return mailbox.Cursor{}, false, fmt.Errorf("cursor of %s/%s is not valid JSON: %w", mbox, folder, err)
	}
	return cur, true, nil
}

func (c cursorStore) SetCursor(ctx context.Context, mbox, folder string, cur mailbox.Cursor) error {
	b, _ := json.Marshal(cur)
	_, err := c.b.Put(ctx, cursorKey(mbox, folder), b)
	return err
}

func (d *Daemon) makePollers() error {
	if d.pollers != nil {
		return nil
	}
	for _, mc := range d.Cfg.Mailboxes {
		var po mailbox.PollerOptions
		if d.opts.Poller != nil {
			po = *d.opts.Poller
		}
		po.Logger = d.Log
		po.OnReconnect = func(mbox, folder string) { d.Metrics.reconnect(mbox) }
		d.Metrics.Reconnects.WithLabelValues(mc.Name) // shown at 0 from the start
		p, err := mailbox.NewPoller(mc, cursorStore{d.Q.Cursors}, d.Ingest, &po)
		if err != nil {
			return err
		}
		d.pollers = append(d.pollers, p)
	}
	return nil
}

// SyncResult says what one pass did, and what the store holds after it.
type SyncResult struct {
	Fetched   int // messages fetched from IMAP (new to the cursor)
	Processed int // envelopes processed
	Stored    int // replies in the store after the pass (export --replies lists them)
	Failed    int // entries in FAILED after the pass (failed list lists them)
	Unmatched int // replies waiting for an operator after the pass
	// Waiting is how many envelopes are still queued after the pass: not
	// processed yet, or put back to be tried again after a backoff.
	Waiting uint64
}

// Sync fetches every new message of every mailbox, then processes all that
// is queued, and returns (foiwatch sync). Mailbox errors are reported after
// the queue was processed, so one bad mailbox does not hold up the rest. A
// full store stops it at once, with that one error: nothing can be stored
// until there is room.
func (d *Daemon) Sync(ctx context.Context) (SyncResult, error) {
	var res SyncResult
	if err := d.makePollers(); err != nil {
		return res, err
	}
	var errs []error
	var full error
	for _, p := range d.pollers {
		if full != nil {
			break
		}
		n, err := p.SyncOnce(ctx)
		res.Fetched += n
		if err != nil {
			if errors.Is(err, queue.ErrStoreFull) {
				if full = d.Q.Full(); full == nil {
					full = err
				}
			}
			errs = append(errs, err)
		}
	}
	if full == nil {
		n, err := d.Q.Drain(ctx, d.workOptions(), d.Proc.Handle)
		res.Processed = n
		if errors.Is(err, queue.ErrStoreFull) {
			full = err
		} else if err != nil {
			errs = append(errs, err)
		}
	}
	if f, err := d.Q.Failed(ctx); err == nil {
		res.Failed = len(f)
	}
	if u, err := d.Store.Unmatched(ctx); err == nil {
		res.Unmatched = len(u)
	}
	if k, err := d.Q.Replies.Keys(ctx); err == nil {
		res.Stored = len(k)
	} else {
		errs = append(errs, err)
	}
	w, f, _ := d.Q.Pending(ctx)
	res.Waiting = w + f
	if err := d.Q.Broken(); err != nil {
		return res, err
	}
	if full != nil {
		return res, full
	}
	return res, errors.Join(errs...)
}

// Run runs the daemon until ctx is done: a poller per mailbox, the parse
// workers and the HTTP side.
func (d *Daemon) Run(ctx context.Context) error {
	if err := d.makePollers(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 1)

	// The HTTP side: RunDaemon started it before the store was open (it
	// answered /readyz 503 meanwhile); a daemon opened otherwise starts it
	// now.
	hs := d.http
	if hs == nil {
		var err error
		if hs, err = listenHTTP(d.Cfg.HTTP.ListenAddr(), d.Log); err != nil {
			return err
		}
	}
	if hs != nil {
		hs.serve(ctx, d.HTTPHandler(), &wg, errc, cancel)
	}
	for i, p := range d.pollers {
		p, name := p, d.Cfg.Mailboxes[i].Name
		wg.Add(1)
		go func() {
			defer wg.Done()
			// One poller per mailbox across every foiwatch process.
			d.whileLeader(ctx, pollerLease(name), func(ctx context.Context) {
				d.setPolling(name, true)
				defer d.setPolling(name, false)
				if err := p.Run(ctx); err != nil && ctx.Err() == nil {
					d.Log.Error("mailbox poller stopped", "mailbox", name, "err", err)
				}
			})
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := d.Q.Work(ctx, d.workOptions(), d.handle); err != nil && ctx.Err() == nil {
			select {
			case errc <- err:
			default:
			}
			cancel()
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		d.runScheduler(ctx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		d.watchStore(ctx, errc, cancel)
	}()
	d.Log.Info("foiwatch running", "mailboxes", len(d.pollers), "campaigns", len(d.Campaigns.List), "parser_version", parser.Version)
	<-ctx.Done()
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
	}
	return nil
}
