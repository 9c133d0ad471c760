package queue

import (
	"context"
	"fmt"
)

// short is a sha256 (or a key) as logs write it: its first 12 characters.
func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// FailedCount is how many entries FAILED holds (for a gauge: no entry is
// read).
func (q *Queue) FailedCount(ctx context.Context) (uint64, error) {
	info, err := q.failed.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("queue: %s: %w", StreamFailed, err)
	}
	return info.State.Msgs, nil
}
