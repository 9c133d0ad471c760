package mailbox_test

import (
	"bytes"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/foiwatch/foiwatch/internal/conf"
	"github.com/foiwatch/foiwatch/mailbox"
	"github.com/foiwatch/foiwatch/mailbox/mailtest"
)

// When things go wrong on the IMAP side: a message too large to hold, a
// server that trickles, one that is no IMAP server, an after-action that
// cannot be done, a server that reuses UIDs.

// bigMessage is testMessage(i) with a body padded to about size bytes.
func bigMessage(i, size int) []byte {
	var b bytes.Buffer
	b.Write(testMessage(i))
	line := strings.Repeat("x", 76) + "\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	return b.Bytes()
}

// headerPart is raw up to and including the blank line after its header.
func headerPart(raw []byte) []byte {
	i := bytes.Index(raw, []byte("\r\n\r\n"))
	return raw[:i+4]
}

func TestMessageOverMaxMessageBytesIsRecordedByItsHeaderAndPassed(t *testing.T) {
	const huge = 500 << 20
	tests := []struct {
		name  string
		start func(t *testing.T) *peer
		// add puts the too-large message in INBOX; it returns its bytes and
		// the size the server announces.
		add   func(t *testing.T, p *peer) ([]byte, int64)
		limit int64
	}{
		{"MemServer announcing 500 MB", startMemPeer, func(t *testing.T, p *peer) ([]byte, int64) {
			raw := testMessage(2)
			if _, err := p.memServer.AppendHuge("INBOX", raw, huge); err != nil {
				t.Fatal(err)
			}
			return raw, huge
		}, 0},
		{"Dovecot with a 1.5 MiB message over max_message_bytes = 1 MiB", startDovecotPeer, func(t *testing.T, p *peer) ([]byte, int64) {
			raw := bigMessage(2, 3<<19)
			p.append(t, "INBOX", raw)
			return raw, int64(len(raw))
		}, 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.start(t)
			ctx := ctxTimeout(t, time.Minute)
			p.append(t, "INBOX", testMessage(1))
			raw, size := tt.add(t, p)
			p.append(t, "INBOX", testMessage(3))
			cfg := p.config(t)
			cfg.MaxMessageBytes = tt.limit
			cursors, rec := newMemCursors(), newRecorder()
			logger, logs := testLogger(t)
			poller := newPoller(t, cfg, cursors, rec, &mailbox.PollerOptions{Logger: logger})

			n, err := poller.SyncOnce(ctx)
			if n != 3 || err != nil {
				t.Fatalf("SyncOnce = %d, %v; want 3, nil: the message too large is recorded, and the one behind it comes in", n, err)
			}
			got := rec.messages()
			if len(got) != 3 {
				t.Fatalf("handler got %d messages, want 3", len(got))
			}
			big := got[1]
			if !big.TooLarge || big.Size != size || !bytes.Equal(big.Raw, headerPart(raw)) {
				t.Errorf("too-large message handed over as TooLarge=%v Size=%d Raw=%q; want TooLarge, %d bytes, its header only", big.TooLarge, big.Size, big.Raw, size)
			}
			for i, want := range [][]byte{testMessage(1), testMessage(3)} {
				m := got[2*i]
				if m.TooLarge || !bytes.Equal(m.Raw, want) || m.Size != int64(len(want)) {
					t.Errorf("message %d: TooLarge=%v, %d bytes; want the whole message", 2*i+1, m.TooLarge, len(m.Raw))
				}
			}
			if c := cursors.get(t, "INBOX"); c.LastUID != got[2].UID {
				t.Errorf("cursor %+v, want past the too-large message at UID %d", c, got[2].UID)
			}
			if p.memServer != nil {
				if sent := p.memServer.HugeBytesSent(); sent != 0 {
					t.Errorf("the server sent %d bytes of the 500 MB body; want none asked for", sent)
				}
			}
			if !strings.Contains(logs.String(), "larger than max_message_bytes") {
				t.Errorf("the log does not say a message was too large")
			}
			if n, err := poller.SyncOnce(ctx); n != 0 || err != nil {
				t.Errorf("second SyncOnce = %d, %v; want 0, nil", n, err)
			}
		})
	}
}

// A server that announces 1 KB and sends 2 MiB: the body is read into
// nothing past its first 64 KiB, and the message is handed over as too
// large all the same, its start standing for its header.
func TestMessageLargerThanAnnouncedIsTreatedAsTooLarge(t *testing.T) {
	p := startMemPeer(t)
	raw := testMessage(1)
	if _, err := p.memServer.AppendLying("INBOX", raw, 2<<20, 1000); err != nil {
		t.Fatal(err)
	}
	p.append(t, "INBOX", testMessage(2))
	cfg := p.config(t)
	cfg.MaxMessageBytes = 1 << 20
	cursors, rec := newMemCursors(), newRecorder()
	logger, logs := testLogger(t)
	poller := newPoller(t, cfg, cursors, rec, &mailbox.PollerOptions{Logger: logger})
	if n, err := poller.SyncOnce(ctxTimeout(t, time.Minute)); n != 2 || err != nil {
		t.Fatalf("SyncOnce = %d, %v; want 2, nil", n, err)
	}
	got := rec.messages()
	if !got[0].TooLarge || got[0].Size != 2<<20 || !bytes.Equal(got[0].Raw, headerPart(raw)) {
		t.Errorf("message sent larger than announced: TooLarge=%v Size=%d Raw=%q", got[0].TooLarge, got[0].Size, got[0].Raw)
	}
	if got[1].TooLarge || !bytes.Equal(got[1].Raw, testMessage(2)) {
		t.Errorf("the next message was not handed over whole")
	}
	if !strings.Contains(logs.String(), "larger than max_message_bytes (and than it announced)") {
		t.Errorf("the log does not say the server sent more than it announced")
	}
}

func TestMaxMessageBytesDefaultAndFloor(t *testing.T) {
	c := mailbox.Config{}.WithDefaults()
	if c.MaxMessageBytes != 64<<20 {
		t.Errorf("default max_message_bytes = %d, want 64 MiB", c.MaxMessageBytes)
	}
	p := startMemPeer(t)
	cfg := p.config(t)
	cfg.MaxMessageBytes = 1000
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "max_message_bytes = 1000 is too small") {
		t.Errorf("Validate with max_message_bytes = 1000: %v", err)
	}
}

// A server that sends a byte every 100 ms keeps the watchdog (a byte a
// second here) content forever; the command's time limit (2 × 1 s + 1 s
// per 32 KiB announced) ends it, the log says so, and the poller
// reconnects and gets the message.
func TestTricklingServerIsCutOffAndReconnected(t *testing.T) {
	p := startMemPeer(t)
	p.append(t, "INBOX", testMessage(1))
	proxy := startProxy(t, p.addr)
	proxy.throttleAfter("BODY.PEEK[]", 10, true) // 10 bytes a second, first connection only
	pp := *p
	pp.addr = proxy.Addr()
	cfg := pp.config(t)
	cfg.PollInterval = conf.Duration{Duration: time.Hour}
	rec := newRecorder()
	logger, logs := testLogger(t)
	poller := newPoller(t, cfg, newMemCursors(), rec, &mailbox.PollerOptions{Logger: logger, CommandTimeout: time.Second})
	start := time.Now()
	startRun(t, poller)
	got := rec.waitFor(t, 1, 60*time.Second)
	t.Logf("message fetched %s after the start, on connection %d", time.Since(start).Round(time.Millisecond), proxy.connections())
	if !bytes.Equal(got[0].Raw, testMessage(1)) {
		t.Errorf("the message differs")
	}
	if proxy.throttledConns() != 1 || proxy.connections() < 2 {
		t.Errorf("%d connections, %d throttled; want the throttled one dropped and a second", proxy.connections(), proxy.throttledConns())
	}
	log := logs.String()
	for _, want := range []string{"UID FETCH 1 of INBOX (285 bytes) took longer than 2.009s, the most it may take", "connection dropped", "reconnecting"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q", want)
		}
	}
}

// The time limit grows with the size announced: a 192 KiB message sent at
// 48 KiB a second (4 s) is not cut off, although it takes longer than the
// limit of a command without data (2 s here); it is allowed 2 s + 6 s.
func TestSlowServerGetsTimeInProportionToTheSize(t *testing.T) {
	p := startMemPeer(t)
	big := bigMessage(1, 192<<10)
	p.append(t, "INBOX", big)
	proxy := startProxy(t, p.addr)
	proxy.throttleAfter("BODY.PEEK[]", 48<<10, false)
	pp := *p
	pp.addr = proxy.Addr()
	rec := newRecorder()
	poller := newPoller(t, pp.config(t), newMemCursors(), rec, &mailbox.PollerOptions{CommandTimeout: time.Second})
	start := time.Now()
	n, err := poller.SyncOnce(ctxTimeout(t, time.Minute))
	took := time.Since(start)
	if n != 1 || err != nil {
		t.Fatalf("SyncOnce through a slow link = %d, %v (after %s); want 1, nil", n, err, took)
	}
	if !bytes.Equal(rec.messages()[0].Raw, big) {
		t.Errorf("the message differs")
	}
	if took < 2*time.Second {
		t.Fatalf("the fetch took %s: the proxy did not slow it down, so this test shows nothing", took)
	}
	t.Logf("192 KiB at 48 KiB/s fetched in %s", took.Round(time.Millisecond))
}

// notIMAPServer listens on loopback and greets every connection with
// banner, then reads and drops what the client sends until it hangs up.
func notIMAPServer(t *testing.T, banner string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.Write([]byte(banner))
				buf := make([]byte, 1024)
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestGarbageGreetingSaysNotAnIMAPServer(t *testing.T) {
	tests := []struct {
		name, banner, tls, want string
	}{
		{"an SMTP server", "220 mail.example.org ESMTP Postfix\r\n", mailbox.TLSNone,
			`is not an IMAP server (greeting: "220 mail.example.org ESMTP Postfix")`},
		{"an SSH server, with STARTTLS", "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", mailbox.TLSStartTLS,
			`is not an IMAP server (greeting: "SSH-2.0-OpenSSH_9.2p1 Debian-2")`},
		{"a POP3 server", "+OK POP3 server ready\r\n", mailbox.TLSNone,
			`is not an IMAP server (greeting: "+OK POP3 server ready")`},
		{"bytes that are no protocol", "\x00\x01\x02garbage", mailbox.TLSNone,
			`is not an IMAP server (greeting: "\x00\x01\x02garbage")`},
		{"a plaintext IMAP server, with implicit TLS", "* OK IMAP4rev1 ready\r\n", mailbox.TLSImplicit,
			`the server does not answer with TLS (it sent "* OK IMAP4rev1 ready"): for a server that starts in plaintext (port 143) set tls = "starttls"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &peer{addr: notIMAPServer(t, tt.banner), user: "alice", pass: "secret"}
			cfg := p.config(t)
			cfg.TLS = tt.tls
			poller := newPoller(t, cfg, newMemCursors(), newRecorder(), &mailbox.PollerOptions{CommandTimeout: 5 * time.Second})
			_, err := poller.SyncOnce(ctxTimeout(t, time.Minute))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("SyncOnce against %s: %v\nwant it to say %s", tt.name, err, tt.want)
			}
			if strings.Contains(err.Error(), "closed network connection") || strings.Count(err.Error(), `mailbox "foi"`) != 1 {
				t.Errorf("error = %v; want it to name the mailbox once and not speak of a closed connection", err)
			}
		})
	}
}

func TestAfterMoveToMissingFolderIsCreatedAtTheStart(t *testing.T) {
	forEachPeer(t, func(t *testing.T, p *peer) {
		p.append(t, "INBOX", testMessage(1))
		cfg := p.config(t)
		cfg.After = "move:Nowhere"
		logger, logs := testLogger(t)
		poller := newPoller(t, cfg, newMemCursors(), newRecorder(), &mailbox.PollerOptions{Logger: logger})
		if n, err := poller.SyncOnce(ctxTimeout(t, time.Minute)); n != 1 || err != nil {
			t.Fatalf("SyncOnce = %d, %v; want 1, nil", n, err)
		}
		if !strings.Contains(logs.String(), "created the folder of the after-action") {
			t.Errorf("the log does not say the folder was created")
		}
		if msgs := p.list(t, "Nowhere"); len(msgs) != 1 || !bytes.Equal(msgs[0].Raw, testMessage(1)) {
			t.Errorf("Nowhere has %d messages, want the one moved", len(msgs))
		}
		if msgs := p.list(t, "INBOX"); len(msgs) != 0 {
			t.Errorf("INBOX still has %d messages", len(msgs))
		}
	})
}

// On a server whose folders live under INBOX with "." between levels (as
// on Cyrus), move:Done names a folder that cannot exist: the action is
// refused with the name the folder has, or should have, while every message
// is stored and its move kept waiting, done once the setting is fixed.
func TestAfterMoveToAFolderNamedWronglyForTheServerIsRefusedWithItsName(t *testing.T) {
	d := mailtest.StartDovecot(t, &mailtest.DovecotOptions{CyrusNames: true})
	ctx := ctxTimeout(t, time.Minute)
	uids := []uint32{d.Append(t, "INBOX", testMessage(1)), d.Append(t, "INBOX", testMessage(2))}
	p := &peer{addr: d.Addr(), user: d.Username, pass: d.Password}
	cfg := p.config(t)
	cfg.After = "move:Done"
	cursors, rec := newMemCursors(), newRecorder()
	logger, logs := testLogger(t)
	poller := newPoller(t, cfg, cursors, rec, &mailbox.PollerOptions{Logger: logger})

	n, err := poller.SyncOnce(ctx)
	want := `after = "move:Done" cannot be done: the server has no folder "Done", and it should be called "INBOX.Done" (this server keeps folders under "INBOX.", with "." between levels): set after = "move:INBOX.Done"`
	if n != 2 || err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("SyncOnce = %d, %v\nwant 2 stored and the error %s", n, err, want)
	}
	if c := cursors.get(t, "INBOX"); c.LastUID != uids[1] || !slices.Equal(c.PendingAfter, uids) {
		t.Errorf("cursor %+v, want past both messages with both moves pending", c)
	}
	st := poller.Status()
	if st.LastError != "" || len(st.Notes) != 1 || !strings.Contains(st.Notes[0], "2 stored message(s) wait for it") {
		t.Errorf("Status: LastError %q, Notes %q; want no error and a note of 2 waiting", st.LastError, st.Notes)
	}
	if !strings.Contains(logs.String(), "after-action refused") {
		t.Errorf("no refusal in the log")
	}

	// The folder exists by its right name: the refusal says to use it.
	d.CreateFolder(t, "INBOX.Done")
	d.Append(t, "INBOX", testMessage(3))
	n, err = poller.SyncOnce(ctx)
	if n != 1 || err == nil || !strings.Contains(err.Error(), `the server has no folder "Done", but has "INBOX.Done"`) {
		t.Fatalf("SyncOnce with INBOX.Done there = %d, %v", n, err)
	}

	// Fixed: the waiting moves are done, with the new message's.
	cfg.After = "move:INBOX.Done"
	poller = newPoller(t, cfg, cursors, rec, &mailbox.PollerOptions{Logger: logger})
	if n, err := poller.SyncOnce(ctx); n != 0 || err != nil {
		t.Fatalf("SyncOnce with after = move:INBOX.Done = %d, %v; want 0, nil", n, err)
	}
	if msgs := d.Messages(t, "INBOX"); len(msgs) != 0 {
		t.Errorf("INBOX still holds %d messages", len(msgs))
	}
	if msgs := d.Messages(t, "INBOX.Done"); len(msgs) != 3 {
		t.Errorf("INBOX.Done holds %d messages, want 3", len(msgs))
	}
	if c := cursors.get(t, "INBOX"); len(c.PendingAfter) != 0 {
		t.Errorf("cursor %+v still has moves pending", c)
	}
	if st := poller.Status(); len(st.Notes) != 0 {
		t.Errorf("notes after the fix: %q", st.Notes)
	}
}

// A move that fails (its folder deleted under the poller) stops nothing:
// the message is stored, the cursor moves on, the next messages come in,
// and the moves wait to be done at the next sync.
func TestFailedAfterActionWaitsAndHoldsUpNoMail(t *testing.T) {
	forEachPeer(t, func(t *testing.T, p *peer) {
		ctx := ctxTimeout(t, time.Minute)
		p.create(t, "Processed")
		var uids []uint32
		for i := 1; i <= 3; i++ {
			uids = append(uids, p.append(t, "INBOX", testMessage(i)))
		}
		cfg := p.config(t)
		cfg.After = "move:Processed"
		cursors, rec := newMemCursors(), newRecorder()
		rec.setFail(func(m *mailbox.Message) error {
			if bytes.Equal(m.Raw, testMessage(2)) {
				p.remove(t, "Processed")
			}
			return nil
		})
		logger, logs := testLogger(t)
		poller := newPoller(t, cfg, cursors, rec, &mailbox.PollerOptions{Logger: logger})
		if n, err := poller.SyncOnce(ctx); n != 3 || err != nil {
			t.Fatalf("SyncOnce with the move failing from the 2nd message = %d, %v; want 3, nil", n, err)
		}
		c := cursors.get(t, "INBOX")
		if uids[0] != 0 && (c.LastUID != uids[2] || !slices.Equal(c.PendingAfter, uids[1:])) {
			t.Errorf("cursor %+v, want at UID %d with %v pending", c, uids[2], uids[1:])
		}
		if len(c.PendingAfter) != 2 {
			t.Errorf("cursor %+v, want 2 moves pending", c)
		}
		if !strings.Contains(logs.String(), "after-action failed: the message is stored") {
			t.Errorf("the log does not say the move failed")
		}
		if st := poller.Status(); len(st.Notes) != 1 || !strings.Contains(st.Notes[0], `INBOX: 2 stored message(s) wait for after = "move:Processed"`) {
			t.Errorf("Status().Notes = %q", st.Notes)
		}
		if msgs := p.list(t, "INBOX"); len(msgs) != 2 {
			t.Errorf("INBOX has %d messages, want the 2 not moved", len(msgs))
		}

		// Meanwhile someone deletes message 3: its waiting move is dropped.
		deleteMessage(t, p, "INBOX", c.PendingAfter[1])
		rec.setFail(nil)
		if n, err := poller.SyncOnce(ctx); n != 0 || err != nil {
			t.Fatalf("next SyncOnce = %d, %v; want 0, nil", n, err)
		}
		if msgs := p.list(t, "INBOX"); len(msgs) != 0 {
			t.Errorf("INBOX has %d messages after the retry, want 0", len(msgs))
		}
		moved := p.list(t, "Processed")
		if len(moved) != 1 || !bytes.Equal(moved[0].Raw, testMessage(2)) {
			t.Errorf("Processed has %d messages, want message 2", len(moved))
		}
		if !strings.Contains(logs.String(), "waiting after-actions done") || !strings.Contains(logs.String(), "count=1 no_longer_in_folder=1") {
			t.Errorf("the log does not say 1 move was done and 1 message had gone")
		}
		if c := cursors.get(t, "INBOX"); len(c.PendingAfter) != 0 {
			t.Errorf("cursor %+v still has moves pending", c)
		}
		if st := poller.Status(); len(st.Notes) != 0 {
			t.Errorf("notes after the retry: %q", st.Notes)
		}
		if got := len(rec.messages()); got != 3 {
			t.Errorf("handler got %d messages, want each of the 3 once", got)
		}
	})
}

// deleteMessage removes UID uid from folder (STORE \Deleted, UID EXPUNGE),
// as another mail client would.
func deleteMessage(t *testing.T, p *peer, folder string, uid uint32) {
	t.Helper()
	c, err := imapclient.DialInsecure(p.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(p.user, p.pass).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select(folder, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	set := imap.UIDSetNum(imap.UID(uid))
	if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.UIDExpunge(set).Close(); err != nil {
		t.Fatal(err)
	}
	c.Logout().Wait()
}

// An in-memory server that restarts keeps its UIDVALIDITY and numbers mail
// from UID 1 again: UIDNEXT falls below the cursor. The folder is rescanned
// (with a warning and a note), what was stored before is recognised, the
// new message comes in, and the log counts both.
func TestUIDsReusedUnderTheSameUIDVALIDITYAreRescanned(t *testing.T) {
	first := startMemPeer(t)
	for i := 1; i <= 3; i++ {
		first.append(t, "INBOX", testMessage(i))
	}
	proxy := startProxy(t, first.addr)
	pp := *first
	pp.addr = proxy.Addr()
	cursors, rec := newMemCursors(), newRecorder()
	rec.dedupe = true
	logger, logs := testLogger(t)
	poller := newPoller(t, pp.config(t), cursors, rec, &mailbox.PollerOptions{Logger: logger})
	ctx := ctxTimeout(t, time.Minute)
	if n, err := poller.SyncOnce(ctx); n != 3 || err != nil {
		t.Fatalf("first SyncOnce = %d, %v; want 3, nil", n, err)
	}
	before := cursors.get(t, "INBOX")

	// The server restarts: the mail it held is gone but one, new mail
	// comes, UIDVALIDITY is the same and UIDs start at 1.
	first.memServer.Close()
	second := startMemPeer(t)
	proxy.retarget(second.addr)
	second.append(t, "INBOX", testMessage(2))
	second.append(t, "INBOX", testMessage(4))

	n, err := poller.SyncOnce(ctx)
	if n != 2 || err != nil {
		t.Fatalf("SyncOnce after the restart = %d, %v; want both messages handed over (1 known, 1 new)", n, err)
	}
	after := cursors.get(t, "INBOX")
	if after.UIDValidity != before.UIDValidity || after.LastUID != 2 {
		t.Fatalf("cursor %+v after %+v: the test needs the same UIDVALIDITY and the cursor at the new highest UID 2", after, before)
	}
	got := rec.messages()
	if len(got) != 5 || !got[3].Known || got[4].Known || !bytes.Equal(got[4].Raw, testMessage(4)) {
		t.Errorf("handler got %d messages; want the rescanned 2 (known) and the new 4", len(got))
	}
	log := logs.String()
	for _, want := range []string{"the server reused UIDs without changing UIDVALIDITY", "folder rescanned", "rescanned=2 new=1 already_stored=1"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q", want)
		}
	}
	st := poller.Status()
	if len(st.Notes) != 1 || !strings.Contains(st.Notes[0], fmt.Sprintf("reused UIDs without changing UIDVALIDITY %d (UIDNEXT 3, foiwatch had read up to UID 3)", before.UIDValidity)) ||
		!strings.Contains(st.Notes[0], "2 message(s), 1 new") {
		t.Errorf("Status().Notes = %q", st.Notes)
	}

	if n, err := poller.SyncOnce(ctx); n != 0 || err != nil {
		t.Fatalf("SyncOnce after the rescan = %d, %v; want 0, nil", n, err)
	}
	if c := strings.Count(logs.String(), "reused UIDs"); c != 1 {
		t.Errorf("the reuse was reported %d times, want once", c)
	}
	second.append(t, "INBOX", testMessage(5))
	if n, err := poller.SyncOnce(ctx); n != 1 || err != nil {
		t.Fatalf("SyncOnce with one more message = %d, %v; want 1, nil", n, err)
	}
}
