package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// A lease in the locks bucket says which process does a job that only one
// may do at a time (poll one mailbox, run the reminder scheduler). The
// bucket's TTL (LockTTL) ends a lease whose holder stopped renewing it: it
// died or lost its connection. Renew at least every LockTTL/3.
type lease struct {
	Holder string    `json:"holder"`
	Since  time.Time `json:"since"`
}

// ErrLeaseHeld is returned by TryLease when another process holds the lease.
var ErrLeaseHeld = errors.New("held by another process")

// TryLease takes the lease name for holder, or renews it when holder has it
// already. It returns the revision to renew with.
func (q *Queue) TryLease(ctx context.Context, name, holder string) (uint64, error) {
	b, _ := json.Marshal(lease{Holder: holder, Since: time.Now().UTC()})
	rev, err := q.Locks.Create(ctx, name, b)
	if err == nil {
		return rev, nil
	}
	if !errors.Is(err, ErrExists) {
		return 0, err
	}
	cur, curRev, err := q.Locks.Get(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return 0, fmt.Errorf("queue: lease %s: %w", name, ErrConflict) // expired in between: try again
	}
	if err != nil {
		return 0, err
	}
	var l lease
	if json.Unmarshal(cur, &l) == nil && l.Holder == holder {
		return q.Locks.Update(ctx, name, cur, curRev)
	}
	return 0, fmt.Errorf("queue: lease %s: %w (%s)", name, ErrLeaseHeld, l.Holder)
}

// RenewLease extends a lease held at revision rev. ErrConflict means it was
// lost (it expired and another process took it).
func (q *Queue) RenewLease(ctx context.Context, name, holder string, rev uint64) (uint64, error) {
	b, _ := json.Marshal(lease{Holder: holder, Since: time.Now().UTC()})
	return q.Locks.Update(ctx, name, b, rev)
}

// ReleaseLease gives a lease up so another process need not wait for its TTL.
func (q *Queue) ReleaseLease(ctx context.Context, name, holder string) error {
	cur, _, err := q.Locks.Get(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var l lease
	if json.Unmarshal(cur, &l) == nil && l.Holder == holder {
		return q.Locks.Delete(ctx, name)
	}
	return nil
}
