package mailtest_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/foiwatch/foiwatch/mailbox/mailtest"
)

var raw = []byte("From: a@example.org\r\nSubject: hello\r\n\r\nbody\r\n")

func TestMemServerStoresAppendedMail(t *testing.T) {
	s, err := mailtest.NewMemServer("alice", "secret")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.CreateFolder("Processed"); err != nil {
		t.Fatal(err)
	}
	for _, folder := range []string{"INBOX", "Processed"} {
		if err := s.Append(folder, raw); err != nil {
			t.Fatal(err)
		}
		msgs, err := s.Messages(folder)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 || !bytes.Equal(msgs[0].Raw, raw) || msgs[0].Seen() {
			t.Fatalf("%s: %+v", folder, msgs)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestDovecotKeepsMailAcrossRestart(t *testing.T) {
	d := mailtest.StartDovecot(t, nil)
	uid := d.Append(t, "INBOX", raw)
	d.Restart(t)
	msgs := d.Messages(t, "INBOX")
	if len(msgs) != 1 || msgs[0].UID != uid || !bytes.Equal(msgs[0].Raw, raw) {
		t.Fatalf("after restart: %+v (appended UID %d)", msgs, uid)
	}
	if d.TLSAddr() != "" || d.RootCAs() != nil {
		t.Error("TLS address or roots without DovecotOptions.TLS")
	}
}

func TestSMTPSinkRecordsAndFails(t *testing.T) {
	sink, err := mailtest.NewSMTPSink(&mailtest.SinkOptions{Username: "u", Password: "p", FailNext: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	send := func() error {
		c, err := smtp.Dial(sink.Addr())
		if err != nil {
			return err
		}
		defer c.Close()
		if err := c.Auth(sasl.NewPlainClient("", "u", "p")); err != nil {
			return err
		}
		return c.SendMail("from@example.org", []string{"to@example.org"}, bytes.NewReader(raw))
	}
	err = send()
	if se, ok := err.(*smtp.SMTPError); !ok || se.Code != 451 {
		t.Fatalf("first send = %v, want 451", err)
	}
	if err := send(); err != nil {
		t.Fatal(err)
	}
	msgs := sink.WaitMessages(1, 5*time.Second)
	if len(msgs) != 1 || msgs[0].From != "from@example.org" || msgs[0].AuthUser != "u" || !bytes.Equal(msgs[0].Data, raw) {
		t.Fatalf("messages = %+v", msgs)
	}
}
