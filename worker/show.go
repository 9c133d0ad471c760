package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/queue"
)

// What foiwatch show and the status page's reply view tell of one reply
// and of one request.

// PartRead is the text read from one attachment.
type PartRead struct {
	Part Part
	Text string
	OCR  bool
	Err  error
}

// ReplyDetail is everything known of one stored reply.
type ReplyDetail struct {
	SHA256    string
	Reply     *parser.Reply // nil when the message was never parsed (see foiwatch failed)
	Filing    *Filing
	Decision  *Placement      // the operator's, or nil
	Unmatched *UnmatchedEntry // when it waits for an operator
	Original  *Original
	// Body and Parts are the text as read: the message's own text and each
	// attachment's. Only with texts.
	Body  string
	Parts []PartRead
}

// ReplyDetail gathers what is known of stored message sha; with texts, it
// also reads the text of the message and of each attachment as the
// parser does (OCR included: slow for a long scan).
func (d *Daemon) ReplyDetail(ctx context.Context, sha string, texts bool) (*ReplyDetail, error) {
	rd := &ReplyDetail{SHA256: sha}
	var err error
	if rd.Original, err = d.Original(ctx, sha); err != nil {
		return nil, err
	}
	if rd.Reply, rd.Filing, _, err = d.Store.filed(ctx, sha); err != nil {
		return nil, err
	}
	if rd.Decision, err = d.Store.Placement(ctx, sha); err != nil {
		return nil, err
	}
	if b, _, err := d.Q.Unmatched.Get(ctx, sha); err == nil {
		var u UnmatchedEntry
		if json.Unmarshal(b, &u) == nil {
			rd.Unmatched = &u
		}
	} else if !errors.Is(err, queue.ErrNotFound) {
		return nil, err
	}
	if !texts {
		return rd, nil
	}
	if rd.Body, err = d.Body(ctx, rd.Original.Raw); err != nil {
		rd.Body = fmt.Sprintf("(the message could not be read: %v)", err)
	}
	for _, p := range rd.Original.Parts {
		text, ocr, err := d.PartText(ctx, p)
		rd.Parts = append(rd.Parts, PartRead{Part: p, Text: text, OCR: ocr, Err: err})
	}
	return rd, nil
}

// Filed says in words where the reply is and what put it there.
func (rd *ReplyDetail) Filed() string {
	r := rd.Reply
	if r == nil {
		return "not parsed (see foiwatch failed list)"
	}
	why := ""
	if rd.Filing != nil && rd.Filing.Why != "" {
		why = ": " + rd.Filing.Why
	}
	switch {
	case placed(r):
		return fmt.Sprintf("%s/%s, matched by %s%s", r.Campaign, r.Request, r.Match, why)
	case r.Match == MatchDismissed:
		return "dismissed" + why
	}
	s := "unmatched, waiting for an operator" + why
	if rd.Filing != nil && len(rd.Filing.Candidates) > 0 {
		s += " (could be: " + strings.Join(rd.Filing.Candidates, ", ") + ")"
	}
	return s
}

// TimelineEntry is one thing that happened to a request.
type TimelineEntry struct {
	At   time.Time
	What string // sent | reply | event | reminder | answer | decision
	ID   string // a reply's sha256, an event's ID
	Text string
}

// Timeline is a request's history: sent, every reply, event (with its
// note), reminder and operator decision, oldest first.
//
// It is over 100 lines: one kind of entry after another (sent, replies,
// events, reminders, decisions), each read from its own bucket, then sorted.
func (d *Daemon) Timeline(ctx context.Context, request string) (*Campaign, *Request, *RequestState, []TimelineEntry, error) {
	c, r, err := d.findRequest(request)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	s, _, err := d.Store.State(ctx, c.ID, r.ID)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	var out []TimelineEntry
	sent := "request sent to " + r.Email
	if r.MessageID != "" {
		sent += " as " + r.MessageID
	}
	out = append(out, TimelineEntry{At: r.SentAt.Time, What: "sent", Text: sent})
	for _, ref := range s.Replies {
		text := string(ref.Kind)
		if rep, err := d.Store.Reply(ctx, ref.SHA256); err == nil {
			text += fmt.Sprintf(" from %s: %q", rep.From, rep.Subject)
		}
		text += "; matched by " + ref.Match
		if ref.Why != "" {
			text += " (" + ref.Why + ")"
		}
		if ref.Reference != "" {
			text += "; reference " + ref.Reference
		}
		if ref.StatedDue != "" {
			text += "; says due " + ref.StatedDue
		}
		out = append(out, TimelineEntry{At: ref.Date, What: "reply", ID: ref.SHA256, Text: text})
	}
	for _, e := range s.Events {
		text := e.Kind
		if e.Note != "" {
			text += ": " + e.Note
		}
		out = append(out, TimelineEntry{At: e.At, What: "event", ID: e.ID(), Text: text})
	}
	prefix := Key(c.ID, r.ID) + "."
	keys, err := d.Q.Reminders.Keys(ctx)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	sort.Strings(keys)
	for _, k := range keys {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok || strings.Contains(strings.TrimSuffix(strings.TrimSuffix(rest, ".digest"), ".chase"), ".") {
			continue
		}
		b, _, err := d.Q.Reminders.Get(ctx, k)
		if err != nil {
			continue
		}
		var rec reminderRecord
		if json.Unmarshal(b, &rec) != nil {
			continue
		}
		stage, kind, _ := strings.Cut(rest, ".")
		who := "in the operator digest"
		if kind == "chase" {
			who = "chase-up to the authority"
		}
		at := rec.SentAt
		if at.IsZero() {
			at = rec.ClaimedAt
		}
		text := fmt.Sprintf("reminder %s (%s): %s, due %s", stage, who, rec.Status, rec.Due)
		if rec.LastError != "" {
			text += ": " + rec.LastError
		}
		out = append(out, TimelineEntry{At: at, What: "reminder", Text: text})
	}
	decs, err := d.Store.AnswerDecisions(ctx)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	for _, q := range c.Questions {
		dec := decs[Key(c.ID, r.ID)+"."+q.Key]
		if dec == nil {
			continue
		}
		var text string
		if dec.Action == AnswerSet && dec.Answer != nil {
			text = fmt.Sprintf("answer %s set by hand to %s by %s", q.Key, DisplayValue(*dec.Answer), dec.By)
			if dec.Parsed != nil {
				text += " (read as " + DisplayValue(*dec.Parsed) + ")"
			}
		} else {
			text = fmt.Sprintf("answer %s accepted as read by %s", q.Key, dec.By)
			if dec.Parsed != nil {
				text += ": " + DisplayValue(*dec.Parsed)
			}
		}
		if dec.Note != "" {
			text += ": " + dec.Note
		}
		out = append(out, TimelineEntry{At: dec.At, What: "answer", ID: dec.Reply, Text: text})
	}
	for _, ref := range s.Replies {
		if p, err := d.Store.Placement(ctx, ref.SHA256); err == nil && p != nil {
			out = append(out, TimelineEntry{At: p.At, What: "decision", ID: ref.SHA256, Text: "reply " + short(ref.SHA256) + " " + p.Describe()})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return c, r, s, out, nil
}
