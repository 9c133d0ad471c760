package localmail

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SinkOptions configure an SMTPSink. A nil *SinkOptions accepts anything
// without authentication.
type SinkOptions struct {
	// Username and Password, when Username is set, are required with AUTH
	// PLAIN (allowed over plaintext) before MAIL FROM.
	Username, Password string
	// FailNext answers the next FailNext messages with "451 4.3.0" at the end
	// of DATA (a temporary failure), for retry tests. See also FailNext.
	FailNext int
	// TLS, when set, offers STARTTLS with this server configuration (see
	// mailtest.NewCert).
	TLS *tls.Config
	// OAuth2Token, when set, is a bearer token accepted for Username with
	// AUTH XOAUTH2 and AUTH OAUTHBEARER (see SetOAuth2Token).
	OAuth2Token string
}

// SinkMessage is one message the sink accepted.
type SinkMessage struct {
	From string   // envelope sender
	To   []string // envelope recipients
	Data []byte   // the message as received
	// AuthUser is the user that authenticated, or "".
	AuthUser string
}

// SMTPSink is an SMTP server on a loopback port that records every message.
type SMTPSink struct {
	srv  *smtp.Server
	ln   net.Listener
	opts SinkOptions

	mu       sync.Mutex
	msgs     []SinkMessage
	failNext int
	notify   chan struct{}
	oauth2   string
	hold     *sinkHold

	done      chan struct{}
	closeOnce sync.Once
}

// NewSMTPSink starts a sink on 127.0.0.1 with a random port.
func NewSMTPSink(opts *SinkOptions) (*SMTPSink, error) {
	s := &SMTPSink{done: make(chan struct{}), notify: make(chan struct{})}
	if opts != nil {
		s.opts = *opts
	}
	s.failNext = s.opts.FailNext
	s.oauth2 = s.opts.OAuth2Token
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &sinkSession{sink: s}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.TLSConfig = s.opts.TLS
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 64 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("localmail: listen: %w", err)
	}
	s.srv, s.ln = srv, ln
	go func() {
		defer close(s.done)
		_ = srv.Serve(ln)
	}()
	return s, nil
}

// Addr is the sink's host:port.
func (s *SMTPSink) Addr() string { return s.ln.Addr().String() }

// Messages returns a copy of what was received so far, in order.
func (s *SMTPSink) Messages() []SinkMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SinkMessage(nil), s.msgs...)
}

// FailNext makes the next n messages fail with a 451 at the end of DATA.
func (s *SMTPSink) FailNext(n int) {
	s.mu.Lock()
	s.failNext = n
	s.mu.Unlock()
}

// WaitMessages waits until at least n messages arrived or timeout passed,
// and returns what arrived.
func (s *SMTPSink) WaitMessages(n int, timeout time.Duration) []SinkMessage {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		got, ch := len(s.msgs), s.notify
		s.mu.Unlock()
		if got >= n {
			return s.Messages()
		}
		select {
		case <-ch:
		case <-deadline:
			return s.Messages()
		}
	}
}

// Close stops the sink.
func (s *SMTPSink) Close() error {
	var err error
	s.closeOnce.Do(func() {
		err = s.srv.Close()
		s.ln.Close() // in case Serve had not registered it yet
		<-s.done
		if errors.Is(err, smtp.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
			err = nil
		}
	})
	return err
}

type sinkSession struct {
	sink     *SMTPSink
	authUser string
	from     string
	to       []string
}

var _ smtp.AuthSession = (*sinkSession)(nil)

func (ss *sinkSession) AuthMechanisms() []string {
	if ss.sink.opts.Username == "" {
		return nil
	}
	if ss.sink.token() != "" {
		return []string{sasl.Plain, "XOAUTH2", sasl.OAuthBearer}
	}
	return []string{sasl.Plain}
}

func (ss *sinkSession) Auth(mech string) (sasl.Server, error) {
	if s := ss.oauth2Server(mech); s != nil {
		return s, nil
	}
	if mech != sasl.Plain || ss.sink.opts.Username == "" {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if identity != "" && identity != username {
			return smtp.ErrAuthFailed
		}
		if username != ss.sink.opts.Username || password != ss.sink.opts.Password {
			return smtp.ErrAuthFailed
		}
		ss.authUser = username
		return nil
	}), nil
}

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.sink.opts.Username != "" && ss.authUser == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	if ss.sink.waitHold() {
		io.Copy(io.Discard, r)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "localmail: held message dropped"}
	}
	b, err := io.ReadAll(r) // read fully before returning
	if err != nil {
		return err
	}
	s := ss.sink
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failNext > 0 {
		s.failNext--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "localmail: temporary failure, try again later"}
	}
	s.msgs = append(s.msgs, SinkMessage{From: ss.from, To: append([]string(nil), ss.to...), Data: b, AuthUser: ss.authUser})
	close(s.notify)
	s.notify = make(chan struct{})
	return nil
}

func (ss *sinkSession) Reset() {
	ss.from = ""
	ss.to = nil
}

func (ss *sinkSession) Logout() error { return nil }
