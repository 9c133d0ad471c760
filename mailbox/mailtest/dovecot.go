package mailtest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/foiwatch/foiwatch/mailbox/localmail"
)

// DovecotOptions configure StartDovecot. A nil *DovecotOptions is the zero
// value.
type DovecotOptions struct {
	// TLS serves a self-signed certificate: implicit TLS on TLSAddr and
	// STARTTLS on Addr. Without it Addr is plaintext only.
	TLS bool
	// Username and Password, default "alice" and "secret".
	Username, Password string
	// Capability, when set, replaces the capabilities Dovecot advertises
	// after login (its imap_capability setting), e.g. to leave out MOVE or
	// UIDPLUS so that a client takes its fallback path. Dovecot still
	// accepts the commands it no longer advertises.
	Capability string
	// CyrusNames names folders as Cyrus does by default: every folder under
	// INBOX, with "." between levels ("INBOX.Done"; NAMESPACE says
	// (("INBOX." "."))). A folder outside INBOX cannot be created.
	CyrusNames bool
}

// Dovecot is a real Dovecot IMAP server started by a test, rootless, with
// its configuration, mail and logs under one temporary directory, listening
// on loopback ports only.
type Dovecot struct {
	Username, Password string

	dir      string
	conf     string
	port     int
	tlsPort  int
	cert     *Cert
	uid, gid int // the user Dovecot runs as
	asRoot   bool

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// dovecotBinary finds dovecot on PATH or in /usr/sbin (often not on PATH for
// non-root users).
func dovecotBinary() (string, error) {
	if p, err := exec.LookPath("dovecot"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/dovecot", "/usr/local/sbin/dovecot"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("dovecot not found")
}

// DovecotInstalled reports whether StartDovecot can run.
func DovecotInstalled() bool {
	_, err := dovecotBinary()
	return err == nil
}

// StartDovecot starts Dovecot as a direct child process and registers a
// cleanup that stops it, reaps it and removes its directory. It skips the
// test when Dovecot is not installed.
func StartDovecot(t testing.TB, opts *DovecotOptions) *Dovecot {
	t.Helper()
	if _, err := dovecotBinary(); err != nil {
		t.Skip("dovecot is not installed (apt-get install -y dovecot-imapd): skipping the test against a real IMAP server")
	}
	var o DovecotOptions
	if opts != nil {
		o = *opts
	}
	if o.Username == "" {
		o.Username = "alice"
	}
	if o.Password == "" {
		o.Password = "secret"
	}
	d := &Dovecot{Username: o.Username, Password: o.Password}
	// Not t.TempDir: its parents are mode 0700 and owned by root, which the
	// unprivileged Dovecot could not enter.
	dir, err := os.MkdirTemp("", "foiwatch-dovecot-")
	if err != nil {
		t.Fatalf("mailtest: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	d.dir = dir
	d.conf = filepath.Join(dir, "dovecot.conf")

	d.asRoot = os.Getuid() == 0
	d.uid, d.gid = os.Getuid(), os.Getgid()
	if d.asRoot {
		d.uid, d.gid = 65534, 65534
	}
	runAs, err := user.LookupId(strconv.Itoa(d.uid))
	if err != nil {
		t.Fatalf("mailtest: look up uid %d: %v", d.uid, err)
	}
	group, err := user.LookupGroupId(strconv.Itoa(d.gid))
	if err != nil {
		t.Fatalf("mailtest: look up gid %d: %v", d.gid, err)
	}
	for _, sub := range []string{"run", "state", "mail"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatalf("mailtest: %v", err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(o.Username+":{PLAIN}"+o.Password+"::::::\n"), 0o600); err != nil {
		t.Fatalf("mailtest: %v", err)
	}
	ports, err := FreePorts(2)
	if err != nil {
		t.Fatalf("mailtest: %v", err)
	}
	d.port = ports[0]
	if o.TLS {
		d.tlsPort = ports[1]
		if d.cert, err = NewCert(); err != nil {
			t.Fatalf("mailtest: %v", err)
		}
		if err := os.WriteFile(filepath.Join(dir, "cert.pem"), d.cert.CertPEM, 0o600); err != nil {
			t.Fatalf("mailtest: %v", err)
		}
		if err := os.WriteFile(filepath.Join(dir, "key.pem"), d.cert.KeyPEM, 0o600); err != nil {
			t.Fatalf("mailtest: %v", err)
		}
	}
	var conf bytes.Buffer
	err = dovecotConf.Execute(&conf, map[string]any{
		"Dir": dir, "Port": d.port, "TLSPort": d.tlsPort, "TLS": o.TLS,
		"User": runAs.Username, "Group": group.Name, "UID": d.uid, "GID": d.gid,
		"Capability": o.Capability, "CyrusNames": o.CyrusNames,
	})
	if err != nil {
		t.Fatalf("mailtest: dovecot config: %v", err)
	}
	if err := os.WriteFile(d.conf, conf.Bytes(), 0o644); err != nil {
		t.Fatalf("mailtest: %v", err)
	}
	if d.asRoot {
		err := filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, d.uid, d.gid)
		})
		if err != nil {
			t.Fatalf("mailtest: chown %s: %v", dir, err)
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("mailtest: %v", err)
	}

	t.Cleanup(d.stop)
	if err := d.start(); err != nil {
		t.Fatalf("mailtest: %v", err)
	}
	return d
}

var dovecotConf = template.Must(template.New("dovecot.conf").Parse(`# written by foiwatch mailtest
base_dir = {{.Dir}}/run
state_dir = {{.Dir}}/state
log_path = {{.Dir}}/dovecot.log
info_log_path = {{.Dir}}/dovecot.log
protocols = imap
listen = 127.0.0.1
mail_location = maildir:{{.Dir}}/mail/%u
{{if .Capability}}imap_capability = {{.Capability}}
{{end}}{{if .TLS}}ssl = yes
ssl_cert = <{{.Dir}}/cert.pem
ssl_key = <{{.Dir}}/key.pem
{{else}}ssl = no
{{end}}disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {{.User}}
default_internal_user = {{.User}}
default_internal_group = {{.Group}}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {{.Dir}}/passwd
}
userdb {
  driver = static
  args = uid={{.UID}} gid={{.GID}} home={{.Dir}}/mail/%u
}
namespace inbox {
  inbox = yes
{{if .CyrusNames}}  prefix = INBOX.
  separator = .
{{else}}  separator = /
{{end}}}
service anvil {
  chroot =
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = {{.Port}}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = {{.TLSPort}}
{{if .TLS}}    ssl = yes
{{end}}  }
}
`))

// FreePorts returns n distinct loopback ports free a moment ago. The
// listeners stay open until all n are chosen: closed one by one, the
// kernel may hand out the same port twice (Dovecot then refuses its config
// with "duplicate listener").
func FreePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// start runs `dovecot -F -c FILE` as a direct child in its own process group
// and waits until it greets on its port.
func (d *Dovecot) start() error {
	bin, err := dovecotBinary()
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd != nil {
		return errors.New("dovecot is already running")
	}
	out, err := os.OpenFile(filepath.Join(d.dir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := exec.Command(bin, "-F", "-c", d.conf)
	cmd.Stdout, cmd.Stderr = out, out
	// Own process group, so Stop can end the children too; SIGKILL if the
	// test binary dies without running its cleanups (e.g. a test timeout).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if d.asRoot {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(d.uid), Gid: uint32(d.gid)}
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start dovecot: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	d.cmd, d.done = cmd, done

	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-done:
			d.cmd = nil
			return fmt.Errorf("dovecot exited at start: %s", d.logs())
		default:
		}
		if greets(d.Addr()) {
			return nil
		}
		if time.Now().After(deadline) {
			d.killLocked()
			return fmt.Errorf("dovecot did not answer on %s within 15s: %s", d.Addr(), d.logs())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func greets(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "* OK")
}

// logs returns the end of Dovecot's logs, for error messages.
func (d *Dovecot) logs() string {
	var b strings.Builder
	for _, name := range []string{"stdout.log", "dovecot.log"} {
		data, _ := os.ReadFile(filepath.Join(d.dir, name))
		if len(data) > 4000 {
			data = data[len(data)-4000:]
		}
		b.Write(data)
	}
	return strings.TrimSpace(b.String())
}

// Logs returns the end of Dovecot's log files.
func (d *Dovecot) Logs() string { return d.logs() }

// killLocked stops the process group: SIGTERM, then SIGKILL after 5 s, and
// reaps the master.
func (d *Dovecot) killLocked() {
	if d.cmd == nil {
		return
	}
	pgid := d.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-d.done
	}
	// Children (imap, imap-login, auth) leave when the master is gone; make
	// sure none is left in the group.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	d.cmd, d.done = nil, nil
}

func (d *Dovecot) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.killLocked()
}

// Stop stops Dovecot; its mail stays. Clients are disconnected.
func (d *Dovecot) Stop(t testing.TB) {
	t.Helper()
	d.stop()
}

// Start starts a stopped Dovecot again on the same ports with the same mail.
func (d *Dovecot) Start(t testing.TB) {
	t.Helper()
	if err := d.start(); err != nil {
		t.Fatalf("mailtest: %v", err)
	}
}

// Restart is Stop then Start.
func (d *Dovecot) Restart(t testing.TB) {
	t.Helper()
	d.Stop(t)
	d.Start(t)
}

// Addr is the plaintext (and, with TLS, STARTTLS) IMAP address.
func (d *Dovecot) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(d.port)) }

// TLSAddr is the implicit-TLS address, or "" without DovecotOptions.TLS.
func (d *Dovecot) TLSAddr() string {
	if d.cert == nil {
		return ""
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(d.tlsPort))
}

// RootCAs trusts the server's self-signed certificate (nil without TLS).
func (d *Dovecot) RootCAs() *x509.CertPool {
	if d.cert == nil {
		return nil
	}
	return d.cert.RootCAs
}

// TLSConfig is a client configuration trusting RootCAs (nil without TLS).
func (d *Dovecot) TLSConfig() *tls.Config {
	if d.cert == nil {
		return nil
	}
	return &tls.Config{RootCAs: d.cert.RootCAs}
}

// Append delivers raw into folder (over IMAP APPEND) and returns its UID.
func (d *Dovecot) Append(t testing.TB, folder string, raw []byte) uint32 {
	t.Helper()
	uid, err := localmail.AppendIMAP(d.Addr(), nil, d.Username, d.Password, folder, raw)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return uid
}

// CreateFolder creates a folder.
func (d *Dovecot) CreateFolder(t testing.TB, name string) {
	t.Helper()
	if err := localmail.FolderCommand(d.Addr(), nil, d.Username, d.Password, "CREATE", name); err != nil {
		t.Fatalf("%v", err)
	}
}

// RecreateFolder deletes a folder (not INBOX) with its mail and creates it
// again, empty: Dovecot gives it a new UIDVALIDITY and starts UIDs at 1.
func (d *Dovecot) RecreateFolder(t testing.TB, name string) {
	t.Helper()
	if err := localmail.FolderCommand(d.Addr(), nil, d.Username, d.Password, "DELETE", name); err != nil {
		t.Fatalf("%v", err)
	}
	d.CreateFolder(t, name)
}

// DeleteFolder deletes a folder (not INBOX) with its mail.
func (d *Dovecot) DeleteFolder(t testing.TB, name string) {
	t.Helper()
	if err := localmail.FolderCommand(d.Addr(), nil, d.Username, d.Password, "DELETE", name); err != nil {
		t.Fatalf("%v", err)
	}
}

// Messages lists the messages of folder, read-only, without setting \Seen.
func (d *Dovecot) Messages(t testing.TB, folder string) []StoredMessage {
	t.Helper()
	msgs, err := ListMessages(d.Addr(), nil, d.Username, d.Password, folder)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return msgs
}

// Kill sends SIGKILL to Dovecot and all its processes at once, as a crash
// or an OOM kill would: no process gets to close its connections cleanly or
// write its state. Its mail stays; Start runs it again.
func (d *Dovecot) Kill(t testing.TB) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd == nil {
		return
	}
	_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
	<-d.done
	d.cmd, d.done = nil, nil
}

// Maildir is the directory of folder in the user's Maildir++ store (INBOX
// is the store's root; a folder "A/B" is ".A.B").
func (d *Dovecot) Maildir(folder string) string {
	root := filepath.Join(d.dir, "mail", d.Username)
	if strings.EqualFold(folder, "INBOX") {
		return root
	}
	return filepath.Join(root, "."+strings.ReplaceAll(folder, "/", "."))
}

// Deliver writes msgs straight into folder's Maildir (cur/, no flags), as
// files owned by the user Dovecot runs as, without going through IMAP:
// thousands of messages take a fraction of a second rather than one APPEND
// each. Dovecot assigns their UIDs, in the order given, when a client next
// opens the folder (the file names sort in that order). The folder is
// created if needed.
func (d *Dovecot) Deliver(t testing.TB, folder string, msgs [][]byte) {
	t.Helper()
	if err := d.deliver(folder, msgs); err != nil {
		t.Fatalf("mailtest: deliver to %s: %v", folder, err)
	}
}

var deliverSeq struct {
	sync.Mutex
	n int
}

func (d *Dovecot) deliver(folder string, msgs [][]byte) error {
	dir := d.Maildir(folder)
	root := filepath.Join(d.dir, "mail", d.Username)
	for _, sub := range []string{root, dir, filepath.Join(dir, "cur"), filepath.Join(dir, "new"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return err
		}
		if err := os.Lchown(sub, d.uid, d.gid); err != nil {
			return err
		}
	}
	if dir != root {
		// Maildir++ marks a folder with a maildirfolder file.
		mf := filepath.Join(dir, "maildirfolder")
		if err := os.WriteFile(mf, nil, 0o644); err != nil {
			return err
		}
		if err := os.Lchown(mf, d.uid, d.gid); err != nil {
			return err
		}
	}
	host, _ := os.Hostname()
	host = strings.NewReplacer("/", "_", ":", "_").Replace(host)
	now := time.Now()
	deliverSeq.Lock()
	defer deliverSeq.Unlock()
	for _, raw := range msgs {
		deliverSeq.n++
		// Names sort in delivery order: Dovecot gives UIDs in that order.
		name := fmt.Sprintf("%d.M%09dP%dQ%d.%s,S=%d:2,", now.Unix(), deliverSeq.n, os.Getpid(), deliverSeq.n, host, len(raw))
		path := filepath.Join(dir, "cur", name)
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			return err
		}
		if err := os.Lchown(path, d.uid, d.gid); err != nil {
			return err
		}
	}
	return nil
}
