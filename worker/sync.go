package worker

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/foiwatch/foiwatch/queue"
)

// SyncResult says what one pass did.
type SyncResult struct {
	Fetched   int // messages fetched from IMAP (new to the cursor)
	Processed int // envelopes processed
	Failed    int // entries in FAILED after the pass
	Unmatched int // replies waiting for an operator after the pass
	Waiting   uint64
}

// SyncProgress is how far a Sync pass has got, for one progress line over
// the whole pass: fetching, then processing.
type SyncProgress struct {
	// Fetched of ToFetch new messages of the mailboxes' folders (ToFetch
	// grows as each folder's search finds its new messages; folders with
	// few new messages are not counted while they are fetched).
	Fetched, ToFetch int
	// Fetching is true until every mailbox has been fetched.
	Fetching bool
	// Processed of ToProcess envelopes: those queued before the pass and
	// those fetched. While fetching, ToProcess counts what is known so far.
	Processed, ToProcess int
	// Started is when the pass began; ProcessingSince when its first
	// envelope was processed (zero before).
	Started, ProcessingSince time.Time
}

// syncPass tracks the progress of one Sync.
type syncPass struct {
	mu      sync.Mutex
	p       SyncProgress
	pending int               // queued before the pass
	folders map[string][2]int // mailbox/folder → done, total
	report  func(SyncProgress)
}

// update changes the progress and reports it. The report is made under
// the lock: workers update at once, and reports made after it would reach
// the sync command's line out of order (a count going back).
func (s *syncPass) update(fn func(p *SyncProgress)) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(&s.p)
	s.report(s.p)
}

// fetchProgress wraps a poller's Progress so that a Sync pass under way
// counts the folders' fetching too.
func (d *Daemon) fetchProgress(next func(mailbox, folder string, done, total int)) func(mailbox, folder string, done, total int) {
	return func(mbox, folder string, done, total int) {
		if next != nil {
			next(mbox, folder, done, total)
		}
		d.mu.Lock()
		s := d.pass
		d.mu.Unlock()
		if s == nil {
			return
		}
		s.update(func(p *SyncProgress) {
			s.folders[mbox+"/"+folder] = [2]int{done, total}
			p.Fetched, p.ToFetch = 0, 0
			for _, f := range s.folders {
				p.Fetched += f[0]
				p.ToFetch += f[1]
			}
			p.ToProcess = s.pending + p.ToFetch
		})
	}
}

// Sync fetches every new message of every mailbox, then processes all that
// is queued, and returns (foiwatch sync). Mailbox errors are reported after
// the queue was processed, so one bad mailbox does not hold up the rest.
func (d *Daemon) Sync(ctx context.Context) (SyncResult, error) {
	var res SyncResult
	if err := d.makePollers(); err != nil {
		return res, err
	}
	d.checkTools()
	var pass *syncPass
	if d.opts.SyncProgress != nil {
		pass = &syncPass{folders: map[string][2]int{}, report: d.opts.SyncProgress}
		w, f, _ := d.Q.Pending(ctx)
		pass.pending = int(w + f)
		pass.p = SyncProgress{Fetching: true, ToProcess: pass.pending, Started: time.Now()}
		d.mu.Lock()
		d.pass = pass
		d.mu.Unlock()
		defer func() {
			d.mu.Lock()
			d.pass = nil
			d.mu.Unlock()
		}()
		pass.report(pass.p)
	}
	var errs []error
	for _, p := range d.pollers {
		n, err := p.SyncOnce(ctx)
		res.Fetched += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	if pass != nil {
		w, f, _ := d.Q.Pending(ctx)
		pass.update(func(p *SyncProgress) {
			p.Fetching = false
			p.Fetched = max(p.Fetched, res.Fetched)
			p.ToFetch = max(p.ToFetch, p.Fetched)
			// The consumer's count may lag the publishes just made.
			p.ToProcess = max(int(w+f), pass.pending+res.Fetched)
		})
	}
	pr, err := d.process(ctx, pass)
	res.Processed, res.Failed, res.Unmatched, res.Waiting = pr.Processed, pr.Failed, pr.Unmatched, pr.Waiting
	if err != nil {
		errs = append(errs, err)
	}
	return res, errors.Join(errs...)
}

// ProcessQueued processes every envelope queued in MAIL and returns, like
// the second half of Sync, without fetching mail: what `failed replay` and
// `reprocess` do when no daemon runs.
func (d *Daemon) ProcessQueued(ctx context.Context) (SyncResult, error) {
	return d.process(ctx, nil)
}

func (d *Daemon) process(ctx context.Context, pass *syncPass) (SyncResult, error) {
	var res SyncResult
	h := d.Proc.Handle
	if pass != nil {
		h = func(ctx context.Context, dl *queue.Delivery) error {
			err := d.Proc.Handle(ctx, dl)
			pass.update(func(p *SyncProgress) {
				if p.ProcessingSince.IsZero() {
					p.ProcessingSince = time.Now()
				}
				p.Processed++
				p.ToProcess = max(p.ToProcess, p.Processed)
			})
			return err
		}
	}
	n, err := d.Q.Drain(ctx, d.workOptions(), h)
	res.Processed = n
	if f, ferr := d.Q.Failed(ctx); ferr == nil {
		res.Failed = len(f)
	}
	if u, uerr := d.Store.Unmatched(ctx); uerr == nil {
		res.Unmatched = len(u)
	}
	res.Waiting, _, _ = d.Q.Pending(ctx)
	return res, err
}
