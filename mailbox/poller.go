package mailbox

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-sasl"
)

// Message is one raw message as read from a folder.
type Message struct {
	Mailbox      string // Config.Name
	Folder       string
	UIDValidity  uint32
	UID          uint32
	InternalDate time.Time // when the server received it
	Raw          []byte    // the whole RFC 5322 message, as stored on the server
}

// Cursor is how far a folder has been read: every message with a UID up to
// LastUID under UIDValidity has been stored.
type Cursor struct {
	UIDValidity uint32 `json:"uidvalidity"`
	LastUID     uint32 `json:"last_uid"`
}

// CursorStore keeps one Cursor per mailbox and folder. ok is false when no
// cursor was ever saved.
type CursorStore interface {
	Cursor(ctx context.Context, mailbox, folder string) (c Cursor, ok bool, err error)
	SetCursor(ctx context.Context, mailbox, folder string, c Cursor) error
}

// Handler stores one message durably and returns nil only once it is safe.
// The poller moves the cursor past a message only after Handler returned nil
// for it, and hands messages over in UID order. Handler must be idempotent:
// after a crash or a failed after-action the same message is handed over
// again (at least once).
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
	// the greeting, STARTTLS and login. Default 60 s.
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

	mu    sync.Mutex
	state map[string]*folderState

	warnNoUIDPlus sync.Once
}

type folderState struct {
	connected   bool
	lastSuccess time.Time
	lastErr     string
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
		state:         make(map[string]*folderState),
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

// AuthError is returned when the server rejected the credentials.
type AuthError struct{ Err error }

func (e *AuthError) Error() string { return e.Err.Error() }
func (e *AuthError) Unwrap() error { return e.Err }

// IsAuthFailure reports whether err is, or wraps, an *AuthError.
func IsAuthFailure(err error) bool {
	var ae *AuthError
	return errors.As(err, &ae)
}

// session is one logged-in IMAP connection.
type session struct {
	c      *imapclient.Client
	conn   *watchConn
	events chan struct{} // a token when the server announced new messages
	stop   func() bool   // undoes the close-on-cancel hook
}

// watchConn is the TCP connection under the IMAP client (and TLS): it
// remembers when the server last sent a byte, and a watchdog closes it when
// a command has waited too long for the server (see busy).
type watchConn struct {
	net.Conn
	lastRead  atomic.Int64 // unix nanoseconds of the latest byte read
	busySince atomic.Int64 // unix nanoseconds; 0 while no command is outstanding
	timedOut  atomic.Bool
	done      chan struct{}
	closeOnce sync.Once
}

func (w *watchConn) Read(b []byte) (int, error) {
	n, err := w.Conn.Read(b)
	if n > 0 {
		w.lastRead.Store(time.Now().UnixNano())
	}
	return n, err
}

func (w *watchConn) Close() error {
	w.closeOnce.Do(func() { close(w.done) })
	return w.Conn.Close()
}

// busy marks a command as outstanding until the returned func is called:
// meanwhile, if the server sends nothing for the command timeout, the
// watchdog closes the connection, which fails the command.
func (w *watchConn) busy() (idle func()) {
	w.busySince.Store(time.Now().UnixNano())
	return func() { w.busySince.Store(0) }
}

// watch is the watchdog: it checks every timeout/5 (so a stalled server is
// noticed between timeout and 1.2 × timeout after its last byte) until the
// connection is closed. Waiting for the server is measured from the later of
// the command's start and the latest byte: a large FETCH that keeps
// streaming is never cut short, however long it takes.
func (w *watchConn) watch(timeout time.Duration) {
	t := time.NewTicker(max(timeout/5, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-w.done:
			return
		case now := <-t.C:
			since := w.busySince.Load()
			if since == 0 {
				continue
			}
			if now.UnixNano()-max(since, w.lastRead.Load()) > int64(timeout) {
				w.timedOut.Store(true)
				w.Close()
				return
			}
		}
	}
}

// wrap adds to err that the server stopped answering, when the watchdog
// closed the connection.
func (s *session) wrap(err error, timeout time.Duration) error {
	if err != nil && s.conn.timedOut.Load() {
		return fmt.Errorf("the server sent nothing for %s while a command was waiting (connection dropped): %w", timeout, err)
	}
	return err
}

// close logs out (waiting at most 5 s) and closes the connection.
func (s *session) close() {
	done := make(chan struct{})
	go func() {
		_ = s.c.Logout().Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	_ = s.c.Close()
	_ = s.conn.Close()
	s.stop()
}

// connect dials, secures and logs in. The connection is closed when ctx is
// done, which unblocks any command in flight.
func (p *Poller) connect(ctx context.Context) (*session, error) {
	addr := p.cfg.imapAddr()
	host, _, _ := net.SplitHostPort(addr)
	events := make(chan struct{}, 1)
	opts := &imapclient.Options{
		WordDecoder: &mime.WordDecoder{CharsetReader: charset.Reader},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			// Runs on the client's reader goroutine: never block here.
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case events <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	var tlsCfg *tls.Config
	if p.tlsConfig != nil {
		tlsCfg = p.tlsConfig.Clone()
	} else {
		tlsCfg = &tls.Config{}
	}
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName = host
	}

	raw, err := p.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, p.errorf("connect to %s: %w", addr, err)
	}
	conn := &watchConn{Conn: raw, done: make(chan struct{})}
	go conn.watch(p.cmdTimeout)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	fail := func(err error) (*session, error) {
		stop()
		conn.Close()
		if conn.timedOut.Load() {
			err = fmt.Errorf("%w (the server sent nothing for %s)", err, p.cmdTimeout)
		}
		return nil, err
	}
	// Greeting, STARTTLS and login: the server must keep answering.
	idle := conn.busy()
	defer idle()

	var c *imapclient.Client
	switch p.cfg.TLS {
	case TLSImplicit:
		if tlsCfg.NextProtos == nil {
			tlsCfg.NextProtos = []string{"imap"}
		}
		tc := tls.Client(conn, tlsCfg)
		hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			return fail(p.errorf("TLS handshake with %s: %w", addr, err))
		}
		c = imapclient.New(tc, opts)
	case TLSStartTLS:
		opts.TLSConfig = tlsCfg
		c, err = imapclient.NewStartTLS(conn, opts)
		if err != nil {
			return fail(p.errorf("STARTTLS with %s: %w", addr, err))
		}
	case TLSNone:
		c = imapclient.New(conn, opts)
	default:
		return fail(p.errorf("tls = %q is not one of implicit, starttls, none", p.cfg.TLS))
	}
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return fail(p.errorf("greeting from %s: %w", addr, err))
	}
	if err := p.authenticate(c, addr); err != nil {
		c.Close()
		return fail(err)
	}
	return &session{c: c, conn: conn, events: events, stop: stop}, nil
}

// authenticate logs in with XOAUTH2 when oauth2_token_file is set, else with
// AUTHENTICATE PLAIN when advertised, else LOGIN. The secret is read now, so
// a rotated token or password is picked up on the next connection.
func (p *Poller) authenticate(c *imapclient.Client, addr string) error {
	user := p.cfg.Username
	classify := func(mech string, err error) error {
		if err == nil {
			return nil
		}
		err = p.errorf("log in as %s to %s with %s: %w", user, addr, mech, err)
		var ie *imap.Error
		if errors.As(err, &ie) {
			return &AuthError{Err: err}
		}
		return err
	}
	if p.cfg.OAuth2TokenFile != "" {
		tok, err := readSecret(p.cfg.OAuth2TokenFile, "")
		if err != nil {
			return p.errorf("oauth2_token_file: %w", err)
		}
		sc := &xoauth2Client{username: user, token: strings.TrimSpace(tok)}
		if err := c.Authenticate(sc); err != nil {
			if sc.serverError != "" {
				err = fmt.Errorf("%w (server said %s)", err, sc.serverError)
			}
			return classify(XOAUTH2, err)
		}
		return nil
	}
	pw, err := readSecret(p.cfg.PasswordFile, p.cfg.PasswordEnv)
	if err != nil {
		if p.cfg.PasswordFile != "" {
			return p.errorf("password_file: %w", err)
		}
		return p.errorf("password_env: %w", err)
	}
	caps := c.Caps()
	if slices.Contains(caps.AuthMechanisms(), sasl.Plain) {
		return classify("AUTHENTICATE PLAIN", c.Authenticate(sasl.NewPlainClient("", user, pw)))
	}
	if caps.Has(imap.CapLoginDisabled) {
		return p.errorf("log in to %s: the server disabled LOGIN and offers no AUTH=PLAIN (mechanisms: %s)", addr, strings.Join(caps.AuthMechanisms(), " "))
	}
	if err := c.Login(user, pw).Wait(); err != nil {
		return classify("LOGIN", err)
	}
	return nil
}

// SyncOnce connects, syncs every folder once (see the package notes for the
// cursor rules) and logs out. It returns how many messages the Handler
// accepted. A failing folder does not stop the others; the errors are joined.
func (p *Poller) SyncOnce(ctx context.Context) (fetched int, err error) {
	s, err := p.connect(ctx)
	if err != nil {
		for _, f := range p.cfg.Folders {
			p.recordFailure(f, err)
		}
		return 0, err
	}
	defer s.close()
	var errs []error
	for _, f := range p.cfg.Folders {
		n, err := p.syncFolder(ctx, s, f)
		fetched += n
		if err != nil {
			p.recordFailure(f, err)
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		p.recordSuccess(f)
	}
	return fetched, errors.Join(errs...)
}

// outside runs fn, which does not talk to the IMAP server (the Handler, the
// CursorStore, Progress), with the command watchdog paused: a slow Handler
// must not look like a silent server.
func (s *session) outside(fn func() error) error {
	prev := s.conn.busySince.Swap(0)
	defer func() {
		if prev != 0 {
			s.conn.busySince.Store(time.Now().UnixNano())
		}
	}()
	return fn()
}

// syncFolder selects folder and hands every message after the cursor to the
// Handler, in UID order.
func (p *Poller) syncFolder(ctx context.Context, s *session, folder string) (n int, err error) {
	defer s.conn.busy()()
	defer func() { err = s.wrap(err, p.cmdTimeout) }()
	c := s.c
	log := p.log.With("folder", folder)
	readOnly := p.cfg.After == "none"
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: readOnly}).Wait()
	if err != nil {
		return 0, p.errorf("select %s: %w", folder, err)
	}
	validity := sel.UIDValidity
	if validity == 0 {
		return 0, p.errorf("select %s: the server sent no UIDVALIDITY, so its UIDs cannot be trusted", folder)
	}
	var cur Cursor
	var ok bool
	if err := s.outside(func() (err error) {
		cur, ok, err = p.cursors.Cursor(ctx, p.cfg.Name, folder)
		return err
	}); err != nil {
		return 0, p.errorf("read cursor of %s: %w", folder, err)
	}
	var last uint32
	switch {
	case !ok:
		log.Info("no cursor yet: reading the folder from UID 1", "uidvalidity", validity)
	case cur.UIDValidity != validity:
		log.Warn("UIDVALIDITY changed: the server renumbered the folder; rescanning from UID 1 (messages already stored are recognised by content)",
			"uidvalidity", validity, "old_uidvalidity", cur.UIDValidity, "old_last_uid", cur.LastUID)
	default:
		last = cur.LastUID
	}
	if !ok || cur.UIDValidity != validity {
		// Record the new UIDVALIDITY at once, so the warning above is given once.
		if err := s.outside(func() error {
			return p.cursors.SetCursor(ctx, p.cfg.Name, folder, Cursor{UIDValidity: validity})
		}); err != nil {
			return 0, p.errorf("save cursor of %s: %w", folder, err)
		}
	}
	if sel.NumMessages == 0 || (sel.UIDNext != 0 && uint64(sel.UIDNext) <= uint64(last)+1) {
		return 0, nil
	}

	criteria := &imap.SearchCriteria{UID: []imap.UIDSet{{{Start: imap.UID(last + 1), Stop: 0}}}}
	if since := p.cfg.since(); !since.IsZero() {
		criteria.Since = since
	}
	data, err := c.UIDSearch(criteria, nil).Wait()
	if err != nil {
		return 0, p.errorf("search %s for UIDs after %d: %w", folder, last, err)
	}
	var uids []uint32
	for _, u := range data.AllUIDs() {
		// "N:*" also matches the highest UID when it is ≤ N: filter ourselves.
		if uint32(u) > last {
			uids = append(uids, uint32(u))
		}
	}
	slices.Sort(uids)
	uids = slices.Compact(uids)
	if len(uids) > 0 {
		log.Debug("new messages", "count", len(uids), "uidvalidity", validity, "after_uid", last)
	}

	total := len(uids)
	report := func(done int) {}
	if total > p.batchSize {
		report = func(done int) {
			log.Info(fmt.Sprintf("fetching %s: %d of %d", folder, done, total), "done", done, "total", total)
			if p.progress != nil {
				s.outside(func() error { p.progress(p.cfg.Name, folder, done, total); return nil })
			}
		}
	}
	report(0)
	done := 0
	for len(uids) > 0 {
		chunk := uids[:min(p.batchSize, len(uids))]
		uids = uids[len(chunk):]
		k, err := p.syncChunk(ctx, s, log, folder, validity, chunk)
		n += k
		if err != nil {
			return n, err
		}
		done += len(chunk)
		report(done)
	}
	return n, nil
}

// syncChunk fetches the sizes of chunk, then the messages in groups of at
// most maxBatchBytes, and hands them over.
func (p *Poller) syncChunk(ctx context.Context, s *session, log *slog.Logger, folder string, validity uint32, chunk []uint32) (int, error) {
	set := uidSet(chunk)
	sizes, err := s.c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return 0, p.errorf("fetch sizes of UID %s of %s: %w", set, folder, err)
	}
	size := make(map[uint32]int64, len(sizes))
	for _, m := range sizes {
		size[uint32(m.UID)] = m.RFC822Size
	}
	n := 0
	var group []uint32
	var total int64
	flush := func() error {
		if len(group) == 0 {
			return nil
		}
		k, err := p.fetchAndHandle(ctx, s, log, folder, validity, group)
		n += k
		group, total = group[:0], 0
		return err
	}
	for _, uid := range chunk {
		sz, ok := size[uid]
		if !ok {
			log.Info("message vanished before it could be fetched", "uid", uid, "uidvalidity", validity)
			continue
		}
		if len(group) > 0 && total+sz > p.maxBatchBytes {
			if err := flush(); err != nil {
				return n, err
			}
		}
		group = append(group, uid)
		total += sz
	}
	return n, flush()
}

func (p *Poller) fetchAndHandle(ctx context.Context, s *session, log *slog.Logger, folder string, validity uint32, uids []uint32) (int, error) {
	set := uidSet(uids)
	section := &imap.FetchItemBodySection{Peek: true} // BODY.PEEK[]: never sets \Seen
	bufs, err := s.c.Fetch(set, &imap.FetchOptions{
		UID:          true,
		InternalDate: true,
		BodySection:  []*imap.FetchItemBodySection{section},
	}).Collect()
	if err != nil {
		return 0, p.errorf("fetch UID %s of %s: %w", set, folder, err)
	}
	byUID := make(map[uint32]*imapclient.FetchMessageBuffer, len(bufs))
	for _, b := range bufs {
		byUID[uint32(b.UID)] = b
	}
	n := 0
	for _, uid := range uids {
		b := byUID[uid]
		if b == nil {
			log.Info("message vanished before it could be fetched", "uid", uid, "uidvalidity", validity)
			continue
		}
		raw := b.FindBodySection(section)
		if raw == nil {
			return n, p.errorf("fetch UID %d of %s: the server returned no body", uid, folder)
		}
		m := &Message{
			Mailbox:      p.cfg.Name,
			Folder:       folder,
			UIDValidity:  validity,
			UID:          uid,
			InternalDate: b.InternalDate,
			Raw:          raw,
		}
		if err := s.outside(func() error { return p.handle(ctx, m) }); err != nil {
			return n, p.errorf("handle UID %d of %s: %w", uid, folder, err)
		}
		if err := p.afterAction(s.c, log, uid); err != nil {
			return n, p.errorf("after = %q on UID %d of %s: %w", p.cfg.After, uid, folder, err)
		}
		if err := s.outside(func() error {
			return p.cursors.SetCursor(ctx, p.cfg.Name, folder, Cursor{UIDValidity: validity, LastUID: uid})
		}); err != nil {
			return n, p.errorf("save cursor at UID %d of %s: %w", uid, folder, err)
		}
		n++
		log.Debug("message handed over", "uid", uid, "uidvalidity", validity, "bytes", len(raw))
		byUID[uid] = nil // let the collector have it once handled
	}
	return n, nil
}

// afterAction sets \Seen or moves the message, as configured.
func (p *Poller) afterAction(c *imapclient.Client, log *slog.Logger, uid uint32) error {
	set := imap.UIDSetNum(imap.UID(uid))
	switch {
	case p.cfg.After == "seen":
		return c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close()
	case p.moveTo != "":
		caps := c.Caps()
		if caps.Has(imap.CapMove) {
			_, err := c.Move(set, p.moveTo).Wait()
			return err
		}
		if _, err := c.Copy(set, p.moveTo).Wait(); err != nil {
			return fmt.Errorf("copy to %s: %w", p.moveTo, err)
		}
		if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
			return fmt.Errorf("flag \\Deleted after copy to %s: %w", p.moveTo, err)
		}
		if caps.Has(imap.CapUIDPlus) {
			if err := c.UIDExpunge(set).Close(); err != nil {
				return fmt.Errorf("UID EXPUNGE after copy to %s: %w", p.moveTo, err)
			}
			return nil
		}
		p.warnNoUIDPlus.Do(func() {
			log.Warn("the server has neither MOVE nor UIDPLUS: moved messages are copied and flagged \\Deleted but not expunged (a plain EXPUNGE could remove other deleted mail)")
		})
	}
	return nil
}

func uidSet(uids []uint32) imap.UIDSet {
	var s imap.UIDSet
	for _, u := range uids {
		s.AddNum(imap.UID(u))
	}
	return s
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
		if n > 0 {
			log.Info("new messages stored", "count", n)
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
		cmd, err := s.c.Idle() // returns once the server's "+ idling" came
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
		cerr := cmd.Close() // DONE
		werr := cmd.Wait()  // the server's OK
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
			err := s.c.Noop().Wait()
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
	return st
}
