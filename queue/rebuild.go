package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// Rebuilding a bucket whose stream holds messages that cannot be read. A
// key-value stream allows no deletion of single messages, and writing a key
// makes JetStream remove the key's older message: when that message cannot
// be read, the write fails and the stream stops taking writes until the
// server restarts. So such a stream is replaced by a new one holding what
// could be read:
//
//  1. every readable current value is copied into a bucket of its own,
//     "<name>-rebuild" (the value's bytes as stored: a reference to a large
//     value stays valid);
//  2. the damaged stream is deleted and the bucket made again as ensure
//     makes it;
//  3. the values are copied back, and "<name>-rebuild" is deleted.
//
// A rebuild cut short after step 1 leaves "<name>-rebuild"; the next
// RebuildBucket (foiwatch check --repair) finds it and finishes the copy
// before anything else (ResumeRebuilds), so nothing read is lost.

const rebuildSuffix = "-rebuild"

// RebuildBucket replaces the stream of bucket name by a new one holding its
// readable current values (see above). It returns how many values it kept.
func (q *Queue) RebuildBucket(ctx context.Context, name string) (int, error) {
	spec, ok := q.spec(name)
	if !ok {
		return 0, fmt.Errorf("queue: no bucket %q", name)
	}
	tmpName := name + rebuildSuffix
	tmp, err := q.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: tmpName, History: 1,
		Description: "foiwatch: a copy of bucket " + name + " while it is rebuilt (foiwatch check --repair)",
		Storage:     jetstream.FileStorage, Replicas: q.replicas})
	if err != nil {
		return 0, q.wrapWrite(fmt.Errorf("queue: create %s: %w", tmpName, err))
	}
	n, err := q.copyStream(ctx, "KV_"+name, name, tmp)
	if err != nil {
		return 0, fmt.Errorf("queue: copy bucket %s to %s: %w", name, tmpName, err)
	}
	if err := q.js.DeleteKeyValue(ctx, name); err != nil {
		return 0, fmt.Errorf("queue: remove the damaged stream of bucket %s (its readable values are kept in %s): %w", name, tmpName, err)
	}
	if err := q.finishRebuild(ctx, spec, tmp); err != nil {
		return 0, err
	}
	q.log.Warn("bucket rebuilt: its damaged stream was replaced by one holding what could be read", "bucket", name, "values", n)
	return n, nil
}

// ResumeRebuilds finishes rebuilds cut short (see above). It returns the
// buckets it finished.
func (q *Queue) ResumeRebuilds(ctx context.Context) ([]string, error) {
	var done []string
	for _, spec := range q.bucketSpecs() {
		tmp, err := q.js.KeyValue(ctx, spec.name+rebuildSuffix)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			continue
		}
		if err != nil {
			return done, fmt.Errorf("queue: bucket %s: %w", spec.name+rebuildSuffix, err)
		}
		// The copy in tmp is complete once the old stream was deleted (step
		// 2 follows step 1). A bucket stream older than tmp is the old one:
		// the rebuild stopped during step 1, start it again from the old
		// stream. A newer one was made in step 2: finish step 3.
		tmpStream, err := q.js.Stream(ctx, "KV_"+spec.name+rebuildSuffix)
		if err != nil {
			return done, err
		}
		if main, err := q.js.Stream(ctx, "KV_"+spec.name); err == nil && main.CachedInfo().Created.Before(tmpStream.CachedInfo().Created) {
			if err := q.js.DeleteKeyValue(ctx, spec.name+rebuildSuffix); err != nil {
				return done, err
			}
			continue
		}
		if err := q.finishRebuild(ctx, spec, tmp); err != nil {
			return done, err
		}
		done = append(done, spec.name)
	}
	return done, nil
}

// finishRebuild makes bucket spec again and copies tmp into it (steps 2-3).
func (q *Queue) finishRebuild(ctx context.Context, spec bucketSpec, tmp jetstream.KeyValue) error {
	if err := q.createBucket(ctx, spec); err != nil {
		return fmt.Errorf("queue: make bucket %s again (its values are kept in %s): %w", spec.name, spec.name+rebuildSuffix, err)
	}
	dst := *spec.dst
	if _, err := q.copyStream(ctx, "KV_"+spec.name+rebuildSuffix, spec.name+rebuildSuffix, dst.kv); err != nil {
		return fmt.Errorf("queue: copy %s back into bucket %s: %w", spec.name+rebuildSuffix, spec.name, err)
	}
	if err := q.js.DeleteKeyValue(ctx, spec.name+rebuildSuffix); err != nil {
		return fmt.Errorf("queue: remove %s: %w", spec.name+rebuildSuffix, err)
	}
	return nil
}

// copyStream writes the current value of every readable key of a bucket's
// stream into dst, as stored.
func (q *Queue) copyStream(ctx context.Context, stream, bucket string, dst jetstream.KeyValue) (int, error) {
	s, err := q.js.Stream(ctx, stream)
	if err != nil {
		return 0, err
	}
	info, err := s.Info(ctx, jetstream.WithDeletedDetails(true))
	if err != nil {
		return 0, err
	}
	skip := map[uint64]bool{}
	for _, seq := range info.State.Deleted {
		skip[seq] = true
	}
	latest := map[string][]byte{} // nil: deleted
	var order []string
	prefix := "$KV." + bucket + "."
	if info.State.Msgs > 0 {
		for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
			if skip[seq] {
				continue
			}
			m, err := s.GetMsg(ctx, seq)
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				// A replica that lags may not have it yet: ask the leader.
				if m, err = q.leaderGetMsg(ctx, stream, seq); err == nil && m == nil {
					continue // unreadable: what it held is lost (rebuilt from the raw messages by the check)
				}
			}
			if err != nil {
				return 0, err
			}
			key, ok := strings.CutPrefix(m.Subject, prefix)
			if !ok || strings.HasPrefix(key, checkedKey) {
				continue
			}
			if _, seen := latest[key]; !seen {
				order = append(order, key)
			}
			if op := m.Header.Get("KV-Operation"); op == "DEL" || op == "PURGE" {
				latest[key] = nil
			} else {
				latest[key] = m.Data
			}
		}
	}
	n := 0
	for _, key := range order {
		v := latest[key]
		if v == nil {
			continue
		}
		if _, err := dst.Put(ctx, key, v); err != nil {
			return n, q.wrapWrite(err)
		}
		n++
	}
	return n, nil
}

func (q *Queue) spec(name string) (bucketSpec, bool) {
	for _, s := range q.bucketSpecs() {
		if s.name == name {
			return s, true
		}
	}
	return bucketSpec{}, false
}

// ReachesDaemon reports whether this process reaches the embedded server
// another foiwatch process runs (the daemon): a rebuild must wait until
// that process is stopped, for it writes to the buckets meanwhile.
func (q *Queue) ReachesDaemon() bool { return q.embedded == nil && q.dataDir != "" }
