package mailbox

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
)

// PollerOptions are the optional parts of a Poller. A nil *PollerOptions is
// the zero value.
type PollerOptions struct {
	// Logger receives structured logs (keys mailbox, folder, uid,
	// uidvalidity). Default slog.Default().
	Logger *slog.Logger
	// TLSConfig for implicit TLS and STARTTLS, e.g. with RootCAs for tests.
	// Nil: system roots, ServerName from the address.
	TLSConfig *tls.Config
	// BatchSize is the most UIDs fetched by one FETCH. Default 100.
	BatchSize int
	// MaxBatchBytes caps the message bytes fetched by one FETCH (by
	// RFC822.SIZE); a larger message is fetched on its own. Default 32 MiB.
	MaxBatchBytes int64
	// Dialer opens TCP connections. Default: 30 s timeout, 30 s keep-alive.
	Dialer *net.Dialer
	// Progress, optional, is told how far a sync of a folder with more new
	// messages than BatchSize has got: once with done = 0 before the first
	// batch, then after every batch, ending with done = total when the sync
	// completes (a failed sync stops short of total). done counts the new
	// messages dealt with (handed over, or vanished from the server), total
	// is the number of new messages the search found. It is called from the
	// goroutine syncing that folder, so several folders of one Run call it
	// concurrently; it must be quick and safe for concurrent use. The same
	// progress is also logged at Info ("fetching INBOX: 1200 of 10000").
	Progress func(mailbox, folder string, done, total int)
	// CommandTimeout is how long the poller waits for the server while a
	// command is outstanding without receiving a single byte; then it
	// drops the connection and reconnects (after a backoff). It also bounds
	// the greeting, STARTTLS and login. Each command must moreover be done
	// within 2 × CommandTimeout, plus one second per 32 KiB of message a
	// FETCH brings (see the package notes). Default 60 s.
	CommandTimeout time.Duration
	// LivenessInterval is how often a connection that waits for new mail
	// proves the server is still answering: with IDLE, the IDLE command is
	// ended (DONE, whose reply must come within CommandTimeout) and issued
	// again; without IDLE, NOOP is sent. A server that stops answering is
	// thus noticed within LivenessInterval + CommandTimeout (+ a fifth of
	// CommandTimeout for the watchdog's tick). Default 5 min, and never more
	// than 29 min (RFC 2177: re-issue IDLE at least every 29 minutes).
	LivenessInterval time.Duration
	// OnReconnect, optional, is called each time Run connects again to a
	// folder after losing its connection (for a metric). It must be quick.
	OnReconnect func(mailbox, folder string)
	// OAuth2 is the sign-in of a mailbox with auth = "oauth2": an access
	// token is asked of it for every login (XOAUTH2). Required then.
	OAuth2 *OAuth2
}

// Default timeouts of [PollerOptions].
const (
	DefaultCommandTimeout   = 60 * time.Second
	DefaultLivenessInterval = 5 * time.Minute
	maxLivenessInterval     = 29 * time.Minute
)

// Poller reads new messages from the folders of one mailbox.
type Poller struct {
	cfg           Config
	cursors       CursorStore
	handle        Handler
	log           *slog.Logger
	tlsConfig     *tls.Config
	batchSize     int
	maxBatchBytes int64
	dialer        *net.Dialer
	moveTo        string // after = "move:FOLDER"
	progress      func(mailbox, folder string, done, total int)
	onReconnect   func(mailbox, folder string)
	cmdTimeout    time.Duration
	liveness      time.Duration
	oauth2        *OAuth2

	mu    sync.Mutex
	state map[string]*folderState

	warnNoUIDPlus sync.Once

	// afterRefused is why the after-action cannot be done on this server
	// (checked at every connection; nil when it can).
	afterRefused error
}

type folderState struct {
	connected   bool
	lastSuccess time.Time
	lastErr     string

	// After-actions waiting (see after.go): how many, the last failure,
	// and when they are tried again.
	pending      int
	pendingErr   string
	pendingFails int
	retryAt      time.Time

	// A server that reused UIDs: what was seen, and when.
	reuseNote string
	reuseAt   time.Time
	// ignoreUIDNext: the server's UIDNEXT proved wrong once, so it is not
	// taken as proof that nothing is new, nor of reused UIDs.
	ignoreUIDNext bool
}

// NewPoller checks cfg (after defaults) and returns a Poller. It does not
// connect.
func NewPoller(cfg Config, cursors CursorStore, h Handler, opts *PollerOptions) (*Poller, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cursors == nil || h == nil {
		return nil, fmt.Errorf("mailbox %q: NewPoller needs a CursorStore and a Handler", cfg.Name)
	}
	if opts == nil {
		opts = &PollerOptions{}
	}
	tlsConfig, err := tlsWithCAFile(opts.TLSConfig, cfg.CAFile, fmt.Sprintf("mailbox %q", cfg.Name))
	if err != nil {
		return nil, err
	}
	p := &Poller{
		cfg:           cfg,
		cursors:       cursors,
		handle:        h,
		log:           opts.Logger,
		tlsConfig:     tlsConfig,
		batchSize:     opts.BatchSize,
		maxBatchBytes: opts.MaxBatchBytes,
		dialer:        opts.Dialer,
		progress:      opts.Progress,
		onReconnect:   opts.OnReconnect,
		cmdTimeout:    opts.CommandTimeout,
		liveness:      opts.LivenessInterval,
		oauth2:        opts.OAuth2,
		state:         make(map[string]*folderState),
	}
	if cfg.Auth == AuthOAuth2 && p.oauth2 == nil {
		return nil, fmt.Errorf("mailbox %q: auth = \"oauth2\" but no OAuth2 sign-in was given to the poller", cfg.Name)
	}
	if p.cmdTimeout <= 0 {
		p.cmdTimeout = DefaultCommandTimeout
	}
	if p.liveness <= 0 {
		p.liveness = DefaultLivenessInterval
	}
	p.liveness = min(p.liveness, maxLivenessInterval)
	if p.log == nil {
		p.log = slog.Default()
	}
	p.log = p.log.With("mailbox", cfg.Name)
	if p.batchSize <= 0 {
		p.batchSize = DefaultBatchSize
	}
	if p.maxBatchBytes <= 0 {
		p.maxBatchBytes = 32 << 20
	}
	if p.dialer == nil {
		p.dialer = &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	}
	p.moveTo, _, _ = parseAfter(cfg.After)
	for _, f := range cfg.Folders {
		p.state[f] = &folderState{}
	}
	return p, nil
}

// Config returns the configuration in use, with defaults applied.
func (p *Poller) Config() Config { return p.cfg }

func (p *Poller) errorf(format string, args ...any) error {
	return fmt.Errorf("mailbox %q: "+format, append([]any{p.cfg.Name}, args...)...)
}

// Run watches every folder until ctx is done, then returns nil. It keeps one
// connection per folder: sync, then wait (IDLE, or poll_interval without it),
// then sync again. Every error is logged and retried after a backoff (see
// backoffDelay); Status reports the current state.
func (p *Poller) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, f := range p.cfg.Folders {
		wg.Go(func() { p.runFolder(ctx, f) })
	}
	wg.Wait()
	return nil
}

func (p *Poller) runFolder(ctx context.Context, folder string) {
	log := p.log.With("folder", folder)
	attempt := 0
	for ctx.Err() == nil {
		synced, err := p.watchFolder(ctx, log, folder)
		p.setConnected(folder, false)
		if ctx.Err() != nil {
			return
		}
		if synced {
			attempt = 0
		}
		p.recordFailure(folder, err)
		auth := IsAuthFailure(err)
		d := backoffDelay(attempt, auth)
		attempt++
		if auth {
			log.Error("authentication failed: check username and password; waiting long before trying again, so the account is not locked",
				"err", err, "retry_in", d.Round(time.Second).String())
		} else {
			log.Warn("sync failed; reconnecting after a pause", "err", err, "retry_in", d.Round(time.Millisecond).String(), "attempt", attempt)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if p.onReconnect != nil {
			p.onReconnect(p.cfg.Name, folder)
		}
	}
}

// watchFolder holds one connection for folder until an error. synced reports
// whether at least one sync completed on it (which resets the backoff).
func (p *Poller) watchFolder(ctx context.Context, log *slog.Logger, folder string) (synced bool, err error) {
	s, err := p.connect(ctx)
	if err != nil {
		return false, err
	}
	defer s.close()
	p.setConnected(folder, true)
	idle := *p.cfg.IDLE && s.c.Caps().Has(imap.CapIdle)
	switch {
	case idle:
		log.Info("connected; waiting for new mail with IDLE", "poll_interval", p.cfg.PollInterval.String())
	case *p.cfg.IDLE:
		log.Info("connected; the server has no IDLE, polling", "poll_interval", p.cfg.PollInterval.String())
	default:
		log.Info("connected; polling", "poll_interval", p.cfg.PollInterval.String())
	}
	for {
		n, err := p.syncFolder(ctx, s, folder)
		if err != nil {
			return synced, err
		}
		synced = true
		p.recordSuccess(folder)
		if n.fresh > 0 {
			log.Info("new messages stored", "count", n.fresh)
		}
		if idle {
			err = p.waitIdle(ctx, s, folder)
		} else {
			err = p.waitPoll(ctx, s, folder)
		}
		if err != nil {
			return synced, s.wrap(err, p.cmdTimeout)
		}
	}
}
