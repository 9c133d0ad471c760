package worker

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/foiwatch/foiwatch/parser"
)

// Match is how a reply was matched to a request (deploy/REPLY.md, "match").
const (
	MatchThread    = "thread"
	MatchAddress   = "address"
	MatchReference = "reference"
	// MatchSender: sent from the exact address a request went to (its
	// `email`), which no other request of the reply's kind shares.
	MatchSender    = "sender"
	MatchSubject   = "subject"
	MatchDomain    = "domain"
	MatchOperator  = "operator"
	MatchNone      = "none"
	MatchDismissed = "dismissed"
)

// Target is a request a reply was matched to.
type Target struct {
	Campaign *Campaign
	Request  *Request
	How      string
	// Why says in words what pointed to the request.
	Why string
	// Learned is true when the match rests on what other stored replies
	// taught (a reference they carried, a thread they started) rather than
	// on the message and the campaign files alone.
	Learned bool
}

// Result is the matcher's verdict on one message.
type Result struct {
	Target *Target // nil: no request fits for sure
	// Candidates are the requests ("campaign/request") an unmatched reply
	// could belong to, none of which the evidence singles out.
	Candidates []string
	// Why, when Target is nil, says why no request was chosen.
	Why string
	// Thread are the Message-IDs the message names (In-Reply-To, then
	// References, newest first) that are not a request's own: stored
	// replies with those IDs may place it, now or once they are stored.
	Thread []string
}

// Matcher finds the request a message answers. The rules use the message,
// the campaign files and, through Learned and Thread, what replies filed
// by firm evidence taught; never the requests' states or the order replies
// arrived in, so that a mailbox gives the same result however it is
// processed.
type Matcher struct {
	Campaigns *Campaigns
	// Learned returns the request ("campaign.request") that the replies
	// filed by firm evidence and carrying the reference (normalised by
	// NormRef) were filed under: "" when there are none or they disagree.
	// Nil: only the references written in the campaign files are known.
	Learned func(norm string) string
	// Thread returns the request ("campaign.request") the stored replies
	// with Message-ID id were filed under by firm evidence, or "". Nil:
	// only the requests' own Message-IDs are known.
	Thread func(id string) string
}

// maxThreadIDs bounds the Message-IDs of a reply's References looked up in
// the threads bucket: the newest ones name the mail it answers.
const maxThreadIDs = 8

// Match returns the request msg answers, or nil when none fits for sure.
func (m *Matcher) Match(msg *parser.Message, reference string) *Target {
	return m.Find(msg, reference).Target
}

// Find applies the rules in order; the first that names exactly one
// request wins:
//
//  1. thread: In-Reply-To/References name the request's Message-ID;
//  2. address: sent to the request's reply_to;
//  3. reference: the reference written in the request's campaign entry,
//     in the reply or its subject;
//  4. sender: sent from the request's exact email (where several
//     requests share it, the one whose campaign the reply quotes);
//  5. thread: In-Reply-To/References name a stored reply filed under the
//     request by rules 1-4 or an operator;
//  6. reference: replies filed by rules 1-4 or an operator carry the same
//     reference, all under the request;
//  7. subject: carries the request's subject and comes from its domain;
//  8. domain: comes from the request's domain, and no other request's, or
//     the reply quotes the questions of one of the requests that share it.
//
// Rules 1-4 are firm: they depend on nothing but the message and the
// campaign files, so replies filed by them may teach rules 5 and 6.
//
// Over 100 lines: the eight rules above, in their order, in one place.
func (m *Matcher) Find(msg *parser.Message, reference string) Result {
	// Every look-up goes through the index of the campaigns (built once):
	// the cost of a reply does not grow with the number of requests.
	ix := indexFor(m.Campaigns)
	one := func(found []cand, how, why string) *Target {
		if len(found) != 1 {
			return nil
		}
		return &Target{Campaign: found[0].c, Request: found[0].r, How: how, Why: why}
	}
	// best picks, among requests sharing an address or domain, the one
	// whose campaign the message quotes (questions, subject words).
	var aff *affinityText
	best := func(found []cand) (cand, bool) {
		if aff == nil {
			aff = newAffinityText(msg)
		}
		bi, bs, second := -1, -1, -1
		for i, x := range found {
			s := aff.score(ix, x.c, x.r)
			if s > bs {
				second = bs
				bi, bs = i, s
			} else if s > second {
				second = s
			}
		}
		if bi >= 0 && bs > 0 && bs > second {
			return found[bi], true
		}
		return cand{}, false
	}
	names := func(found []cand) []string {
		var out []string
		for _, x := range found {
			out = append(out, x.c.ID+"/"+x.r.ID)
		}
		return out
	}

	// 1. thread, to the request's own Message-ID.
	var ids []string
	seen := map[string]bool{}
	for _, id := range msg.InReplyTo {
		if n := normID(id); n != "" && !seen[n] {
			seen[n] = true
			ids = append(ids, n)
		}
	}
	for i := len(msg.References) - 1; i >= 0; i-- {
		if n := normID(msg.References[i]); n != "" && !seen[n] {
			seen[n] = true
			ids = append(ids, n)
		}
	}
	if len(ids) > 0 {
		var lists [][]cand
		for _, id := range ids {
			if l := ix.byID[id]; len(l) > 0 {
				lists = append(lists, l)
			}
		}
		if t := one(ix.merge(lists...), MatchThread, ""); t != nil {
			t.Why = fmt.Sprintf("answers the request's own message %s", t.Request.MessageID)
			return Result{Target: t}
		}
	}
	var thread []string
	own := normID(msg.MessageID)
	for _, id := range ids {
		if len(ix.byID[id]) == 0 && id != own && len(thread) < maxThreadIDs {
			thread = append(thread, id)
		}
	}

	// 2. address
	rcpts := map[string]bool{}
	var toLists [][]cand
	for _, l := range [][]string{msg.To, msg.Cc, msg.DeliveredTo} {
		for _, a := range l {
			a = strings.ToLower(a)
			if !rcpts[a] {
				rcpts[a] = true
				if l := ix.byTo[a]; len(l) > 0 {
					toLists = append(toLists, l)
				}
			}
		}
	}
	if t := one(ix.merge(toLists...), MatchAddress, ""); t != nil {
		t.Why = fmt.Sprintf("sent to %s, the request's reply_to", t.Request.ReplyTo)
		return Result{Target: t}
	}

	// 3. reference written in a campaign file: carried by the reply, or
	// quoted anywhere in its subject ("Re: your request FOI/OPCCN/239").
	ref := NormRef(reference)
	if ref != "" {
		if t := one(ix.byRef[ref], MatchReference, ""); t != nil {
			t.Why = fmt.Sprintf("carries the reference %s, written in the campaign file", reference)
			return Result{Target: t}
		}
	}
	if len(ix.longRefs) > 0 {
		subjRef := NormRef(msg.Subject)
		var found []cand
		for _, rc := range ix.longRefs {
			if strings.Contains(subjRef, rc.ref) {
				found = append(found, rc.x)
			}
		}
		if t := one(found, MatchReference, ""); t != nil {
			t.Why = fmt.Sprintf("the subject quotes the reference %s, written in the campaign file", t.Request.Reference)
			return Result{Target: t}
		}
	}

	// 4. sender: the exact address the request was sent to.
	from := strings.ToLower(msg.From)
	var bySender []cand
	if from != "" {
		bySender = ix.byMail[from]
	}
	if t := one(bySender, MatchSender, ""); t != nil {
		t.Why = fmt.Sprintf("sent from %s, the address the request went to", from)
		return Result{Target: t}
	}
	if len(bySender) > 1 {
		if x, ok := best(bySender); ok {
			return Result{Target: &Target{Campaign: x.c, Request: x.r, How: MatchSender,
				Why: fmt.Sprintf("sent from %s, the address of %d requests; the reply quotes the questions or subject of campaign %s", from, len(bySender), x.c.ID)}}
		}
	}

	// 5, 6: what replies filed by firm evidence taught.
	if t := m.dynamic(thread, reference); t != nil {
		return Result{Target: t, Thread: thread}
	}

	fromDomain := domainOf(from)
	inDomain := ix.inDomain(fromDomain)

	// 7. subject: the same subject usually goes to every authority of a
	// campaign, so it names a request only together with the sender's domain.
	if subj := normSubject(msg.Subject); subj != "" {
		var found []cand
		for _, x := range inDomain {
			if rs := ix.subject[x.r]; rs != "" && strings.Contains(subj, rs) {
				found = append(found, x)
			}
		}
		if t := one(found, MatchSubject, ""); t != nil {
			t.Why = fmt.Sprintf("carries the request's subject and comes from %s", fromDomain)
			return Result{Target: t, Thread: thread}
		}
	}

	// 8. domain, whatever the requests' states: a follow-up to an
	// answered request is as likely as an answer to an open one.
	byDomain := inDomain
	if t := one(byDomain, MatchDomain, ""); t != nil {
		t.Why = fmt.Sprintf("comes from %s, the domain of this request and of no other", fromDomain)
		return Result{Target: t, Thread: thread}
	}
	if len(byDomain) > 1 {
		if x, ok := best(byDomain); ok {
			return Result{Target: &Target{Campaign: x.c, Request: x.r, How: MatchDomain,
				Why: fmt.Sprintf("comes from %s, the domain of %d requests; the reply quotes the questions or subject of campaign %s", fromDomain, len(byDomain), x.c.ID)}, Thread: thread}
		}
	}

	res := Result{Thread: thread}
	switch {
	case len(bySender) > 1:
		res.Candidates = names(bySender)
		res.Why = fmt.Sprintf("sent from %s, the address of %d requests, and nothing in it (thread, reference, subject, questions quoted) says which", from, len(bySender))
	case len(byDomain) > 1:
		res.Candidates = names(byDomain)
		res.Why = fmt.Sprintf("comes from %s, the domain of %d requests, and nothing in it (thread, reference, address, subject) says which", fromDomain, len(byDomain))
	case fromDomain == "":
		res.Why = "it has no sender address, and no thread, reference or address names a request"
	default:
		res.Why = fmt.Sprintf("no request has the sender's domain %s, and no thread, reference or address names one", fromDomain)
	}
	sort.Strings(res.Candidates)
	return res
}

// cand is a request with its campaign.
type cand struct {
	c *Campaign
	r *Request
}

// resolve finds the request of a key "campaign.request", if it is still
// in the campaign files.
func (m *Matcher) resolve(key string) (cand, bool) {
	x, ok := indexFor(m.Campaigns).byKey[key]
	return x, ok
}

// dynamic applies rules 5 and 6 to a reply that names the Message-IDs
// thread (newest first) and carries reference.
func (m *Matcher) dynamic(thread []string, reference string) *Target {
	if m.Thread != nil && len(thread) > 0 {
		named := map[string]string{} // request key → the id that named it
		var keys []string
		for _, id := range thread {
			if k := m.Thread(id); k != "" {
				if _, ok := named[k]; !ok {
					named[k] = id
					keys = append(keys, k)
				}
			}
		}
		if len(keys) == 1 {
			if x, ok := m.resolve(keys[0]); ok {
				return &Target{Campaign: x.c, Request: x.r, How: MatchThread, Learned: true,
					Why: fmt.Sprintf("answers <%s>, a reply filed under %s/%s", named[keys[0]], x.c.ID, x.r.ID)}
			}
		}
	}
	if ref := NormRef(reference); m.Learned != nil && ref != "" {
		if k := m.Learned(ref); k != "" {
			if x, ok := m.resolve(k); ok {
				return &Target{Campaign: x.c, Request: x.r, How: MatchReference, Learned: true,
					Why: fmt.Sprintf("carries the reference %s, which replies filed under %s/%s carry", reference, x.c.ID, x.r.ID)}
			}
		}
	}
	return nil
}

// affinityText is what affinity compares of one message, normalised once.
type affinityText struct {
	subj, body string
}

func newAffinityText(msg *parser.Message) *affinityText {
	return &affinityText{subj: " " + normSubject(msg.Subject) + " ", body: normText(msg.Body)}
}

// score is how much the message looks like an answer to campaign c's
// request r: words of the request's subject in the message's subject, and
// the campaign's questions quoted in its body.
func (a *affinityText) score(ix *matchIndex, c *Campaign, r *Request) int {
	score := 0
	for _, w := range strings.Fields(ix.subject[r]) {
		if len(w) > 3 && strings.Contains(a.subj, " "+w+" ") {
			score++
		}
	}
	for _, qt := range ix.questions[c] {
		if strings.Contains(a.body, qt) {
			score += 3
		}
	}
	return score
}

func normID(id string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(id), "<>"))
}

var refJunk = regexp.MustCompile(`[^a-z0-9]+`)

// NormRef compares references regardless of case and separators:
// "FOI/OPCCN/239" and "foi opccn 239" are the same.
func NormRef(s string) string {
	return refJunk.ReplaceAllString(strings.ToLower(s), "")
}

var subjPrefix = regexp.MustCompile(`(?i)^\s*((re|fw|fwd|aw|wg|sv|antw|tr)\s*(\[\d+\])?\s*:\s*|automatic reply\s*:\s*|auto[- ]?reply\s*:\s*|out of office\s*:\s*)+`)
var spaces = regexp.MustCompile(`\s+`)

func normSubject(s string) string {
	s = subjPrefix.ReplaceAllString(s, "")
	return strings.TrimSpace(spaces.ReplaceAllString(strings.ToLower(s), " "))
}

var nonWord = regexp.MustCompile(`[^\p{L}\p{N}]+`)

func normText(s string) string {
	return strings.TrimSpace(nonWord.ReplaceAllString(strings.ToLower(s), " "))
}
