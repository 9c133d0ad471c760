package mailbox

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Message is one raw message as read from a folder.
type Message struct {
	Mailbox      string // Config.Name
	Folder       string
	UIDValidity  uint32
	UID          uint32
	InternalDate time.Time // when the server received it
	Raw          []byte    // the whole RFC 5322 message, as stored on the server (see TooLarge)
	// Size is the message's size as the server announced it (RFC822.SIZE).
	Size int64
	// TooLarge says Size is above the mailbox's max_message_bytes: the
	// message was not fetched, and Raw holds only its header section (at
	// most MaxHeaderBytes of it). The Handler must record it for an operator
	// (with its headers and size), not take Raw for the message; the poller
	// moves the cursor past it like any other once the Handler returned nil,
	// so that one such message never holds up the mail behind it.
	TooLarge bool
	// Known is set by the Handler, when it returns nil, if it recognised
	// the message as one it already stored (by content): the poller's log
	// then counts it apart from new mail ("new messages stored", and after
	// a rescan "rescanned=N new=M already_stored=K").
	Known bool
}

// MaxHeaderBytes is how much of a too-large message's header section is
// fetched: enough for every header of an ordinary message, not for a
// hostile one of megabytes.
const MaxHeaderBytes = 64 << 10

// Cursor is how far a folder has been read: every message with a UID up to
// LastUID under UIDValidity has been stored.
type Cursor struct {
	UIDValidity uint32 `json:"uidvalidity"`
	LastUID     uint32 `json:"last_uid"`
	// PendingAfter lists the UIDs (all ≤ LastUID) of stored messages whose
	// after-action (after = "seen" or "move:FOLDER") could not be done yet;
	// they are retried later (see the package notes). At most MaxPending.
	PendingAfter []uint32 `json:"pending_after,omitempty"`
}

// MaxPending is the most after-actions a cursor keeps pending: the oldest
// are given up beyond it (with a warning), so that a target that is never
// fixed cannot grow the cursor without end.
const MaxPending = 10000

// CursorStore keeps one Cursor per mailbox and folder. ok is false when no
// cursor was ever saved.
type CursorStore interface {
	Cursor(ctx context.Context, mailbox, folder string) (c Cursor, ok bool, err error)
	SetCursor(ctx context.Context, mailbox, folder string, c Cursor) error
}

// Handler stores one message durably and returns nil only once it is safe.
// The poller moves the cursor past a message only after Handler returned nil
// for it, and hands messages over in UID order. Handler must be idempotent:
// after a crash, or when the folder is rescanned, the same message is handed
// over again (at least once). See Message.TooLarge and Message.Known.
type Handler func(ctx context.Context, m *Message) error

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

// PollerStatus is a summary for health checks.
type PollerStatus struct {
	// Connected is true while Run holds a logged-in connection for every
	// folder.
	Connected bool
	// LastSuccess is the oldest of the folders' latest complete syncs: zero
	// until every folder has been synced once.
	LastSuccess time.Time
	// LastError is the latest error of each folder that has not synced
	// successfully since, joined by "; ". Empty when all is well.
	LastError string
	// Notes are problems that do not stop the mail from coming in, in
	// sentences for an operator: an after-action that cannot be done or
	// waits for a retry, a server that reused UIDs (said for 24 h after it
	// was seen). Empty when there are none.
	Notes []string
}

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

// waitIdle idles until the server announces new messages, poll_interval
// passes (a safety net), or the connection or ctx ends. Every
// LivenessInterval it ends IDLE and starts it again: the server must answer
// DONE within CommandTimeout, which proves it alive (a frozen server or a
// silently dropped connection is otherwise never noticed while idling) and
// keeps IDLE shorter than the 29 minutes of RFC 2177.
func (p *Poller) waitIdle(ctx context.Context, s *session, folder string) error {
	poll := time.NewTimer(p.cfg.PollInterval.Duration)
	defer poll.Stop()
	for {
		idle := s.conn.busy()
		var cmd *imapclient.IdleCommand
		err := s.cmd(p, "IDLE", 0, func() (err error) {
			cmd, err = s.c.Idle() // returns once the server's "+ idling" came
			return err
		})
		idle()
		if err != nil {
			return p.errorf("IDLE on %s: %w", folder, err)
		}
		refresh := time.NewTimer(p.liveness)
		again, closed := false, false
		select {
		case <-ctx.Done():
		case <-s.events:
		case <-poll.C:
		case <-refresh.C:
			again = true
		case <-s.c.Closed():
			closed = true
		}
		refresh.Stop()
		idle = s.conn.busy()
		var cerr, werr error
		s.cmd(p, "DONE (end of IDLE)", 0, func() error {
			cerr = cmd.Close() // DONE
			werr = cmd.Wait()  // the server's OK
			return nil
		})
		idle()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case closed:
			return p.errorf("connection to %s closed while idling on %s", p.cfg.imapAddr(), folder)
		case cerr != nil:
			return p.errorf("end IDLE on %s: %w", folder, cerr)
		case werr != nil:
			return p.errorf("IDLE on %s: %w", folder, werr)
		}
		if !again {
			return nil
		}
	}
}

// waitPoll waits poll_interval, sending NOOP every LivenessInterval
// meanwhile, so that a server that stopped answering is noticed and the
// server does not drop the connection (RFC 3501 allows it after 30 minutes
// of inactivity).
func (p *Poller) waitPoll(ctx context.Context, s *session, folder string) error {
	timer := time.NewTimer(p.cfg.PollInterval.Duration)
	defer timer.Stop()
	keepAlive := time.NewTicker(p.liveness)
	defer keepAlive.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return nil
		case <-s.c.Closed():
			return p.errorf("connection to %s closed while waiting to poll %s", p.cfg.imapAddr(), folder)
		case <-keepAlive.C:
			idle := s.conn.busy()
			err := s.cmd(p, "NOOP", 0, func() error { return s.c.Noop().Wait() })
			idle()
			if err != nil {
				return p.errorf("NOOP on %s: %w", folder, err)
			}
		}
	}
}

// backoffDelay is the pause before reconnect attempt number attempt
// (0-based, reset after a connection that completed a sync).
//
// Ordinary errors: 1s, 2s, 4s, 8s, 16s, 32s, 64s, 128s, 256s, then 5m for
// every later attempt. Authentication failures: 15m, 30m, then 1h for every
// later attempt: retrying a wrong password quickly can get the account locked.
// Each value d is then drawn uniformly from [d/2, d] ("equal jitter"), so that
// pollers that lost the same server do not come back in step.
func backoffDelay(attempt int, auth bool) time.Duration {
	base, limit := time.Second, 5*time.Minute
	if auth {
		base, limit = 15*time.Minute, time.Hour
	}
	d := limit
	if attempt < 20 {
		d = min(base<<attempt, limit)
	}
	return d/2 + rand.N(d/2+1)
}

func (p *Poller) setConnected(folder string, v bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state[folder].connected = v
}

func (p *Poller) recordSuccess(folder string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.state[folder]
	s.lastSuccess = time.Now()
	s.lastErr = ""
}

func (p *Poller) recordFailure(folder string, err error) {
	if err == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state[folder].lastErr = err.Error()
}

// Status summarises the folders' states for health checks.
func (p *Poller) Status() PollerStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := PollerStatus{Connected: true}
	var errs []string
	var oldest time.Time
	all := true
	for _, f := range p.cfg.Folders {
		s := p.state[f]
		if !s.connected {
			st.Connected = false
		}
		if s.lastErr != "" && !slices.Contains(errs, s.lastErr) {
			errs = append(errs, s.lastErr)
		}
		switch {
		case s.lastSuccess.IsZero():
			all = false
		case oldest.IsZero() || s.lastSuccess.Before(oldest):
			oldest = s.lastSuccess
		}
	}
	if all {
		st.LastSuccess = oldest
	}
	st.LastError = strings.Join(errs, "; ")
	st.Notes = p.notesLocked(time.Now())
	return st
}

// reuseNoteFor is how long a server's reuse of UIDs stays among the notes.
const reuseNoteFor = 24 * time.Hour

// notesLocked words the problems that do not stop ingestion. p.mu is held.
func (p *Poller) notesLocked(now time.Time) []string {
	var notes []string
	pending := 0
	for _, f := range p.cfg.Folders {
		pending += p.state[f].pending
	}
	if p.afterRefused != nil {
		notes = append(notes, fmt.Sprintf("%v; %d stored message(s) wait for it", p.afterRefused, pending))
	}
	for _, f := range p.cfg.Folders {
		s := p.state[f]
		if p.afterRefused == nil && s.pending > 0 {
			n := fmt.Sprintf("%s: %d stored message(s) wait for after = %q", f, s.pending, p.cfg.After)
			if s.pendingErr != "" {
				n += " (it failed: " + s.pendingErr + ")"
			}
			if !s.retryAt.IsZero() {
				n += "; tried again from " + s.retryAt.Format(time.TimeOnly)
			}
			notes = append(notes, n)
		}
		if s.reuseNote != "" && now.Sub(s.reuseAt) < reuseNoteFor {
			notes = append(notes, f+": "+s.reuseNote)
		}
	}
	return notes
}
