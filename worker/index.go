package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/queue"
)

// What replies teach other replies: an authority's reference and a
// Message-ID, each a key of its own (references and threads buckets), so
// that no document grows with the mailbox.
//
// Implementation notes:
//
//   - Only replies filed by firm evidence (see firm) teach. Their filing
//     depends on nothing another reply says, so what is taught, and so
//     what every other reply is matched to, does not depend on the order
//     replies are processed in.
//   - A reply filed by weaker evidence, or not at all, that carries a
//     reference or names earlier mail waits on those keys. When what a key
//     says changes (a reply taught it, or was moved or re-read), every
//     reply waiting on it is queued to be matched again; a reply that
//     registers after reading an older version of a key queues itself.
//     Both sides write the key by compare-and-set, so one of them sees the
//     other.

// indexRecord is the value of one key of the references or threads bucket.
type indexRecord struct {
	// Filed maps the sha256 of each reply filed by firm evidence that
	// carries this reference (or has this Message-ID) to its request,
	// "campaign.request".
	Filed map[string]string `json:"filed,omitempty"`
	// Waiting are the replies that rules 5 and 6 could place by this key.
	Waiting []string `json:"waiting,omitempty"`
}

// legacyFiled is the sha under which a reference learned by an older
// foiwatch (a plain "campaign.request" value) is kept until a reply filed
// by firm evidence teaches it again.
const legacyFiled = "-"

// says returns the request the key names, leaving out the reply exclude
// (a reply is no evidence of itself): "" when none or several.
func (x *indexRecord) says(exclude string) string {
	var req string
	for sha, r := range x.Filed {
		if sha == exclude {
			continue
		}
		if sha == legacyFiled && len(x.Filed) > 1 {
			continue
		}
		if req == "" {
			req = r
		} else if req != r {
			return ""
		}
	}
	return req
}

func (x *indexRecord) setFiled(sha, key string) bool {
	if key == "" {
		if _, ok := x.Filed[sha]; !ok {
			return false
		}
		delete(x.Filed, sha)
		return true
	}
	if x.Filed[sha] == key {
		return false
	}
	if x.Filed == nil {
		x.Filed = map[string]string{}
	}
	delete(x.Filed, legacyFiled)
	x.Filed[sha] = key
	return true
}

func (x *indexRecord) setWaiting(sha string, on bool) bool {
	i, found := slices.BinarySearch(x.Waiting, sha)
	switch {
	case on && !found:
		x.Waiting = slices.Insert(x.Waiting, i, sha)
		return true
	case !on && found:
		x.Waiting = slices.Delete(x.Waiting, i, i+1)
		return true
	}
	return false
}

// threadKey is the key of a Message-ID in the threads bucket: Message-IDs
// hold characters bucket keys may not.
func threadKey(id string) string {
	h := sha256.Sum256([]byte(normID(id)))
	return hex.EncodeToString(h[:20])
}

// index is one of the two buckets.
type index struct {
	b    *queue.Bucket
	name string // for messages: "reference", "thread"
}

func (st *Store) refIndex() index    { return index{st.q.References, "reference"} }
func (st *Store) threadIndex() index { return index{st.q.Threads, "thread"} }

func (ix index) read(ctx context.Context, key string) (*indexRecord, uint64, error) {
	b, rev, err := ix.b.Get(ctx, key)
	if errors.Is(err, queue.ErrNotFound) {
		return &indexRecord{}, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	x := &indexRecord{}
	if len(b) > 0 && b[0] != '{' {
		x.Filed = map[string]string{legacyFiled: string(b)}
		return x, rev, nil
	}
	if err := json.Unmarshal(b, x); err != nil {
		return nil, 0, fmt.Errorf("%s index %s is not valid JSON: %w", ix.name, key, err)
	}
	return x, rev, nil
}

// says returns what key names for the reply exclude ("" when unknown).
func (ix index) says(ctx context.Context, key, exclude string) string {
	x, _, err := ix.read(ctx, key)
	if err != nil {
		return ""
	}
	return x.says(exclude)
}

// update applies fn to key by compare-and-set. It returns the record as
// written (or as read, when fn changed nothing) and what the key said to
// others before and after.
func (ix index) update(ctx context.Context, key string, fn func(x *indexRecord) bool) (after *indexRecord, before, now string, err error) {
	return ix.updateNew(ctx, key, false, fn)
}

// updateNew is update; likelyNew says that key is most likely not stored
// yet and that fn only adds or takes off the sha of a reply never stored
// before (the Message-ID of a mail just fetched). The key is created
// without being read first, and read only when that fails because it
// exists. A key that does not exist says nothing to anyone and has no
// replies waiting on it, so what the create writes is what fn makes of an
// empty record; and when fn changes nothing in an empty record, it would
// change nothing in a stored one (which cannot hold that sha), so nothing
// is read or written.
func (ix index) updateNew(ctx context.Context, key string, likelyNew bool, fn func(x *indexRecord) bool) (after *indexRecord, before, now string, err error) {
	if likelyNew {
		x := &indexRecord{}
		if !fn(x) {
			return x, "", "", nil
		}
		b, _ := json.Marshal(x)
		_, err := ix.b.Create(ctx, key, b)
		if err == nil {
			return x, "", x.says(""), nil
		}
		if !errors.Is(err, queue.ErrExists) {
			return nil, "", "", err
		}
	}
	for attempt := 0; attempt < 50; attempt++ {
		x, rev, err := ix.read(ctx, key)
		if err != nil {
			return nil, "", "", err
		}
		before = x.says("")
		if !fn(x) {
			return x, before, before, nil
		}
		b, _ := json.Marshal(x)
		if rev == 0 {
			_, err = ix.b.Create(ctx, key, b)
			if errors.Is(err, queue.ErrExists) {
				continue
			}
		} else {
			_, err = ix.b.Update(ctx, key, b, rev)
			if errors.Is(err, queue.ErrConflict) {
				continue
			}
		}
		if err != nil {
			return nil, "", "", err
		}
		return x, before, x.says(""), nil
	}
	return nil, "", "", fmt.Errorf("%s index %s: too many concurrent updates, try again", ix.name, key)
}

// teach records in the indexes what the stored reply r (filed as f) says
// or waits for. It returns the replies to match again, because what a key
// tells them changed; self is true when r itself must be matched again,
// because a key changed between its matching and now.
//
// created says r is the first version of its Reply ever stored: its
// Message-ID is most likely no key yet (see index.updateNew).
func (st *Store) teach(ctx context.Context, r *parser.Reply, f *Filing, created bool) (again []string, self bool, err error) {
	sha := r.SHA256
	isFirm, isPinned := firm(r, f), pinned(r, f)
	key := ""
	if isFirm {
		key = Key(r.Campaign, r.Request)
	}
	waits := !isFirm && !isPinned
	changed := func(before, now string, x *indexRecord) {
		if before == now {
			return
		}
		for _, w := range x.Waiting {
			if w != sha && !slices.Contains(again, w) {
				again = append(again, w)
			}
		}
	}

	// What rules 5 and 6 say for r, read while writing the keys.
	threadSays := map[string]string{}
	refSays := ""
	if ref := NormRef(r.Reference); ref != "" {
		x, before, now, err := st.refIndex().update(ctx, ref, func(x *indexRecord) bool {
			a := x.setFiled(sha, key)
			b := x.setWaiting(sha, waits)
			return a || b
		})
		if err != nil {
			return nil, false, err
		}
		changed(before, now, x)
		refSays = x.says(sha)
	}
	if r.MessageID != "" {
		x, before, now, err := st.threadIndex().updateNew(ctx, threadKey(r.MessageID), created, func(x *indexRecord) bool {
			return x.setFiled(sha, key)
		})
		if err != nil {
			return nil, false, err
		}
		changed(before, now, x)
	}
	for _, id := range f.Thread {
		x, _, _, err := st.threadIndex().update(ctx, threadKey(id), func(x *indexRecord) bool {
			return x.setWaiting(sha, waits)
		})
		if err != nil {
			return nil, false, err
		}
		threadSays[normID(id)] = x.says(sha)
	}
	if !waits {
		return again, false, nil
	}
	// Would rules 5 and 6 file r where it is, given the keys as they are
	// now? If not, a key changed after r was matched: match it again.
	m := &Matcher{Campaigns: st.campaigns,
		Learned: func(string) string { return refSays },
		Thread:  func(id string) string { return threadSays[normID(id)] }}
	t := m.dynamic(f.Thread, r.Reference)
	switch {
	case t == nil:
		self = f.Learned
	default:
		self = !f.Learned || t.Campaign.ID != r.Campaign || t.Request.ID != r.Request || t.How != r.Match
	}
	return again, self, nil
}

// forget takes reply sha off the reference key ref (it was re-read with
// another reference).
func (st *Store) forget(ctx context.Context, ref, sha string) ([]string, error) {
	if ref == "" {
		return nil, nil
	}
	x, before, now, err := st.refIndex().update(ctx, ref, func(x *indexRecord) bool {
		a := x.setFiled(sha, "")
		b := x.setWaiting(sha, false)
		return a || b
	})
	if err != nil || before == now {
		return nil, err
	}
	return x.Waiting, nil
}

// waitingList is x.Waiting, for a record that may be nil.
func (x *indexRecord) waitingList() []string {
	if x == nil {
		return nil
	}
	return x.Waiting
}
