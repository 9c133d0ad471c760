package mailbox_test

import (
	"crypto/tls"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/mailbox"
	"github.com/foiwatch/foiwatch/mailbox/mailtest"
)

// tlsFront serves implicit TLS with cert on a loopback port and passes the
// bytes on to backend (a plaintext IMAP server): a server whose
// certificate a private CA signed. It stops at the test's end.
func tlsFront(t *testing.T, cert *mailtest.Cert, backend string) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cert.TLS)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				b, err := net.Dial("tcp", backend)
				if err != nil {
					return
				}
				defer b.Close()
				done := make(chan struct{}, 2)
				go func() { io.Copy(b, c); done <- struct{}{} }()
				go func() { io.Copy(c, b); done <- struct{}{} }()
				<-done
			}()
		}
	}()
	return ln.Addr().String()
}

// A mailbox and an SMTP server with a private CA's certificate are
// reached with ca_file, and refused without it.
func TestCAFileTrustsAPrivateCA(t *testing.T) {
	cert, err := mailtest.NewCert()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	os.WriteFile(caFile, cert.CertPEM, 0o644)
	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, []byte("not a certificate\n"), 0o644)

	p := startMemPeer(t)
	p.append(t, "INBOX", testMessage(1))
	addr := tlsFront(t, cert, p.addr)
	cfg := p.config(t)
	cfg.Address, cfg.TLS = addr, mailbox.TLSImplicit

	cfg.CAFile = caFile
	rec := newRecorder()
	poller := newPoller(t, cfg, newMemCursors(), rec, nil)
	if n, err := poller.SyncOnce(ctxTimeout(t, time.Minute)); err != nil || n != 1 {
		t.Fatalf("with ca_file: fetched %d, %v; want 1", n, err)
	}

	cfg.CAFile = ""
	poller = newPoller(t, cfg, newMemCursors(), newRecorder(), nil)
	if _, err := poller.SyncOnce(ctxTimeout(t, time.Minute)); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without ca_file: %v, want a certificate error", err)
	}

	cfg.CAFile = junk
	if _, err := mailbox.NewPoller(cfg, newMemCursors(), rec.handle, nil); err == nil || !strings.Contains(err.Error(), "no PEM certificate") || !strings.Contains(err.Error(), junk) {
		t.Errorf("a ca_file with no certificate: %v", err)
	}

	sink := startSink(t, &mailtest.SinkOptions{TLS: cert.TLS})
	s, err := mailbox.NewSender(mailbox.SMTPConfig{Address: sink.Addr(), From: "foiwatch <researcher@example.org>", CAFile: caFile}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(ctxTimeout(t, time.Minute), []string{"researcher@example.org"}, []byte(reminder)); err != nil {
		t.Errorf("STARTTLS with ca_file: %v", err)
	}
}
