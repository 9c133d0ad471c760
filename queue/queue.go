// Package queue is in charge of NATS JetStream for foiwatch: the embedded
// nats-server (the default) or a connection to an existing cluster, and on it
// the stream of received mail, the dead-letter stream FAILED, the key-value
// buckets that hold all state, and where every raw message is kept (a
// bucket for most, the object store for large ones). It is not in charge of
// what a message or a reply means: values are bytes to this package, and the
// worker gives them meaning.
//
// Implementation notes:
//
//   - Every JetStream name lives in names.go and nowhere else.
//   - Raw mail is stored under its sha256 (hex) before its envelope is
//     published; the envelope carries Nats-Msg-Id so that a publish repeated
//     within the stream's duplicate window is stored once. Delivery to the
//     worker is at least once: effects are made idempotent by the worker.
//   - Embedded mode: the process that holds an exclusive lock on
//     data_dir/nats/LOCK runs the server, listening on loopback only with a
//     random port and a generated password kept in data_dir/nats (mode 0600).
//     Any other foiwatch process on the machine (an operator command while the
//     daemon runs) connects to it as a client with that credential. When no
//     process holds the lock, the command starts the server itself on the same
//     store, so operator commands work on a stopped daemon too.
//   - A failure's type decides its fate (errors.go): permanent → FAILED on
//     the attempt that met it; transient → retried after a backoff, FAILED
//     after the last attempt; a full store → nobody's fault: Work waits in
//     place for room, Drain stops with the error.
//   - Opening waits for JetStream while it cannot serve (ensure.go): every
//     stream and bucket is created at once, each retried with backoff and
//     jitter; only a real configuration conflict is an error. A stream that
//     has foiwatch's settings already is not written to.
//   - Nothing published is larger than the connection's MaxPayload: a
//     larger value of a bucket that allows it goes to ObjectLarge by
//     reference (large.go); any other is refused as permanent.
//   - A full store is said as such, with where (full.go); the embedded
//     store's default limit grows as space is freed, and writes stop before
//     the file system is full.
//   - Signs of a damaged store are looked for at open and remembered
//     (damage.go); ScanBucket reads a stream without a consumer, and
//     RebuildBucket replaces one holding unreadable messages (rebuild.go).
package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config is the [nats] section of the config file.
type Config struct {
	// URL of an existing NATS server or cluster, e.g.
	// "nats://10.0.0.5:4222,nats://10.0.0.6:4222". Default "": the embedded
	// server, with its store under DataDir.
	URL string `toml:"url"`
	// CredentialsFile is a NATS .creds file for a secured cluster. Default "".
	CredentialsFile string `toml:"credentials_file"`
	// Replicas for streams, buckets and the object store on a cluster.
	// Default 1; use 3 in production clusters. Must be 1 when embedded.
	Replicas int `toml:"replicas"`
	// MaxBytes caps the embedded store's disk use, e.g. "20G" or "500M".
	// Default "": three quarters of the space data_dir's file system has
	// (free plus what the store holds), raised by itself when space is
	// freed. When the store reaches its limit, writes stop with "data_dir is
	// full" until there is room; nothing is lost. Ignored with url (the
	// servers' max_file_store applies).
	MaxBytes ByteSize `toml:"max_bytes"`

	// DataDir is the daemon's data directory (set from the top-level
	// data_dir, not from [nats]). The embedded store lives in DataDir/nats.
	DataDir string `toml:"-"`
}

// WithDefaults returns c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	return c
}

// Validate says in plain words what is wrong with c.
func (c Config) Validate() error {
	if c.Replicas < 0 || c.Replicas > 5 {
		return fmt.Errorf("nats: replicas = %d: must be between 1 and 5", c.Replicas)
	}
	if c.URL == "" && c.Replicas > 1 {
		return fmt.Errorf("nats: replicas = %d needs a cluster: set nats.url, or use replicas = 1 with the embedded server", c.Replicas)
	}
	if c.URL == "" && c.DataDir == "" {
		return errors.New("nats: the embedded server needs data_dir")
	}
	if c.MaxBytes < 0 || (c.MaxBytes > 0 && c.MaxBytes < 1<<20) {
		return fmt.Errorf("nats: max_bytes = %d: want at least 1M (or leave it out for three quarters of the disk)", c.MaxBytes)
	}
	return nil
}

// Options tune Open. A nil *Options means the defaults.
type Options struct {
	// Logger for server and connection events. Default slog.Default().
	Logger *slog.Logger
	// Owner asks for the embedded server to be run by this process: Open
	// waits up to OwnerWait for the store's lock instead of connecting to
	// another process's server. The daemon sets it; operator commands do not.
	Owner bool
	// OwnerWait is how long an Owner waits for the lock. Default 30s.
	OwnerWait time.Duration
	// NoListen runs the embedded server with no TCP listener at all (the
	// demo, tests): only this process can reach it.
	NoListen bool
	// DuplicateWindow of the MAIL stream: how long a repeated Nats-Msg-Id is
	// recognised. Default 24h. The worker's own sha256 check covers longer.
	DuplicateWindow time.Duration
	// OpenWait is how long Open waits for JetStream while it cannot serve
	// (a cluster without a leader yet, requests timing out), retrying each
	// stream and bucket with backoff (see settleBackoff). Default 1m, for
	// operator commands; negative: until ctx ends (the daemon, which also
	// waits for a NATS server that is not up yet).
	OpenWait time.Duration
	// OnWaiting, when set, is told each time Open waits for JetStream: what
	// it waits for, the error, and when it tries again; once more with a
	// nil error when that is done. The daemon shows it on /readyz.
	OnWaiting func(what string, err error, retryIn time.Duration)
}

// Queue is an open connection to JetStream with every stream, bucket and the
// object store created.
type Queue struct {
	log      *slog.Logger
	nc       *nats.Conn
	js       jetstream.JetStream
	embedded *embedded // nil when connected to a URL or to another process's server
	replicas int

	mail   jetstream.Stream
	failed jetstream.Stream
	raw    jetstream.ObjectStore
	large  jetstream.ObjectStore // bucket values over MaxPayload (ObjectLarge)

	dataDir   string // data_dir of the embedded store ("" with a URL)
	url       string // the servers, without credentials ("" embedded)
	openWait  time.Duration
	onWaiting func(what string, err error, retryIn time.Duration)
	space     space    // whether the store has room (full.go)
	damage    []Damage // what was found damaged when the store was opened (damage.go)

	Requests  *Bucket // campaign.request → request state
	Replies   *Bucket // sha256 → Reply
	Cursors   *Bucket // mailbox cursors
	Unmatched *Bucket // sha256 → reply waiting for an operator
	Reminders *Bucket // campaign.request.stage → reminder record
	Locks     *Bucket // leases with a TTL: one poller per mailbox, one scheduler
	Sends     *Bucket // campaign.request → record of sending the request
	// References maps a normalised authority's reference to the requests
	// replies carrying it were filed under.
	References *Bucket
	// Threads maps a stored reply's Message-ID to the request it was filed under.
	Threads *Bucket
	// Decisions holds operator decisions, one key each (see BucketDecisions).
	Decisions *Bucket

	rawSmall *Bucket // raw messages of at most SmallRaw bytes
}

// Open connects to JetStream (starting the embedded server when cfg.URL is
// empty and no other process runs it) and makes sure every stream, consumer,
// bucket and the object store exist with the configured replicas.
func Open(ctx context.Context, cfg Config, opts *Options) (*Queue, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.OwnerWait == 0 {
		o.OwnerWait = 30 * time.Second
	}
	if o.DuplicateWindow == 0 {
		o.DuplicateWindow = 24 * time.Hour
	}
	if o.OpenWait == 0 {
		o.OpenWait = time.Minute
	}
	q := &Queue{log: o.Logger, replicas: cfg.Replicas, openWait: o.OpenWait, onWaiting: o.OnWaiting}
	if cfg.URL == "" {
		q.dataDir = cfg.DataDir
	} else {
		q.url = redactURL(cfg.URL)
	}

	var err error
	if cfg.URL != "" {
		q.nc, err = connectURL(cfg, o.Logger, o.OpenWait < 0)
	} else {
		q.embedded, q.nc, err = openEmbedded(ctx, cfg.DataDir, cfg.MaxBytes, o)
	}
	if err != nil {
		return nil, err
	}
	q.space.init(q)
	q.js, err = jetstream.New(q.nc)
	if err != nil {
		q.Close()
		return nil, fmt.Errorf("queue: jetstream: %w", err)
	}
	if err := q.ensure(ctx, o.DuplicateWindow); err != nil {
		q.Close()
		return nil, err
	}
	q.inspect(ctx)
	return q, nil
}

// connectURL connects to the configured servers. wait (the daemon) keeps
// trying in the background when none answers yet, so that the daemon can
// start before its cluster and say on /readyz what it waits for.
func connectURL(cfg Config, log *slog.Logger, wait bool) (*nats.Conn, error) {
	nopts := []nats.Option{
		nats.Name("foiwatch"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("nats disconnected; reconnecting", "err", err)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("nats reconnected", "server", c.ConnectedUrlRedacted())
		}),
	}
	if cfg.CredentialsFile != "" {
		nopts = append(nopts, nats.UserCredentials(cfg.CredentialsFile))
	}
	if wait {
		nopts = append(nopts, nats.RetryOnFailedConnect(true))
	}
	nc, err := nats.Connect(cfg.URL, nopts...)
	if err != nil {
		return nil, fmt.Errorf("queue: connect to NATS at %s: %w (is the server running and reachable?)", redactURL(cfg.URL), err)
	}
	return nc, nil
}

// Connected reports whether the NATS connection is up.
func (q *Queue) Connected() bool { return q.nc != nil && q.nc.IsConnected() }

// Embedded reports whether this process runs the embedded server.
func (q *Queue) Embedded() bool { return q.embedded != nil }

// Close drains the connection and, when this process runs the embedded
// server, shuts it down and releases the store's lock.
func (q *Queue) Close() error {
	if q.nc != nil {
		q.nc.Drain()
		// Drain is asynchronous: wait a moment for it so that pending acks
		// reach the server before it shuts down.
		for i := 0; i < 100 && !q.nc.IsClosed(); i++ {
			time.Sleep(10 * time.Millisecond)
		}
		q.nc.Close()
	}
	if q.embedded != nil {
		q.embedded.close()
	}
	return nil
}

// SHA256 is the content hash foiwatch keys raw mail by (lower-case hex).
func SHA256(raw []byte) string {
	h := sha256.Sum256(raw)
	return hex.EncodeToString(h[:])
}

// PutRaw stores raw under its sha256 unless it is stored already, and
// returns the hash. A message of at most SmallRaw bytes goes into the
// rawsmall bucket (one atomic write: it is there whole or not at all);
// a larger one into the object store.
//
// For the object store, "stored already" is checked by reading the object
// back, not by its metadata alone: the object store publishes an object's
// chunks and its metadata together, and when a chunk's publish fails (a
// NATS node lost mid-write) it purges the chunks and returns an error but
// leaves the metadata, so an object can look stored and have no data.
// Reading back is cheap because it happens only for a message seen before
// (a retry after an error, a message in two folders). Not rewriting a good
// object matters too: a replaced object briefly vanishes for a worker
// reading it.
func (q *Queue) PutRaw(ctx context.Context, raw []byte) (string, error) {
	sha := SHA256(raw)
	if err := q.checkRoom(); err != nil {
		return "", err
	}
	// A cluster may run with a max_payload below NATS's default 1 MiB: a
	// message must fit in one NATS message to go to the bucket.
	if mv := q.maxValue(); len(raw) <= SmallRaw && (mv <= 0 || len(raw) <= mv) {
		_, err := q.rawSmall.Create(ctx, sha, raw)
		if err != nil && !errors.Is(err, ErrExists) {
			return "", fmt.Errorf("queue: store raw message %s (%d bytes): %w", sha[:12], len(raw), err)
		}
		return sha, nil
	}
	if info, err := q.raw.GetInfo(ctx, sha); err == nil && info != nil {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		same, err := q.sameObject(rctx, sha, raw) // rawstream.go: read a chunk at a time
		cancel()
		if err == nil && same {
			return sha, nil
		}
		q.log.Warn("a raw message was stored incompletely before (a NATS server failed mid-write?); storing it again", "sha", sha[:12], "err", err)
	}
	if _, err := q.raw.PutBytes(ctx, sha, raw); err != nil {
		return "", q.wrapWrite(fmt.Errorf("queue: store raw message %s (%d bytes): %w", sha[:12], len(raw), err))
	}
	return sha, nil
}

// ErrNotFound is returned for a raw message, key or failed entry that does not exist.
var ErrNotFound = errors.New("not found")

// GetRaw returns the raw message stored under sha.
func (q *Queue) GetRaw(ctx context.Context, sha string) ([]byte, error) {
	b, _, err := q.rawSmall.Get(ctx, sha)
	if err == nil {
		return b, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("queue: read raw message %s: %w", sha, err)
	}
	return q.getObject(ctx, sha)
}

// getObject reads a raw message from the object store into a buffer of the
// object's size: reading a 68 MB message through a growing buffer
// allocated about four times that.
func (q *Queue) getObject(ctx context.Context, sha string) ([]byte, error) {
	res, err := q.raw.Get(ctx, sha)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, fmt.Errorf("queue: raw message %s: %w", sha, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("queue: read raw message %s: %w", sha, err)
	}
	defer res.Close()
	info, err := res.Info()
	if err != nil {
		return nil, fmt.Errorf("queue: read raw message %s: %w", sha, err)
	}
	buf := make([]byte, info.Size)
	if _, err := io.ReadFull(res, buf); err != nil {
		return nil, fmt.Errorf("queue: read raw message %s (%d bytes): %w", sha, info.Size, err)
	}
	return buf, nil
}

// RawObjects calls fn for the sha256 of every raw message in the object
// store (those larger than SmallRaw).
func (q *Queue) RawObjects(ctx context.Context, fn func(sha string) error) error {
	infos, err := q.raw.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("queue: list raw messages: %w", err)
	}
	for _, info := range infos {
		if info.Deleted {
			continue
		}
		if err := fn(info.Name); err != nil {
			return err
		}
	}
	return nil
}

// RawList calls fn for the sha256 of every stored raw message.
func (q *Queue) RawList(ctx context.Context, fn func(sha string) error) error {
	small, err := q.rawSmall.Keys(ctx)
	if err != nil {
		return err
	}
	for _, sha := range small {
		if err := fn(sha); err != nil {
			return err
		}
	}
	return q.RawObjects(ctx, fn)
}

// ensureServerOpts is shared by the embedded server and the test helpers.
func serverOptions(storeDir string) *server.Options {
	return &server.Options{
		ServerName: "foiwatch",
		Host:       "127.0.0.1",
		Port:       server.RANDOM_PORT,
		JetStream:  true,
		StoreDir:   storeDir,
		NoSigs:     true,
		NoLog:      true,
		// The embedded server holds one daemon's state: keep JetStream's
		// memory use modest on a small machine.
		JetStreamMaxMemory: 64 << 20,
	}
}

// Stats are the counts of the connection to JetStream: each request to
// the server (a read, a write, a publish, an ack) is one message out, so
// OutMsgs per message processed is the round trips it cost (benchmarks).
func (q *Queue) Stats() nats.Statistics { return q.nc.Stats() }
