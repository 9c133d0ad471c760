package main

// Tests of deploy/: the shipped systemd unit and config start the daemon
// together as shipped. systemd itself does not run here, so the test does
// what the unit asks of it: it runs the unit's ExecStart as an unprivileged
// user (uid 65534, as the Dovecot harness runs Dovecot) with a state
// directory of that user's and the unit's credentials copied into
// $CREDENTIALS_DIRECTORY the way LoadCredential= does (a directory's files
// as ID_FILENAME, readable by the service's user alone), the originals left
// readable by root only. The config is the shipped one with only what
// names this machine changed: the root of its paths, the servers'
// addresses, the private CA they use (the shipped ca_file lines), and the
// HTTP port. `systemd-analyze verify` checks the unit where it is
// installed.

import (
	"bufio"
	"crypto/tls"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/mailbox/mailtest"
	"github.com/foiwatch/foiwatch/worker/demo"
)

// unitFile is the shipped unit's settings: key → values, in order.
type unitFile map[string][]string

func readUnit(t *testing.T) unitFile {
	t.Helper()
	f, err := os.Open("../../deploy/foiwatch.service")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unitFile{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("unit line %q", line)
		}
		u[k] = append(u[k], v)
	}
	return u
}

func (u unitFile) one(t *testing.T, key string) string {
	t.Helper()
	if len(u[key]) != 1 {
		t.Fatalf("the unit has %d %s= lines, want 1", len(u[key]), key)
	}
	return u[key][0]
}

// systemd-analyze verify finds nothing to say about the unit (with the
// binary it starts in place: it checks that ExecStart exists).
func TestSystemdUnitVerifies(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed: skipping the check of deploy/foiwatch.service")
	}
	bin := foiwatchBinary(t)
	b, err := os.ReadFile("../../deploy/foiwatch.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(t.TempDir(), "foiwatch.service")
	os.WriteFile(unit, []byte(strings.ReplaceAll(string(b), "/usr/local/bin/foiwatch", bin)), 0o644)
	out, err := exec.Command(sa, "verify", "--man=no", unit).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify deploy/foiwatch.service: %v\n%s", err, out)
	}
	// The settings the daemon's start depends on.
	u := readUnit(t)
	for key, want := range map[string]string{
		"DynamicUser": "yes", "User": "foiwatch", "StateDirectory": "foiwatch", "Restart": "on-failure",
		"RestartPreventExitStatus": "2", "StartLimitBurst": "5",
	} {
		if got := u.one(t, key); got != want {
			t.Errorf("%s=%s, want %s", key, got, want)
		}
	}
	if len(u["StartLimitIntervalSec"]) != 1 {
		t.Error("no StartLimitIntervalSec: a bad config would be restarted forever")
	}
}

// tlsFront serves implicit TLS with cert on a loopback port and passes the
// bytes on to backend: a mailbox whose certificate a private CA signed.
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

// serviceUID is the unprivileged user the daemon runs as (nobody).
const serviceUID = 65534

// shipped is one installation of deploy/ under a root directory.
type shipped struct {
	root, bin, cfg, credDir, stateDir string
	execArgs                          []string
	httpAddr                          string
}

// install lays out the shipped unit and config under a fresh root: the
// binary, /etc/foiwatch (root's), its credentials (root's, 0600), the
// state directory (the service user's) and $CREDENTIALS_DIRECTORY.
func install(t *testing.T, imapAddr, smtpAddr string, caPEM []byte, secrets map[string]string, edit func(string) string) *shipped {
	t.Helper()
	u := readUnit(t)
	// Not t.TempDir: its parents are 0700 and root's, which the service's
	// user could not enter.
	root, err := os.MkdirTemp("", "foiwatch-deploy-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	os.Chmod(root, 0o755)
	s := &shipped{root: root}
	at := func(p string) string { return filepath.Join(root, p) }
	mkdir := func(p string, mode os.FileMode) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(p, mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
	}

	// ExecStart=/usr/local/bin/foiwatch run --config /etc/foiwatch/foiwatch.toml
	exe := strings.Fields(u.one(t, "ExecStart"))
	s.bin = at(exe[0])
	mkdir(filepath.Dir(s.bin), 0o755)
	src, err := os.ReadFile(foiwatchBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.bin, src, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, a := range exe[1:] {
		if strings.HasPrefix(a, "/") {
			a = at(a)
		}
		s.execArgs = append(s.execArgs, a)
	}
	for i, a := range s.execArgs {
		if a == "--config" {
			s.cfg = s.execArgs[i+1]
		}
	}
	if s.cfg == "" {
		t.Fatalf("ExecStart %q names no --config", exe)
	}
	etc := filepath.Dir(s.cfg)
	mkdir(etc, 0o755)
	mkdir(filepath.Join(etc, "campaigns"), 0o755)
	os.WriteFile(filepath.Join(etc, "campaigns", "demo.toml"), []byte(demo.CampaignTOML()), 0o644)
	os.WriteFile(filepath.Join(etc, "ca.pem"), caPEM, 0o644)

	// LoadCredential=ID:DIR gives each file of DIR as ID_FILENAME.
	var credSrc, credID string
	for _, lc := range u["LoadCredential"] {
		id, p, _ := strings.Cut(lc, ":")
		credID, credSrc = id, at(p)
	}
	if credSrc == "" {
		t.Fatal("the unit loads no credential")
	}
	mkdir(credSrc, 0o700)
	s.credDir = at("/run/credentials/foiwatch.service")
	mkdir(s.credDir, 0o700)
	for name, v := range secrets {
		os.WriteFile(filepath.Join(credSrc, name), []byte(v+"\n"), 0o600)
		c := filepath.Join(s.credDir, credID+"_"+name)
		os.WriteFile(c, []byte(v+"\n"), 0o400)
		os.Chown(c, serviceUID, serviceUID)
	}
	os.Chmod(s.credDir, 0o500)
	os.Chown(s.credDir, serviceUID, serviceUID)

	// The shipped config, with only what names this machine changed.
	b, err := os.ReadFile("../../deploy/foiwatch.toml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	s.stateDir = at("/var/lib/" + u.one(t, "StateDirectory"))
	mkdir(s.stateDir, 0o700)
	os.Chown(s.stateDir, serviceUID, serviceUID)
	s.httpAddr = "127.0.0.1:" + strconv.Itoa(freePorts(t, 1)[0])
	for _, r := range [][2]string{
		{`"/var/lib/foiwatch"`, `"` + s.stateDir + `"`},
		{`"/etc/foiwatch/`, `"` + etc + `/`},
		{`"imap.example.org:993"`, `"` + imapAddr + `"`},
		{`"smtp.example.org:587"`, `"` + smtpAddr + `"`},
		{`"127.0.0.1:8080"`, `"` + s.httpAddr + `"`},
		{`# ca_file = "` + etc + `/imap-ca.pem"`, `ca_file = "` + etc + `/ca.pem"`},
		{`# ca_file = "` + etc + `/smtp-ca.pem"`, `ca_file = "` + etc + `/ca.pem"`},
	} {
		if !strings.Contains(text, r[0]) {
			t.Fatalf("deploy/foiwatch.toml no longer has %s", r[0])
		}
		text = strings.ReplaceAll(text, r[0], r[1])
	}
	if edit != nil {
		text = edit(text)
	}
	for _, line := range strings.Split(text, "\n") {
		if v, _, _ := strings.Cut(line, "#"); strings.Contains(v, "/etc/foiwatch/credentials") || strings.Contains(v, credSrc) {
			t.Fatalf("the config names the credentials' originals, which the service cannot read: %s", line)
		}
	}
	if err := os.WriteFile(s.cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// start runs the unit's ExecStart as the service's user, with the
// environment systemd gives it.
func (s *shipped) start(t *testing.T) *proc {
	t.Helper()
	cmd := exec.Command(s.bin, s.execArgs...)
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "CREDENTIALS_DIRECTORY=" + s.credDir,
		"STATE_DIRECTORY=" + s.stateDir, "CONFIGURATION_DIRECTORY=" + filepath.Dir(s.cfg)}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL,
		Credential: &syscall.Credential{Uid: serviceUID, Gid: serviceUID}}
	stderr := &syncBuffer{}
	cmd.Stderr, cmd.Stdout = stderr, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stderr: stderr, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-p.done })
	return p
}

func TestShippedUnitAndConfigStartTheDaemonAsAnUnprivilegedUser(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping a test that runs foiwatch as a process")
	}
	if os.Geteuid() != 0 {
		t.Skip("not root: the test needs to run the daemon as another user (uid 65534) as systemd would")
	}
	cert, err := mailtest.NewCert()
	if err != nil {
		t.Fatal(err)
	}
	const imapPW, smtpPW = "shipped-imap-pw-1618", "shipped-smtp-pw-2718"
	mem, err := mailtest.NewMemServer("researcher@example.org", imapPW)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mem.Close() })
	for _, m := range sampleMessages(t) {
		mem.Append("INBOX", m)
	}
	imapAddr := tlsFront(t, cert, mem.Addr())
	sink, err := mailtest.NewSMTPSink(&mailtest.SinkOptions{Username: "researcher@example.org", Password: smtpPW, TLS: cert.TLS})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })

	s := install(t, imapAddr, sink.Addr(), cert.CertPEM, map[string]string{"imap-password": imapPW, "smtp-password": smtpPW}, nil)
	p := s.start(t)
	base := "http://" + s.httpAddr
	waitFor(t, 90*time.Second, "the shipped daemon ready (its mailbox polled)", func() (bool, string) {
		select {
		case <-p.done:
			t.Fatalf("the daemon exited: %v\n%s", p.err, p.stderr)
		default:
		}
		code, rd, body := getReadyz(base)
		return code == 200 && rd.Ready, body + "\n" + logTail(p.stderr.String(), 3000)
	})
	t.Setenv("FOIWATCH_CONFIG", s.cfg)
	waitFor(t, 60*time.Second, "the samples stored", func() (bool, string) {
		n, pending := progress(t, s.cfg)
		return n == len(sampleMessages(t)) && pending == 0, strconv.Itoa(n)
	})
	// Operator commands, run here as root, go through the daemon.
	if code, out, errOut := foiwatch(t, "status", "--now", "2024-06-21"); code != 0 || !strings.Contains(out, "FOI/OPCCB/0412") {
		t.Errorf("status through the daemon: exit %d %q %q", code, out, errOut)
	}
	if code, out, errOut := foiwatch(t, "remind", "--dry-run", "--now", "2024-06-21"); code != 0 || !strings.Contains(out, "wessex") {
		t.Errorf("remind --dry-run through the daemon: exit %d %q %q", code, out, errOut)
	}
	// Another user, neither root nor the daemon's, cannot reach the store
	// and is told how to.
	other := exec.Command(s.bin, "status", "--config", s.cfg)
	other.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 1, Gid: 1}}
	other.Dir = "/"
	if out, err := other.CombinedOutput(); err == nil || !strings.Contains(string(out), "cannot be reached by this user") || !strings.Contains(string(out), "systemd-run") {
		t.Errorf("status as uid 1: %v\n%s", err, out)
	}
	// Its mailbox's gauge, and its lease by a readable name.
	metrics := httpGet(t, base+"/metrics")
	if m := regexp.MustCompile(`(?m)^foiwatch_mailbox_seconds_since_last_poll\{mailbox="foi"\} ([0-9.e+-]+)$`).FindStringSubmatch(metrics); m == nil {
		t.Errorf("/metrics has no foiwatch_mailbox_seconds_since_last_poll for foi")
	} else if v, _ := strconv.ParseFloat(m[1], 64); v > 600 {
		t.Errorf("foi last polled %g s ago", v)
	}
	if !strings.Contains(p.stderr.String(), `"lease":"poller.foi"`) {
		t.Errorf("the poller's lease is not named poller.foi in the log:\n%s", logTail(p.stderr.String(), 2000))
	}
	if strings.Contains(p.stderr.String(), `"level":"ERROR"`) {
		t.Errorf("the shipped daemon logged errors:\n%s", p.stderr)
	}
	if err := p.stop(t); err != nil {
		t.Fatalf("the daemon did not stop cleanly on SIGTERM: %v\n%s", err, p.stderr)
	}
	if !logHas(p.stderr.String(), "foiwatch stopped") {
		t.Errorf("no shutdown line in the log:\n%s", logTail(p.stderr.String(), 2000))
	}

	// With the daemon stopped, root's operator command refuses the store,
	// saying how to run it, and leaves no file of root's in it.
	code, _, errOut := foiwatch(t, "status", "--now", "2024-06-21")
	if code != 1 || !strings.Contains(errOut, "belongs to uid 65534") || !strings.Contains(errOut, "sudo -u") || !strings.Contains(errOut, "systemd-run") {
		t.Errorf("status as root on the stopped daemon's store: exit %d %q; want 1 naming sudo -u and systemd-run", code, errOut)
	}
	filepath.WalkDir(s.stateDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if fi, err := d.Info(); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != serviceUID {
				t.Errorf("%s belongs to uid %d, not the service's", path, st.Uid)
			}
		}
		return nil
	})
	// As the service's user, the same command opens the store itself.
	cmd := exec.Command(s.bin, "status", "--config", s.cfg, "--now", "2024-06-21")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: serviceUID, Gid: serviceUID}}
	cmd.Dir = "/"
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "FOI/OPCCB/0412") {
		t.Errorf("status as the service's user: %v\n%s", err, out)
	}

	// Optional credentials are optional: without [smtp] (and so without
	// its password) the same unit starts.
	noSMTP := func(text string) string {
		i := strings.Index(text, "\n[smtp]")
		j := strings.Index(text, "\n[http]")
		return text[:i] + "\n" + text[j:]
	}
	s2 := install(t, imapAddr, sink.Addr(), cert.CertPEM, map[string]string{"imap-password": imapPW}, noSMTP)
	p2 := s2.start(t)
	waitFor(t, 90*time.Second, "the daemon without [smtp] ready", func() (bool, string) {
		select {
		case <-p2.done:
			t.Fatalf("the daemon without [smtp] exited: %v\n%s", p2.err, p2.stderr)
		default:
		}
		code, rd, body := getReadyz("http://" + s2.httpAddr)
		return code == 200 && rd.Ready, body
	})
	if err := p2.stop(t); err != nil {
		t.Errorf("the daemon without [smtp]: %v\n%s", err, p2.stderr)
	}
	if m := regexp.MustCompile(`"level":"ERROR","msg":"[^"]*"`).FindAllString(p2.stderr.String(), -1); len(m) > 0 {
		t.Errorf("the daemon without [smtp] logged errors: %q", m)
	}
}
