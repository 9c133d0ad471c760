package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/nats-io/nats.go/jetstream"
)

// Values too large for one NATS message. A bucket that allows it (Bucket
// spill) keeps such a value as an object in ObjectLarge, named
// "<bucket>/<key>/<first 16 hex digits of the value's sha256>", and in the
// bucket a reference: largeMarker followed by a largeRef in JSON. The marker
// starts with a NUL byte, which no JSON value foiwatch stores starts with.
// The object is written before the reference, so a reference always finds
// its object; an object left over (a crash in between, a reference
// overwritten by a small value) is found and removed by `foiwatch check`.

const largeMarker = "\x00foiwatch:large\x00"

// MaxLargeValue is the largest value a bucket keeps at all: a Reply is
// bounded by the parser's limits (4 MiB of text) far below it.
const MaxLargeValue = 64 << 20

type largeRef struct {
	Object string `json:"object"`
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
}

// maxValue is the largest value that fits in one message on this
// connection, with room for the subject and headers; 0 when not known yet
// (not connected).
func (q *Queue) maxValue() int {
	if q.nc == nil {
		return 0
	}
	mp := int(q.nc.MaxPayload())
	if mp <= 0 {
		return 0
	}
	return mp - 8<<10
}

// encode returns what is to be written to the bucket for val: val itself,
// or a reference to it once it is stored in ObjectLarge. old is the
// bucket's current value when it was read to clean up after (Put only).
func (b *Bucket) encode(ctx context.Context, key string, val []byte) (enc, old []byte, err error) {
	max := b.q.maxValue()
	if max <= 0 || len(val) <= max {
		return val, nil, nil
	}
	what := fmt.Sprintf("the value of %s/%s", b.name, short(key))
	if !b.spill || b.q.large == nil {
		return nil, nil, &TooLargeError{What: what, Size: len(val), Max: max, Why: "the most one NATS message holds (the server's max_payload)"}
	}
	if len(val) > MaxLargeValue {
		return nil, nil, &TooLargeError{What: what, Size: len(val), Max: MaxLargeValue, Why: "the largest value foiwatch keeps"}
	}
	if e, err := b.kv.Get(ctx, key); err == nil {
		old = e.Value()
	}
	sum := SHA256(val)
	ref := largeRef{Object: b.name + "/" + key + "/" + sum[:16], Size: len(val), SHA256: sum}
	if _, err := b.q.large.PutBytes(ctx, ref.Object, val); err != nil {
		return nil, nil, b.q.wrapWrite(fmt.Errorf("queue: store %s (%s) in object store %s: %w", what, sizeText(int64(len(val))), ObjectLarge, err))
	}
	j, _ := json.Marshal(ref)
	return append([]byte(largeMarker), j...), old, nil
}

// dropOld removes the object an overwritten reference pointed to.
func (b *Bucket) dropOld(ctx context.Context, old, now []byte) {
	oref, ok := parseLargeRef(old)
	if !ok {
		return
	}
	if nref, ok := parseLargeRef(now); ok && nref.Object == oref.Object {
		return
	}
	if err := b.q.large.Delete(ctx, oref.Object); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		b.q.log.Warn("could not remove a value replaced in the object store; foiwatch check removes it", "object", oref.Object, "err", err)
	}
}

func parseLargeRef(val []byte) (largeRef, bool) {
	rest, ok := bytes.CutPrefix(val, []byte(largeMarker))
	if !ok {
		return largeRef{}, false
	}
	var ref largeRef
	if json.Unmarshal(rest, &ref) != nil || ref.Object == "" {
		return largeRef{}, false
	}
	return ref, true
}

// decode returns the value a bucket entry stands for.
func (b *Bucket) decode(ctx context.Context, key string, val []byte) ([]byte, error) {
	if !bytes.HasPrefix(val, []byte(largeMarker)) {
		return val, nil
	}
	ref, ok := parseLargeRef(val)
	if !ok || b.q.large == nil {
		return nil, &DamagedError{What: fmt.Sprintf("%s/%s", b.name, key), Why: "its reference to the object store " + ObjectLarge + " cannot be read"}
	}
	res, err := b.q.large.Get(ctx, ref.Object)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, &DamagedError{What: fmt.Sprintf("%s/%s", b.name, key), Why: fmt.Sprintf("its value (%s) is not in the object store %s as %s", sizeText(int64(ref.Size)), ObjectLarge, ref.Object)}
	}
	if err != nil {
		return nil, fmt.Errorf("queue: read %s/%s from object store %s: %w", b.name, key, ObjectLarge, err)
	}
	defer res.Close()
	buf := make([]byte, ref.Size)
	if _, err := io.ReadFull(res, buf); err != nil {
		return nil, fmt.Errorf("queue: read %s/%s from object store %s: %w", b.name, key, ObjectLarge, err)
	}
	if SHA256(buf) != ref.SHA256 {
		return nil, &DamagedError{What: fmt.Sprintf("%s/%s", b.name, key), Why: fmt.Sprintf("its value in the object store %s (%s) does not match its sha256", ObjectLarge, ref.Object)}
	}
	return buf, nil
}

// DamagedError says that a stored value cannot be read back as it was
// written: part of the store is damaged. `foiwatch check --repair` rebuilds
// what can be rebuilt from the raw messages.
type DamagedError struct {
	What string // "replies/a31c…"
	Why  string
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("queue: %s is damaged: %s (run foiwatch check --repair to rebuild it from the raw messages)", e.What, e.Why)
}

// ErrDamaged is matched (errors.Is) by every *DamagedError.
var ErrDamaged = errors.New("damaged")

func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }
