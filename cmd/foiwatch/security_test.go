package main

// Security: plaintext only to loopback or when asked for; secrets never in
// argv, logs, errors, exports, the status page or /metrics; the HTTP side
// and the embedded NATS server on loopback, the latter with a credential
// kept in a 0600 file; reminders only to the operators and the campaign's
// own authority addresses, whatever a reply asks.

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/foiwatch/foiwatch/mailbox/mailtest"
	"github.com/foiwatch/foiwatch/worker"
)

func TestPlaintextAndPublicListenAreRefusedUnlessAskedFor(t *testing.T) {
	dir := t.TempDir()
	smtp := func(addr, tls, more string) string {
		return fmt.Sprintf("[smtp]\naddress = %q\ntls = %q\nfrom = \"foiwatch <researcher@requests.example.org>\"\n%s", addr, tls, more)
	}
	for _, tc := range []struct {
		name, addr, extra string
		http              string // replaces the [http] section's listen = ""
		want              string // "" when the config must be accepted
	}{
		{name: "IMAP plaintext to a remote host", addr: "imap.example.org:143", want: `tls = "none" is refused for imap.example.org:143`},
		{name: "IMAP plaintext to a remote IP", addr: "192.0.2.10:143", want: "plaintext is allowed only to a loopback host or with insecure = true"},
		{name: "IMAP plaintext to a name that only looks local", addr: "localhost.evil.example:143", want: "plaintext"},
		{name: "IMAP plaintext with insecure = true", addr: "imap.example.org:143", extra: "insecure = true\n"},
		{name: "IMAP plaintext to loopback", addr: "127.0.0.1:1143"},
		{name: "SMTP plaintext to a remote host", addr: "127.0.0.1:1143", extra: smtp("smtp.example.org:25", "none", ""), want: `smtp: tls = "none" is refused for smtp.example.org:25`},
		{name: "SMTP plaintext with insecure = true", addr: "127.0.0.1:1143", extra: smtp("smtp.example.org:25", "none", "insecure = true\n")},
		{name: "SMTP STARTTLS to a remote host", addr: "127.0.0.1:1143", extra: smtp("smtp.example.org:587", "starttls", "")},
		{name: "HTTP on every interface", addr: "127.0.0.1:1143", http: `listen = "0.0.0.0:8080"`, want: "set public = true"},
		{name: "HTTP on every interface, no host", addr: "127.0.0.1:1143", http: `listen = ":8080"`, want: "set public = true"},
		{name: "HTTP on every IPv6 interface", addr: "127.0.0.1:1143", http: `listen = "[::]:8080"`, want: "set public = true"},
		{name: "HTTP on a LAN address", addr: "127.0.0.1:1143", http: `listen = "192.0.2.7:8080"`, want: "not a loopback address"},
		{name: "HTTP public with public = true", addr: "127.0.0.1:1143", http: "listen = \"0.0.0.0:8080\"\npublic = true"},
		{name: "HTTP on IPv6 loopback", addr: "127.0.0.1:1143", http: `listen = "[::1]:8080"`},
	} {
		cfg := writeConfig(t, dir, tc.addr, "researcher@requests.example.org", "pw", tc.extra)
		if tc.http != "" {
			b, _ := os.ReadFile(cfg)
			os.WriteFile(cfg, []byte(strings.Replace(string(b), "[http]\nlisten = \"\"", "[http]\n"+tc.http, 1)), 0o600)
		}
		code, _, errOut := foiwatch(t, "status", "--config", cfg, "--now", "2024-06-21")
		switch {
		case tc.want == "" && code != 0:
			t.Errorf("%s: refused (exit %d): %s", tc.name, code, errOut)
		case tc.want != "" && (code != 1 || !strings.Contains(errOut, tc.want)):
			t.Errorf("%s: exit %d %q; want exit 1 saying %q", tc.name, code, errOut, tc.want)
		}
	}

	// Without [http] listen the HTTP side is on loopback.
	cfg := writeConfig(t, dir, "127.0.0.1:1143", "u", "pw", "")
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(b), "[http]\nlisten = \"\"\n", "", 1)), 0o600)
	c, err := worker.LoadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	host, _, err := net.SplitHostPort(c.HTTP.ListenAddr())
	if err != nil || !net.ParseIP(host).IsLoopback() {
		t.Errorf("default [http] listen = %q, want a loopback address", c.HTTP.ListenAddr())
	}
}

// secretFinder reports where any of the secrets appears.
type secretFinder map[string]string // secret → what it is

func (s secretFinder) check(t *testing.T, where string, data []byte) {
	t.Helper()
	for secret, what := range s {
		if secret != "" && bytes.Contains(data, []byte(secret)) {
			i := bytes.Index(data, []byte(secret))
			t.Errorf("the %s appears in %s: …%q…", what, where, data[max(0, i-100):min(len(data), i+len(secret)+40)])
		}
	}
}

// attackReplies ask, two ways, for chase-ups to go to attacker@evil.example:
// one from the authority's own domain with a Reply-To and a request in the
// text, one from the attacker's address threaded on the request.
var attackReplies = [][]byte{
	[]byte("From: Wessex FOI <enquiries@wessex-pfcc.gov.uk>\r\n" +
		"Reply-To: attacker@evil.example\r\n" +
		"To: researcher@requests.example.org\r\n" +
		"Subject: RE: Freedom of Information request: Domestic Abuse Perpetrator Programme 2023/24\r\n" +
		"Date: Mon, 03 Jun 2024 09:00:00 +0100\r\n" +
		"Message-ID: <attack-1@wessex-pfcc.gov.uk>\r\n" +
		"In-Reply-To: <dapp-demo-wessex@requests.example.org>\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Dear Requester,\r\n\r\nThank you for your request, which we have received and are handling under the\r\n" +
		"Freedom of Information Act 2000. Our FOI address has changed: please reply to\r\n" +
		"attacker@evil.example and send all further correspondence, including any chase-up\r\n" +
		"or reminder, to attacker@evil.example only.\r\n\r\nWessex FOI\r\n"),
	[]byte("From: Wessex FOI Team <attacker@evil.example>\r\n" +
		"Reply-To: attacker@evil.example\r\n" +
		"To: researcher@requests.example.org\r\n" +
		"Subject: RE: Freedom of Information request: Domestic Abuse Perpetrator Programme 2023/24\r\n" +
		"Date: Tue, 04 Jun 2024 09:00:00 +0100\r\n" +
		"Message-ID: <attack-2@evil.example>\r\n" +
		"In-Reply-To: <dapp-demo-wessex@requests.example.org>\r\n" +
		"References: <dapp-demo-wessex@requests.example.org>\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n" +
		"We acknowledge receipt of your request. Reply to attacker@evil.example for updates.\r\n"),
}

func TestSecretsStayOutOfArgvLogsErrorsExportsAndPages(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the process-level security test")
	}
	const (
		imapPW  = "imap-S3cret-q7Xw9Lp2"
		smtpPW  = "smtp-S3cret-Kd82mZr4"
		wrongPW = "wrong-S3cret-Vb55nTq1"
	)
	bin := foiwatchBinary(t)
	srv := memMailbox(t, imapPW, sampleMessages(t)...)
	for _, m := range attackReplies {
		srv.Append("INBOX", m)
	}
	sink, err := mailtest.NewSMTPSink(&mailtest.SinkOptions{Username: "researcher", Password: smtpPW})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })

	dir := t.TempDir()
	smtpPWFile := filepath.Join(dir, "smtp-password")
	os.WriteFile(smtpPWFile, []byte(smtpPW+"\n"), 0o600)
	httpPort := freePorts(t, 1)[0]
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	cfg := writeConfig(t, dir, srv.Addr(), srv.Username(), imapPW, fmt.Sprintf(`poll_interval = "1s"
[smtp]
address = %q
tls = "none"
username = "researcher"
password_file = %q
from = "foiwatch <researcher@requests.example.org>"
[reminders]
to = ["operator@requests.example.org"]
chase_authorities = true
at = "09:00"
`, sink.Addr(), smtpPWFile))
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(b), "[http]\nlisten = \"\"", fmt.Sprintf("[http]\nlisten = \"127.0.0.1:%d\"", httpPort), 1)), 0o600)
	secrets := secretFinder{imapPW: "IMAP password", smtpPW: "SMTP password"}

	// Everything is stored before the daemon's scheduler looks at it.
	code, out, errOut := foiwatch(t, "sync", "--config", cfg, "--log-level", "debug")
	if code != 0 || !strings.Contains(out, "fetched 8, processed 8") || !strings.Contains(errOut, "level=DEBUG") {
		t.Fatalf("sync: %d %q %q", code, out, errOut)
	}
	secrets.check(t, "the output of foiwatch sync --log-level debug", []byte(out+errOut))

	// Friday 21 June 2024, 10:00 London: Wessex is 8 working days late.
	p := startFoiwatchLevel(t, bin, cfg, "debug", "FOIWATCH_CLOCK=2024-06-21T09:00:00Z")
	waitFor(t, 60*time.Second, "/readyz 200", func() (bool, string) {
		code, _, body := getReadyz(base)
		return code == 200, fmt.Sprint(code, " ", body)
	})

	// New mail while it runs, so the poller and the worker log at debug.
	srv.Append("INBOX", []byte(strings.Replace(string(attackReplies[1]), "attack-2@", "attack-3@", 1)))
	waitFor(t, 30*time.Second, "the new message handed over (debug log)", func() (bool, string) {
		return logHas(p.stderr.String(), "message handed over"), logTail(p.stderr.String(), 2000)
	})

	// The embedded NATS server: loopback, a credential, a 0600 file.
	epPath := filepath.Join(dir, "data", "nats", "endpoint.json")
	st, err := os.Stat(epPath)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", epPath, st.Mode().Perm())
	}
	if st, err := os.Stat(filepath.Dir(epPath)); err != nil || st.Mode().Perm()&0o077 != 0 {
		t.Errorf("%s is open to others: %v %v", filepath.Dir(epPath), st.Mode(), err)
	}
	epRaw, _ := os.ReadFile(epPath)
	var ep struct {
		URL, User, Password string
	}
	if err := json.Unmarshal(epRaw, &ep); err != nil || ep.URL == "" || ep.Password == "" {
		t.Fatalf("endpoint.json = %s: %v", epRaw, err)
	}
	secrets[ep.Password] = "embedded NATS password"
	u, err := url.Parse(ep.URL)
	if err != nil || u.Hostname() != "127.0.0.1" {
		t.Errorf("the embedded NATS server listens on %q, want 127.0.0.1", ep.URL)
	}
	if nc, err := nats.Connect(ep.URL, nats.MaxReconnects(0), nats.Timeout(5*time.Second)); err == nil {
		nc.Close()
		t.Errorf("connected to the embedded NATS server at %s without a credential", ep.URL)
	} else {
		t.Logf("without a credential: %v", err)
	}
	if nc, err := nats.Connect(ep.URL, nats.UserInfo(ep.User, "not-"+ep.Password), nats.MaxReconnects(0), nats.Timeout(5*time.Second)); err == nil {
		nc.Close()
		t.Errorf("connected to the embedded NATS server with a wrong password")
	}
	nc, err := nats.Connect(ep.URL, nats.UserInfo(ep.User, ep.Password), nats.Timeout(5*time.Second))
	if err != nil {
		t.Errorf("the credential in endpoint.json does not work: %v", err)
	} else {
		if _, err := nc.RTT(); err != nil {
			t.Errorf("round trip with the credential: %v", err)
		}
		nc.Close()
	}

	// argv.
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	secrets.check(t, "the daemon's argv", cmdline)

	// Reminders: the digest and the Wessex chase-up.
	msgs := sink.WaitMessages(2, 60*time.Second)
	if len(msgs) < 2 {
		t.Fatalf("%d reminder emails, want the digest and a chase-up\n%s", len(msgs), logTail(p.stderr.String(), 4000))
	}
	c, err := worker.LoadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"operator@requests.example.org": true}
	d, err := worker.Open(t.Context(), c, &worker.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}) // reaches the daemon's server
	if err != nil {
		t.Fatal(err)
	}
	for _, camp := range d.Campaigns.List {
		for _, r := range camp.Requests {
			allowed[strings.ToLower(r.Email)] = true
		}
	}
	wessex, _, err := d.Store.State(t.Context(), "dapp-demo-2023-24", "wessex")
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wessex after the attack replies: state %s, %d replies", wessex.State, len(wessex.Replies))
	chased := false
	for _, m := range sink.Messages() {
		if m.AuthUser != "researcher" {
			t.Errorf("a reminder went without SMTP authentication: %+v", m.To)
		}
		for _, to := range m.To {
			if !allowed[strings.ToLower(to)] {
				t.Errorf("a reminder went to %s, which is neither an operator nor an authority of the campaign", to)
			}
			if to == "enquiries@wessex-pfcc.gov.uk" {
				chased = true
			}
		}
		if bytes.Contains(bytes.ToLower(m.Data), []byte("evil.example")) {
			t.Errorf("a reminder to %v mentions evil.example:\n%s", m.To, m.Data)
		}
	}
	if !chased {
		t.Errorf("no chase-up went to Wessex's own address (the test would prove nothing): %d emails", len(sink.Messages()))
	}

	// Pages.
	for _, path := range []string{"/", "/metrics", "/readyz", "/healthz"} {
		secrets.check(t, "GET "+path, []byte(httpGet(t, base+path)))
	}

	// Exports and operator commands, reaching the running daemon.
	for _, args := range [][]string{
		{"export", "--format", "csv"},
		{"export", "--format", "jsonl"},
		{"export", "--format", "jsonl", "--replies"},
		{"status", "--now", "2024-06-21"},
		{"unmatched", "list"},
		{"failed", "list"},
		{"remind", "--dry-run", "--now", "2024-06-21"},
	} {
		code, out, errOut := foiwatch(t, append(append([]string{}, args...), "--config", cfg, "--log-level", "debug")...)
		if code != 0 {
			t.Errorf("%v: exit %d %s", args, code, errOut)
		}
		secrets.check(t, "foiwatch "+strings.Join(args, " "), []byte(out+errOut))
		if args[0] == "remind" && strings.Contains(out, "evil.example") {
			t.Errorf("remind --dry-run would write to evil.example:\n%s", out)
		}
	}
	xlsx := filepath.Join(dir, "results.xlsx")
	if code, _, errOut := foiwatch(t, "export", "--config", cfg, "--format", "xlsx", "-o", xlsx); code != 0 {
		t.Fatalf("export xlsx: %s", errOut)
	}
	zr, err := zip.OpenReader(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		secrets.check(t, "the xlsx export ("+f.Name+")", data)
	}
	zr.Close()

	if err := p.stop(t); err != nil {
		t.Errorf("foiwatch did not stop cleanly: %v", err)
	}
	logs := p.stderr.String()
	if !strings.Contains(logs, `"level":"DEBUG"`) {
		t.Errorf("the daemon's log has no debug lines: the test would prove little\n%s", logTail(logs, 2000))
	}
	secrets.check(t, "the daemon's debug log", []byte(logs))
	t.Logf("checked %d bytes of debug log, argv, 4 pages, 4 export formats and 5 commands for 3 secrets", len(logs))

	// Wrong passwords: the errors say what failed, not the secret.
	os.WriteFile(filepath.Join(dir, "imap-password"), []byte(wrongPW), 0o600)
	secrets[wrongPW] = "wrong IMAP password"
	srv.Append("INBOX", genMessage(1, 3))
	code, out, errOut = foiwatch(t, "sync", "--config", cfg, "--log-level", "debug")
	if code != 1 || !strings.Contains(errOut, "log in as") {
		t.Errorf("sync with a wrong IMAP password: exit %d %q %q; want 1 and a log-in error", code, out, errOut)
	}
	secrets.check(t, "the error of a wrong IMAP password", []byte(out+errOut))

	os.WriteFile(smtpPWFile, []byte(wrongPW), 0o600)
	secrets[wrongPW] = "wrong SMTP password"
	// Twenty working days after the due date: a new stage to send.
	code, out, errOut = foiwatch(t, "remind", "--config", cfg, "--now", "2024-07-15", "--log-level", "debug")
	if code != 1 || errOut == "" {
		t.Errorf("remind with a wrong SMTP password: exit %d %q %q; want 1 and an error", code, out, errOut)
	}
	t.Logf("wrong SMTP password: %s", strings.TrimSpace(logTail(errOut, 400)))
	secrets.check(t, "the error of a wrong SMTP password", []byte(out+errOut))
}
