package mailbox_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/internal/conf"
	"github.com/foiwatch/foiwatch/mailbox"
	"github.com/foiwatch/foiwatch/mailbox/mailtest"
)

// memCursors is an in-memory CursorStore: a storage stand-in for the
// JetStream key-value bucket the daemon uses.
type memCursors struct {
	mu sync.Mutex
	m  map[string]mailbox.Cursor
}

func newMemCursors() *memCursors { return &memCursors{m: map[string]mailbox.Cursor{}} }

func (s *memCursors) Cursor(_ context.Context, mbox, folder string) (mailbox.Cursor, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.m[mbox+"/"+folder]
	return c, ok, nil
}

func (s *memCursors) SetCursor(_ context.Context, mbox, folder string, c mailbox.Cursor) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[mbox+"/"+folder] = c
	return nil
}

func (s *memCursors) get(t *testing.T, folder string) mailbox.Cursor {
	t.Helper()
	c, ok, _ := s.Cursor(context.Background(), "foi", folder)
	if !ok {
		t.Fatalf("no cursor for %s", folder)
	}
	return c
}

// recorder is a Handler that keeps what it was given. fail, when set, can
// refuse a message. With dedupe it recognises a message it was given
// before (by its bytes) and marks it Known, as the daemon's handler does.
type recorder struct {
	mu     sync.Mutex
	msgs   []*mailbox.Message
	fail   func(m *mailbox.Message) error
	got    chan struct{} // a token per accepted message
	dedupe bool
	seen   map[string]bool
}

func newRecorder() *recorder { return &recorder{got: make(chan struct{}, 1000)} }

func (r *recorder) handle(_ context.Context, m *mailbox.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(m); err != nil {
			return err
		}
	}
	if r.dedupe {
		if r.seen == nil {
			r.seen = map[string]bool{}
		}
		m.Known = r.seen[string(m.Raw)]
		r.seen[string(m.Raw)] = true
	}
	r.msgs = append(r.msgs, m)
	r.got <- struct{}{}
	return nil
}

func (r *recorder) messages() []*mailbox.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*mailbox.Message(nil), r.msgs...)
}

func (r *recorder) setFail(f func(m *mailbox.Message) error) {
	r.mu.Lock()
	r.fail = f
	r.mu.Unlock()
}

// waitFor waits until the recorder holds at least n messages.
func (r *recorder) waitFor(t *testing.T, n int, timeout time.Duration) []*mailbox.Message {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if msgs := r.messages(); len(msgs) >= n {
			return msgs
		}
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("after %s the handler has %d messages, want %d", timeout, len(r.messages()), n)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of slog.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLogger(t *testing.T) (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("poller log:\n%s", buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// peer is a running IMAP server the tests talk to.
type peer struct {
	name       string
	addr       string
	user, pass string
	append     func(t *testing.T, folder string, raw []byte) uint32
	create     func(t *testing.T, folder string)
	recreate   func(t *testing.T, folder string)
	list       func(t *testing.T, folder string) []mailtest.StoredMessage
	remove     func(t *testing.T, folder string)
	dovecot    *mailtest.Dovecot // nil for MemServer
	memServer  *mailtest.MemServer
	tlsConfig  *tls.Config
	tlsAddr    string
}

func startMemPeer(t *testing.T) *peer {
	s, err := mailtest.NewMemServer("alice", "secret")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &peer{
		name: "MemServer", addr: s.Addr(), user: "alice", pass: "secret", memServer: s,
		append: func(t *testing.T, folder string, raw []byte) uint32 {
			t.Helper()
			uid, err := s.AppendUID(folder, raw)
			if err != nil {
				t.Fatal(err)
			}
			return uid
		},
		create: func(t *testing.T, folder string) {
			t.Helper()
			if err := s.CreateFolder(folder); err != nil {
				t.Fatal(err)
			}
		},
		recreate: func(t *testing.T, folder string) {
			t.Helper()
			if err := s.RecreateFolder(folder); err != nil {
				t.Fatal(err)
			}
		},
		list: func(t *testing.T, folder string) []mailtest.StoredMessage {
			t.Helper()
			msgs, err := s.Messages(folder)
			if err != nil {
				t.Fatal(err)
			}
			return msgs
		},
		remove: func(t *testing.T, folder string) {
			t.Helper()
			if err := s.DeleteFolder(folder); err != nil {
				t.Fatal(err)
			}
		},
	}
}

func startDovecotPeer(t *testing.T) *peer {
	d := mailtest.StartDovecot(t, &mailtest.DovecotOptions{TLS: true})
	return &peer{
		name: "Dovecot", addr: d.Addr(), user: d.Username, pass: d.Password, dovecot: d,
		tlsConfig: d.TLSConfig(), tlsAddr: d.TLSAddr(),
		append: func(t *testing.T, folder string, raw []byte) uint32 {
			t.Helper()
			return d.Append(t, folder, raw)
		},
		create:   func(t *testing.T, folder string) { t.Helper(); d.CreateFolder(t, folder) },
		recreate: func(t *testing.T, folder string) { t.Helper(); d.RecreateFolder(t, folder) },
		list: func(t *testing.T, folder string) []mailtest.StoredMessage {
			t.Helper()
			return d.Messages(t, folder)
		},
		remove: func(t *testing.T, folder string) { t.Helper(); d.DeleteFolder(t, folder) },
	}
}

var peerKinds = []struct {
	name  string
	start func(t *testing.T) *peer
}{
	{"MemServer", startMemPeer},
	{"Dovecot", startDovecotPeer},
}

// forEachPeer runs fn as a subtest against each kind of server. The Dovecot
// subtest skips when Dovecot is not installed.
func forEachPeer(t *testing.T, fn func(t *testing.T, p *peer)) {
	t.Helper()
	for _, k := range peerKinds {
		t.Run(k.name, func(t *testing.T) {
			fn(t, k.start(t))
		})
	}
}

// writeSecret writes a secret file readable only by its owner.
func writeSecret(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(content+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// config is a plaintext-on-loopback Config for p.
func (p *peer) config(t *testing.T) mailbox.Config {
	return mailbox.Config{
		Name:         "foi",
		Address:      p.addr,
		TLS:          mailbox.TLSNone,
		Username:     p.user,
		PasswordFile: writeSecret(t, p.pass),
	}
}

// connectedDovecotPoller runs a poller (polling hourly, so only IDLE and
// reconnection bring mail) on a Dovecot holding one message, and returns
// once that message is handled and the poller is connected.
func connectedDovecotPoller(t *testing.T) (*peer, *mailbox.Poller, *recorder, *syncBuffer) {
	t.Helper()
	p := startDovecotPeer(t)
	p.append(t, "INBOX", testMessage(1))
	cfg := p.config(t)
	cfg.PollInterval = conf.Duration{Duration: time.Hour}
	rec := newRecorder()
	logger, logs := testLogger(t)
	poller := newPoller(t, cfg, newMemCursors(), rec, &mailbox.PollerOptions{Logger: logger})
	startRun(t, poller)
	rec.waitFor(t, 1, 20*time.Second)
	waitUntil(t, 10*time.Second, "connected", func() bool { return poller.Status().Connected })
	return p, poller, rec, logs
}

func newPoller(t *testing.T, cfg mailbox.Config, cursors mailbox.CursorStore, rec *recorder, opts *mailbox.PollerOptions) *mailbox.Poller {
	t.Helper()
	if opts == nil {
		opts = &mailbox.PollerOptions{}
	}
	if opts.Logger == nil {
		opts.Logger, _ = testLogger(t)
	}
	p, err := mailbox.NewPoller(cfg, cursors, rec.handle, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// testMessage is a small, distinct RFC 5322 message.
func testMessage(i int) []byte {
	return []byte(fmt.Sprintf("From: FOI Team <foi@authority.example>\r\n"+
		"To: researcher@example.org\r\n"+
		"Subject: Your request FOI-%03d\r\n"+
		"Date: Mon, 2 Mar 2026 10:%02d:00 +0000\r\n"+
		"Message-ID: <reply-%d@authority.example>\r\n"+
		"MIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n"+
		"\r\n"+
		"Dear researcher,\r\n\r\nThis is reply number %d.\r\n", i, i%60, i, i))
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }
