package queue

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Bucket is one key-value bucket. Values are bytes; the caller encodes them.
type Bucket struct {
	kv   jetstream.KeyValue
	name string
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
	return e.Value(), e.Revision(), nil
}

// Put sets key to val whatever it was.
func (b *Bucket) Put(ctx context.Context, key string, val []byte) (uint64, error) {
	rev, err := b.kv.Put(ctx, key, val)
	if err != nil {
		return 0, fmt.Errorf("queue: put %s/%s: %w", b.name, key, err)
	}
	return rev, nil
}

// Create sets key to val only if it does not exist (ErrExists otherwise).
func (b *Bucket) Create(ctx context.Context, key string, val []byte) (uint64, error) {
	rev, err := b.kv.Create(ctx, key, val)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return 0, fmt.Errorf("queue: create %s/%s: %w", b.name, key, ErrExists)
	}
	if err != nil {
		return 0, fmt.Errorf("queue: create %s/%s: %w", b.name, key, err)
	}
	return rev, nil
}

// Update sets key to val only if its revision is still rev (compare and
// set); ErrConflict otherwise.
func (b *Bucket) Update(ctx context.Context, key string, val []byte, rev uint64) (uint64, error) {
	nrev, err := b.kv.Update(ctx, key, val, rev)
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || isWrongLastSeq(err) {
		return 0, fmt.Errorf("queue: update %s/%s: %w", b.name, key, ErrConflict)
	}
	if err != nil {
		return 0, fmt.Errorf("queue: update %s/%s: %w", b.name, key, err)
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
	if err := b.kv.Delete(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("queue: delete %s/%s: %w", b.name, key, err)
	}
	return nil
}

// Keys returns every key in the bucket (none is not an error).
func (b *Bucket) Keys(ctx context.Context) ([]string, error) {
	lister, err := b.kv.ListKeys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("queue: list %s: %w", b.name, err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	return keys, nil
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
