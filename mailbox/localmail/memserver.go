package localmail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/emersion/go-sasl"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// MemServer is an in-memory IMAP server on a loopback port, plaintext, with
// one user and an INBOX. It advertises IMAP4rev2 (so IDLE, MOVE, UIDPLUS).
type MemServer struct {
	srv      *imapserver.Server
	ln       net.Listener
	user     *imapmemserver.User
	username string
	password string

	mu          sync.Mutex
	oauth2Token string
	huge        map[hugeKey]hugeMsg // messages that claim to be larger than they are
	hugeSent    atomic.Int64        // bytes of huge messages' bodies sent

	closeOnce sync.Once
	closeErr  error
	done      chan struct{}
}

// NewMemServer starts a server on 127.0.0.1 with a random port.
func NewMemServer(username, password string) (*MemServer, error) {
	mem := imapmemserver.New()
	user := imapmemserver.NewUser(username, password)
	if err := user.Create("INBOX", nil); err != nil {
		return nil, fmt.Errorf("localmail: create INBOX: %w", err)
	}
	mem.AddUser(user)
	s := &MemServer{user: user, username: username, password: password, done: make(chan struct{}), huge: map[hugeKey]hugeMsg{}}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &memSession{SessionIMAP4rev2: mem.NewSession().(imapserver.SessionIMAP4rev2), srv: s}, nil, nil
		},
		Caps: imap.CapSet{
			imap.CapIMAP4rev1: {},
			imap.CapIMAP4rev2: {},
		},
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
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

// Addr is the server's host:port (plaintext IMAP).
func (s *MemServer) Addr() string { return s.ln.Addr().String() }

// Username and Password are the credentials the server accepts.
func (s *MemServer) Username() string { return s.username }
func (s *MemServer) Password() string { return s.password }

// Append stores raw in folder, as if it had been delivered. Idling clients
// are told about it.
func (s *MemServer) Append(folder string, raw []byte) error {
	_, err := s.user.Append(folder, literal{bytes.NewReader(raw)}, &imap.AppendOptions{})
	if err != nil {
		return fmt.Errorf("localmail: append to %s: %w", folder, err)
	}
	return nil
}

// AppendUID is Append that also returns the new message's UID.
func (s *MemServer) AppendUID(folder string, raw []byte) (uint32, error) {
	data, err := s.user.Append(folder, literal{bytes.NewReader(raw)}, &imap.AppendOptions{})
	if err != nil {
		return 0, fmt.Errorf("localmail: append to %s: %w", folder, err)
	}
	return uint32(data.UID), nil
}

// CreateFolder creates a folder.
func (s *MemServer) CreateFolder(name string) error {
	if err := s.user.Create(name, nil); err != nil {
		return fmt.Errorf("localmail: create %s: %w", name, err)
	}
	return nil
}

// DeleteFolder deletes a folder with its messages.
func (s *MemServer) DeleteFolder(name string) error {
	if err := s.user.Delete(name); err != nil {
		return fmt.Errorf("localmail: delete %s: %w", name, err)
	}
	return nil
}

// RecreateFolder deletes the folder with its messages and creates it again
// empty, under a new UIDVALIDITY.
func (s *MemServer) RecreateFolder(name string) error {
	if err := s.user.Delete(name); err != nil {
		return fmt.Errorf("localmail: delete %s: %w", name, err)
	}
	return s.CreateFolder(name)
}

// Messages lists the messages of folder over IMAP (read-only, without
// setting \Seen).
func (s *MemServer) Messages(folder string) ([]StoredMessage, error) {
	return ListMessages(s.Addr(), nil, s.username, s.password, folder)
}

// Close stops the server and closes every connection.
func (s *MemServer) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = s.srv.Close()
		<-s.done
		if errors.Is(s.closeErr, net.ErrClosed) {
			s.closeErr = nil
		}
	})
	return s.closeErr
}

type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return l.Reader.Size() }

// SetOAuth2Token makes the server offer AUTHENTICATE XOAUTH2 and accept
// token (as a bearer token for its user); "" turns XOAUTH2 off again.
func (s *MemServer) SetOAuth2Token(token string) {
	s.mu.Lock()
	s.oauth2Token = token
	s.mu.Unlock()
}

func (s *MemServer) token() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.oauth2Token
}

// memSession adds SASL PLAIN and XOAUTH2 to imapmemserver's session, and
// serves the messages of AppendHuge.
type memSession struct {
	imapserver.SessionIMAP4rev2
	srv      *MemServer
	selected string
}

var _ imapserver.SessionSASL = (*memSession)(nil)

func (m *memSession) AuthenticateMechanisms() []string {
	if m.srv.token() != "" {
		return []string{sasl.Plain, "XOAUTH2"}
	}
	return []string{sasl.Plain}
}

var errAuthFailed = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed, Text: "Authentication failed"}

func (m *memSession) Authenticate(mech string) (sasl.Server, error) {
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return errAuthFailed
			}
			return m.Login(username, password)
		}), nil
	case "XOAUTH2":
		want := m.srv.token()
		if want == "" {
			break
		}
		return &xoauth2Server{check: func(user, token string) error {
			if token != want {
				return errAuthFailed
			}
			return m.Login(user, m.srv.password)
		}}, nil
	}
	return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "SASL mechanism not supported"}
}

// xoauth2Server reads "user=U\x01auth=Bearer T\x01\x01".
type xoauth2Server struct {
	check   func(user, token string) error
	started bool
}

func (x *xoauth2Server) Next(resp []byte) (challenge []byte, done bool, err error) {
	if resp == nil && !x.started {
		x.started = true
		return []byte{}, false, nil // ask for the initial response
	}
	x.started = true
	var user, token string
	for _, kv := range strings.Split(string(resp), "\x01") {
		switch {
		case strings.HasPrefix(kv, "user="):
			user = strings.TrimPrefix(kv, "user=")
		case strings.HasPrefix(kv, "auth=Bearer "):
			token = strings.TrimPrefix(kv, "auth=Bearer ")
		}
	}
	if user == "" || token == "" || !strings.HasSuffix(string(resp), "\x01\x01") {
		return nil, true, &imap.Error{Type: imap.StatusResponseTypeBad, Text: "malformed XOAUTH2 response"}
	}
	return nil, true, x.check(user, token)
}
