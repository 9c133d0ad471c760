package worker

import (
	"time"

	"github.com/foiwatch/foiwatch/queue"
)

// SetRetries replaces the retry schedule of a daemon already open (tests
// make it short). It is here, not in daemon.go, so that the binary has no
// hook only a test uses; a daemon opened by a program takes its schedule
// from Options.Work.
func (d *Daemon) SetRetries(backoff []time.Duration) {
	if d.opts.Work == nil {
		d.opts.Work = &queue.WorkOptions{}
	}
	d.opts.Work.Backoff = backoff
}
