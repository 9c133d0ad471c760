package worker

import (
	"context"
	"errors"
	"time"

	"github.com/foiwatch/foiwatch/worker/deadline"
)

// RemindEvery is how often the scheduler looks for reminders on a working
// day after [reminders] at: new stages are found within this long, and
// failed emails are retried on their own schedule (see reminderBackoff).
const RemindEvery = 5 * time.Minute

// runScheduler sends reminders while this process holds the scheduler
// lease, so that several foiwatch processes send each reminder once (the
// reminder records make that hold even if two ran at once).
func (d *Daemon) runScheduler(ctx context.Context) {
	if d.Cfg.SMTP == nil {
		d.Log.Info("no [smtp] section: reminders are not emailed (foiwatch remind --dry-run lists those due)")
		return
	}
	cal, _ := deadline.New("foia")
	at, _ := time.Parse("15:04", d.Cfg.Reminders.At)
	d.whileLeader(ctx, "scheduler", func(ctx context.Context) {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		var last time.Time
		for {
			now := d.Now()
			local := now.In(deadline.London())
			start := time.Date(local.Year(), local.Month(), local.Day(), at.Hour(), at.Minute(), 0, 0, deadline.London())
			if cal.IsWorkingDay(deadline.DateOf(now)) && !local.Before(start) && now.Sub(last) >= RemindEvery {
				last = now
				// The campaigns held for reading: a reload waits for the run.
				d.reload.mu.RLock()
				d.scheduledRemind(ctx, now)
				d.reload.mu.RUnlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
}

// scheduledRemind is one run of the scheduler's reminders. A failed email
// was logged once, where it failed: only other errors are logged here.
func (d *Daemon) scheduledRemind(ctx context.Context, now time.Time) {
	var se *SendError
	if _, err := d.Remind(ctx, now, false); err != nil && ctx.Err() == nil && !errors.As(err, &se) {
		d.Log.Error("reminders", "err", err)
	}
}
