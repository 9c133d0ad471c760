package mailbox

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
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
	// afterChecked: the after-action's target was checked on this
	// connection (see checkAfter).
	afterChecked bool
	stop         func() bool // undoes the close-on-cancel hook
}

// watchConn is the TCP connection under the IMAP client (and TLS): it
// remembers when the server last sent a byte, and a watchdog closes it when
// a command has waited too long for the server (see busy) or has taken
// longer than its time limit (see limit). It keeps the first bytes the
// server sent, to show them when the server turns out not to speak IMAP.
type watchConn struct {
	net.Conn
	lastRead  atomic.Int64 // unix nanoseconds of the latest byte read
	busySince atomic.Int64 // unix nanoseconds; 0 while no command is outstanding
	deadline  atomic.Int64 // unix nanoseconds by which the current command must be done; 0: none
	timedOut  atomic.Bool  // the server sent nothing for the command timeout
	overran   atomic.Bool  // a command ran past its deadline
	done      chan struct{}
	closeOnce sync.Once

	mu      sync.Mutex
	head    []byte // the first headSize bytes read
	command string // what the current time limit is for, and how long it is
}

// headSize is how much of what the server sent first is kept for an error
// message: the greeting line.
const headSize = 256

func (w *watchConn) Read(b []byte) (int, error) {
	n, err := w.Conn.Read(b)
	if n > 0 {
		w.lastRead.Store(time.Now().UnixNano())
		w.mu.Lock()
		if len(w.head) < headSize {
			w.head = append(w.head, b[:min(n, headSize-len(w.head))]...)
		}
		w.mu.Unlock()
	}
	return n, err
}

// SetReadDeadline is ignored: the watchdog bounds every read that a
// command waits for (a gap of CommandTimeout between bytes, and the
// command's time limit in all), and nothing else waits. imapclient's own
// fixed deadlines (30 s for a response, 5 min for a literal, however large)
// would cut off a large message over a slow link that the limits here allow,
// and would be a second set of numbers to explain.
func (w *watchConn) SetReadDeadline(time.Time) error { return nil }

func (w *watchConn) Close() error {
	w.closeOnce.Do(func() { close(w.done) })
	return w.Conn.Close()
}

// firstLine is the first line the server sent (at most headSize bytes).
func (w *watchConn) firstLine() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	line, _, _ := strings.Cut(string(w.head), "\n")
	return strings.TrimRight(line, "\r")
}

// busy marks a command as outstanding until the returned func is called:
// meanwhile, if the server sends nothing for the command timeout, the
// watchdog closes the connection, which fails the command.
func (w *watchConn) busy() (idle func()) {
	w.busySince.Store(time.Now().UnixNano())
	return func() { w.busySince.Store(0) }
}

// limit gives the command about to be sent d to complete, until the
// returned func is called: past it the watchdog closes the connection even
// if the server is still sending (slowly). what names the command for the
// error. It is meant to be used inside busy.
func (w *watchConn) limit(what string, d time.Duration) (done func()) {
	w.mu.Lock()
	w.command = fmt.Sprintf("%s took longer than %s", what, d.Round(time.Millisecond))
	w.mu.Unlock()
	w.deadline.Store(time.Now().Add(d).UnixNano())
	return func() { w.deadline.Store(0) }
}

// watch is the watchdog: it checks every timeout/5 (so a stalled server is
// noticed between timeout and 1.2 × timeout after its last byte, and a
// command past its deadline within timeout/5 of it) until the connection is
// closed. Waiting for the server is measured from the later of the
// command's start and the latest byte, so a server that keeps sending is
// not dropped for silence; the deadline (see commandLimit) is what stops
// one that sends too slowly to ever finish.
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
			if dl := w.deadline.Load(); dl != 0 && now.UnixNano() > dl {
				w.overran.Store(true)
				w.Close()
				return
			}
		}
	}
}

// minTransferRate is the slowest rate, in bytes a second, at which a server
// is expected to send what a command announced.
const minTransferRate = 32 << 10

// commandLimit is how long one command may take in all, when it is to
// bring about n bytes (the sizes the server announced; 0 for any command
// that is not a FETCH of message bodies): twice the command timeout, plus
// one second per 32 KiB (256 kbit/s, slower than any link a mail server
// sits on). With the default command timeout of 60 s:
//
//	SELECT, SEARCH, STORE, MOVE, LIST, IDLE, login:     2 min
//	FETCH of 100 messages of 50 KB (5,000,000 bytes):  2 min + 2 min 32.6 s
//	FETCH of one message of 64 MiB (max_message_bytes): 2 min + 34 min 8 s
//
// A server trickling a byte a second satisfies the watchdog's gap of
// CommandTimeout forever; this is what ends such a command.
func (p *Poller) commandLimit(n int64) time.Duration {
	return 2*p.cmdTimeout + time.Duration(n)*time.Second/minTransferRate
}

// droppedError is an error the watchdog caused by closing the connection,
// with why it did.
type droppedError struct {
	why string
	err error
}

func (e *droppedError) Error() string { return e.why + ": " + e.err.Error() }
func (e *droppedError) Unwrap() error { return e.err }

// wrap adds to err that the server stopped answering, or took too long,
// when the watchdog closed the connection (once: an error already so
// worded is returned as it is).
func (s *session) wrap(err error, timeout time.Duration) error {
	var de *droppedError
	if err == nil || errors.As(err, &de) {
		return err
	}
	switch {
	case s.conn.timedOut.Load():
		return &droppedError{fmt.Sprintf("the server sent nothing for %s while a command was waiting (connection dropped)", timeout), err}
	case s.conn.overran.Load():
		s.conn.mu.Lock()
		what := s.conn.command
		s.conn.mu.Unlock()
		return &droppedError{what + ", the most it may take (the server was still sending, too slowly): connection dropped", err}
	}
	return err
}

// cmd runs one command, given the time limit for n bytes (see
// commandLimit), and returns its error as wrap words it.
func (s *session) cmd(p *Poller, what string, n int64, fn func() error) error {
	done := s.conn.limit(what, p.commandLimit(n))
	err := fn()
	done()
	return s.wrap(err, p.cmdTimeout)
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
//
// It is over 100 lines: dial, greeting, TLS or STARTTLS, capabilities and
// log-in, in the order of the IMAP session, each failure named.
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
		switch {
		case conn.timedOut.Load():
			err = fmt.Errorf("%w (the server sent nothing for %s)", err, p.cmdTimeout)
		case conn.overran.Load():
			err = fmt.Errorf("%w (the greeting and login took longer than %s)", err, p.commandLimit(0))
		}
		return nil, err
	}
	// notIMAP says so when what the server sent first is no IMAP greeting
	// (an SMTP or POP3 port, an SSH or HTTP server), in place of the
	// client's own error ("unknown tag", "use of closed network
	// connection"), which would not tell.
	notIMAP := func(err error) error {
		if line := conn.firstLine(); line != "" && !isIMAPGreeting(line) {
			return &NotIMAPError{Mailbox: p.cfg.Name, Addr: addr, Greeting: cutString(line, 100), Err: err}
		}
		return p.errorf("%w", err)
	}
	// Greeting, STARTTLS and login: the server must keep answering, and be
	// done within the time limit of a command.
	idle := conn.busy()
	defer idle()
	defer conn.limit("the greeting and login", p.commandLimit(0))()

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
		var rh tls.RecordHeaderError
		if errors.As(err, &rh) && conn.firstLine() != "" {
			return fail(p.errorf("TLS handshake with %s: the server does not answer with TLS (it sent %q): for a server that starts in plaintext (port 143) set tls = \"starttls\": %w",
				addr, cutString(conn.firstLine(), 100), err))
		}
		if err != nil {
			return fail(p.errorf("TLS handshake with %s: %w", addr, err))
		}
		c = imapclient.New(tc, opts)
	case TLSStartTLS:
		opts.TLSConfig = tlsCfg
		c, err = imapclient.NewStartTLS(conn, opts)
		if err != nil {
			return fail(notIMAP(fmt.Errorf("STARTTLS with %s: %w", addr, err)))
		}
	case TLSNone:
		c = imapclient.New(conn, opts)
	default:
		return fail(p.errorf("tls = %q is not one of implicit, starttls, none", p.cfg.TLS))
	}
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		err = fmt.Errorf("greeting from %s: %w", addr, err)
		if p.cfg.TLS == TLSImplicit { // under TLS, head holds ciphertext
			return fail(p.errorf("%w", err))
		}
		return fail(notIMAP(err))
	}
	if err := p.authenticate(ctx, c, addr); err != nil {
		c.Close()
		return fail(err)
	}
	return &session{c: c, conn: conn, events: events, stop: stop}, nil
}

// NotIMAPError is returned when the server at Addr greeted with something
// that is not IMAP (Greeting, its first line): the address or port is
// wrong. Its text leaves out Err, the client's own failure, which says
// nothing more.
type NotIMAPError struct {
	Mailbox, Addr, Greeting string
	Err                     error
}

func (e *NotIMAPError) Error() string {
	return fmt.Sprintf("mailbox %q: %s is not an IMAP server (greeting: %q)", e.Mailbox, e.Addr, e.Greeting)
}

func (e *NotIMAPError) Unwrap() error { return e.Err }

// isIMAPGreeting reports whether line starts as an IMAP greeting does
// (RFC 9051 section 7.1: "* OK", "* PREAUTH" or "* BYE").
func isIMAPGreeting(line string) bool {
	u := strings.ToUpper(line)
	return strings.HasPrefix(u, "* OK") || strings.HasPrefix(u, "* PREAUTH") || strings.HasPrefix(u, "* BYE")
}

// cutString keeps the first n bytes of s, marking the cut.
func cutString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// authenticate logs in with XOAUTH2 when auth = "oauth2" (an access token
// from the sign-in, refreshed when it expires soon) or oauth2_token_file is
// set, else with AUTHENTICATE PLAIN when advertised, else LOGIN. The secret
// is read now, so a rotated token or password is picked up on the next
// connection.
func (p *Poller) authenticate(ctx context.Context, c *imapclient.Client, addr string) error {
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
	if p.oauth2 != nil {
		tok, err := p.oauth2.AccessToken(ctx)
		if err != nil {
			if IsSignInNeeded(err) {
				return &AuthError{Err: err}
			}
			return err
		}
		sc := &xoauth2Client{username: user, token: tok}
		if err := c.Authenticate(sc); err != nil {
			// The server refused a token the provider just gave: get a
			// new one next time rather than offer this one again.
			p.oauth2.Forget()
			if sc.serverError != "" {
				err = fmt.Errorf("%w (server said %s)", err, sc.serverError)
			}
			return classify(XOAUTH2, err)
		}
		return nil
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
