package queue

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
)

// A full store. JetStream refuses a write with "insufficient resources"
// (err_code 10023) once the store reaches its limit: the servers'
// max_file_store on a cluster; for the embedded server, nats.max_bytes, or
// by default three quarters of the space its file system had when it
// started. Every write fails then, key-value puts and leases included, so
// no message is to blame: the worker pauses instead of failing messages,
// `sync` stops with the error, and /readyz says what is full and where.
//
// The embedded server's default limit is fixed when it starts; this file
// raises it (by a configuration reload: JetStream allows raising it, not
// lowering it) when space on the file system has been freed, so the daemon
// goes on by itself. Should something else fill the file system below what
// the limit allows, JetStream's writes would fail with "no space left on
// device", which damages the stream being written until the server restarts:
// so below reserveBytes free on data_dir's file system foiwatch stops
// writing as if the store were full.

// ByteSize is a number of bytes in the config: an integer, or a string
// with a unit ("500M", "20G", "1.5T"; K, M, G and T are powers of 1024).
type ByteSize int64

// UnmarshalTOML implements toml.Unmarshaler.
func (b *ByteSize) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case int64:
		*b = ByteSize(x)
		return nil
	case string:
		n, err := parseByteSize(x)
		if err != nil {
			return err
		}
		*b = n
		return nil
	}
	return fmt.Errorf("want a size such as \"500M\" or \"20G\", not %v", v)
}

func parseByteSize(s string) (ByteSize, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	if t == "" {
		return 0, nil // the default
	}
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := 1.0
	if t != "" {
		switch t[len(t)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult != 1 {
			t = strings.TrimSpace(t[:len(t)-1])
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("%q is not a size: want e.g. \"500M\" or \"20G\"", s)
	}
	return ByteSize(f * mult), nil
}

// reserveBytes is the free space below which foiwatch stops writing to an
// embedded store: 64 MiB, or a twentieth of a smaller file system.
func reserveBytes(fsSize int64) int64 { return min(64<<20, fsSize/20) }

// space tracks whether the store has room.
type space struct {
	q    *Queue
	mu   sync.Mutex
	full *StoreFullError // set while writes are known to fail for want of space
	// since is when full was set.
	since time.Time
}

func (s *space) init(q *Queue) { s.q = q }

// Full returns the error that says what is full while the store is known
// to be full, or nil.
func (q *Queue) Full() error {
	q.space.mu.Lock()
	defer q.space.mu.Unlock()
	if q.space.full == nil {
		return nil
	}
	return q.space.full
}

func (s *space) set(fe *StoreFullError) {
	s.mu.Lock()
	first := s.full == nil
	s.full = fe
	if first {
		s.since = time.Now()
	}
	s.mu.Unlock()
	if first {
		s.q.log.Error("the store is full: writes wait until it has room", "err", fe.Detail)
	}
}

func (s *space) clear() {
	s.mu.Lock()
	was := s.full
	since := s.since
	s.full = nil
	s.mu.Unlock()
	if was != nil {
		s.q.log.Info("the store has room again; going on", "full_for", time.Since(since).Round(time.Second).String())
	}
}

// wrapWrite turns JetStream's answers for want of space into a
// *StoreFullError saying what is full, and records that the store is full.
func (q *Queue) wrapWrite(err error) error {
	if err == nil || errors.Is(err, ErrStoreFull) || !isFullErr(err) {
		return err
	}
	fe := &StoreFullError{Detail: q.fullDetail(err), Err: err}
	q.space.set(fe)
	return fe
}

// checkRoom refuses a write before it is made when the embedded store's file
// system is nearly full (see reserveBytes). A statfs is about a microsecond:
// it is made for every write.
func (q *Queue) checkRoom() error {
	if q.embedded == nil {
		return nil
	}
	free, size, err := diskSpace(q.embedded.storeDir)
	if err != nil || free >= reserveBytes(size) {
		return nil
	}
	fe := &StoreFullError{Detail: fmt.Sprintf("data_dir is full: the file system of %s has %s free of %s; foiwatch stops writing below %s so that the store is not damaged. Free space there and foiwatch goes on by itself; meanwhile nothing is lost (new mail stays on the IMAP server)",
		q.embedded.storeDir, sizeText(free), sizeText(size), sizeText(reserveBytes(size))), Err: syscall.ENOSPC}
	q.space.set(fe)
	return fe
}

// Broken returns the error that stopped the embedded store taking writes
// until it restarts (JetStream met a write error, such as "no space left on
// device", and stopped the stream), or nil. The daemon exits on it, so that
// its service manager restarts it: a restarted store takes writes again
// once there is room.
func (q *Queue) Broken() error {
	if q.embedded == nil || q.embedded.log == nil {
		return nil
	}
	return q.embedded.log.broken()
}

// fullDetail explains a full store in words for the operator.
func (q *Queue) fullDetail(err error) string {
	said := err.Error()
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		said = fmt.Sprintf("%q, err_code %d", apiErr.Description, apiErr.ErrorCode)
	}
	if e := q.embedded; e != nil {
		used, limit := e.usage()
		free, size, _ := diskSpace(e.storeDir)
		if e.maxBytes > 0 {
			return fmt.Sprintf("data_dir is full: the store in %s holds %s and has reached nats.max_bytes = %s (JetStream said %s). Raise max_bytes in the config and restart foiwatch; meanwhile nothing is lost (new mail stays on the IMAP server)",
				e.storeDir, sizeText(used), sizeText(int64(e.maxBytes)), said)
		}
		return fmt.Sprintf("data_dir is full: the store in %s holds %s and has reached its limit of %s, three quarters of the space its file system offers (%s free of %s; JetStream said %s). Free space on that file system and foiwatch goes on by itself; meanwhile nothing is lost (new mail stays on the IMAP server)",
			e.storeDir, sizeText(used), sizeText(limit), sizeText(free), sizeText(size), said)
	}
	return fmt.Sprintf("the NATS cluster's JetStream store is full (JetStream said %s): a server's disk or its max_file_store is used up (`nats server report jetstream` shows each server's use). Free space or raise max_file_store on the servers; foiwatch goes on by itself once there is room", said)
}

// Probe checks that the store takes a write now: a small key-value write
// (a lease nobody holds, kept LockTTL). It clears the full state when the
// write succeeds.
func (q *Queue) Probe(ctx context.Context) error {
	if err := q.checkRoom(); err != nil {
		return err
	}
	if q.embedded != nil {
		q.embedded.growLimit(q)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := q.Locks.Put(pctx, "probe", []byte(time.Now().UTC().Format(time.RFC3339Nano)))
	if err != nil {
		return err
	}
	q.space.clear()
	return nil
}

// fullWait is the pause between probes while the store is full: 1s, 2s,
// 5s, 10s, then 30s for every later probe. A freed disk is noticed within
// 30s; a full store costs one small write every 30s.
var fullWait = []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second}

// WaitForRoom returns once the store takes writes again (or ctx ends).
func (q *Queue) WaitForRoom(ctx context.Context) error {
	for i := 0; ; i++ {
		if q.Probe(ctx) == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(fullWait[min(i, len(fullWait)-1)]):
		}
	}
}

// diskSpace is the free space (for an unprivileged writer) and the size of
// the file system holding dir.
func diskSpace(dir string) (free, size int64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), int64(st.Blocks) * int64(st.Bsize), nil
}

// dirSize is the bytes of the files under dir.
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// defaultLimit is the embedded store's limit when nats.max_bytes is not
// set: three quarters of what its file system offers it, the free space
// plus what it holds already (JetStream's own default, made explicit so that
// it can be raised later).
func defaultLimit(storeDir string, used int64) int64 {
	free, _, err := diskSpace(storeDir)
	if err != nil {
		return server.JetStreamMaxStoreDefault
	}
	return (free + used) / 4 * 3
}

// usage is what the embedded store holds and its limit.
func (e *embedded) usage() (used, limit int64) {
	if e.srv == nil {
		return 0, 0
	}
	info, err := e.srv.Jsz(nil)
	if err != nil {
		return 0, 0
	}
	return int64(info.Store), info.Config.MaxStore
}

// growLimit raises the embedded store's default limit when its file system
// has more to offer than when the limit was set (space was freed). It
// does so at most every 5s. A limit set by nats.max_bytes is never changed.
func (e *embedded) growLimit(q *Queue) {
	if e.srv == nil || e.maxBytes > 0 || e.opts == nil {
		return
	}
	e.growMu.Lock()
	defer e.growMu.Unlock()
	if time.Since(e.grown) < 5*time.Second {
		return
	}
	e.grown = time.Now()
	used, limit := e.usage()
	want := defaultLimit(e.storeDir, used)
	if want <= limit+limit/100 {
		return
	}
	o := e.opts.Clone()
	o.JetStreamMaxStore = want
	// The port the server listens on (a random one was resolved when it
	// started): a reload may not change it. RANDOM_PORT makes the reload
	// keep whatever the server has, none included.
	o.Port = server.RANDOM_PORT
	if a, ok := e.srv.Addr().(*net.TCPAddr); ok && a != nil {
		o.Port = a.Port
	}
	if err := e.srv.ReloadOptions(o); err != nil {
		q.log.Warn("could not raise the embedded store's limit", "from", sizeText(limit), "to", sizeText(want), "err", err)
		return
	}
	e.opts = o
	q.log.Info("space was freed on data_dir's file system: the embedded store's limit is raised", "from", sizeText(limit), "to", sizeText(want), "store", e.storeDir)
}
