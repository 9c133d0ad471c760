package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/nats-io/nats.go/jetstream"
)

// StoredRaw is a raw message as stored: the bytes of a small one (read
// from the rawsmall bucket in one message anyway), or the way to read a
// large one from the object store as a stream of its chunks, so that the
// parser reads it as it arrives and it is never whole in this process's
// memory (GetRaw holds all of it; a 68 MiB message was once in memory
// whole while a decoded copy of its attachment was made next to it).
type StoredRaw struct {
	SHA256 string
	Size   int64
	bytes  []byte // a small message; nil for one in the object store
	open   func() (io.ReadCloser, error)
}

// Bytes is a small message's raw bytes, or nil for a large one (Open).
func (s *StoredRaw) Bytes() []byte { return s.bytes }

// Open starts reading the message from its start; the caller closes it.
// The object store checks the sha256 of what it sent once the last chunk
// is read.
func (s *StoredRaw) Open() (io.ReadCloser, error) {
	if s.open == nil {
		return io.NopCloser(bytes.NewReader(s.bytes)), nil
	}
	return s.open()
}

// OpenRaw finds the raw message stored under sha: a small one is read, a
// large one only looked up (its size). It returns an error that
// errors.Is ErrNotFound when neither store holds it.
func (q *Queue) OpenRaw(ctx context.Context, sha string) (*StoredRaw, error) {
	b, _, err := q.rawSmall.Get(ctx, sha)
	if err == nil {
		return &StoredRaw{SHA256: sha, Size: int64(len(b)), bytes: b}, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("queue: read raw message %s: %w", sha, err)
	}
	info, err := q.raw.GetInfo(ctx, sha)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, fmt.Errorf("queue: raw message %s: %w", sha, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("queue: read raw message %s: %w", sha, err)
	}
	return &StoredRaw{SHA256: sha, Size: int64(info.Size), open: func() (io.ReadCloser, error) {
		res, err := q.raw.Get(ctx, sha)
		if errors.Is(err, jetstream.ErrObjectNotFound) {
			return nil, fmt.Errorf("queue: raw message %s: %w", sha, ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("queue: read raw message %s: %w", sha, err)
		}
		return &objectReader{res: res, sha: sha}, nil
	}}, nil
}

// objectReader names the message in a read error.
type objectReader struct {
	res jetstream.ObjectResult
	sha string
}

func (o *objectReader) Read(p []byte) (int, error) {
	n, err := o.res.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("queue: read raw message %s from object store %s: %w", o.sha[:min(12, len(o.sha))], ObjectRaw, err)
	}
	return n, err
}

func (o *objectReader) Close() error { return o.res.Close() }

// sameObject reports whether the object store's copy of sha holds exactly
// raw, reading it a chunk at a time: a message stored before (a retry, a
// second folder, a rescanned one) is compared with what was fetched
// without a second whole copy of it in memory.
func (q *Queue) sameObject(ctx context.Context, sha string, raw []byte) (bool, error) {
	res, err := q.raw.Get(ctx, sha)
	if err != nil {
		return false, fmt.Errorf("queue: read raw message %s: %w", sha, err)
	}
	defer res.Close()
	buf := make([]byte, 128<<10)
	rest := raw
	for {
		n, err := res.Read(buf)
		if n > len(rest) || !bytes.Equal(buf[:n], rest[:n]) {
			return false, nil
		}
		rest = rest[n:]
		if err == io.EOF {
			return len(rest) == 0, nil
		}
		if err != nil {
			return false, fmt.Errorf("queue: read raw message %s (%d bytes): %w", sha, len(raw), err)
		}
	}
}
