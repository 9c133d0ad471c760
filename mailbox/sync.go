package mailbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// SyncOnce connects, syncs every folder once (see the package notes for the
// cursor rules) and logs out. It returns how many messages the Handler
// accepted (new to the cursor; after a rescan, also those it reported as
// Known, which the log counts apart). A failing folder does
// not stop the others; the errors are joined. An after-action that cannot be
// done on this server (see checkAfter) is among the errors too, although
// the messages were stored: it is a configuration to fix.
func (p *Poller) SyncOnce(ctx context.Context) (fetched int, err error) {
	s, err := p.connect(ctx)
	if err != nil {
		for _, f := range p.cfg.Folders {
			p.recordFailure(f, err)
		}
		return 0, err
	}
	defer s.close()
	// A one-off pass tries the pending after-actions whatever their
	// schedule: it is itself spaced out (cron).
	p.retryPendingNow()
	var errs []error
	for _, f := range p.cfg.Folders {
		n, err := p.syncFolder(ctx, s, f)
		fetched += n.handed
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
	if err := p.afterRefusal(); err != nil {
		errs = append(errs, p.errorf("%w", err))
	}
	return fetched, errors.Join(errs...)
}

// folderSync is one sync of one folder.
type folderSync struct {
	folder   string
	log      *slog.Logger
	validity uint32
	cur      Cursor // as saved, pending after-actions included
	handed   int    // messages handed over
	fresh    int    // of those, new to the Handler (not Known)
}

// synced counts what one sync of a folder handed over.
type synced struct {
	handed int // messages handed over (new to the cursor)
	fresh  int // of those, new to the Handler (not Known)
}

// syncFolder selects folder and hands every message after the cursor to the
// Handler, in UID order.
//
// It is over 100 lines: a folder's sync in the order of the IMAP exchange
// (SELECT, the UIDVALIDITY and UIDNEXT checks, SEARCH, the chunks, the
// cursor), whose branches share the folder's state (fs); the chunks'
// work is in syncChunk and fetchAndHandle.
func (p *Poller) syncFolder(ctx context.Context, s *session, folder string) (n synced, err error) {
	defer s.conn.busy()()
	defer func() { err = s.wrap(err, p.cmdTimeout) }()
	c := s.c
	log := p.log.With("folder", folder)
	if !s.afterChecked {
		s.afterChecked = true
		p.checkAfter(s, log)
	}
	readOnly := p.cfg.After == "none"
	var sel *imap.SelectData
	if err := s.cmd(p, "SELECT "+folder, 0, func() (err error) {
		sel, err = c.Select(folder, &imap.SelectOptions{ReadOnly: readOnly}).Wait()
		return err
	}); err != nil {
		return synced{}, p.errorf("select %s: %w", folder, err)
	}
	validity := sel.UIDValidity
	if validity == 0 {
		return synced{}, p.errorf("select %s: the server sent no UIDVALIDITY, so its UIDs cannot be trusted", folder)
	}
	var cur Cursor
	var ok bool
	if err := s.outside(func() (err error) {
		cur, ok, err = p.cursors.Cursor(ctx, p.cfg.Name, folder)
		return err
	}); err != nil {
		return synced{}, p.errorf("read cursor of %s: %w", folder, err)
	}
	trustNext := sel.UIDNext != 0 && !p.ignoresUIDNext(folder)
	var last uint32
	oldLast := cur.LastUID
	rescan, reused := false, false
	switch {
	case !ok:
		log.Info("no cursor yet: reading the folder from UID 1", "uidvalidity", validity)
	case cur.UIDValidity != validity:
		rescan = true
		log.Warn("UIDVALIDITY changed: the server renumbered the folder; rescanning from UID 1 (messages already stored are recognised by content)",
			"uidvalidity", validity, "old_uidvalidity", cur.UIDValidity, "old_last_uid", cur.LastUID)
	case trustNext && uint32(sel.UIDNext) <= cur.LastUID:
		// UIDNEXT never goes down (RFC 9051 section 2.3.1.1); a server
		// that lost its mail and started again (an in-memory server
		// after a restart) gives new mail UIDs foiwatch has passed.
		rescan, reused = true, true
		log.Warn("the server reused UIDs without changing UIDVALIDITY (UIDNEXT is below the cursor): rescanning the folder from UID 1 (messages already stored are recognised by content)",
			"uidvalidity", validity, "uidnext", sel.UIDNext, "old_last_uid", cur.LastUID)
	default:
		last = cur.LastUID
	}
	if rescan && len(cur.PendingAfter) > 0 {
		log.Warn("pending after-actions given up: their UIDs no longer name the same messages", "count", len(cur.PendingAfter), "after", p.cfg.After)
	}
	if !ok || rescan {
		// Record the new start at once, so the warning above is given once.
		cur = Cursor{UIDValidity: validity}
		if err := s.outside(func() error { return p.cursors.SetCursor(ctx, p.cfg.Name, folder, cur) }); err != nil {
			return synced{}, p.errorf("save cursor of %s: %w", folder, err)
		}
	}
	fs := &folderSync{folder: folder, log: log, validity: validity, cur: cur}
	if reused {
		defer func() {
			p.noteUIDReuse(folder, fmt.Sprintf("the server reused UIDs without changing UIDVALIDITY %d (UIDNEXT %d, foiwatch had read up to UID %d) at %s: the folder was rescanned: %d message(s), %d new",
				validity, sel.UIDNext, oldLast, time.Now().Format(time.DateTime), fs.handed, fs.fresh))
		}()
	}
	p.retryPending(ctx, s, fs)
	p.setPending(folder, len(fs.cur.PendingAfter))
	defer func() { p.setPending(folder, len(fs.cur.PendingAfter)) }()
	if sel.NumMessages == 0 || (trustNext && uint64(sel.UIDNext) <= uint64(last)+1) {
		return synced{}, nil
	}

	criteria := &imap.SearchCriteria{UID: []imap.UIDSet{{{Start: imap.UID(last + 1), Stop: 0}}}}
	if since := p.cfg.since(); !since.IsZero() {
		criteria.Since = since
	}
	var data *imap.SearchData
	if err := s.cmd(p, "UID SEARCH of "+folder, 0, func() (err error) {
		data, err = c.UIDSearch(criteria, nil).Wait()
		return err
	}); err != nil {
		return synced{}, p.errorf("search %s for UIDs after %d: %w", folder, last, err)
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
		if trustNext && uids[len(uids)-1] >= uint32(sel.UIDNext) {
			// A UID at or above UIDNEXT: the server's UIDNEXT is wrong, so
			// it proves neither that nothing is new nor that UIDs were
			// reused. Stop trusting it for this folder.
			log.Warn("the server's UIDNEXT is wrong (a message has a UID at or above it): no longer relying on it for this folder",
				"uidnext", sel.UIDNext, "highest_uid", uids[len(uids)-1])
			p.ignoreUIDNext(folder)
		}
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
		err := p.syncChunk(ctx, s, fs, chunk)
		if err != nil {
			return synced{fs.handed, fs.fresh}, err
		}
		done += len(chunk)
		report(done)
	}
	if rescan {
		log.Info("folder rescanned", "rescanned", fs.handed, "new", fs.fresh, "already_stored", fs.handed-fs.fresh)
	}
	return synced{fs.handed, fs.fresh}, nil
}

// syncChunk fetches the sizes of chunk, then the messages in groups of at
// most maxBatchBytes, and hands them over. A message larger than
// max_message_bytes is handed over on its own, header only.
func (p *Poller) syncChunk(ctx context.Context, s *session, fs *folderSync, chunk []uint32) error {
	set := uidSet(chunk)
	var sizes []*imapclient.FetchMessageBuffer
	if err := s.cmd(p, fmt.Sprintf("UID FETCH %s (RFC822.SIZE)", set), 0, func() (err error) {
		sizes, err = s.c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
		return err
	}); err != nil {
		return p.errorf("fetch sizes of UID %s of %s: %w", set, fs.folder, err)
	}
	size := make(map[uint32]int64, len(sizes))
	for _, m := range sizes {
		size[uint32(m.UID)] = m.RFC822Size
	}
	var group []uint32
	var total int64
	flush := func() error {
		if len(group) == 0 {
			return nil
		}
		err := p.fetchAndHandle(ctx, s, fs, group, total)
		group, total = group[:0], 0
		return err
	}
	for _, uid := range chunk {
		sz, ok := size[uid]
		if !ok {
			fs.log.Info("message vanished before it could be fetched", "uid", uid, "uidvalidity", fs.validity)
			continue
		}
		if sz > p.cfg.MaxMessageBytes {
			if err := flush(); err != nil {
				return err
			}
			if err := p.handleTooLarge(ctx, s, fs, uid, sz); err != nil {
				return err
			}
			continue
		}
		if len(group) > 0 && total+sz > p.maxBatchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		group = append(group, uid)
		total += sz
	}
	return flush()
}

// fetched is one message as read from a FETCH response.
type fetched struct {
	date     time.Time
	raw      []byte
	body     bool  // the body section came
	tooLarge int64 // the body was larger than max_message_bytes: its size (raw holds its start)
}

// fetchGroup fetches section of uids (announced bytes in all), reading each
// literal into a buffer of its size, up to max_message_bytes: a larger one
// (a server that announced less than it sends) keeps only its first
// MaxHeaderBytes and the rest is read and dropped, so memory stays bounded
// by what the sizes promised.
func (p *Poller) fetchGroup(s *session, fs *folderSync, uids []uint32, section *imap.FetchItemBodySection, announced int64) (map[uint32]*fetched, error) {
	set := uidSet(uids)
	out := make(map[uint32]*fetched, len(uids))
	what := fmt.Sprintf("UID FETCH %s of %s (%d bytes)", set, fs.folder, announced)
	err := s.cmd(p, what, announced, func() error {
		cmd := s.c.Fetch(set, &imap.FetchOptions{UID: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{section}})
		defer cmd.Close()
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			f := &fetched{}
			var uid uint32
			for item := msg.Next(); item != nil; item = msg.Next() {
				switch it := item.(type) {
				case imapclient.FetchItemDataUID:
					uid = uint32(it.UID)
				case imapclient.FetchItemDataInternalDate:
					f.date = it.Time
				case imapclient.FetchItemDataBodySection:
					if it.Literal == nil {
						continue
					}
					f.body = true
					var err error
					if f.raw, f.tooLarge, err = readLiteral(it.Literal, p.cfg.MaxMessageBytes); err != nil {
						return err
					}
				}
			}
			if uid != 0 {
				out[uid] = f
			}
		}
		return cmd.Close()
	})
	return out, err
}

// readLiteral reads lit whole when it is at most limit bytes; else it keeps
// the first MaxHeaderBytes and reads the rest into nothing.
func readLiteral(lit imap.LiteralReader, limit int64) (raw []byte, tooLarge int64, err error) {
	n := lit.Size()
	if n <= limit {
		raw = make([]byte, n)
		_, err = io.ReadFull(lit, raw)
		return raw, 0, err
	}
	raw = make([]byte, MaxHeaderBytes)
	k, err := io.ReadFull(lit, raw)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, 0, err
	}
	_, err = io.Copy(io.Discard, lit)
	return raw[:k], n, err
}

func (p *Poller) fetchAndHandle(ctx context.Context, s *session, fs *folderSync, uids []uint32, announced int64) error {
	section := &imap.FetchItemBodySection{Peek: true} // BODY.PEEK[]: never sets \Seen
	got, err := p.fetchGroup(s, fs, uids, section, announced)
	if err != nil {
		return p.errorf("fetch UID %s of %s: %w", uidSet(uids), fs.folder, err)
	}
	for _, uid := range uids {
		f := got[uid]
		if f == nil {
			fs.log.Info("message vanished before it could be fetched", "uid", uid, "uidvalidity", fs.validity)
			continue
		}
		if !f.body {
			return p.errorf("fetch UID %d of %s: the server returned no body", uid, fs.folder)
		}
		m := &Message{
			Mailbox:      p.cfg.Name,
			Folder:       fs.folder,
			UIDValidity:  fs.validity,
			UID:          uid,
			InternalDate: f.date,
			Raw:          f.raw,
			Size:         int64(len(f.raw)),
		}
		if f.tooLarge > 0 {
			// The server sent more than it announced: treated as the
			// too-large message it is, its start standing for its header.
			m.Raw, m.Size, m.TooLarge = headerOf(f.raw), f.tooLarge, true
			fs.log.Warn("the server sent a message larger than max_message_bytes (and than it announced): only its start was kept, to record it for an operator",
				"uid", uid, "bytes", f.tooLarge, "max_message_bytes", p.cfg.MaxMessageBytes)
		}
		if err := p.handOver(ctx, s, fs, m); err != nil {
			return err
		}
		delete(got, uid) // let the buffer go once handled
	}
	return nil
}

// handleTooLarge fetches only the header section of a message larger than
// max_message_bytes (BODY.PEEK[HEADER]<0.MaxHeaderBytes>) and hands it over
// marked TooLarge, so that it is recorded and the cursor moves past it.
func (p *Poller) handleTooLarge(ctx context.Context, s *session, fs *folderSync, uid uint32, size int64) error {
	section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: MaxHeaderBytes}}
	got, err := p.fetchGroup(s, fs, []uint32{uid}, section, MaxHeaderBytes)
	if err != nil {
		return p.errorf("fetch the header of UID %d of %s (%d bytes, over max_message_bytes): %w", uid, fs.folder, size, err)
	}
	f := got[uid]
	if f == nil {
		fs.log.Info("message vanished before it could be fetched", "uid", uid, "uidvalidity", fs.validity)
		return nil
	}
	fs.log.Warn("message larger than max_message_bytes: only its header was fetched, and it is recorded for an operator; it stays on the server",
		"uid", uid, "bytes", size, "max_message_bytes", p.cfg.MaxMessageBytes)
	return p.handOver(ctx, s, fs, &Message{
		Mailbox:      p.cfg.Name,
		Folder:       fs.folder,
		UIDValidity:  fs.validity,
		UID:          uid,
		InternalDate: f.date,
		Raw:          headerOf(f.raw),
		Size:         size,
		TooLarge:     true,
	})
}

// headerOf is raw up to and including the blank line that ends the header
// section, or all of raw when it has none.
func headerOf(raw []byte) []byte {
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		return raw[:i+4]
	}
	if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		return raw[:i+2]
	}
	return raw
}

// handOver gives m to the Handler, then does its after-action (or records
// it as pending) and moves the cursor past it.
func (p *Poller) handOver(ctx context.Context, s *session, fs *folderSync, m *Message) error {
	if err := s.outside(func() error { return p.handle(ctx, m) }); err != nil {
		return p.errorf("handle UID %d of %s: %w", m.UID, fs.folder, err)
	}
	if !m.TooLarge {
		// A message recorded but not stored stays where it is, for the
		// operator to find.
		p.after(s, fs, m.UID)
	}
	fs.cur.LastUID = m.UID
	if err := s.outside(func() error { return p.cursors.SetCursor(ctx, p.cfg.Name, fs.folder, fs.cur) }); err != nil {
		return p.errorf("save cursor at UID %d of %s: %w", m.UID, fs.folder, err)
	}
	fs.handed++
	if !m.Known {
		fs.fresh++
	}
	fs.log.Debug("message handed over", "uid", m.UID, "uidvalidity", fs.validity, "bytes", len(m.Raw), "known", m.Known)
	return nil
}

func uidSet(uids []uint32) imap.UIDSet {
	var s imap.UIDSet
	for _, u := range uids {
		s.AddNum(imap.UID(u))
	}
	return s
}
