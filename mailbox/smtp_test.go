package mailbox_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/mailbox"
	"github.com/foiwatch/foiwatch/mailbox/mailtest"
)

const reminder = "From: foiwatch <researcher@example.org>\r\n" +
	"To: researcher@example.org\r\n" +
	"Subject: 3 FOI replies are late\r\n" +
	"\r\n" +
	"Thames Valley OPCC is 4 working days late.\r\n"

func startSink(t *testing.T, opts *mailtest.SinkOptions) *mailtest.SMTPSink {
	t.Helper()
	sink, err := mailtest.NewSMTPSink(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	return sink
}

func newSender(t *testing.T, sink *mailtest.SMTPSink, password string) *mailbox.Sender {
	t.Helper()
	logger, _ := testLogger(t)
	s, err := mailbox.NewSender(mailbox.SMTPConfig{
		Address:      sink.Addr(),
		TLS:          mailbox.TLSNone,
		Insecure:     true,
		Username:     "researcher",
		PasswordFile: writeSecret(t, password),
		From:         "foiwatch <researcher@example.org>",
	}, &mailbox.SenderOptions{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSenderDeliversWithAuthPlain(t *testing.T) {
	sink := startSink(t, &mailtest.SinkOptions{Username: "researcher", Password: "smtp-secret"})
	s := newSender(t, sink, "smtp-secret")
	to := []string{"researcher@example.org", "colleague@example.org"}
	if err := s.Send(ctxTimeout(t, time.Minute), to, []byte(reminder)); err != nil {
		t.Fatal(err)
	}
	msgs := sink.Messages()
	if len(msgs) != 1 {
		t.Fatalf("sink has %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.From != "researcher@example.org" || strings.Join(m.To, ",") != strings.Join(to, ",") || m.AuthUser != "researcher" {
		t.Errorf("envelope = from %q to %v auth %q", m.From, m.To, m.AuthUser)
	}
	if !bytes.Equal(m.Data, []byte(reminder)) {
		t.Errorf("data = %q, want %q", m.Data, reminder)
	}
}

func TestSenderErrorsSayTemporaryOrPermanent(t *testing.T) {
	tests := []struct {
		name      string
		password  string
		failNext  int
		step      string
		temporary bool
		code      int
	}{
		{"4xx at end of DATA is temporary", "smtp-secret", 1, "end of DATA", true, 451},
		{"wrong password is permanent", "wrong-password", 0, "AUTH PLAIN as researcher", false, 535},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := startSink(t, &mailtest.SinkOptions{Username: "researcher", Password: "smtp-secret", FailNext: tt.failNext})
			s := newSender(t, sink, tt.password)
			err := s.Send(ctxTimeout(t, time.Minute), []string{"researcher@example.org"}, []byte(reminder))
			var se *mailbox.SendError
			if !errors.As(err, &se) {
				t.Fatalf("Send = %v, want a *SendError", err)
			}
			if se.Temporary != tt.temporary || se.Step != tt.step || se.Code != tt.code || se.Server != sink.Addr() {
				t.Errorf("SendError = %+v, want step %q temporary %v code %d", se, tt.step, tt.temporary, tt.code)
			}
			if !strings.Contains(err.Error(), "smtp "+sink.Addr()+": "+tt.step) {
				t.Errorf("error %q does not name the server and the step", err)
			}
			if strings.Contains(err.Error(), tt.password) {
				t.Errorf("error %q contains the password", err)
			}
			if tt.temporary {
				// The retry goes through.
				if err := s.Send(ctxTimeout(t, time.Minute), []string{"researcher@example.org"}, []byte(reminder)); err != nil {
					t.Fatalf("retry: %v", err)
				}
				if n := len(sink.Messages()); n != 1 {
					t.Errorf("sink has %d messages after the retry, want 1", n)
				}
			}
		})
	}
}

func TestSenderNetworkErrorIsTemporary(t *testing.T) {
	sink := startSink(t, nil)
	s := newSender(t, sink, "x")
	sink.Close()
	err := s.Send(ctxTimeout(t, time.Minute), []string{"a@example.org"}, []byte(reminder))
	var se *mailbox.SendError
	if !errors.As(err, &se) || !se.Temporary || se.Step != "connect" {
		t.Fatalf("Send to a closed port = %v, want a temporary connect error", err)
	}
}

func TestSenderWithoutAuthAndCancelledContext(t *testing.T) {
	sink := startSink(t, nil)
	logger, _ := testLogger(t)
	s, err := mailbox.NewSender(mailbox.SMTPConfig{Address: sink.Addr(), TLS: "none", From: "r@example.org"}, &mailbox.SenderOptions{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(ctxTimeout(t, time.Minute), []string{"a@example.org"}, []byte(reminder)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Send(ctx, []string{"a@example.org"}, []byte(reminder)); err == nil {
		t.Fatal("Send with a cancelled context succeeded")
	}
	if err := s.Send(context.Background(), nil, []byte(reminder)); err == nil {
		t.Fatal("Send without recipients succeeded")
	}
}

func TestSenderSTARTTLS(t *testing.T) {
	cert, err := mailtest.NewCert()
	if err != nil {
		t.Fatal(err)
	}
	sink := startSink(t, &mailtest.SinkOptions{Username: "researcher", Password: "smtp-secret", TLS: cert.TLS})
	logger, _ := testLogger(t)
	cfg := mailbox.SMTPConfig{
		Address:      sink.Addr(),
		Username:     "researcher",
		PasswordFile: writeSecret(t, "smtp-secret"),
		From:         "foiwatch <researcher@example.org>",
	} // tls defaults to starttls
	tests := []struct {
		name    string
		tls     *tls.Config
		wantErr bool
	}{
		{"trusted certificate", &tls.Config{RootCAs: cert.RootCAs}, false},
		{"untrusted certificate is a permanent error", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := mailbox.NewSender(cfg, &mailbox.SenderOptions{TLSConfig: tt.tls, Logger: logger})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(ctxTimeout(t, time.Minute), []string{"researcher@example.org"}, []byte(reminder))
			if !tt.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var se *mailbox.SendError
			if !errors.As(err, &se) || se.Temporary || se.Step != "STARTTLS" {
				t.Fatalf("Send = %v, want a permanent STARTTLS error", err)
			}
		})
	}
}
