package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Bucket is one key-value bucket. Values are bytes; the caller encodes them.
//
// A value must fit in one NATS message (the connection's MaxPayload, 1 MiB
// by default, less room for the subject and headers). A bucket that may
// hold larger values (replies: a hostile message can make a Reply of
// megabytes) keeps such a value in the object store ObjectLarge and a
// reference to it in the bucket (large.go); Get and Each read it back as if
// it were in the bucket. In any other bucket a value too large is refused
// with a *TooLargeError before anything is sent.
type Bucket struct {
	kv    jetstream.KeyValue
	name  string
	q     *Queue
	spill bool // values over maxValue go to ObjectLarge
}

// ErrExists is returned by Create for a key that is already there.
var ErrExists = errors.New("key exists")

// ErrConflict is returned by Update when the key changed since it was read:
// read it again and retry.
var ErrConflict = errors.New("changed by someone else (revision mismatch)")

// Get returns the value of key and its revision, or ErrNotFound.
func (b *Bucket) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	e, err := b.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, fmt.Errorf("queue: %s/%s: %w", b.name, key, ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("queue: get %s/%s: %w", b.name, key, err)
	}
	val, err := b.decode(ctx, key, e.Value())
	if err != nil {
		return nil, 0, err
	}
	return val, e.Revision(), nil
}

// Put sets key to val whatever it was.
func (b *Bucket) Put(ctx context.Context, key string, val []byte) (uint64, error) {
	if err := b.q.checkRoom(); err != nil {
		return 0, err
	}
	enc, old, err := b.encode(ctx, key, val)
	if err != nil {
		return 0, err
	}
	rev, err := b.kv.Put(ctx, key, enc)
	if err != nil {
		return 0, b.q.wrapWrite(fmt.Errorf("queue: put %s/%s: %w", b.name, key, err))
	}
	b.dropOld(ctx, old, enc)
	return rev, nil
}

// Create sets key to val only if it does not exist (ErrExists otherwise).
func (b *Bucket) Create(ctx context.Context, key string, val []byte) (uint64, error) {
	if err := b.q.checkRoom(); err != nil {
		return 0, err
	}
	enc, _, err := b.encode(ctx, key, val)
	if err != nil {
		return 0, err
	}
	rev, err := b.kv.Create(ctx, key, enc)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return 0, fmt.Errorf("queue: create %s/%s: %w", b.name, key, ErrExists)
	}
	if err != nil {
		return 0, b.q.wrapWrite(fmt.Errorf("queue: create %s/%s: %w", b.name, key, err))
	}
	return rev, nil
}

// Update sets key to val only if its revision is still rev (compare and
// set); ErrConflict otherwise.
func (b *Bucket) Update(ctx context.Context, key string, val []byte, rev uint64) (uint64, error) {
	if err := b.q.checkRoom(); err != nil {
		return 0, err
	}
	enc, _, err := b.encode(ctx, key, val)
	if err != nil {
		return 0, err
	}
	nrev, err := b.kv.Update(ctx, key, enc, rev)
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || isWrongLastSeq(err) {
		return 0, fmt.Errorf("queue: update %s/%s: %w", b.name, key, ErrConflict)
	}
	if err != nil {
		return 0, b.q.wrapWrite(fmt.Errorf("queue: update %s/%s: %w", b.name, key, err))
	}
	return nrev, nil
}

func isWrongLastSeq(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// Delete removes key. Deleting a missing key is not an error.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := b.q.checkRoom(); err != nil {
		return err
	}
	if err := b.kv.Delete(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return b.q.wrapWrite(fmt.Errorf("queue: delete %s/%s: %w", b.name, key, err))
	}
	return nil
}

// listStall is how long Keys waits for the next key before it says the
// listing stalled: a damaged stream can announce keys it cannot deliver.
const listStall = 10 * time.Second

// Keys returns every key in the bucket (none is not an error).
func (b *Bucket) Keys(ctx context.Context) ([]string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lister, err := b.kv.ListKeys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("queue: list %s: %w", b.name, err)
	}
	var keys []string
	stall := time.NewTimer(listStall)
	defer stall.Stop()
	ch := lister.Keys()
	for {
		select {
		case k, ok := <-ch:
			if !ok {
				if ctx.Err() != nil {
					return nil, fmt.Errorf("queue: list %s: %w", b.name, ctx.Err())
				}
				return keys, nil
			}
			if !strings.HasPrefix(k, checkedKey) {
				keys = append(keys, k)
			}
			stall.Reset(listStall)
		case <-stall.C:
			return nil, fmt.Errorf("queue: listing bucket %s stalled after %d keys (nothing for %s): its stream is probably damaged; run foiwatch check --repair", b.name, len(keys), listStall)
		}
	}
}

// Each calls fn with every key and value in the bucket.
func (b *Bucket) Each(ctx context.Context, fn func(key string, val []byte) error) error {
	keys, err := b.Keys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		v, _, err := b.Get(ctx, k)
		if errors.Is(err, ErrNotFound) {
			continue // deleted since listed
		}
		if err != nil {
			return err
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// Name is the bucket's name, for messages.
func (b *Bucket) Name() string { return b.name }
