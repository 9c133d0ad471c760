package mailbox_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/internal/conf"
	"github.com/foiwatch/foiwatch/mailbox"
	"github.com/foiwatch/foiwatch/mailbox/mailtest"
)

// Dovecot 2.3's capabilities after login, less MOVE (and, for the second
// list, UIDPLUS): the client must take its fallback path.
const (
	capsNoMove = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS " +
		"THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED " +
		"I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY LITERAL+"
	capsNoMoveNoUIDPlus = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT UNSELECT CHILDREN NAMESPACE " +
		"LIST-EXTENDED CONDSTORE ESEARCH SEARCHRES LITERAL+"
)

func TestAfterMoveFallsBackToCopyDeleteExpungeWithoutMOVE(t *testing.T) {
	tests := []struct {
		name, caps string
		// wantCommands must appear in what the poller sent, never wantNot.
		wantCommands []string
		wantNot      []string
		expunged     bool
	}{
		{"MOVE advertised", "", []string{"UID MOVE"}, []string{"UID COPY", "EXPUNGE"}, true},
		{"no MOVE: COPY, STORE \\Deleted, UID EXPUNGE", capsNoMove,
			[]string{"UID COPY", `UID STORE`, `+FLAGS.SILENT (\Deleted)`, "UID EXPUNGE"}, []string{"UID MOVE"}, true},
		{"neither MOVE nor UIDPLUS: left flagged \\Deleted", capsNoMoveNoUIDPlus,
			[]string{"UID COPY", `+FLAGS.SILENT (\Deleted)`}, []string{"UID MOVE", "EXPUNGE"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mailtest.StartDovecot(t, &mailtest.DovecotOptions{Capability: tt.caps})
			ctx := ctxTimeout(t, time.Minute)
			d.CreateFolder(t, "Processed")
			for i := 1; i <= 3; i++ {
				d.Append(t, "INBOX", testMessage(i))
			}
			proxy := startProxy(t, d.Addr())
			p := &peer{addr: proxy.Addr(), user: d.Username, pass: d.Password}
			cfg := p.config(t)
			cfg.After = "move:Processed"
			cursors, rec := newMemCursors(), newRecorder()
			rec.setFail(func(m *mailbox.Message) error {
				if bytes.Equal(m.Raw, testMessage(3)) {
					return fmt.Errorf("refused")
				}
				return nil
			})
			logger, logs := testLogger(t)
			poller := newPoller(t, cfg, cursors, rec, &mailbox.PollerOptions{Logger: logger})
			if n, err := poller.SyncOnce(ctx); n != 2 || err == nil {
				t.Fatalf("SyncOnce = %d, %v; want 2 and the handler's error", n, err)
			}
			sent := proxy.clientSent()
			for _, c := range tt.wantCommands {
				if !strings.Contains(sent, c) {
					t.Errorf("the poller never sent %q", c)
				}
			}
			for _, c := range tt.wantNot {
				if strings.Contains(sent, c) {
					t.Errorf("the poller sent %q", c)
				}
			}

			moved := d.Messages(t, "Processed")
			if len(moved) != 2 || !bytes.Equal(moved[0].Raw, testMessage(1)) || !bytes.Equal(moved[1].Raw, testMessage(2)) {
				t.Errorf("Processed has %d messages, want messages 1 and 2", len(moved))
			}
			inbox := d.Messages(t, "INBOX")
			var left [][]byte
			for _, m := range inbox {
				deleted := slices.Contains(m.Flags, `\Deleted`)
				if bytes.Equal(m.Raw, testMessage(3)) {
					if deleted {
						t.Errorf("the refused message is flagged \\Deleted")
					}
					continue
				}
				if !deleted {
					t.Errorf("UID %d is still in INBOX and not flagged \\Deleted", m.UID)
				}
				left = append(left, m.Raw)
			}
			if tt.expunged && len(left) != 0 {
				t.Errorf("%d moved messages are still in INBOX, want them expunged", len(left))
			}
			if !tt.expunged {
				if len(left) != 2 {
					t.Errorf("%d moved messages left flagged in INBOX, want 2 (no UIDPLUS: no expunge)", len(left))
				}
				if !strings.Contains(logs.String(), "neither MOVE nor UIDPLUS") {
					t.Errorf("no warning that moved mail is not expunged")
				}
			}

			// The refused message goes on the next sync, and nothing twice.
			rec.setFail(nil)
			if n, err := poller.SyncOnce(ctx); n != 1 || err != nil {
				t.Fatalf("SyncOnce after the handler recovered = %d, %v; want 1, nil", n, err)
			}
			if n, err := poller.SyncOnce(ctx); n != 0 || err != nil {
				t.Fatalf("last SyncOnce = %d, %v; want 0, nil", n, err)
			}
			if got := len(d.Messages(t, "Processed")); got != 3 {
				t.Errorf("Processed has %d messages, want 3", got)
			}
		})
	}
}

// Run keeps one connection per folder, each in IDLE: mail appended to any
// folder arrives without waiting for poll_interval (an hour here).
func TestRunWatchesSeveralFoldersOneConnectionEachWithIDLE(t *testing.T) {
	forEachPeer(t, func(t *testing.T, p *peer) {
		folders := []string{"INBOX", "Replies", "Authorities/Leeds"}
		for _, f := range folders[1:] {
			p.create(t, f)
		}
		proxy := startProxy(t, p.addr)
		pp := *p
		pp.addr = proxy.Addr()
		cfg := pp.config(t)
		cfg.Folders = folders
		cfg.PollInterval = conf.Duration{Duration: time.Hour}
		cursors, rec := newMemCursors(), newRecorder()
		poller := newPoller(t, cfg, cursors, rec, nil)
		startRun(t, poller)
		waitUntil(t, 20*time.Second, "every folder connected and synced", func() bool {
			st := poller.Status()
			return st.Connected && !st.LastSuccess.IsZero()
		})
		if n := proxy.open(); n != len(folders) {
			t.Errorf("%d connections open, want one per folder (%d)", n, len(folders))
		}
		time.Sleep(200 * time.Millisecond) // let IDLE start; a race is caught by the re-sync anyway

		start := time.Now()
		for i, f := range folders {
			p.append(t, f, testMessage(10+i))
		}
		got := rec.waitFor(t, len(folders), 20*time.Second)
		t.Logf("%d messages in %d folders picked up %s after the APPENDs", len(got), len(folders), time.Since(start).Round(time.Millisecond))
		for i, f := range folders {
			idx := slices.IndexFunc(got, func(m *mailbox.Message) bool { return m.Folder == f })
			if idx < 0 || !bytes.Equal(got[idx].Raw, testMessage(10+i)) {
				t.Errorf("folder %s: the appended message was not handed over", f)
			}
			if c := cursors.get(t, f); c.LastUID == 0 {
				t.Errorf("folder %s: cursor %+v", f, c)
			}
		}
		if n := proxy.connections(); n != len(folders) {
			t.Errorf("%d connections made, want %d: no folder should have reconnected", n, len(folders))
		}
	})
}

func TestRunReconnectsAfterDovecotIsKilled(t *testing.T) {
	p, poller, rec, logs := connectedDovecotPoller(t)

	p.dovecot.Kill(t) // SIGKILL: no BYE, no clean close of the IMAP session
	waitUntil(t, 20*time.Second, "disconnected after the server was killed", func() bool { return !poller.Status().Connected })
	p.dovecot.Start(t)
	p.append(t, "INBOX", testMessage(2))
	got := rec.waitFor(t, 2, 60*time.Second)
	if !bytes.Equal(got[1].Raw, testMessage(2)) {
		t.Errorf("second message is not the one appended after the restart")
	}
	if len(got) != 2 {
		t.Errorf("%d messages handed over, want 2: none twice", len(got))
	}
	if !strings.Contains(logs.String(), "reconnecting") {
		t.Errorf("no reconnect in the log")
	}
	waitUntil(t, 10*time.Second, "connected again", func() bool { return poller.Status().Connected })
}

// A server that stops answering (frozen process, black-holed network: the
// TCP connection stays open, no byte comes) is noticed within bounded time
// both while idling and in the middle of a sync.
//
// With CommandTimeout = 1 s and LivenessInterval = 1 s, an idle connection
// is noticed within 1 s (the next DONE) + 1 s (no answer) + 0.2 s (the
// watchdog's tick) = 2.2 s; we allow 6 s. A sync stalled mid-FETCH is
// noticed within 1.2 s; we allow 5 s. (With the defaults, 60 s and 5 min:
// 6 min 12 s while idle, 72 s during a sync.)
func TestFrozenServerIsNoticedWithinBoundedTime(t *testing.T) {
	t.Run("while idling", func(t *testing.T) {
		forEachPeer(t, func(t *testing.T, p *peer) {
			proxy := startProxy(t, p.addr)
			pp := *p
			pp.addr = proxy.Addr()
			cfg := pp.config(t)
			cfg.PollInterval = conf.Duration{Duration: time.Hour}
			cursors, rec := newMemCursors(), newRecorder()
			logger, logs := testLogger(t)
			poller := newPoller(t, cfg, cursors, rec, &mailbox.PollerOptions{
				Logger: logger, CommandTimeout: time.Second, LivenessInterval: time.Second,
			})
			p.append(t, "INBOX", testMessage(1))
			startRun(t, poller)
			rec.waitFor(t, 1, 20*time.Second)
			waitUntil(t, 10*time.Second, "connected", func() bool { return poller.Status().Connected })
			time.Sleep(1500 * time.Millisecond) // at least one IDLE refresh went through while healthy
			if !poller.Status().Connected || proxy.connections() != 1 {
				t.Fatalf("the IDLE refresh dropped a healthy connection (%d connections)", proxy.connections())
			}

			proxy.freeze()
			frozen := time.Now()
			waitUntil(t, 6*time.Second, "the frozen server noticed", func() bool { return !poller.Status().Connected })
			t.Logf("frozen server noticed after %s", time.Since(frozen).Round(time.Millisecond))
			if !strings.Contains(logs.String(), "sent nothing for 1s") {
				t.Errorf("the log does not say the server stopped answering")
			}

			proxy.thaw()
			p.append(t, "INBOX", testMessage(2))
			got := rec.waitFor(t, 2, 30*time.Second)
			if len(got) != 2 || !bytes.Equal(got[1].Raw, testMessage(2)) {
				t.Errorf("after the thaw: %d messages, want the 2nd once", len(got))
			}
		})
	})
	t.Run("in the middle of a sync", func(t *testing.T) {
		forEachPeer(t, func(t *testing.T, p *peer) {
			for i := 1; i <= 12; i++ {
				p.append(t, "INBOX", testMessage(i))
			}
			proxy := startProxy(t, p.addr)
			pp := *p
			pp.addr = proxy.Addr()
			cursors, rec := newMemCursors(), newRecorder()
			var once sync.Once
			var frozen time.Time
			rec.setFail(func(m *mailbox.Message) error {
				if bytes.Equal(m.Raw, testMessage(5)) {
					once.Do(func() { proxy.freeze(); frozen = time.Now() })
				}
				return nil
			})
			poller := newPoller(t, pp.config(t), cursors, rec, &mailbox.PollerOptions{
				BatchSize: 4, CommandTimeout: time.Second,
			})
			n, err := poller.SyncOnce(ctxTimeout(t, time.Minute))
			took := time.Since(frozen)
			if err == nil || !strings.Contains(err.Error(), "sent nothing for 1s") {
				t.Fatalf("SyncOnce against a server frozen mid-sync = %d, %v; want the server-stopped-answering error", n, err)
			}
			if took > 5*time.Second {
				t.Errorf("SyncOnce returned %s after the freeze, want within 5s", took)
			}
			t.Logf("SyncOnce gave up %s after the freeze, having handed over %d: %v", took.Round(time.Millisecond), n, err)
			if c := cursors.get(t, "INBOX"); int(c.LastUID) > n || n < 5 {
				t.Errorf("cursor %+v after %d messages", c, n)
			}

			proxy.thaw()
			rec.setFail(nil)
			m, err := poller.SyncOnce(ctxTimeout(t, time.Minute))
			if err != nil || n+m != 12 {
				t.Fatalf("SyncOnce after the thaw = %d, %v; want the remaining %d", m, err, 12-n)
			}
		})
	})
}

func TestProgressIsReportedAfterEachBatch(t *testing.T) {
	forEachPeer(t, func(t *testing.T, p *peer) {
		msgs := make([][]byte, 25)
		for i := range msgs {
			msgs[i] = testMessage(i + 1)
		}
		if p.dovecot != nil {
			p.dovecot.Deliver(t, "INBOX", msgs)
		} else {
			for _, m := range msgs {
				p.append(t, "INBOX", m)
			}
		}
		type call struct {
			mbox, folder string
			done, total  int
		}
		var mu sync.Mutex
		var calls []call
		logger, logs := testLogger(t)
		rec := newRecorder()
		poller := newPoller(t, p.config(t), newMemCursors(), rec, &mailbox.PollerOptions{
			Logger: logger, BatchSize: 10,
			Progress: func(mbox, folder string, done, total int) {
				mu.Lock()
				calls = append(calls, call{mbox, folder, done, total})
				mu.Unlock()
			},
		})
		if n, err := poller.SyncOnce(ctxTimeout(t, time.Minute)); n != 25 || err != nil {
			t.Fatalf("SyncOnce = %d, %v; want 25, nil", n, err)
		}
		want := []call{{"foi", "INBOX", 0, 25}, {"foi", "INBOX", 10, 25}, {"foi", "INBOX", 20, 25}, {"foi", "INBOX", 25, 25}}
		if !slices.Equal(calls, want) {
			t.Errorf("Progress calls = %v, want %v", calls, want)
		}
		for _, line := range []string{"fetching INBOX: 10 of 25", "fetching INBOX: 25 of 25"} {
			if !strings.Contains(logs.String(), line) {
				t.Errorf("no %q in the log", line)
			}
		}
		for i, m := range rec.messages() {
			if !bytes.Equal(m.Raw, msgs[i]) {
				t.Fatalf("message %d handed over out of order", i)
			}
		}

		// One batch or less: no progress.
		calls = nil
		for i := 26; i <= 30; i++ {
			p.append(t, "INBOX", testMessage(i))
		}
		if n, err := poller.SyncOnce(ctxTimeout(t, time.Minute)); n != 5 || err != nil {
			t.Fatalf("SyncOnce = %d, %v; want 5, nil", n, err)
		}
		if len(calls) != 0 {
			t.Errorf("Progress called for a sync of one batch: %v", calls)
		}
	})
}
