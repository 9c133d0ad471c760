package worker

import (
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/worker/deadline"
)

const stateCampaign = `
id = "c"
title = "t"
[[questions]]
key = "n"
number = 1
type = "count"
text = "How many?"
[[requests]]
id = "leics"
authority = "OPCC for Leicestershire"
email = "opcc@leics.police.uk"
sent_at = 2023-07-25T09:30:00+01:00
reference = ""
`

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestRequestStateIsDerivedFromRepliesAndEvents(t *testing.T) {
	c, err := ParseCampaign("test", stateCampaign)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Requests[0]
	for _, tc := range []struct {
		name     string
		replies  []ReplyRef
		events   []Event
		today    string
		state    string
		due      string
		daysLate int
		ref      string
	}{
		{name: "nothing yet: due 20 working days after receipt, Scotland's summer holiday skipped",
			today: "2023-08-24", state: StateSent, due: "2023-08-23", daysLate: 1},
		{name: "answered one working day late (the Leicestershire letter)",
			replies: []ReplyRef{{SHA256: "a", Kind: parser.KindResponse, Date: at("2023-08-24T15:20:44+01:00"), Outcome: StateAnswered, Reference: "00019-23"}},
			today:   "2023-09-30", state: StateAnswered, due: "2023-08-23", daysLate: 1, ref: "00019-23"},
		{name: "acknowledged with a reference and a stated due date",
			replies: []ReplyRef{{SHA256: "a", Kind: parser.KindAcknowledgement, Date: at("2023-07-26T10:00:00+01:00"), Reference: "00019-23", StatedDue: "2023-08-22"}},
			today:   "2023-08-01", state: StateAcknowledged, due: "2023-08-23", ref: "00019-23"},
		{name: "clarification stops the clock; the answer to it restarts it from day 0",
			replies: []ReplyRef{{SHA256: "a", Kind: parser.KindClarification, Date: at("2023-07-28T10:00:00+01:00")}},
			events:  []Event{{Kind: "clarification_sent", At: at("2023-08-01T12:00:00+01:00")}},
			today:   "2023-08-02", state: StateAcknowledged, due: deadline.MustNew("foia").Due(deadline.MustParseDate("2023-08-01"), 20).String()},
		{name: "clarification pending: not late",
			replies: []ReplyRef{{SHA256: "a", Kind: parser.KindClarification, Date: at("2023-07-28T10:00:00+01:00")}},
			today:   "2023-12-01", state: StateClarification, due: "2023-08-23", daysLate: 0},
		{name: "extension with a stated date",
			replies: []ReplyRef{{SHA256: "a", Kind: parser.KindExtension, Date: at("2023-08-20T10:00:00+01:00"), StatedDue: "2023-09-20"}},
			today:   "2023-09-21", state: StateExtension, due: "2023-09-20", daysLate: 1},
		{name: "extension without a date adds 20 working days",
			replies: []ReplyRef{{SHA256: "a", Kind: parser.KindExtension, Date: at("2023-08-20T10:00:00+01:00")}},
			today:   "2023-08-25", state: StateExtension, due: "2023-09-21"},
		{name: "a late acknowledgement does not undo a response",
			replies: []ReplyRef{
				{SHA256: "b", Kind: parser.KindAcknowledgement, Date: at("2023-08-25T10:00:00+01:00"), Reference: "X-1"},
				{SHA256: "a", Kind: parser.KindResponse, Date: at("2023-08-10T10:00:00+01:00"), Outcome: StateNotHeld},
			},
			today: "2023-09-01", state: StateNotHeld, due: "2023-08-23", ref: "X-1"},
		{name: "refused", replies: []ReplyRef{{SHA256: "a", Kind: parser.KindRefusal, Date: at("2023-08-10T10:00:00+01:00")}},
			today: "2023-09-01", state: StateRefused, due: "2023-08-23"},
		{name: "bounced", replies: []ReplyRef{{SHA256: "a", Kind: parser.KindBounce, Date: at("2023-07-25T09:31:00+01:00")}},
			today: "2023-07-26", state: StateBounced, due: "2023-08-23"},
		{name: "internal review requested, then answered",
			replies: []ReplyRef{{SHA256: "a", Kind: parser.KindRefusal, Date: at("2023-08-10T10:00:00+01:00")},
				{SHA256: "b", Kind: parser.KindInternalReview, Date: at("2023-09-20T10:00:00+01:00")}},
			events: []Event{{Kind: "review_requested", At: at("2023-08-14T10:00:00+01:00")}},
			today:  "2023-09-21", state: StateReviewAnswered, due: deadline.MustNew("foia").Due(deadline.MustParseDate("2023-08-14"), 20).String()},
		{name: "withdrawn", events: []Event{{Kind: "withdrawn", At: at("2023-08-01T10:00:00+01:00")}},
			today: "2023-12-01", state: StateWithdrawn, due: "2023-08-23"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &RequestState{Campaign: c.ID, Request: r.ID, Replies: tc.replies, Events: tc.events}
			s.Derive(c, r)
			late := s.DaysLate(c, deadline.MustParseDate(tc.today))
			if s.State != tc.state || s.Due != tc.due || late != tc.daysLate || s.Reference != tc.ref {
				t.Errorf("state=%s due=%s late=%d ref=%q; want state=%s due=%s late=%d ref=%q", s.State, s.Due, late, s.Reference, tc.state, tc.due, tc.daysLate, tc.ref)
			}
		})
	}
}

func TestOutcomeSummarisesAnswers(t *testing.T) {
	mk := func(st ...parser.Status) *parser.Reply {
		r := &parser.Reply{Kind: parser.KindResponse, Answers: map[string]parser.Answer{}}
		for i, s := range st {
			r.Answers[string(rune('a'+i))] = parser.Answer{Status: s}
		}
		return r
	}
	for _, tc := range []struct {
		r    *parser.Reply
		want string
	}{
		{mk(parser.StatusAnswered, parser.StatusAnswered), StateAnswered},
		{mk(parser.StatusNotHeld, parser.StatusNotHeld), StateNotHeld},
		{mk(parser.StatusAnswered, parser.StatusNotHeld), StateAnswered},
		{mk(parser.StatusAnswered, parser.StatusUnanswered), StatePartiallyAnswered},
		{mk(parser.StatusAnswered, parser.StatusExempt), StatePartiallyAnswered},
		{&parser.Reply{Kind: parser.KindAcknowledgement}, ""},
	} {
		if got := Outcome(tc.r); got != tc.want {
			t.Errorf("Outcome(%v) = %q, want %q", tc.r.Answers, got, tc.want)
		}
	}
}
