package queue

import (
	"context"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// Watch calls fn with every key's current value, then with every change
// (deleted is true for a delete or purge), until ctx ends. It returns
// ctx's error, or the watcher's if it could not start. fn runs on one
// goroutine, in the order of the changes.
func (b *Bucket) Watch(ctx context.Context, fn func(key string, val []byte, deleted bool)) error {
	w, err := b.kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("queue: watch %s: %w", b.name, err)
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("queue: watch %s: stopped", b.name)
			}
			if e == nil {
				continue // the end of the current values
			}
			if strings.HasPrefix(e.Key(), checkedKey) {
				continue // MarkRepaired's mark, no value of foiwatch's
			}
			op := e.Operation()
			fn(e.Key(), e.Value(), op == jetstream.KeyValueDelete || op == jetstream.KeyValuePurge)
		}
	}
}
