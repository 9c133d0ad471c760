package worker

import (
	"context"
	"time"

	"github.com/foiwatch/foiwatch/worker/deadline"
)

// schedulerLease is the lease one foiwatch process holds to run reminders.
const schedulerLease = "scheduler"

// schedulerEvery is how often the scheduler wakes: it renews its lease (the
// lease lives 30 s) and, at most every RemindEvery, looks for reminders.
const schedulerEvery = 10 * time.Second

// RemindEvery is how often the leader looks for reminders on a working day
// after [reminders] at: new stages are found within this long, and failed
// emails are retried on their own schedule (see reminderBackoff).
const RemindEvery = 5 * time.Minute

// runScheduler sends reminders while this process holds the scheduler
// lease, so that several foiwatch processes send each reminder once.
func (d *Daemon) runScheduler(ctx context.Context) {
	holder := holderID()
	var rev uint64
	leader := false
	var last time.Time
	cal, _ := deadline.New("foia")
	at, _ := time.Parse("15:04", d.Cfg.Reminders.At)
	t := time.NewTicker(schedulerEvery)
	defer t.Stop()
	defer func() {
		if leader {
			rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			d.Q.ReleaseLease(rctx, schedulerLease, holder)
			cancel()
		}
	}()
	for {
		var err error
		if leader {
			rev, err = d.Q.RenewLease(ctx, schedulerLease, holder, rev)
			if err != nil {
				leader = false
				d.Log.Warn("lost the scheduler lease; another foiwatch process sends reminders now", "err", err)
			}
		} else if rev, err = d.Q.TryLease(ctx, schedulerLease, holder); err == nil {
			leader = true
			d.Log.Info("this process sends the reminders (scheduler lease taken)")
		}
		now := d.Now()
		local := now.In(deadline.London())
		startOfRun := time.Date(local.Year(), local.Month(), local.Day(), at.Hour(), at.Minute(), 0, 0, deadline.London())
		if leader && cal.IsWorkingDay(deadline.DateOf(now)) && !local.Before(startOfRun) && now.Sub(last) >= RemindEvery {
			last = now
			if _, err := d.Remind(ctx, now, false); err != nil {
				d.Log.Error("reminders", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
