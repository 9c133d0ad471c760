package worker

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/foiwatch/foiwatch/queue"
)

// SyncResult says what one pass did, and what the store holds after it.
type SyncResult struct {
	Fetched   int // messages fetched from IMAP (new to the cursor)
	Processed int // envelopes processed
	Stored    int // replies in the store after the pass (export --replies lists them)
	Failed    int // entries in FAILED after the pass (failed list lists them)
	Unmatched int // replies waiting for an operator after the pass
	// Waiting is how many envelopes are still queued after the pass: not
	// processed yet, or put back to be tried again after a backoff.
	Waiting uint64
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
// the queue was processed, so one bad mailbox does not hold up the rest. A
// full store stops it at once, with that one error: nothing can be stored
// until there is room.
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
	var full error
	for _, p := range d.pollers {
		if full != nil {
			break
		}
		n, err := p.SyncOnce(ctx)
		res.Fetched += n
		if err != nil {
			if errors.Is(err, queue.ErrStoreFull) {
				if full = d.Q.Full(); full == nil {
					full = err
				}
			}
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
	if full == nil {
		n, err := d.drain(ctx, pass)
		res.Processed = n
		if errors.Is(err, queue.ErrStoreFull) {
			full = err
		} else if err != nil {
			errs = append(errs, err)
		}
	}
	if full != nil {
		return d.tally(ctx, res, full)
	}
	return d.tally(ctx, res, errors.Join(errs...))
}

// ProcessQueued processes every envelope queued in MAIL and returns, like
// the second half of Sync, without fetching mail: what `failed replay` and
// `reprocess` do when no daemon runs.
func (d *Daemon) ProcessQueued(ctx context.Context) (SyncResult, error) {
	n, err := d.drain(ctx, nil)
	return d.tally(ctx, SyncResult{Processed: n}, err)
}

// drain processes every envelope queued, counting them in pass (if any).
func (d *Daemon) drain(ctx context.Context, pass *syncPass) (int, error) {
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
	return d.Q.Drain(ctx, d.workOptions(), h)
}

// tally counts what the store holds after a pass that ended with err, and
// returns the error the pass reports: a store that must be restarted, or a
// full one, alone (the one thing to act on); otherwise err, with a count
// that could not be made.
func (d *Daemon) tally(ctx context.Context, res SyncResult, err error) (SyncResult, error) {
	if f, ferr := d.Q.Failed(ctx); ferr == nil {
		res.Failed = len(f)
	}
	if u, uerr := d.Store.Unmatched(ctx); uerr == nil {
		res.Unmatched = len(u)
	}
	var kerr error
	if k, e := d.Q.Replies.Keys(ctx); e == nil {
		res.Stored = len(k)
	} else {
		kerr = e
	}
	w, f, _ := d.Q.Pending(ctx)
	res.Waiting = w + f
	if berr := d.Q.Broken(); berr != nil {
		return res, berr
	}
	if errors.Is(err, queue.ErrStoreFull) {
		return res, err
	}
	return res, errors.Join(err, kerr)
}
