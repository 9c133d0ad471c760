package localmail

import (
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SetOAuth2Token changes the bearer token the sink accepts ("" turns
// XOAUTH2 and OAUTHBEARER off), as a provider's new access token would.
func (s *SMTPSink) SetOAuth2Token(token string) {
	s.mu.Lock()
	s.oauth2 = token
	s.mu.Unlock()
}

func (s *SMTPSink) token() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.oauth2
}

// oauth2Server is the SASL server of XOAUTH2 or OAUTHBEARER, or nil for
// another mechanism or when the sink has no token.
func (ss *sinkSession) oauth2Server(mech string) sasl.Server {
	want := ss.sink.token()
	if want == "" || ss.sink.opts.Username == "" {
		return nil
	}
	check := func(user, token string) bool {
		if user != ss.sink.opts.Username || token != want {
			return false
		}
		ss.authUser = user
		return true
	}
	switch mech {
	case "XOAUTH2":
		return &smtpXOAUTH2{check: check}
	case sasl.OAuthBearer:
		return sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if !check(o.Username, o.Token) {
				return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
			}
			return nil
		})
	}
	return nil
}

// smtpXOAUTH2 reads "user=U\x01auth=Bearer T\x01\x01"; a wrong token gets
// the error challenge Google and Microsoft send, then 535.
type smtpXOAUTH2 struct {
	check  func(user, token string) bool
	failed bool
}

func (x *smtpXOAUTH2) Next(resp []byte) ([]byte, bool, error) {
	if x.failed {
		return nil, true, smtp.ErrAuthFailed
	}
	if resp == nil {
		return []byte{}, false, nil
	}
	var user, token string
	for _, kv := range strings.Split(string(resp), "\x01") {
		switch {
		case strings.HasPrefix(kv, "user="):
			user = strings.TrimPrefix(kv, "user=")
		case strings.HasPrefix(kv, "auth=Bearer "):
			token = strings.TrimPrefix(kv, "auth=Bearer ")
		}
	}
	if x.check(user, token) {
		return nil, true, nil
	}
	x.failed = true
	return []byte(`{"status":"401","schemes":"bearer"}`), false, nil
}

// sinkHold makes the sink stop at DATA: see HoldData.
type sinkHold struct {
	after   int // messages still accepted before one is held
	held    chan struct{}
	release chan struct{}
	once    bool
}

// HoldData makes the sink accept n more messages and then hold the next
// one at DATA, without answering, until Release (or Close); the held
// message is then dropped with a 451, as a server that failed before
// storing it would. The returned channel is closed once a message is held:
// a test can then kill the sender while it waits for the server's answer.
func (s *SMTPSink) HoldData(n int) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold = &sinkHold{after: n, held: make(chan struct{}), release: make(chan struct{})}
	return s.hold.held
}

// Release lets a held message go (dropped) and stops holding.
func (s *SMTPSink) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold != nil {
		close(s.hold.release)
		s.hold = nil
	}
}

// waitHold blocks a session at DATA while a hold is on; true when this
// message was held (and must be dropped).
func (s *SMTPSink) waitHold() bool {
	s.mu.Lock()
	h := s.hold
	if h == nil || h.once {
		s.mu.Unlock()
		return false
	}
	if h.after > 0 {
		h.after--
		s.mu.Unlock()
		return false
	}
	h.once = true
	close(h.held)
	s.mu.Unlock()
	select {
	case <-h.release:
	case <-s.done:
	}
	return true
}
