package worker

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// leaseEvery is how often a lease is renewed (queue.LockTTL is 30 s: a
// holder that stops renewing is replaced within 30 s) and how often a
// process without it asks again.
const leaseEvery = 10 * time.Second

// whileLeader runs fn whenever this process holds the lease name, so that
// of several foiwatch processes exactly one does the job (poll a mailbox,
// send reminders). fn's context is cancelled when the lease is lost or ctx
// ends; whileLeader then tries to take the lease again until ctx ends.
func (d *Daemon) whileLeader(ctx context.Context, name string, fn func(ctx context.Context)) {
	holder := holderID()
	t := time.NewTicker(leaseEvery)
	defer t.Stop()
	waiting := false
	for ctx.Err() == nil {
		rev, err := d.Q.TryLease(ctx, name, holder)
		if err != nil {
			if !waiting {
				d.Log.Info("another foiwatch process holds this job; standing by", "lease", name, "err", err)
				waiting = true
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			continue
		}
		waiting = false
		d.Log.Info("lease taken: this process does the job", "lease", name)
		jctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			fn(jctx)
		}()
	renew:
		for {
			select {
			case <-ctx.Done():
				break renew
			case <-done:
				break renew
			case <-t.C:
				if rev, err = d.Q.RenewLease(ctx, name, holder, rev); err != nil {
					d.Log.Warn("lease lost; stopping the job", "lease", name, "err", err)
					break renew
				}
			}
		}
		cancel()
		<-done
		rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
		d.Q.ReleaseLease(rctx, name, holder)
		rcancel()
	}
}

// leaseToken writes a name (a mailbox's) as part of a lease's key, readable
// in logs and in the locks bucket: letters, digits, '-' and '_' as they
// are, any other byte as "=" and its two hex digits ("Research Mail" is
// "Research=20Mail"), so that two names never share a key.
func leaseToken(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "=%02x", c)
		}
	}
	if b.Len() == 0 {
		return "="
	}
	return b.String()
}
