package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A damaged store. JetStream keeps each stream in block files; a block cut
// short or overwritten (a disk error, a crash of the machine before the
// data reached the disk, a restored backup that was taken while running) is
// recovered by the server as far as it can be read, and the rest is gone
// without an error: a bucket then answers "not found" for a key it held, or
// an older revision of it. Open looks for the signs (inspect) and keeps what
// it found in Damage, so that a command showing results can refuse to show
// wrong ones and name the damage instead:
//
//   - what the embedded server said while recovering its streams: a corrupt
//     record (with the file), a stream metafile that does not check, a
//     message block file that is missing;
//   - JetStream's own account of lost data (StreamState.Lost);
//   - a key-value stream whose last message is gone (its tail was lost: a
//     bucket's newest message is never removed by foiwatch), or that counts
//     more keys than messages.
//
// The embedded store also remembers the damage in data_dir/nats/damage.json
// until `foiwatch check --repair` rebuilt what was lost (MarkRepaired): the
// server's warnings are said only once, on the first start after the damage.

// Damage is one thing found wrong with the store.
type Damage struct {
	What   string    `json:"what"`            // "bucket requests"
	Stream string    `json:"stream"`          // "KV_requests"
	Where  string    `json:"where,omitempty"` // the file or directory
	Why    string    `json:"why"`
	Found  time.Time `json:"found"`
}

func (d Damage) String() string {
	s := d.What + ": " + d.Why
	if d.Where != "" {
		s += " (" + d.Where + ")"
	}
	return s
}

// Damage returns what Open found damaged (none: nil).
func (q *Queue) Damage() []Damage { return q.damage }

// checkedKey is written to a bucket by MarkRepaired: its newest message is
// then one that exists again. Keys and Each never show it.
const checkedKey = "_foiwatch_checked"

// damageBuckets are the buckets whose newest message foiwatch never
// removes (not locks: its leases expire).
func (q *Queue) damageBuckets() []*Bucket {
	return []*Bucket{q.Requests, q.Replies, q.Cursors, q.Unmatched, q.Reminders, q.References, q.Threads, q.Decisions, q.Sends, q.rawSmall}
}

// inspect looks for signs of damage (see above) and logs what it finds.
func (q *Queue) inspect(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var found []Damage
	add := func(d Damage) {
		d.Found = time.Now().UTC()
		found = append(found, d)
	}
	if q.embedded != nil && q.embedded.log != nil {
		for _, line := range q.embedded.log.startupLines() {
			if d, ok := q.damageFromLog(line); ok {
				add(d)
			}
		}
	}
	for _, b := range q.damageBuckets() {
		stream := "KV_" + b.name
		s, err := q.js.Stream(ctx, stream)
		if err != nil {
			continue // not found is impossible after ensure; a timeout says nothing
		}
		st := s.CachedInfo().State
		where := q.StreamDir(stream)
		if st.Lost != nil && len(st.Lost.Msgs) > 0 {
			add(Damage{What: "bucket " + b.name, Stream: stream, Where: where,
				Why: fmt.Sprintf("JetStream lost %d messages (%s) when it read the stream back", len(st.Lost.Msgs), sizeText(int64(st.Lost.Bytes)))})
		}
		if st.NumSubjects > st.Msgs {
			add(Damage{What: "bucket " + b.name, Stream: stream, Where: where,
				Why: fmt.Sprintf("the stream counts %d keys in %d messages: its index and its data disagree", st.NumSubjects, st.Msgs)})
			continue
		}
		if gone, seq := q.newestGone(ctx, s, st.LastSeq); gone {
			add(Damage{What: "bucket " + b.name, Stream: stream, Where: where,
				Why: fmt.Sprintf("its newest message (sequence %d) is gone: the end of the stream was lost, with whatever was written last", seq)})
		}
	}
	q.damage = q.mergeDamage(found)
	for _, d := range q.damage {
		q.log.Error("the store is damaged: run foiwatch check --repair to rebuild what was lost from the raw messages", "bucket", d.What, "stream", d.Stream, "where", d.Where, "why", d.Why)
	}
}

// newestGone reports whether the newest message of a key-value stream is
// missing. Another process may write the same key meanwhile (which removes
// the message that was newest): the newest is asked again, and only a
// message still the newest and still missing counts. It is asked of the
// stream's leader: a key-value stream answers reads from any replica
// (direct get), and one that lags has not got the newest yet.
func (q *Queue) newestGone(ctx context.Context, s jetstream.Stream, last uint64) (bool, uint64) {
	name := s.CachedInfo().Config.Name
	for try := 0; try < 5 && last > 0; try++ {
		m, err := q.leaderGetMsg(ctx, name, last)
		if err != nil || m != nil {
			return false, 0 // there, or nothing known
		}
		info, err := s.Info(ctx)
		if err != nil {
			return false, 0
		}
		if info.State.LastSeq == last {
			return true, last
		}
		last = info.State.LastSeq
	}
	return false, 0
}

// leaderGetMsg reads message seq of stream from the stream's leader (nil,
// nil: there is no such message).
func (q *Queue) leaderGetMsg(ctx context.Context, stream string, seq uint64) (*jetstream.RawStreamMsg, error) {
	req, _ := json.Marshal(map[string]uint64{"seq": seq})
	resp, err := q.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+stream, req)
	if err != nil {
		return nil, err
	}
	var r struct {
		Message *struct {
			Subject string    `json:"subject"`
			Seq     uint64    `json:"seq"`
			Header  []byte    `json:"hdrs"`
			Data    []byte    `json:"data"`
			Time    time.Time `json:"time"`
		} `json:"message"`
		Error *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(resp.Data, &r); err != nil {
		return nil, fmt.Errorf("queue: read %s message %d: %w", stream, seq, err)
	}
	if r.Error != nil {
		if r.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound {
			return nil, nil
		}
		return nil, r.Error
	}
	if r.Message == nil {
		return nil, fmt.Errorf("queue: read %s message %d: no message in the answer", stream, seq)
	}
	m := &jetstream.RawStreamMsg{Subject: r.Message.Subject, Sequence: r.Message.Seq, Data: r.Message.Data, Time: r.Message.Time}
	if len(r.Message.Header) > 0 {
		if h, err := nats.DecodeHeadersMsg(r.Message.Header); err == nil {
			m.Header = h
		}
	}
	return m, nil
}

// StreamDir is where a stream's files are: on disk for the embedded store,
// else its name on the servers.
func (q *Queue) StreamDir(stream string) string {
	if q.dataDir == "" {
		return "stream " + stream + " on the NATS servers"
	}
	return filepath.Join(q.dataDir, "nats", "jetstream", "jetstream", "$G", "streams", stream, "msgs")
}

var (
	logFilestore = regexp.MustCompile(`Filestore \[([^\]]+)\] (.*)`)
	logStreamDir = regexp.MustCompile(`streams/([A-Za-z0-9_\-]+)/`)
	logQuoted    = regexp.MustCompile(`stream "?'?([A-Za-z0-9_\-]+)`)
	logFile      = regexp.MustCompile(`(/[^\s:"]+\.(?:blk|inf|sum|idx|fss|db))`)
)

// damageFromLog makes a Damage of a warning the embedded server gave while
// recovering its streams, when it says that data was lost. Warnings that
// only mean an index was rebuilt (after a crash of the process, with
// nothing lost) are not damage.
func (q *Queue) damageFromLog(line string) (Damage, bool) {
	lower := strings.ToLower(line)
	serious := false
	for _, s := range []string{"corrupt record", "checksums do not match", "error reading metafile", "error unmarshalling stream metafile",
		"missing stream metafile", "missing stream checksum", "could not locate msg block", "error recreating stream", "bad stream encryption"} {
		if strings.Contains(lower, s) {
			serious = true
		}
	}
	if !serious {
		return Damage{}, false
	}
	stream := ""
	if m := logFilestore.FindStringSubmatch(line); m != nil {
		stream = m[1]
	} else if m := logStreamDir.FindStringSubmatch(line); m != nil {
		stream = m[1]
	} else if m := logQuoted.FindStringSubmatch(line); m != nil {
		stream = m[1]
	}
	where := ""
	if m := logFile.FindStringSubmatch(line); m != nil {
		where = m[1]
	} else if stream != "" {
		where = q.StreamDir(stream)
	}
	return Damage{What: whatOfStream(stream), Stream: stream, Where: where, Why: "the NATS server said: " + line}, true
}

// whatOfStream names a stream as foiwatch does: "bucket replies".
func whatOfStream(stream string) string {
	switch {
	case strings.HasPrefix(stream, "KV_"):
		return "bucket " + strings.TrimPrefix(stream, "KV_")
	case strings.HasPrefix(stream, "OBJ_"):
		return "object store " + strings.TrimPrefix(stream, "OBJ_")
	case stream == "":
		return "the store"
	}
	return "stream " + stream
}

func (q *Queue) damageFile() string {
	if q.dataDir == "" {
		return ""
	}
	return filepath.Join(q.dataDir, "nats", "damage.json")
}

// mergeDamage adds what was remembered from earlier opens (embedded store)
// and remembers what is new.
func (q *Queue) mergeDamage(found []Damage) []Damage {
	path := q.damageFile()
	if path == "" {
		return found
	}
	var known []Damage
	if b, err := os.ReadFile(path); err == nil {
		json.Unmarshal(b, &known)
	}
	seen := map[string]bool{}
	for _, d := range known {
		seen[d.Stream+"\x00"+d.Why] = true
	}
	added := false
	for _, d := range found {
		if !seen[d.Stream+"\x00"+d.Why] {
			known = append(known, d)
			seen[d.Stream+"\x00"+d.Why] = true
			added = true
		}
	}
	if added && q.embedded != nil { // only the process that runs the store writes it
		b, _ := json.MarshalIndent(known, "", "  ")
		if err := writeFileAtomic(path, b, 0o600); err != nil {
			q.log.Warn("could not remember the damage found", "file", path, "err", err)
		}
	}
	sort.SliceStable(known, func(i, j int) bool { return known[i].Stream < known[j].Stream })
	return known
}

// MarkRepaired records that what was damaged has been rebuilt: it writes a
// mark to every bucket (so that each one's newest message exists again)
// and forgets the damage remembered in data_dir/nats/damage.json.
func (q *Queue) MarkRepaired(ctx context.Context) error {
	for _, b := range q.damageBuckets() {
		if _, err := b.kv.Put(ctx, checkedKey, []byte(time.Now().UTC().Format(time.RFC3339))); err != nil {
			return q.wrapWrite(fmt.Errorf("queue: mark %s as checked: %w", b.name, err))
		}
	}
	if path := q.damageFile(); path != "" {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("queue: %w", err)
		}
	}
	q.damage = nil
	return nil
}

// ScanBucket reads every message of a bucket's stream, oldest first,
// without a consumer (a damaged stream can stall one), and calls fn with
// each key and value (deleted: the key was deleted then; a later call for
// the same key supersedes an earlier one; val is nil for a value that
// cannot be read back). It returns the messages that JetStream counts but
// cannot read, with a Damage naming them (nil when there are none): such a
// stream must be rebuilt (RebuildBucket), for a write of a key whose old
// message cannot be read fails and stops the stream.
func (q *Queue) ScanBucket(ctx context.Context, name string, fn func(key string, val []byte, deleted bool) error) ([]uint64, *Damage, error) {
	b := q.bucket(name)
	if b == nil {
		return nil, nil, fmt.Errorf("queue: no bucket %q", name)
	}
	stream := "KV_" + name
	s, err := q.js.Stream(ctx, stream)
	if err != nil {
		return nil, nil, fmt.Errorf("queue: stream %s: %w", stream, err)
	}
	info, err := s.Info(ctx, jetstream.WithDeletedDetails(true))
	if err != nil {
		return nil, nil, fmt.Errorf("queue: stream %s: %w", stream, err)
	}
	skip := map[uint64]bool{}
	for _, seq := range info.State.Deleted {
		skip[seq] = true
	}
	prefix := "$KV." + name + "."
	var bad []uint64
	if info.State.Msgs > 0 {
		for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
			if skip[seq] {
				continue
			}
			m, err := s.GetMsg(ctx, seq)
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				// A replica that lags may not have it yet: ask the leader.
				if m, err = q.leaderGetMsg(ctx, stream, seq); err == nil && m == nil {
					bad = append(bad, seq)
					continue
				}
			}
			if err != nil {
				return nil, nil, fmt.Errorf("queue: read %s message %d: %w", stream, seq, err)
			}
			key, ok := strings.CutPrefix(m.Subject, prefix)
			if !ok || strings.HasPrefix(key, checkedKey) {
				continue
			}
			op := m.Header.Get("KV-Operation")
			if op == "DEL" || op == "PURGE" {
				if err := fn(key, nil, true); err != nil {
					return nil, nil, err
				}
				continue
			}
			val, derr := b.decode(ctx, key, m.Data)
			if derr != nil {
				val = nil
			}
			if err := fn(key, val, false); err != nil {
				return nil, nil, err
			}
		}
	}
	if len(bad) == 0 {
		return nil, nil, nil
	}
	where := q.StreamDir(stream)
	if q.dataDir != "" {
		if blks, _ := filepath.Glob(filepath.Join(where, "*.blk")); len(blks) == 1 {
			where = blks[0]
		}
	}
	return bad, &Damage{What: "bucket " + name, Stream: stream, Where: where, Found: time.Now().UTC(),
		Why: fmt.Sprintf("%d of its %d messages cannot be read: their records are damaged (%s)", len(bad), info.State.Msgs, seqList(bad))}, nil
}

func (q *Queue) bucket(name string) *Bucket {
	for _, b := range append(q.damageBuckets(), q.Locks) {
		if b != nil && b.name == name {
			return b
		}
	}
	return nil
}

// seqList is "sequences 151-153, 160" (the first 10 runs).
func seqList(seqs []uint64) string {
	var parts []string
	for i := 0; i < len(seqs); {
		j := i
		for j+1 < len(seqs) && seqs[j+1] == seqs[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", seqs[i], seqs[j]))
		} else {
			parts = append(parts, fmt.Sprint(seqs[i]))
		}
		i = j + 1
		if len(parts) == 10 && i < len(seqs) {
			parts = append(parts, "…")
			break
		}
	}
	word := "sequence"
	if len(seqs) > 1 {
		word = "sequences"
	}
	return word + " " + strings.Join(parts, ", ")
}

// serverLog is the embedded server's logger: warnings and errors go to the
// daemon's log, and those of its start are kept for inspect.
type serverLog struct {
	log       *slog.Logger
	mu        sync.Mutex
	capturing bool
	startup   []string
	fatal     string // see broken
}

func (l *serverLog) keep(s string) {
	l.mu.Lock()
	if l.capturing && len(l.startup) < 1000 {
		l.startup = append(l.startup, s)
	}
	l.mu.Unlock()
}

func (l *serverLog) stopCapture() {
	l.mu.Lock()
	l.capturing = false
	l.mu.Unlock()
}

func (l *serverLog) startupLines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.startup...)
}

func (l *serverLog) Noticef(string, ...any) {}
func (l *serverLog) Debugf(string, ...any)  {}
func (l *serverLog) Tracef(string, ...any)  {}

func (l *serverLog) Warnf(format string, v ...any) {
	s := strings.TrimSpace(fmt.Sprintf(format, v...))
	if strings.Contains(s, "Plaintext passwords detected") {
		return // the generated password of the loopback listener: not a secret kept anywhere else
	}
	l.keep(s)
	l.log.Warn("embedded NATS server: " + s)
}

func (l *serverLog) Errorf(format string, v ...any) {
	s := strings.TrimSpace(fmt.Sprintf(format, v...))
	l.keep(s)
	l.log.Error("embedded NATS server: " + s)
	for _, fatal := range []string{"critical write error", "will be DISABLED", "permission denied while writing"} {
		if strings.Contains(s, fatal) {
			l.mu.Lock()
			if l.fatal == "" {
				l.fatal = s
			}
			l.mu.Unlock()
		}
	}
}

// broken is the first error after which the server takes no more writes
// on a stream until it restarts (see Queue.Broken).
func (l *serverLog) broken() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fatal == "" {
		return nil
	}
	return fmt.Errorf("queue: the embedded NATS store stopped taking writes until it restarts: %s", l.fatal)
}

func (l *serverLog) Fatalf(format string, v ...any) {
	l.Errorf(format, v...)
}

// Queued returns the sha256 of every envelope still in MAIL (waiting to be
// processed, in work, or waiting for a retry).
func (q *Queue) Queued(ctx context.Context) (map[string]bool, error) {
	info, err := q.mail.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("queue: %s: %w", StreamMail, err)
	}
	out := map[string]bool{}
	if info.State.Msgs == 0 {
		return out, nil
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := q.mail.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("queue: read %s message %d: %w", StreamMail, seq, err)
		}
		var env Envelope
		if json.Unmarshal(m.Data, &env) == nil && env.SHA256 != "" {
			out[env.SHA256] = true
		}
	}
	return out, nil
}

// LargeOrphans lists the objects in ObjectLarge that no bucket value refers
// to any more (a crash between writing an object and its reference, a large
// value replaced by a small one), and removes them when remove is set.
func (q *Queue) LargeOrphans(ctx context.Context, remove bool) ([]string, error) {
	infos, err := q.large.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("queue: list object store %s: %w", ObjectLarge, err)
	}
	var orphans []string
	for _, info := range infos {
		if info.Deleted {
			continue
		}
		bucket, rest, _ := strings.Cut(info.Name, "/")
		key, _, _ := strings.Cut(rest, "/")
		var b *Bucket
		switch bucket {
		case BucketReplies:
			b = q.Replies
		case BucketUnmatched:
			b = q.Unmatched
		}
		used := false
		if b != nil {
			if e, err := b.kv.Get(ctx, key); err == nil {
				ref, ok := parseLargeRef(e.Value())
				used = ok && ref.Object == info.Name
			} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
				return nil, fmt.Errorf("queue: get %s/%s: %w", bucket, key, err)
			}
		}
		if used {
			continue
		}
		orphans = append(orphans, info.Name)
		if remove {
			if err := q.large.Delete(ctx, info.Name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
				return orphans, fmt.Errorf("queue: remove %s from object store %s: %w", info.Name, ObjectLarge, err)
			}
		}
	}
	return orphans, nil
}

// ResetCursors forgets every mailbox's cursor, so that the next sync
// fetches each mailbox again from its first message: raw messages that were
// lost are stored again, and those still stored are recognised by their
// sha256 and not processed twice.
func (q *Queue) ResetCursors(ctx context.Context) (int, error) {
	keys, err := q.Cursors.Keys(ctx)
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		if err := q.Cursors.Delete(ctx, k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}
