package mailbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
)

// AfterError says why the after-action cannot be done on this server (a
// folder to move mail into that does not exist, and may not be created
// under that name). The messages are stored all the same; their actions
// wait in the cursor until it is fixed.
type AfterError struct {
	After string // the setting, e.g. "move:Done"
	// Want is the name the folder has, or should have, on this server,
	// when foiwatch can tell ("INBOX.Done"); else "".
	Want string
	Err  error
}

func (e *AfterError) Error() string {
	return fmt.Sprintf("after = %q cannot be done: %v", e.After, e.Err)
}

func (e *AfterError) Unwrap() error { return e.Err }

// checkAfter makes sure, on each new connection, that the after-action can
// be done: for "move:FOLDER", that FOLDER exists. A folder that does not
// exist is created when its name fits the server's naming (its personal
// namespace and hierarchy delimiter, from NAMESPACE and LIST); otherwise
// the action is refused with the name it should have ("INBOX.Done" on
// Cyrus, whose folders live under INBOX with "." between levels). A
// refusal stops no mail: see after.
func (p *Poller) checkAfter(s *session, log *slog.Logger) {
	if p.moveTo == "" {
		return
	}
	err := p.checkMoveTarget(s, log)
	var ae *AfterError
	if err != nil && !errors.As(err, &ae) {
		// The check itself failed (a LIST refused, the connection lost):
		// no verdict; the moves are tried and kept pending if they fail.
		log.Warn("could not check the folder of the after-action", "after", p.cfg.After, "err", err)
		return
	}
	p.mu.Lock()
	was := p.afterRefused
	if ae != nil {
		p.afterRefused = ae
	} else {
		p.afterRefused = nil
	}
	p.mu.Unlock()
	switch {
	case ae != nil:
		log.Error("after-action refused: messages are still fetched and stored, and their action waits until this is fixed", "err", ae.Error())
	case was != nil:
		log.Info("after-action target found: the waiting actions are done now", "after", p.cfg.After)
	}
}

// checkMoveTarget returns an *AfterError when the folder cannot be used,
// another error when it could not tell.
func (p *Poller) checkMoveTarget(s *session, log *slog.Logger) error {
	dest := p.moveTo
	refuse := func(want string, format string, args ...any) error {
		return &AfterError{After: p.cfg.After, Want: want, Err: fmt.Errorf(format, args...)}
	}
	found, err := p.listFolder(s, dest)
	if err != nil {
		return err
	}
	if found != nil {
		if slices.Contains(found.Attrs, imap.MailboxAttrNoSelect) || slices.Contains(found.Attrs, imap.MailboxAttrNonExistent) {
			return refuse("", "folder %q exists but cannot hold messages (\\Noselect): choose another", dest)
		}
		return nil
	}
	delim, prefix, err := p.naming(s)
	if err != nil {
		return err
	}
	want := nameOnServer(dest, delim, prefix)
	if want != dest {
		how := fmt.Sprintf("this server's folders are named with %q between levels", string(delim))
		if prefix != "" {
			how = fmt.Sprintf("this server keeps folders under %q, with %q between levels", prefix, string(delim))
		}
		if f, err := p.listFolder(s, want); err == nil && f != nil {
			return refuse(want, "the server has no folder %q, but has %q (%s): set after = \"move:%s\"", dest, want, how, want)
		}
		return refuse(want, "the server has no folder %q, and it should be called %q (%s): set after = \"move:%s\" (foiwatch creates that folder)", dest, want, how, want)
	}
	if err := s.cmd(p, "CREATE "+dest, 0, func() error { return s.c.Create(dest, nil).Wait() }); err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) {
			return refuse("", "the server has no folder %q and refused to create it: %v", dest, err)
		}
		return fmt.Errorf("create folder %s: %w", dest, err)
	}
	log.Warn("created the folder of the after-action: it did not exist", "after", p.cfg.After, "created", dest)
	return nil
}

// listFolder returns the LIST entry of the folder named exactly name, or
// nil. INBOX is matched in any case, other names exactly.
func (p *Poller) listFolder(s *session, name string) (*imap.ListData, error) {
	var list []*imap.ListData
	if err := s.cmd(p, "LIST "+name, 0, func() (err error) {
		list, err = s.c.List("", listPattern(name), nil).Collect()
		return err
	}); err != nil {
		return nil, fmt.Errorf("list folder %s: %w", name, err)
	}
	for _, l := range list {
		if l.Mailbox == name || (strings.EqualFold(name, "INBOX") && strings.EqualFold(l.Mailbox, "INBOX")) {
			return l, nil
		}
	}
	return nil, nil
}

// listPattern is name as a LIST pattern: its wildcards (* and %) replaced
// by %, which matches them and anything else within one level; the caller
// then picks the exact name.
func listPattern(name string) string {
	return strings.NewReplacer("*", "%").Replace(name)
}

// naming returns the server's hierarchy delimiter (LIST "" "") and the
// prefix of its personal namespace (NAMESPACE, when the server has it).
func (p *Poller) naming(s *session) (delim rune, prefix string, err error) {
	var list []*imap.ListData
	if err := s.cmd(p, `LIST "" ""`, 0, func() (err error) {
		list, err = s.c.List("", "", nil).Collect()
		return err
	}); err != nil {
		return 0, "", fmt.Errorf("ask the hierarchy delimiter: %w", err)
	}
	for _, l := range list {
		if l.Delim != 0 {
			delim = l.Delim
		}
	}
	caps := s.c.Caps()
	if caps.Has(imap.CapNamespace) || caps.Has(imap.CapIMAP4rev2) {
		var ns *imap.NamespaceData
		if err := s.cmd(p, "NAMESPACE", 0, func() (err error) {
			ns, err = s.c.Namespace().Wait()
			return err
		}); err != nil {
			return 0, "", fmt.Errorf("ask the namespaces: %w", err)
		}
		if len(ns.Personal) > 0 {
			prefix = ns.Personal[0].Prefix
			if ns.Personal[0].Delim != 0 {
				delim = ns.Personal[0].Delim
			}
		}
	}
	return delim, prefix, nil
}

// nameOnServer is the name dest should have on a server with this
// delimiter and personal prefix: "Archive/FOI" is "INBOX.Archive.FOI" on
// Cyrus (delimiter ".", prefix "INBOX."). "/" is taken for the delimiter
// people write.
func nameOnServer(dest string, delim rune, prefix string) string {
	name := dest
	if delim != 0 && delim != '/' {
		name = strings.ReplaceAll(name, "/", string(delim))
	}
	if prefix != "" && !strings.EqualFold(name, "INBOX") && !strings.HasPrefix(strings.ToUpper(name), strings.ToUpper(prefix)) {
		name = prefix + name
	}
	return name
}

// afterRefusal is the error that refuses the after-action, or nil.
func (p *Poller) afterRefusal() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.afterRefused == nil {
		return nil
	}
	return p.afterRefused
}

// after does the after-action of a message just stored, or records it as
// pending in fs.cur when it cannot be done now: the action refused at the
// start (checkAfter), an action that failed earlier in this sync or whose
// retry is not due, or this one failing. It never fails the sync: the mail
// behind the message must not wait for its action.
func (p *Poller) after(s *session, fs *folderSync, uid uint32) {
	if p.cfg.After == "none" {
		return
	}
	if p.afterRefusal() != nil || len(fs.cur.PendingAfter) > 0 || !p.retryDue(fs.folder) {
		// Keep the order: nothing overtakes actions already waiting.
		p.addPending(fs, uid)
		return
	}
	if err := p.afterAction(s, fs.log, imap.UIDSetNum(imap.UID(uid))); err != nil {
		d := p.pendingFailed(fs.folder, err)
		fs.log.Warn("after-action failed: the message is stored; its action waits and is tried again later",
			"uid", uid, "after", p.cfg.After, "err", err, "retry_in", d.String())
		p.addPending(fs, uid)
	}
}

func (p *Poller) addPending(fs *folderSync, uid uint32) {
	fs.cur.PendingAfter = append(fs.cur.PendingAfter, uid)
	if over := len(fs.cur.PendingAfter) - MaxPending; over > 0 {
		fs.log.Warn("too many after-actions waiting: the oldest are given up, and those messages stay where they are",
			"given_up", over, "uids", uidSet(fs.cur.PendingAfter[:over]).String(), "after", p.cfg.After)
		fs.cur.PendingAfter = slices.Delete(fs.cur.PendingAfter, 0, over)
	}
}

// pendingBatch is the most UIDs one retry command names (a UID set of
// scattered UIDs is one number each on the command line).
const pendingBatch = 500

// retryPending does the after-actions waiting in fs.cur when their retry
// is due, a batch per command, and saves the cursor without those done.
// UIDs no longer in the folder (moved or deleted by someone else) are
// dropped first: asking a server to act on them is not always answered
// well (go-imap's server sends a COPYUID its own client cannot read).
// Failures are logged and rescheduled; they never fail the sync.
func (p *Poller) retryPending(ctx context.Context, s *session, fs *folderSync) {
	if len(fs.cur.PendingAfter) == 0 {
		return
	}
	if p.cfg.After == "none" {
		fs.log.Info("after = \"none\" now: the actions that were waiting are dropped", "count", len(fs.cur.PendingAfter))
		fs.cur.PendingAfter = nil
		p.saveCursor(ctx, s, fs)
		return
	}
	if p.afterRefusal() != nil || !p.retryDue(fs.folder) {
		return
	}
	done, gone := 0, 0
	defer func() {
		if done > 0 || gone > 0 {
			fs.log.Info("waiting after-actions done", "count", done, "no_longer_in_folder", gone, "after", p.cfg.After)
			p.saveCursor(ctx, s, fs)
		}
	}()
	for len(fs.cur.PendingAfter) > 0 {
		batch := fs.cur.PendingAfter[:min(pendingBatch, len(fs.cur.PendingAfter))]
		var found *imap.SearchData
		if err := s.cmd(p, "UID SEARCH of "+fs.folder, 0, func() (err error) {
			found, err = s.c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{uidSet(batch)}}, nil).Wait()
			return err
		}); err != nil {
			d := p.pendingFailed(fs.folder, err)
			fs.log.Warn("could not look for the messages whose after-action waits; tried again later", "err", err, "retry_in", d.String())
			return
		}
		present := make([]uint32, 0, len(batch))
		for _, u := range found.AllUIDs() {
			if slices.Contains(batch, uint32(u)) {
				present = append(present, uint32(u))
			}
		}
		slices.Sort(present)
		if len(present) > 0 {
			if err := p.afterAction(s, fs.log, uidSet(present)); err != nil {
				d := p.pendingFailed(fs.folder, err)
				fs.log.Warn("waiting after-actions failed again; tried again later", "count", len(fs.cur.PendingAfter), "after", p.cfg.After, "err", err, "retry_in", d.String())
				return
			}
		}
		done += len(present)
		gone += len(batch) - len(present)
		fs.cur.PendingAfter = slices.Clone(fs.cur.PendingAfter[len(batch):])
		p.pendingDone(fs.folder)
	}
}

// saveCursor saves fs.cur; a failure is only logged: the cursor is saved
// again with the next message, and a pending action done twice is harmless.
func (p *Poller) saveCursor(ctx context.Context, s *session, fs *folderSync) {
	if err := s.outside(func() error { return p.cursors.SetCursor(ctx, p.cfg.Name, fs.folder, fs.cur) }); err != nil {
		fs.log.Warn("save cursor", "err", err)
	}
}

// pendingRetry is the wait before the after-actions of a folder are tried
// again after failing k times in a row (k ≥ 1): 1m, 2m, 4m, 8m, 16m, 32m,
// then 1h for every later try. A one-off sync (SyncOnce) tries them at once
// whatever this says.
func pendingRetry(k int) time.Duration {
	if k > 6 {
		return time.Hour
	}
	return time.Minute << (k - 1)
}

// pendingFailed records a failed after-action of folder and returns the
// wait before the next try.
func (p *Poller) pendingFailed(folder string, err error) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.state[folder]
	st.pendingFails++
	d := pendingRetry(st.pendingFails)
	st.retryAt = time.Now().Add(d)
	st.pendingErr = err.Error()
	return d
}

func (p *Poller) pendingDone(folder string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.state[folder]
	st.pendingFails, st.retryAt, st.pendingErr = 0, time.Time{}, ""
}

func (p *Poller) retryDue(folder string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !time.Now().Before(p.state[folder].retryAt)
}

// retryPendingNow makes every folder's waiting actions due.
func (p *Poller) retryPendingNow() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, st := range p.state {
		st.retryAt = time.Time{}
	}
}

func (p *Poller) setPending(folder string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state[folder].pending = n
}

func (p *Poller) noteUIDReuse(folder, note string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.state[folder]
	st.reuseNote, st.reuseAt = note, time.Now()
}

func (p *Poller) ignoreUIDNext(folder string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state[folder].ignoreUIDNext = true
}

func (p *Poller) ignoresUIDNext(folder string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state[folder].ignoreUIDNext
}

// afterAction sets \Seen on set or moves it, as configured, with the time
// limit of one command each.
func (p *Poller) afterAction(s *session, log *slog.Logger, set imap.UIDSet) error {
	c := s.c
	run := func(what string, fn func() error) error { return s.cmd(p, what+" "+set.String(), 0, fn) }
	switch {
	case p.cfg.After == "seen":
		return run("UID STORE +FLAGS (\\Seen)", func() error {
			return c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close()
		})
	case p.moveTo != "":
		caps := c.Caps()
		if caps.Has(imap.CapMove) {
			return run("UID MOVE to "+p.moveTo, func() error {
				_, err := c.Move(set, p.moveTo).Wait()
				return err
			})
		}
		if err := run("UID COPY to "+p.moveTo, func() error {
			_, err := c.Copy(set, p.moveTo).Wait()
			return err
		}); err != nil {
			return fmt.Errorf("copy to %s: %w", p.moveTo, err)
		}
		if err := run("UID STORE +FLAGS (\\Deleted)", func() error {
			return c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close()
		}); err != nil {
			return fmt.Errorf("flag \\Deleted after copy to %s: %w", p.moveTo, err)
		}
		if caps.Has(imap.CapUIDPlus) {
			if err := run("UID EXPUNGE", func() error { return c.UIDExpunge(set).Close() }); err != nil {
				return fmt.Errorf("UID EXPUNGE after copy to %s: %w", p.moveTo, err)
			}
			return nil
		}
		p.warnNoUIDPlus.Do(func() {
			log.Warn("the server has neither MOVE nor UIDPLUS: moved messages are copied and flagged \\Deleted but not expunged (a plain EXPUNGE could remove other deleted mail)")
		})
	}
	return nil
}
