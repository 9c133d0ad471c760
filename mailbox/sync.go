package mailbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// SyncOnce connects, syncs every folder once (see the package notes for the
// cursor rules) and logs out. It returns how many messages the Handler
// accepted. A failing folder does not stop the others; the errors are joined.
func (p *Poller) SyncOnce(ctx context.Context) (fetched int, err error) {
	s, err := p.connect(ctx)
	if err != nil {
		for _, f := range p.cfg.Folders {
			p.recordFailure(f, err)
		}
		return 0, err
	}
	defer s.close()
	var errs []error
	for _, f := range p.cfg.Folders {
		n, err := p.syncFolder(ctx, s, f)
		fetched += n
		if err != nil {
			p.recordFailure(f, err)
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		p.recordSuccess(f)
	}
	return fetched, errors.Join(errs...)
}

// syncFolder selects folder and hands every message after the cursor to the
// Handler, in UID order.
func (p *Poller) syncFolder(ctx context.Context, s *session, folder string) (n int, err error) {
	defer s.conn.busy()()
	defer func() { err = s.wrap(err, p.cmdTimeout) }()
	c := s.c
	log := p.log.With("folder", folder)
	readOnly := p.cfg.After == "none"
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: readOnly}).Wait()
	if err != nil {
		return 0, p.errorf("select %s: %w", folder, err)
	}
	validity := sel.UIDValidity
	if validity == 0 {
		return 0, p.errorf("select %s: the server sent no UIDVALIDITY, so its UIDs cannot be trusted", folder)
	}
	var cur Cursor
	var ok bool
	if err := s.outside(func() (err error) {
		cur, ok, err = p.cursors.Cursor(ctx, p.cfg.Name, folder)
		return err
	}); err != nil {
		return 0, p.errorf("read cursor of %s: %w", folder, err)
	}
	var last uint32
	switch {
	case !ok:
		log.Info("no cursor yet: reading the folder from UID 1", "uidvalidity", validity)
	case cur.UIDValidity != validity:
		log.Warn("UIDVALIDITY changed: the server renumbered the folder; rescanning from UID 1 (messages already stored are recognised by content)",
			"uidvalidity", validity, "old_uidvalidity", cur.UIDValidity, "old_last_uid", cur.LastUID)
	default:
		last = cur.LastUID
	}
	if !ok || cur.UIDValidity != validity {
		// Record the new UIDVALIDITY at once, so the warning above is given once.
		if err := s.outside(func() error {
			return p.cursors.SetCursor(ctx, p.cfg.Name, folder, Cursor{UIDValidity: validity})
		}); err != nil {
			return 0, p.errorf("save cursor of %s: %w", folder, err)
		}
	}
	if sel.NumMessages == 0 || (sel.UIDNext != 0 && uint64(sel.UIDNext) <= uint64(last)+1) {
		return 0, nil
	}

	criteria := &imap.SearchCriteria{UID: []imap.UIDSet{{{Start: imap.UID(last + 1), Stop: 0}}}}
	if since := p.cfg.since(); !since.IsZero() {
		criteria.Since = since
	}
	data, err := c.UIDSearch(criteria, nil).Wait()
	if err != nil {
		return 0, p.errorf("search %s for UIDs after %d: %w", folder, last, err)
	}
	var uids []uint32
	for _, u := range data.AllUIDs() {
		// "N:*" also matches the highest UID when it is ≤ N: filter ourselves.
		if uint32(u) > last {
			uids = append(uids, uint32(u))
		}
	}
	slices.Sort(uids)
	uids = slices.Compact(uids)
	if len(uids) > 0 {
		log.Debug("new messages", "count", len(uids), "uidvalidity", validity, "after_uid", last)
	}

	total := len(uids)
	report := func(done int) {}
	if total > p.batchSize {
		report = func(done int) {
			log.Info(fmt.Sprintf("fetching %s: %d of %d", folder, done, total), "done", done, "total", total)
			if p.progress != nil {
				s.outside(func() error { p.progress(p.cfg.Name, folder, done, total); return nil })
			}
		}
	}
	report(0)
	done := 0
	for len(uids) > 0 {
		chunk := uids[:min(p.batchSize, len(uids))]
		uids = uids[len(chunk):]
		k, err := p.syncChunk(ctx, s, log, folder, validity, chunk)
		n += k
		if err != nil {
			return n, err
		}
		done += len(chunk)
		report(done)
	}
	return n, nil
}

// syncChunk fetches the sizes of chunk, then the messages in groups of at
// most maxBatchBytes, and hands them over.
func (p *Poller) syncChunk(ctx context.Context, s *session, log *slog.Logger, folder string, validity uint32, chunk []uint32) (int, error) {
	set := uidSet(chunk)
	sizes, err := s.c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return 0, p.errorf("fetch sizes of UID %s of %s: %w", set, folder, err)
	}
	size := make(map[uint32]int64, len(sizes))
	for _, m := range sizes {
		size[uint32(m.UID)] = m.RFC822Size
	}
	n := 0
	var group []uint32
	var total int64
	flush := func() error {
		if len(group) == 0 {
			return nil
		}
		k, err := p.fetchAndHandle(ctx, s, log, folder, validity, group)
		n += k
		group, total = group[:0], 0
		return err
	}
	for _, uid := range chunk {
		sz, ok := size[uid]
		if !ok {
			log.Info("message vanished before it could be fetched", "uid", uid, "uidvalidity", validity)
			continue
		}
		if len(group) > 0 && total+sz > p.maxBatchBytes {
			if err := flush(); err != nil {
				return n, err
			}
		}
		group = append(group, uid)
		total += sz
	}
	return n, flush()
}

func (p *Poller) fetchAndHandle(ctx context.Context, s *session, log *slog.Logger, folder string, validity uint32, uids []uint32) (int, error) {
	set := uidSet(uids)
	section := &imap.FetchItemBodySection{Peek: true} // BODY.PEEK[]: never sets \Seen
	bufs, err := s.c.Fetch(set, &imap.FetchOptions{
		UID:          true,
		InternalDate: true,
		BodySection:  []*imap.FetchItemBodySection{section},
	}).Collect()
	if err != nil {
		return 0, p.errorf("fetch UID %s of %s: %w", set, folder, err)
	}
	byUID := make(map[uint32]*imapclient.FetchMessageBuffer, len(bufs))
	for _, b := range bufs {
		byUID[uint32(b.UID)] = b
	}
	n := 0
	for _, uid := range uids {
		b := byUID[uid]
		if b == nil {
			log.Info("message vanished before it could be fetched", "uid", uid, "uidvalidity", validity)
			continue
		}
		raw := b.FindBodySection(section)
		if raw == nil {
			return n, p.errorf("fetch UID %d of %s: the server returned no body", uid, folder)
		}
		m := &Message{
			Mailbox:      p.cfg.Name,
			Folder:       folder,
			UIDValidity:  validity,
			UID:          uid,
			InternalDate: b.InternalDate,
			Raw:          raw,
		}
		if err := s.outside(func() error { return p.handle(ctx, m) }); err != nil {
			return n, p.errorf("handle UID %d of %s: %w", uid, folder, err)
		}
		if err := p.afterAction(s.c, log, uid); err != nil {
			return n, p.errorf("after = %q on UID %d of %s: %w", p.cfg.After, uid, folder, err)
		}
		if err := s.outside(func() error {
			return p.cursors.SetCursor(ctx, p.cfg.Name, folder, Cursor{UIDValidity: validity, LastUID: uid})
		}); err != nil {
			return n, p.errorf("save cursor at UID %d of %s: %w", uid, folder, err)
		}
		n++
		log.Debug("message handed over", "uid", uid, "uidvalidity", validity, "bytes", len(raw))
		byUID[uid] = nil // let the collector have it once handled
	}
	return n, nil
}

// afterAction sets \Seen or moves the message, as configured.
func (p *Poller) afterAction(c *imapclient.Client, log *slog.Logger, uid uint32) error {
	set := imap.UIDSetNum(imap.UID(uid))
	switch {
	case p.cfg.After == "seen":
		return c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close()
	case p.moveTo != "":
		caps := c.Caps()
		if caps.Has(imap.CapMove) {
			_, err := c.Move(set, p.moveTo).Wait()
			return err
		}
		if _, err := c.Copy(set, p.moveTo).Wait(); err != nil {
			return fmt.Errorf("copy to %s: %w", p.moveTo, err)
		}
		if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
			return fmt.Errorf("flag \\Deleted after copy to %s: %w", p.moveTo, err)
		}
		if caps.Has(imap.CapUIDPlus) {
			if err := c.UIDExpunge(set).Close(); err != nil {
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

func uidSet(uids []uint32) imap.UIDSet {
	var s imap.UIDSet
	for _, u := range uids {
		s.AddNum(imap.UID(u))
	}
	return s
}
