package mailbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/internal/conf"
	"github.com/foiwatch/foiwatch/mailbox"
)

func TestSyncOnceFetchesEveryMessageOnce(t *testing.T) {
	forEachPeer(t, func(t *testing.T, p *peer) {
		ctx := ctxTimeout(t, time.Minute)
		var uids []uint32
		for i := 1; i <= 3; i++ {
			uids = append(uids, p.append(t, "INBOX", testMessage(i)))
		}
		cursors, rec := newMemCursors(), newRecorder()
		poller := newPoller(t, p.config(t), cursors, rec, &mailbox.PollerOptions{BatchSize: 2})

		n, err := poller.SyncOnce(ctx)
		if err != nil || n != 3 {
			t.Fatalf("first SyncOnce = %d, %v; want 3, nil", n, err)
		}
		got := rec.messages()
		for i, m := range got {
			if !bytes.Equal(m.Raw, testMessage(i+1)) {
				t.Errorf("message %d: raw differs:\n%q\nwant\n%q", i, m.Raw, testMessage(i+1))
			}
			if m.Mailbox != "foi" || m.Folder != "INBOX" || m.UIDValidity == 0 || m.InternalDate.IsZero() {
				t.Errorf("message %d: %+v", i, *m)
			}
			if uids[i] != 0 && m.UID != uids[i] {
				t.Errorf("message %d: UID %d, want %d", i, m.UID, uids[i])
			}
			if i > 0 && m.UID <= got[i-1].UID {
				t.Errorf("messages not in UID order: %d after %d", m.UID, got[i-1].UID)
			}
		}

		n, err = poller.SyncOnce(ctx)
		if err != nil || n != 0 {
			t.Fatalf("second SyncOnce = %d, %v; want 0, nil", n, err)
		}

		p.append(t, "INBOX", testMessage(4))
		n, err = poller.SyncOnce(ctx)
		if err != nil || n != 1 {
			t.Fatalf("SyncOnce after one APPEND = %d, %v; want 1, nil", n, err)
		}
		got = rec.messages()
		if len(got) != 4 || !bytes.Equal(got[3].Raw, testMessage(4)) {
			t.Fatalf("handler got %d messages, the last not the appended one", len(got))
		}
		if c := cursors.get(t, "INBOX"); c.LastUID != got[3].UID || c.UIDValidity != got[3].UIDValidity {
			t.Errorf("cursor = %+v, want last UID %d under %d", c, got[3].UID, got[3].UIDValidity)
		}
		// after = "none": fetching must not have set \Seen.
		for _, m := range p.list(t, "INBOX") {
			if m.Seen() {
				t.Errorf("UID %d is \\Seen after fetching with after = none", m.UID)
			}
		}
		if st := poller.Status(); st.LastSuccess.IsZero() || st.LastError != "" {
			t.Errorf("Status = %+v, want a last success and no error", st)
		}
	})
}

func TestCursorMovesOnlyAfterHandlerSucceeded(t *testing.T) {
	forEachPeer(t, func(t *testing.T, p *peer) {
		ctx := ctxTimeout(t, time.Minute)
		for i := 1; i <= 5; i++ {
			p.append(t, "INBOX", testMessage(i))
		}
		cursors, rec := newMemCursors(), newRecorder()
		rec.setFail(func(m *mailbox.Message) error {
			if bytes.Equal(m.Raw, testMessage(3)) {
				return errors.New("queue unavailable")
			}
			return nil
		})
		poller := newPoller(t, p.config(t), cursors, rec, nil)

		n, err := poller.SyncOnce(ctx)
		if n != 2 || err == nil {
			t.Fatalf("SyncOnce with a handler failing on the 3rd = %d, %v; want 2 and an error", n, err)
		}
		second := rec.messages()[1]
		want := fmt.Sprintf(`mailbox "foi": handle UID %d of INBOX: queue unavailable`, second.UID+1)
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error = %q, want it to contain %q", err, want)
		}
		if c := cursors.get(t, "INBOX"); c.LastUID != second.UID {
			t.Errorf("cursor at UID %d, want %d (the 2nd message)", c.LastUID, second.UID)
		}
		if st := poller.Status(); !strings.Contains(st.LastError, "queue unavailable") {
			t.Errorf("Status().LastError = %q", st.LastError)
		}

		rec.setFail(nil)
		n, err = poller.SyncOnce(ctx)
		if n != 3 || err != nil {
			t.Fatalf("SyncOnce after the handler recovered = %d, %v; want 3, nil", n, err)
		}
		got := rec.messages()
		for i, m := range got {
			if !bytes.Equal(m.Raw, testMessage(i+1)) {
				t.Errorf("handled message %d is not message %d", i, i+1)
			}
		}
	})
}

func TestUIDValidityChangeRescansFolder(t *testing.T) {
	forEachPeer(t, func(t *testing.T, p *peer) {
		ctx := ctxTimeout(t, time.Minute)
		p.create(t, "Replies")
		for i := 1; i <= 2; i++ {
			p.append(t, "Replies", testMessage(i))
		}
		cfg := p.config(t)
		cfg.Folders = []string{"Replies"}
		cursors, rec := newMemCursors(), newRecorder()
		logger, logs := testLogger(t)
		poller := newPoller(t, cfg, cursors, rec, &mailbox.PollerOptions{Logger: logger})
		if n, err := poller.SyncOnce(ctx); n != 2 || err != nil {
			t.Fatalf("SyncOnce = %d, %v; want 2, nil", n, err)
		}
		before := cursors.get(t, "Replies")

		// Same messages, new UIDVALIDITY, UIDs from 1 again: without a
		// rescan they would all look old (UID ≤ last UID).
		p.recreate(t, "Replies")
		for i := 1; i <= 2; i++ {
			p.append(t, "Replies", testMessage(i))
		}
		n, err := poller.SyncOnce(ctx)
		if n != 2 || err != nil {
			t.Fatalf("SyncOnce after UIDVALIDITY changed = %d, %v; want 2, nil", n, err)
		}
		after := cursors.get(t, "Replies")
		if after.UIDValidity == before.UIDValidity {
			t.Fatalf("UIDVALIDITY did not change (%d): the test server did not renumber", after.UIDValidity)
		}
		if !strings.Contains(logs.String(), "UIDVALIDITY changed") {
			t.Errorf("no warning about the UIDVALIDITY change in the log")
		}
		if n, err := poller.SyncOnce(ctx); n != 0 || err != nil {
			t.Errorf("third SyncOnce = %d, %v; want 0, nil", n, err)
		}
	})
}

func TestAfterActionsRunOnlyOnStoredMessages(t *testing.T) {
	tests := []struct {
		name  string
		after string
		check func(t *testing.T, p *peer)
	}{
		{"seen sets the Seen flag", "seen", func(t *testing.T, p *peer) {
			msgs := p.list(t, "INBOX")
			if len(msgs) != 3 {
				t.Fatalf("INBOX has %d messages, want 3", len(msgs))
			}
			for i, m := range msgs {
				if want := i != 2; m.Seen() != want { // the 3rd was refused by the handler
					t.Errorf("message %d: seen = %v, want %v", i+1, m.Seen(), want)
				}
			}
		}},
		{"move:Processed moves into Processed", "move:Processed", func(t *testing.T, p *peer) {
			if msgs := p.list(t, "INBOX"); len(msgs) != 1 || !bytes.Equal(msgs[0].Raw, testMessage(3)) {
				t.Errorf("INBOX has %d messages, want only the refused 3rd", len(msgs))
			}
			moved := p.list(t, "Processed")
			if len(moved) != 2 || !bytes.Equal(moved[0].Raw, testMessage(1)) || !bytes.Equal(moved[1].Raw, testMessage(2)) {
				t.Errorf("Processed has %d messages, want messages 1 and 2", len(moved))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachPeer(t, func(t *testing.T, p *peer) {
				ctx := ctxTimeout(t, time.Minute)
				p.create(t, "Processed")
				for i := 1; i <= 3; i++ {
					p.append(t, "INBOX", testMessage(i))
				}
				cfg := p.config(t)
				cfg.After = tt.after
				cursors, rec := newMemCursors(), newRecorder()
				rec.setFail(func(m *mailbox.Message) error {
					if bytes.Equal(m.Raw, testMessage(3)) {
						return errors.New("refused")
					}
					return nil
				})
				poller := newPoller(t, cfg, cursors, rec, nil)
				if n, err := poller.SyncOnce(ctx); n != 2 || err == nil {
					t.Fatalf("SyncOnce = %d, %v; want 2 and the handler's error", n, err)
				}
				tt.check(t, p)

				rec.setFail(nil)
				if n, err := poller.SyncOnce(ctx); n != 1 || err != nil {
					t.Fatalf("SyncOnce after the handler recovered = %d, %v; want 1, nil", n, err)
				}
				if n, err := poller.SyncOnce(ctx); n != 0 || err != nil {
					t.Fatalf("last SyncOnce = %d, %v; want 0, nil", n, err)
				}
			})
		})
	}
}

func TestRunPicksUpNewMailWithIDLE(t *testing.T) {
	forEachPeer(t, func(t *testing.T, p *peer) {
		p.append(t, "INBOX", testMessage(1))
		cfg := p.config(t)
		cfg.PollInterval = conf.Duration{Duration: time.Hour} // only IDLE can see the new mail in time
		cursors, rec := newMemCursors(), newRecorder()
		poller := newPoller(t, cfg, cursors, rec, nil)

		stop := startRun(t, poller)

		rec.waitFor(t, 1, 20*time.Second)
		waitUntil(t, 10*time.Second, "Status().Connected", func() bool { return poller.Status().Connected })
		time.Sleep(200 * time.Millisecond) // let IDLE start; a race here is covered by the re-sync anyway
		p.append(t, "INBOX", testMessage(2))
		got := rec.waitFor(t, 2, 20*time.Second)
		if !bytes.Equal(got[1].Raw, testMessage(2)) {
			t.Errorf("second message is not the appended one")
		}

		if err := stop(); err != nil {
			t.Errorf("Run returned %v after cancel, want nil", err)
		}
		if poller.Status().Connected {
			t.Error("Status().Connected after Run returned")
		}
	})
}

func TestRunPollsWhenIDLEIsOff(t *testing.T) {
	p := startMemPeer(t)
	cfg := p.config(t)
	off := false
	cfg.IDLE = &off
	cfg.PollInterval = conf.Duration{Duration: time.Second}
	cursors, rec := newMemCursors(), newRecorder()
	poller := newPoller(t, cfg, cursors, rec, nil)
	startRun(t, poller)

	waitUntil(t, 10*time.Second, "first sync", func() bool { return !poller.Status().LastSuccess.IsZero() })
	p.append(t, "INBOX", testMessage(1))
	rec.waitFor(t, 1, 20*time.Second)
}

func TestRunReconnectsAfterServerRestart(t *testing.T) {
	p, poller, rec, logs := connectedDovecotPoller(t)

	p.dovecot.Stop(t)
	waitUntil(t, 20*time.Second, "disconnected after the server stopped", func() bool { return !poller.Status().Connected })
	p.dovecot.Start(t)
	p.append(t, "INBOX", testMessage(2))
	got := rec.waitFor(t, 2, 60*time.Second)
	if !bytes.Equal(got[1].Raw, testMessage(2)) {
		t.Errorf("second message is not the one appended after the restart")
	}
	if !strings.Contains(logs.String(), "reconnecting") {
		t.Errorf("no reconnect in the log")
	}
	waitUntil(t, 10*time.Second, "LastError cleared", func() bool { return poller.Status().LastError == "" })
}

func TestTLSModesAgainstDovecot(t *testing.T) {
	p := startDovecotPeer(t)
	p.append(t, "INBOX", testMessage(1))
	tests := []struct {
		name, tls, addr string
	}{
		{"implicit TLS", mailbox.TLSImplicit, p.tlsAddr},
		{"STARTTLS", mailbox.TLSStartTLS, p.addr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := p.config(t)
			cfg.TLS, cfg.Address = tt.tls, tt.addr
			rec := newRecorder()
			poller := newPoller(t, cfg, newMemCursors(), rec, &mailbox.PollerOptions{TLSConfig: p.tlsConfig})
			if n, err := poller.SyncOnce(ctxTimeout(t, time.Minute)); n != 1 || err != nil {
				t.Fatalf("SyncOnce = %d, %v; want 1, nil", n, err)
			}
		})
	}
	t.Run("untrusted certificate is refused", func(t *testing.T) {
		cfg := p.config(t)
		cfg.TLS, cfg.Address = mailbox.TLSImplicit, p.tlsAddr
		poller := newPoller(t, cfg, newMemCursors(), newRecorder(), nil) // system roots
		_, err := poller.SyncOnce(ctxTimeout(t, time.Minute))
		if err == nil || !strings.Contains(err.Error(), "TLS handshake") {
			t.Fatalf("SyncOnce with an untrusted certificate: %v; want a TLS handshake error", err)
		}
	})
}

func TestXOAUTH2ReadsTokenOnEveryConnection(t *testing.T) {
	p := startMemPeer(t)
	p.append(t, "INBOX", testMessage(1))
	p.memServer.SetOAuth2Token("token-one")
	cfg := p.config(t)
	cfg.PasswordFile = ""
	cfg.OAuth2TokenFile = writeSecret(t, "token-one")
	logger, logs := testLogger(t)
	poller := newPoller(t, cfg, newMemCursors(), newRecorder(), &mailbox.PollerOptions{Logger: logger})
	ctx := ctxTimeout(t, time.Minute)
	if n, err := poller.SyncOnce(ctx); n != 1 || err != nil {
		t.Fatalf("SyncOnce with XOAUTH2 = %d, %v; want 1, nil", n, err)
	}

	// The server now wants a new token; the file is rotated: no restart.
	p.memServer.SetOAuth2Token("token-two")
	if err := writeFile(cfg.OAuth2TokenFile, "token-two\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := poller.SyncOnce(ctx); err != nil {
		t.Fatalf("SyncOnce after the token file was rotated: %v", err)
	}

	p.memServer.SetOAuth2Token("token-three")
	_, err := poller.SyncOnce(ctx)
	if !mailbox.IsAuthFailure(err) {
		t.Fatalf("SyncOnce with a stale token: %v; want an authentication failure", err)
	}
	for _, secret := range []string{"token-two", "token-three"} {
		if strings.Contains(err.Error(), secret) || strings.Contains(logs.String(), secret) {
			t.Errorf("the token %q appears in an error or the log", secret)
		}
	}
}

func TestXOAUTH2InitialResponse(t *testing.T) {
	c := mailbox.NewXOAUTH2Client("someone@example.org", "ya29.token")
	mech, ir, err := c.Start()
	if err != nil {
		t.Fatal(err)
	}
	if mech != "XOAUTH2" {
		t.Errorf("mechanism = %q", mech)
	}
	if want := "user=someone@example.org\x01auth=Bearer ya29.token\x01\x01"; string(ir) != want {
		t.Errorf("initial response = %q, want %q", ir, want)
	}
	// The server's error challenge is answered with an empty response.
	resp, err := c.Next([]byte(`{"status":"401","schemes":"bearer"}`))
	if err != nil || len(resp) != 0 {
		t.Errorf("Next = %q, %v; want an empty response", resp, err)
	}
}

func TestPasswordNeverInLogsOrErrors(t *testing.T) {
	const password = "correct-horse-battery-staple"
	forEachPeer(t, func(t *testing.T, p *peer) {
		ctx := ctxTimeout(t, time.Minute)
		p.append(t, "INBOX", testMessage(1))
		logger, logs := testLogger(t)

		// A wrong password: the server refuses it.
		cfg := p.config(t)
		cfg.PasswordFile = writeSecret(t, password)
		poller := newPoller(t, cfg, newMemCursors(), newRecorder(), &mailbox.PollerOptions{Logger: logger})
		_, err := poller.SyncOnce(ctx)
		if !mailbox.IsAuthFailure(err) {
			t.Fatalf("SyncOnce with a wrong password: %v; want an authentication failure", err)
		}
		if !strings.Contains(err.Error(), `mailbox "foi": log in as `+p.user) {
			t.Errorf("error = %q, want it to say who failed to log in", err)
		}

		// The right password, with debug logging.
		cfg = p.config(t)
		poller = newPoller(t, cfg, newMemCursors(), newRecorder(), &mailbox.PollerOptions{Logger: logger})
		if _, err := poller.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}

		// Run with the wrong password logs the failure and a long pause.
		cfg.PasswordFile = writeSecret(t, password)
		poller = newPoller(t, cfg, newMemCursors(), newRecorder(), &mailbox.PollerOptions{Logger: logger})
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- poller.Run(rctx) }()
		waitUntil(t, 20*time.Second, "an authentication failure in the log", func() bool {
			return strings.Contains(logs.String(), "authentication failed")
		})
		cancel()
		<-done
		if !regexp.MustCompile(`retry_in=([7-9]m|1[0-5]m)`).MatchString(logs.String()) {
			t.Errorf("authentication failure not followed by a long pause (7.5m–15m)")
		}
		if st := poller.Status(); st.LastError == "" || strings.Contains(st.LastError, password) {
			t.Errorf("Status().LastError = %q", st.LastError)
		}

		for _, text := range []string{err.Error(), logs.String(), p.pass} {
			if strings.Contains(text, password) {
				t.Fatalf("the password appears in %q", text)
			}
		}
		if strings.Contains(logs.String(), "="+p.pass+" ") || strings.Contains(logs.String(), `"`+p.pass+`"`) {
			t.Errorf("the real password appears in the log")
		}
	})
}

func TestMissingSecretNamesTheFileNotTheContent(t *testing.T) {
	p := startMemPeer(t)
	cfg := p.config(t)
	cfg.PasswordFile = "/nonexistent/foiwatch-imap-password"
	poller := newPoller(t, cfg, newMemCursors(), newRecorder(), nil)
	_, err := poller.SyncOnce(ctxTimeout(t, time.Minute))
	if err == nil || !strings.Contains(err.Error(), `mailbox "foi": password_file: read secret: open /nonexistent/foiwatch-imap-password`) {
		t.Fatalf("error = %v", err)
	}
	cfg.PasswordFile, cfg.PasswordEnv = "", "FOIWATCH_TEST_UNSET_VARIABLE"
	poller = newPoller(t, cfg, newMemCursors(), newRecorder(), nil)
	_, err = poller.SyncOnce(ctxTimeout(t, time.Minute))
	if err == nil || !strings.Contains(err.Error(), "environment variable FOIWATCH_TEST_UNSET_VARIABLE is not set") {
		t.Fatalf("error = %v", err)
	}
}

func TestSinceSkipsOlderMessages(t *testing.T) {
	p := startMemPeer(t)
	p.append(t, "INBOX", testMessage(1))
	cfg := p.config(t)
	cfg.Since = time.Now().AddDate(0, 0, 2).Format(time.DateOnly) // in the future: nothing qualifies
	poller := newPoller(t, cfg, newMemCursors(), newRecorder(), nil)
	if n, err := poller.SyncOnce(ctxTimeout(t, time.Minute)); n != 0 || err != nil {
		t.Fatalf("SyncOnce with since in the future = %d, %v; want 0, nil", n, err)
	}
	cfg.Since = time.Now().AddDate(0, 0, -2).Format(time.DateOnly)
	poller = newPoller(t, cfg, newMemCursors(), newRecorder(), nil)
	if n, err := poller.SyncOnce(ctxTimeout(t, time.Minute)); n != 1 || err != nil {
		t.Fatalf("SyncOnce with since two days ago = %d, %v; want 1, nil", n, err)
	}
}

func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startRun runs poller.Run in the background. The returned stop cancels it
// and waits (at most 15 s) for Run to return; it is also registered as a
// cleanup.
func startRun(t *testing.T, poller *mailbox.Poller) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- poller.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(15 * time.Second):
				err = errors.New("Run did not return 15s after its context was cancelled")
				t.Error(err)
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}
