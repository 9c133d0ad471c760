package worker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
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
	// It uses the mailboxes and the SMTP server.
	Daemon bool
	// UsesMailboxes and UsesSMTP say the command fetches mail or sends
	// email (sync; remind): the secrets it needs are checked at start.
	UsesMailboxes, UsesSMTP bool
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
	// SyncProgress, optional, is told how far a Sync pass has got (the
	// sync command's progress line); see SyncProgress.
	SyncProgress func(SyncProgress)
	// OAuth2HTTP is the HTTP client of the OAuth2 token endpoints.
	// Default: 30 s timeout.
	OAuth2HTTP *http.Client
	// Reload, for RunDaemon: each signal received on it reloads the
	// campaigns (foiwatch run: SIGHUP). Default nil: none.
	Reload <-chan os.Signal
}

// Daemon is foiwatch with its state open: the queue, the campaigns, the
// store and the processor. Operator commands use it as well as `run`.
type Daemon struct {
	Cfg Config
	// Q is the queue. The CLI goes through the Daemon's methods (the
	// queue's rules stay in worker); tests reach it directly.
	Q         *queue.Queue
	Campaigns *Campaigns
	Store     *Store
	Proc      *Processor
	Metrics   *Metrics
	Log       *slog.Logger

	opts    Options
	pollers []*mailbox.Poller
	signIns map[string]*mailbox.OAuth2 // mailbox name → its OAuth2 sign-in
	letters letterTemplates
	reload  reloadState

	inWork atomic.Int64 // envelopes this process is processing now
	http   *httpSide    // set by RunDaemon: the HTTP side started before Open

	mu      sync.Mutex
	polling map[string]bool // mailboxes this process polls (holds the lease of)
	// leaseProblems: why a lease could not be taken (lease.go).
	leaseProblems map[string]string

	pass *syncPass // the Sync pass under way, for its progress; nil otherwise
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
	cfg, cs, o, err := prepare(cfg, opts)
	if err != nil {
		return nil, err
	}
	q, err := queue.Open(ctx, cfg.NATS, &queue.Options{Logger: o.Logger, Owner: o.Daemon, NoListen: o.NoListen})
	if err != nil {
		return nil, err
	}
	d := newDaemon(cfg, cs, q, o)
	if err := d.initCampaigns(ctx, cs); err != nil {
		q.Close()
		return nil, err
	}
	return d, nil
}

// prepare is what Open and RunDaemon do before they open the queue: the
// options' defaults, the config validated, its secrets checked, the
// campaign files loaded.
func prepare(cfg Config, opts *Options) (Config, *Campaigns, Options, error) {
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
		return cfg, nil, o, err
	}
	warnings, err := cfg.CheckSecrets(o.Daemon || o.UsesMailboxes, o.Daemon || o.UsesSMTP)
	for _, w := range warnings {
		o.Logger.Warn(w)
	}
	if err != nil {
		return cfg, nil, o, err
	}
	cs, err := LoadCampaigns(cfg.Campaigns)
	if err != nil {
		return cfg, nil, o, err
	}
	for _, g := range cs.EmptyGlobs {
		if !o.Daemon && !o.UsesMailboxes {
			break // said by the commands that take mail in, not by every operator command
		}
		o.Logger.Warn("campaigns: " + g + " matches no file yet; its replies would wait unmatched (a campaign file added there is read on SIGHUP)")
	}
	return cfg, cs, o, nil
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
	d.Metrics.Registry.MustRegister(newStateCollector(d))
	d.Proc = &Processor{Q: q, Store: d.Store, Campaigns: cs, Log: o.Logger, Metrics: d.Metrics, Limits: cfg.ParserLimits()}
	d.registerStoreGauges()
	if err := d.makeSignIns(); err != nil {
		// The config was validated: this is a bug, not an operator's mistake.
		d.Log.Error("OAuth2 sign-ins", "err", err)
	}
	var err error
	if d.letters, err = loadLetters(cfg.Reminders); err != nil {
		// Validate read them a moment ago: the file changed since.
		d.Log.Error("reminder letters: the built-in ones are used", "err", err)
	}
	return d
}

// Close closes the queue (and the embedded server, when this process runs it).
func (d *Daemon) Close() error { return d.Q.Close() }

// Now is the daemon's clock.
func (d *Daemon) Now() time.Time { return d.opts.Now() }

// Ingest stores a raw message and queues its envelope; it returns once
// JetStream has acknowledged both. It is the mailbox pollers' handler. A
// message too large to fetch is recorded in FAILED instead; one stored
// before is marked Known.
func (d *Daemon) Ingest(ctx context.Context, m *mailbox.Message) error {
	if m.TooLarge {
		return d.recordTooLarge(ctx, m)
	}
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
	m.Known = dup || d.replyStored(ctx, sha)
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

// handle is the processor counted as in work (for the retry gauge), with
// the campaigns held for reading (handleLocked).
func (d *Daemon) handle(ctx context.Context, dl *queue.Delivery) error {
	d.inWork.Add(1)
	defer d.inWork.Add(-1)
	return d.handleLocked(ctx, dl)
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
		po.Progress = d.fetchProgress(po.Progress)
		po.OnReconnect = func(mbox, folder string) { d.Metrics.reconnect(mbox) }
		po.OAuth2 = d.signIns[mc.Name]
		d.Metrics.Reconnects.WithLabelValues(mc.Name) // shown at 0 from the start
		p, err := mailbox.NewPoller(mc, cursorStore{d.Q.Cursors}, d.Ingest, &po)
		if err != nil {
			return err
		}
		d.pollers = append(d.pollers, p)
	}
	return nil
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
			// Without its consumer the daemon would fetch mail that nothing
			// processes: it stops, saying why.
			const why = "the parse workers cannot run, so no message would be processed; stopping"
			d.Log.Error(why, "err", err)
			err = fmt.Errorf("%s: %w", why, err)
			select {
			case errc <- err:
			default:
			}
			cancel()
		}
	}()
	wg.Add(2)
	go func() {
		defer wg.Done()
		d.watchSends(ctx)
	}()
	go func() {
		defer wg.Done()
		d.keepTokensFresh(ctx)
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
	d.checkTools()
	st := d.CampaignsLoaded()
	d.Log.Info("foiwatch running", "mailboxes", len(d.pollers), "campaigns", st.Campaigns, "requests", st.Requests, "not_sent", st.NotSent, "parser_version", parser.Version)
	<-ctx.Done()
	d.Log.Info("stopping: waiting for the pollers, workers and scheduler to finish")
	wg.Wait()
	d.Log.Info("foiwatch stopped")
	select {
	case err := <-errc:
		return err
	default:
	}
	return nil
}
