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
