package localmail

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

type hugeKey struct {
	folder string
	uid    imap.UID
}

// hugeMsg is what AppendHuge stored: the real bytes, the size sent, and
// the size announced.
type hugeMsg struct {
	raw            []byte
	size, announce int64
}

// AppendHuge appends raw to folder as a message the server claims is size
// bytes: RFC822.SIZE says size, and BODY[] sends raw followed by filler
// lines up to size bytes, made as they are sent, so that a message of
// gigabytes costs the server no memory. BODY[HEADER] (and any other
// section) is taken from raw. It is for testing what a client does with a
// message too large to hold; HugeBytesSent tells how much of such bodies
// went out. It returns the new message's UID.
func (s *MemServer) AppendHuge(folder string, raw []byte, size int64) (uint32, error) {
	return s.AppendLying(folder, raw, size, size)
}

// AppendLying is AppendHuge with RFC822.SIZE saying announce, whatever
// BODY[] then sends (size bytes): a server whose sizes cannot be trusted.
func (s *MemServer) AppendLying(folder string, raw []byte, size, announce int64) (uint32, error) {
	if size < int64(len(raw)) {
		return 0, fmt.Errorf("localmail: AppendHuge: size %d is less than the message's %d bytes", size, len(raw))
	}
	uid, err := s.AppendUID(folder, raw)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	s.huge[hugeKey{folder, imap.UID(uid)}] = hugeMsg{raw: bytes.Clone(raw), size: size, announce: announce}
	s.mu.Unlock()
	return uid, nil
}

// HugeBytesSent is how many bytes of the bodies of AppendHuge's messages
// the server has sent (in BODY[] responses), filler included.
func (s *MemServer) HugeBytesSent() int64 { return s.hugeSent.Load() }

// hugeIn returns the huge messages of folder, by UID.
func (s *MemServer) hugeIn(folder string) map[imap.UID]hugeMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out map[imap.UID]hugeMsg
	for k, m := range s.huge {
		if k.folder == folder {
			if out == nil {
				out = map[imap.UID]hugeMsg{}
			}
			out[k.uid] = m
		}
	}
	return out
}

func (m *memSession) Select(name string, options *imap.SelectOptions) (*imap.SelectData, error) {
	data, err := m.SessionIMAP4rev2.Select(name, options)
	if err == nil {
		m.selected = name
	}
	return data, err
}

func (m *memSession) Unselect() error {
	m.selected = ""
	return m.SessionIMAP4rev2.Unselect()
}

// Fetch answers for the huge messages itself and hands the rest of a UID
// FETCH to imapmemserver.
func (m *memSession) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	huge := m.srv.hugeIn(m.selected)
	uids, isUID := numSet.(imap.UIDSet)
	if len(huge) == 0 || !isUID {
		return m.SessionIMAP4rev2.Fetch(w, numSet, options)
	}
	// The UIDs the set names ("*" resolved by the server's own search).
	found, err := m.SessionIMAP4rev2.Search(imapserver.NumKindUID, &imap.SearchCriteria{UID: []imap.UIDSet{uids}}, &imap.SearchOptions{})
	if err != nil {
		return err
	}
	var rest imap.UIDSet
	var mine []imap.UID
	for _, uid := range found.AllUIDs() {
		if _, ok := huge[uid]; ok {
			mine = append(mine, uid)
		} else {
			rest.AddNum(uid)
		}
	}
	for _, uid := range mine {
		if err := m.fetchHuge(w, uid, huge[uid], options); err != nil {
			return err
		}
	}
	if len(rest) == 0 {
		return nil
	}
	return m.SessionIMAP4rev2.Fetch(w, rest, options)
}

func (m *memSession) fetchHuge(w *imapserver.FetchWriter, uid imap.UID, msg hugeMsg, options *imap.FetchOptions) error {
	raw, size := msg.raw, msg.size
	seqs, err := m.SessionIMAP4rev2.Search(imapserver.NumKindSeq, &imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(uid)}}, &imap.SearchOptions{})
	if err != nil || len(seqs.AllSeqNums()) != 1 {
		return fmt.Errorf("localmail: huge message UID %d: no sequence number (%v)", uid, err)
	}
	rw := w.CreateMessage(seqs.AllSeqNums()[0])
	rw.WriteUID(uid)
	if options.Flags {
		rw.WriteFlags(nil)
	}
	if options.InternalDate {
		rw.WriteInternalDate(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	}
	if options.RFC822Size {
		rw.WriteRFC822Size(msg.announce)
	}
	for _, bs := range options.BodySection {
		var body io.Reader
		var n int64
		if bs.Specifier == imap.PartSpecifierNone && len(bs.Part) == 0 && len(bs.HeaderFields) == 0 && len(bs.HeaderFieldsNot) == 0 {
			start, end := int64(0), size
			if bs.Partial != nil {
				start = min(bs.Partial.Offset, size)
				end = min(start+bs.Partial.Size, size)
			}
			body, n = &countingReader{r: io.LimitReader(&hugeBody{raw: raw, size: size, off: start}, end-start), n: &m.srv.hugeSent}, end-start
		} else {
			b := imapserver.ExtractBodySection(bytes.NewReader(raw), bs)
			body, n = bytes.NewReader(b), int64(len(b))
		}
		wc := rw.WriteBodySection(bs, n)
		_, werr := io.Copy(wc, body)
		cerr := wc.Close()
		if werr != nil {
			return werr
		}
		if cerr != nil {
			return cerr
		}
	}
	return rw.Close()
}

// hugeBody is raw followed by filler lines up to size bytes, from off.
type hugeBody struct {
	raw       []byte
	size, off int64
}

var fillerLine = strings.Repeat("0123456789abcdef", 4)[:62] + "\r\n" // 64 bytes

func (h *hugeBody) Read(p []byte) (int, error) {
	if h.off >= h.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && h.off < h.size {
		var c int
		if h.off < int64(len(h.raw)) {
			c = copy(p[n:], h.raw[h.off:])
		} else {
			i := (h.off - int64(len(h.raw))) % int64(len(fillerLine))
			c = copy(p[n:], fillerLine[i:])
		}
		c = int(min(int64(c), h.size-h.off))
		n += c
		h.off += int64(c)
	}
	return n, nil
}

type countingReader struct {
	r io.Reader
	n interface{ Add(int64) int64 }
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
