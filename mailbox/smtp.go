package mailbox

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SenderOptions are the optional parts of a Sender. A nil *SenderOptions is
// the zero value.
type SenderOptions struct {
	// TLSConfig for implicit TLS and STARTTLS, e.g. with RootCAs for tests.
	// Nil: system roots, ServerName from the address.
	TLSConfig *tls.Config
	// Logger, default slog.Default().
	Logger *slog.Logger
	// Dialer opens TCP connections. Default: 30 s timeout.
	Dialer *net.Dialer
	// Timeout bounds one Send when ctx has no deadline. Default 2 minutes.
	Timeout time.Duration
	// OAuth2 is the sign-in whose access tokens authenticate with auth =
	// "oauth2" (XOAUTH2 or OAUTHBEARER). Required then.
	OAuth2 *OAuth2
}

// Sender sends reminder emails through one submission server. It opens a new
// connection for every Send and is safe for concurrent use.
type Sender struct {
	cfg       SMTPConfig
	from      string // envelope sender
	tlsConfig *tls.Config
	log       *slog.Logger
	dialer    *net.Dialer
	timeout   time.Duration
	oauth2    *OAuth2
}

// SendError is every error Send returns. Temporary is true for 4xx replies
// and network or TLS trouble (try again later), false for 5xx replies and
// configuration problems (trying again will not help).
type SendError struct {
	Server    string // host:port
	Step      string // e.g. "connect", "STARTTLS", "AUTH PLAIN", "MAIL FROM", "RCPT TO <a@b>", "DATA"
	Temporary bool
	Code      int // SMTP reply code, 0 when the server gave none
	Err       error
}

func (e *SendError) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	return fmt.Sprintf("smtp %s: %s: %v (%s failure)", e.Server, e.Step, e.Err, kind)
}

func (e *SendError) Unwrap() error { return e.Err }

// NewSender checks cfg (after defaults) and returns a Sender. It does not
// connect.
func NewSender(cfg SMTPConfig, opts *SenderOptions) (*Sender, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &SenderOptions{}
	}
	tlsConfig, err := tlsWithCAFile(opts.TLSConfig, cfg.CAFile, "smtp")
	if err != nil {
		return nil, err
	}
	from, _ := mail.ParseAddress(cfg.From)
	s := &Sender{
		cfg:       cfg,
		from:      from.Address,
		tlsConfig: tlsConfig,
		log:       opts.Logger,
		dialer:    opts.Dialer,
		timeout:   opts.Timeout,
		oauth2:    opts.OAuth2,
	}
	if cfg.Auth == AuthOAuth2 && s.oauth2 == nil {
		return nil, errors.New("smtp: auth = \"oauth2\" but no mailbox sign-in was given to the sender (set oauth2_mailbox)")
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.dialer == nil {
		s.dialer = &net.Dialer{Timeout: 30 * time.Second}
	}
	if s.timeout <= 0 {
		s.timeout = 2 * time.Minute
	}
	return s, nil
}

// From returns the envelope sender address.
func (s *Sender) From() string { return s.from }

// Send delivers msg, a complete RFC 5322 message, to the envelope recipients
// to. The envelope sender is the address of the configured from. Errors are
// *SendError.
func (s *Sender) Send(ctx context.Context, to []string, msg []byte) error {
	return s.SendRecorded(ctx, to, msg, nil)
}

// SendRecorded is Send that calls beforeData once the server accepted the
// recipients, just before the DATA command: the last moment at which
// nothing has been handed over. A caller that must never send twice
// records there that the message may now reach the server; an error from
// beforeData ends the session without sending (Step "record").
//
// It is over 100 lines: one SMTP session in the protocol's order (dial, TLS,
// AUTH, MAIL, RCPT, beforeData, DATA), each failure named with its Step; the
// order is what a reader checks against the RFC.
func (s *Sender) SendRecorded(ctx context.Context, to []string, msg []byte, beforeData func() error) error {
	addr := s.cfg.smtpAddr()
	fail := func(step string, err error) error {
		se := &SendError{Server: addr, Step: step, Temporary: true, Err: err}
		var smtpErr *smtp.SMTPError
		var certErr *tls.CertificateVerificationError
		var bearerErr *sasl.OAuthBearerError
		switch {
		case errors.As(err, &bearerErr):
			// The server refused the OAuth2 token (go-sasl ends the
			// exchange itself): a new token is needed, not a retry.
			se.Temporary = false
		case errors.As(err, &smtpErr):
			se.Code = smtpErr.Code
			se.Temporary = smtpErr.Code/100 != 5
		case errors.As(err, &certErr), strings.Contains(err.Error(), "doesn't support STARTTLS"):
			// The server's certificate or capabilities: retrying will not help.
			se.Temporary = false
		}
		return se
	}
	permanent := func(step string, err error) error {
		return &SendError{Server: addr, Step: step, Err: err}
	}
	if len(to) == 0 {
		return permanent("RCPT TO", errors.New("no recipients"))
	}
	for _, r := range to {
		if r == "" || strings.ContainsAny(r, "\r\n<> ") {
			return permanent("RCPT TO", fmt.Errorf("recipient %q is not a plain address", r))
		}
	}
	var pw string
	if s.cfg.Auth == AuthOAuth2 {
		// The token is asked for before connecting: a refresh can take a
		// while and a server may not wait.
		tok, err := s.oauth2.AccessToken(ctx)
		if err != nil {
			return &SendError{Server: addr, Step: "OAuth2 sign-in", Temporary: !IsSignInNeeded(err), Err: err}
		}
		pw = tok
	} else if s.cfg.Username != "" {
		var err error
		if pw, err = readSecret(s.cfg.PasswordFile, s.cfg.PasswordEnv); err != nil {
			return permanent("read password", err)
		}
	}

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	conn, err := s.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fail("connect", err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}

	host, _, _ := net.SplitHostPort(addr)
	var tlsCfg *tls.Config
	if s.tlsConfig != nil {
		tlsCfg = s.tlsConfig.Clone()
	} else {
		tlsCfg = &tls.Config{}
	}
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName = host
	}

	var c *smtp.Client
	switch s.cfg.TLS {
	case TLSImplicit:
		tc := tls.Client(conn, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail("TLS handshake", err)
		}
		c = smtp.NewClient(tc)
	case TLSStartTLS:
		c, err = smtp.NewClientStartTLS(conn, tlsCfg)
		if err != nil {
			return fail("STARTTLS", err)
		}
		// The TLS handshake happens on the next command: make it this EHLO,
		// so that a certificate problem is reported as STARTTLS.
		if err := c.Hello("localhost"); err != nil {
			c.Close()
			return fail("STARTTLS", err)
		}
	default:
		c = smtp.NewClient(conn)
	}
	defer c.Close()

	switch {
	case s.cfg.Auth == AuthOAuth2 && s.cfg.OAuth2Mechanism == "oauthbearer":
		if err := c.Auth(sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: s.cfg.Username, Token: pw})); err != nil {
			s.oauth2.Forget()
			return fail("AUTH OAUTHBEARER as "+s.cfg.Username, err)
		}
	case s.cfg.Auth == AuthOAuth2:
		if err := c.Auth(NewXOAUTH2Client(s.cfg.Username, pw)); err != nil {
			s.oauth2.Forget()
			return fail("AUTH XOAUTH2 as "+s.cfg.Username, err)
		}
	case s.cfg.Username != "":
		if err := c.Auth(sasl.NewPlainClient("", s.cfg.Username, pw)); err != nil {
			return fail("AUTH PLAIN as "+s.cfg.Username, err)
		}
	}
	if err := c.Mail(s.from, nil); err != nil {
		return fail("MAIL FROM <"+s.from+">", err)
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			return fail("RCPT TO <"+r+">", err)
		}
	}
	if beforeData != nil {
		if err := beforeData(); err != nil {
			return &SendError{Server: addr, Step: "record", Temporary: true, Err: err}
		}
	}
	w, err := c.Data()
	if err != nil {
		return fail("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fail("DATA", err)
	}
	if !bytes.HasSuffix(msg, []byte("\n")) {
		if _, err := w.Write([]byte("\r\n")); err != nil {
			return fail("DATA", err)
		}
	}
	if err := w.Close(); err != nil {
		return fail("end of DATA", err)
	}
	// The message is accepted; a failed QUIT changes nothing.
	if err := c.Quit(); err != nil {
		s.log.Debug("smtp QUIT failed after the message was accepted", "server", addr, "err", err)
	}
	s.log.Info("mail sent", "server", addr, "rcpts", len(to), "bytes", len(msg))
	return nil
}
