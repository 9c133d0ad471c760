package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// embedded is a nats-server run inside this process.
type embedded struct {
	srv      *server.Server
	lock     *os.File
	infoPath string
	// storeDir is the JetStream store (data_dir/nats/jetstream).
	storeDir string
	// opts are the server's options, kept to raise its store limit by a
	// reload (full.go).
	opts     *server.Options
	maxBytes ByteSize // nats.max_bytes; 0: the default limit
	growMu   sync.Mutex
	grown    time.Time
	// log gets the server's warnings and errors; those of its start are
	// kept for the damage check (damage.go).
	log *serverLog
}

// endpoint is what the process running the embedded server writes to
// data_dir/nats/endpoint.json (mode 0600) for operator commands.
type endpoint struct {
	URL      string `json:"url"`
	User     string `json:"user"`
	Password string `json:"password"`
	PID      int    `json:"pid"`
	// Daemon is true when the process is `foiwatch run`, false for an
	// operator command that opened the store while no daemon ran.
	Daemon bool `json:"daemon"`
}

// ErrDaemonRunning is Open's error for a second daemon on one store.
var ErrDaemonRunning = errors.New("another foiwatch daemon runs on this data_dir")

// StoreOwnerError is Open's error when this process would run the store of
// another user: the files it wrote would be its own (root's, say), and the
// daemon could no longer use them. It may only reach that user's daemon.
type StoreOwnerError struct {
	Dir         string
	Owner, Self int   // uids
	Err         error // set when the store could not be read at all
}

func (e *StoreOwnerError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("queue: the store in %s cannot be reached by this user (uid %d): %v", e.Dir, e.Self, e.Err)
	}
	return fmt.Sprintf("queue: the store in %s belongs to uid %d and no foiwatch daemon runs on it for this command to reach: opening it as uid %d would leave files the daemon cannot use", e.Dir, e.Owner, e.Self)
}

func (e *StoreOwnerError) Unwrap() error { return e.Err }

// accessError turns a permission error on the store into a StoreOwnerError.
func accessError(dir string, err error) error {
	if errors.Is(err, os.ErrPermission) {
		return &StoreOwnerError{Dir: dir, Owner: -1, Self: os.Geteuid(), Err: err}
	}
	return err
}

// openEmbedded either starts the embedded server (when it can take the
// store's lock) or connects to the one another foiwatch process runs.
//
// It is over 100 lines: the store's lock, the server's options, its start
// and the connection, in the order of start-up, each failure saying what
// to do.
func openEmbedded(ctx context.Context, dataDir string, maxBytes ByteSize, o Options) (*embedded, *nats.Conn, error) {
	dir := filepath.Join(dataDir, "nats")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, accessError(dataDir, fmt.Errorf("queue: create %s: %w", dir, err))
	}
	lockPath := filepath.Join(dir, "LOCK")
	lf, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, nil, accessError(dataDir, fmt.Errorf("queue: open lock %s: %w", lockPath, err))
	}
	infoPath := filepath.Join(dir, "endpoint.json")
	deadline := time.Now().Add(o.OwnerWait)
	waitSaid := false
	for {
		err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			lf.Close()
			return nil, nil, fmt.Errorf("queue: lock %s: %w", lockPath, err)
		}
		if !o.Owner {
			// Another foiwatch process runs the server: connect to it.
			lf.Close()
			nc, err := connectEndpoint(ctx, infoPath)
			return nil, nc, accessError(dataDir, err)
		}
		// Say at once who holds the store: a daemon (give up now), or an
		// operator command that will soon be done (wait for it).
		var ep endpoint
		if b, err := os.ReadFile(infoPath); err == nil && json.Unmarshal(b, &ep) == nil && ep.PID != 0 {
			if ep.Daemon {
				lf.Close()
				return nil, nil, fmt.Errorf("queue: %w (pid %d, data_dir %s): stop it first, or give this one its own data_dir", ErrDaemonRunning, ep.PID, dataDir)
			}
			if !waitSaid {
				o.Logger.Warn("an operator command (foiwatch, pid "+fmt.Sprint(ep.PID)+") holds the store; waiting for it to finish", "data_dir", dataDir, "wait", o.OwnerWait.String())
				waitSaid = true
			}
		}
		if time.Now().After(deadline) {
			lf.Close()
			return nil, nil, fmt.Errorf("queue: another foiwatch process holds %s (see its pid in %s); stop it, or point this one at its own data_dir", lockPath, infoPath)
		}
		select {
		case <-ctx.Done():
			lf.Close()
			return nil, nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}

	// This process runs the store: it must be its owner's.
	if st, err := lf.Stat(); err == nil {
		if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != os.Geteuid() {
			syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
			lf.Close()
			return nil, nil, &StoreOwnerError{Dir: dataDir, Owner: int(sys.Uid), Self: os.Geteuid()}
		}
	}
	e := &embedded{lock: lf, infoPath: infoPath, storeDir: filepath.Join(dir, "jetstream"), maxBytes: maxBytes}
	sopts := serverOptions(e.storeDir)
	// The store's limit, made explicit so that it can be raised when space
	// is freed (full.go).
	if maxBytes > 0 {
		sopts.JetStreamMaxStore = int64(maxBytes)
	} else {
		// The store's directory exists before its file system is asked
		// (a first start would be given no limit at all).
		if err := os.MkdirAll(e.storeDir, 0o700); err != nil {
			e.close()
			return nil, nil, fmt.Errorf("queue: create %s: %w", e.storeDir, err)
		}
		sopts.JetStreamMaxStore = defaultLimit(e.storeDir, dirSize(e.storeDir))
	}
	ep := endpoint{User: "foiwatch", Password: randomSecret(), PID: os.Getpid(), Daemon: o.Owner}
	if o.NoListen {
		sopts.DontListen = true
	} else {
		sopts.Username = ep.User
		sopts.Password = ep.Password
	}
	srv, err := server.NewServer(sopts)
	if err != nil {
		e.close()
		return nil, nil, fmt.Errorf("queue: embedded NATS server: %w", err)
	}
	e.srv = srv
	e.opts = sopts
	e.log = &serverLog{log: o.Logger, capturing: true}
	srv.SetLogger(e.log, false, false)
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		e.close()
		return nil, nil, fmt.Errorf("queue: embedded NATS server did not start within 30s (store %s)", sopts.StoreDir)
	}
	e.log.stopCapture()
	if !o.NoListen {
		ep.URL = srv.ClientURL()
		b, _ := json.Marshal(ep)
		if err := writeFileAtomic(infoPath, b, 0o600); err != nil {
			e.close()
			return nil, nil, err
		}
	}
	nopts := []nats.Option{nats.Name("foiwatch"), nats.InProcessServer(srv)}
	if !o.NoListen {
		nopts = append(nopts, nats.UserInfo(ep.User, ep.Password))
	}
	nc, err := nats.Connect("", nopts...)
	if err != nil {
		e.close()
		return nil, nil, fmt.Errorf("queue: connect to embedded NATS: %w", err)
	}
	return e, nc, nil
}

func connectEndpoint(ctx context.Context, infoPath string) (*nats.Conn, error) {
	// The owner writes the file right after its server is ready: give a
	// process that is just starting a few seconds.
	var ep endpoint
	var lastErr error
	for i := 0; i < 50; i++ {
		b, err := os.ReadFile(infoPath)
		if err == nil {
			if err = json.Unmarshal(b, &ep); err == nil && ep.URL != "" {
				nc, err := nats.Connect(ep.URL, nats.Name("foiwatch-cli"), nats.UserInfo(ep.User, ep.Password))
				if err == nil {
					return nc, nil
				}
				lastErr = err
			} else if err != nil {
				lastErr = err
			}
		} else {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil, fmt.Errorf("queue: another foiwatch process (pid %d) runs the embedded NATS server, but it cannot be reached through %s: %v", ep.PID, infoPath, lastErr)
}

func (e *embedded) close() {
	if e.srv != nil {
		e.srv.Shutdown()
		e.srv.WaitForShutdown()
	}
	if e.lock != nil {
		os.Remove(e.infoPath)
		syscall.Flock(int(e.lock.Fd()), syscall.LOCK_UN)
		e.lock.Close()
	}
}

func randomSecret() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b)
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("queue: write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("queue: rename %s: %w", tmp, err)
	}
	return nil
}

// redactURL drops credentials from a NATS URL list before it is logged.
func redactURL(u string) string {
	out := []byte{}
	skip := false
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case c == '/' && i > 0 && u[i-1] == '/':
			out = append(out, c)
			// credentials run to the next '@' before a ',' or '/'
			j := i + 1
			for j < len(u) && u[j] != '@' && u[j] != ',' && u[j] != '/' {
				j++
			}
			if j < len(u) && u[j] == '@' {
				out = append(out, "***"...)
				i = j - 1
				skip = false
			}
		default:
			if !skip {
				out = append(out, c)
			}
		}
	}
	return string(out)
}
