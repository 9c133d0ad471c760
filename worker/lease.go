package worker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/foiwatch/foiwatch/queue"
)

// leaseEvery is how often a lease is renewed (queue.LockTTL is 30 s: a
// holder that stops renewing is replaced within 30 s) and how often a
// process without it asks again.
const leaseEvery = 10 * time.Second

// pollerLease is the lease of the one process that polls mailbox name.
func pollerLease(name string) string {
	return "poller." + leaseToken(name)
}

// whileLeader runs fn whenever this process holds the lease name, so that
// of several foiwatch processes exactly one does the job (poll a mailbox,
// send reminders). fn's context is cancelled when the lease is lost or ctx
// ends; whileLeader then tries to take the lease again until ctx ends.
//
// Only queue.ErrLeaseHeld means that another process does the job. Any
// other error (the store full, NATS unreachable) means that nobody can take
// the lease now: it is logged as such and kept for /readyz (leaseProblem),
// so that a full disk is not mistaken for a second foiwatch.
func (d *Daemon) whileLeader(ctx context.Context, name string, fn func(ctx context.Context)) {
	holder := holderID()
	t := time.NewTicker(leaseEvery)
	defer t.Stop()
	said := ""
	for ctx.Err() == nil {
		rev, err := d.Q.TryLease(ctx, name, holder)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			what := "cannot take the lease now; trying again"
			if errors.Is(err, queue.ErrLeaseHeld) || errors.Is(err, queue.ErrConflict) {
				what = "another foiwatch process holds this job; standing by"
				d.setLeaseProblem(name, "")
			} else {
				d.setLeaseProblem(name, err.Error())
			}
			if said != what {
				d.Log.Info(what, "lease", name, "err", err)
				said = what
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			continue
		}
		said = ""
		d.setLeaseProblem(name, "")
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
					if errors.Is(err, queue.ErrConflict) {
						d.Log.Warn("lease lost to another process; stopping the job", "lease", name, "err", err)
					} else {
						d.setLeaseProblem(name, err.Error())
						d.Log.Warn("lease could not be renewed; the job pauses until it can be taken again", "lease", name, "err", err)
					}
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

func (d *Daemon) setLeaseProblem(lease, problem string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.leaseProblems == nil {
		d.leaseProblems = map[string]string{}
	}
	d.leaseProblems[lease] = problem
}

// leaseProblem is why nobody could take lease when it was last tried ("":
// it was taken, or another process holds it).
func (d *Daemon) leaseProblem(lease string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.leaseProblems[lease]
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
