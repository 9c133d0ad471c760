package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/queue"
)

// Filing is what the worker knows of where a reply was filed, beyond the
// Reply's own fields (campaign, request, match). It is stored with the
// Reply, in the same key of the replies bucket, under "filing": readers of
// the Reply (exports, foiwatch parse) do not see it.
type Filing struct {
	// Why says in words what matched the reply, or why nothing did.
	Why string `json:"why,omitempty"`
	// Learned: the match rests on what other stored replies taught (a
	// reference they carried, a thread they started).
	Learned bool `json:"learned,omitempty"`
	// Pinned: an operator decided where the reply belongs (a request, the
	// unmatched list, or dismissed); matching leaves it there.
	Pinned bool `json:"pinned,omitempty"`
	// Candidates of an unmatched reply: the requests ("campaign/request")
	// it could belong to.
	Candidates []string `json:"candidates,omitempty"`
	// Thread are the Message-IDs of earlier mail the reply names that may
	// place it once they are stored (see Result.Thread).
	Thread []string `json:"thread,omitempty"`
}

// storedReply is the JSON of a key in the replies bucket: the Reply with
// the worker's Filing beside its fields.
type storedReply struct {
	*parser.Reply
	Filing *Filing `json:"filing,omitempty"`
}

// filed returns the stored Reply of sha with its filing and revision; a
// nil Reply (and no error) when none is stored.
func (st *Store) filed(ctx context.Context, sha string) (*parser.Reply, *Filing, uint64, error) {
	b, rev, err := st.q.Replies.Get(ctx, sha)
	if errors.Is(err, queue.ErrNotFound) {
		return nil, nil, 0, nil
	}
	if err != nil {
		return nil, nil, 0, fmt.Errorf("read stored reply %s: %w", short(sha), err)
	}
	sr := storedReply{Reply: &parser.Reply{}}
	if err := json.Unmarshal(b, &sr); err != nil {
		return nil, nil, 0, fmt.Errorf("stored reply %s is not valid JSON: %w", short(sha), err)
	}
	if sr.Filing == nil {
		sr.Filing = &Filing{} // stored by an older foiwatch
	}
	return sr.Reply, sr.Filing, rev, nil
}

// Filing returns where a stored reply was filed and why.
func (st *Store) Filing(ctx context.Context, sha string) (*Filing, error) {
	r, f, _, err := st.filed(ctx, sha)
	if err == nil && r == nil {
		err = fmt.Errorf("no reply %s is stored: %w", short(sha), queue.ErrNotFound)
	}
	return f, err
}

// errReplyChanged: another worker stored the same reply in between; start
// again from what it stored.
var errReplyChanged = errors.New("the stored reply changed meanwhile")

// putFiled stores r with its filing by compare-and-set: rev is the
// revision it replaces (0: none stored). It returns the new revision, or
// errReplyChanged.
func (st *Store) putFiled(ctx context.Context, r *parser.Reply, f *Filing, rev uint64) (uint64, error) {
	b, err := json.Marshal(storedReply{Reply: r, Filing: f})
	if err != nil {
		return 0, fmt.Errorf("encode reply %s: %w", short(r.SHA256), err)
	}
	var nrev uint64
	if rev == 0 {
		nrev, err = st.q.Replies.Create(ctx, r.SHA256, b)
		if errors.Is(err, queue.ErrExists) {
			return 0, errReplyChanged
		}
	} else {
		nrev, err = st.q.Replies.Update(ctx, r.SHA256, b, rev)
		if errors.Is(err, queue.ErrConflict) {
			return 0, errReplyChanged
		}
	}
	return nrev, err
}

// placed reports whether r is filed under a request.
func placed(r *parser.Reply) bool { return r.Campaign != "" && r.Request != "" }

// firm reports whether r was filed by evidence that depends on nothing but
// the message, the campaign files and operators (Matcher.Find, rules 1-4):
// such replies teach their reference and their Message-ID to others.
func firm(r *parser.Reply, f *Filing) bool {
	if !placed(r) {
		return false
	}
	switch r.Match {
	case MatchOperator, MatchAddress, MatchSender:
		return true
	case MatchThread, MatchReference:
		return !f.Learned
	}
	return false
}

// pinned reports whether an operator decided where r belongs.
func pinned(r *parser.Reply, f *Filing) bool {
	return f.Pinned || r.Match == MatchOperator || r.Match == MatchDismissed
}

// placement is where a reply sits: a request's state ("campaign.request"),
// the unmatched list ("" and not dismissed) or nowhere (dismissed).
type placement struct {
	key       string
	dismissed bool
}

func placementOf(r *parser.Reply) placement {
	if placed(r) {
		return placement{key: Key(r.Campaign, r.Request)}
	}
	return placement{dismissed: r.Match == MatchDismissed}
}

func (p placement) String() string {
	switch {
	case p.key != "":
		return strings.Replace(p.key, ".", "/", 1)
	case p.dismissed:
		return "dismissed"
	}
	return "unmatched"
}
