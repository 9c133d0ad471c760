package worker

import (
	"regexp"
	"strings"

	"github.com/foiwatch/foiwatch/parser"
)

// Match is how a reply was matched to a request (deploy/REPLY.md, "match").
const (
	MatchThread    = "thread"
	MatchAddress   = "address"
	MatchReference = "reference"
	MatchSubject   = "subject"
	MatchDomain    = "domain"
	MatchOperator  = "operator"
	MatchNone      = "none"
)

// Target is a request a reply was matched to.
type Target struct {
	Campaign *Campaign
	Request  *Request
	How      string
}

// Matcher finds the request a message answers. It is a pure function of
// the campaigns and what is known of each request (the authority's
// reference, learned from earlier replies, and whether it is still open).
type Matcher struct {
	Campaigns *Campaigns
	// Reference returns the request an authority's reference (normalised
	// by NormRef) was learned for from an earlier reply. Nil: only the
	// references written in the campaign files are known (foiwatch parse).
	Reference func(norm string) (campaign, request string, ok bool)
	// Open reports whether a request still waits for an answer. Nil: every
	// request is open.
	Open func(campaign, request string) bool
}

// Match returns the request msg answers, or nil when none fits for sure.
// The rules are tried in order; the first that names exactly one request
// wins: thread (In-Reply-To/References name the request's Message-ID),
// address (sent to the request's reply_to), reference (the authority's
// reference known for the request), subject (carries the request's subject
// and comes from its domain), domain (from one of the request's domains,
// and only one open request fits).
func (m *Matcher) Match(msg *parser.Message, reference string) *Target {
	type cand struct {
		c *Campaign
		r *Request
	}
	var all []cand
	for _, c := range m.Campaigns.List {
		for _, r := range c.Requests {
			all = append(all, cand{c, r})
		}
	}
	pick := func(how string, ok func(cand) bool) *Target {
		var found []cand
		for _, x := range all {
			if ok(x) {
				found = append(found, x)
			}
		}
		if len(found) == 1 {
			return &Target{Campaign: found[0].c, Request: found[0].r, How: how}
		}
		return nil
	}

	// thread
	ids := map[string]bool{}
	for _, id := range append(append([]string{}, msg.InReplyTo...), msg.References...) {
		ids[normID(id)] = true
	}
	if len(ids) > 0 {
		if t := pick(MatchThread, func(x cand) bool { return x.r.MessageID != "" && ids[normID(x.r.MessageID)] }); t != nil {
			return t
		}
	}

	// address
	rcpts := map[string]bool{}
	for _, l := range [][]string{msg.To, msg.Cc, msg.DeliveredTo} {
		for _, a := range l {
			rcpts[strings.ToLower(a)] = true
		}
	}
	if t := pick(MatchAddress, func(x cand) bool { return x.r.ReplyTo != "" && rcpts[x.r.ReplyTo] }); t != nil {
		return t
	}

	// reference: written in a campaign file, or learned from a reply.
	if ref := NormRef(reference); ref != "" {
		if t := pick(MatchReference, func(x cand) bool { return NormRef(x.r.Reference) == ref }); t != nil {
			return t
		}
		if m.Reference != nil {
			if cid, rid, ok := m.Reference(ref); ok {
				if c := m.Campaigns.Get(cid); c != nil && c.Request(rid) != nil {
					return &Target{Campaign: c, Request: c.Request(rid), How: MatchReference}
				}
			}
		}
	}
	// A campaign file's reference quoted anywhere in the subject also
	// counts (an authority that writes "Re: your request FOI/OPCCN/239").
	subj := normSubject(msg.Subject)
	if t := pick(MatchReference, func(x cand) bool {
		ref := NormRef(x.r.Reference)
		return len(ref) >= 5 && strings.Contains(NormRef(msg.Subject), ref)
	}); t != nil {
		return t
	}

	fromDomain := domainOf(msg.From)
	inDomain := func(x cand) bool {
		for _, d := range x.r.Domains {
			if fromDomain == d || strings.HasSuffix(fromDomain, "."+d) {
				return true
			}
		}
		return false
	}

	// subject: the same subject usually goes to every authority of a
	// campaign, so it names a request only together with the sender's domain.
	if subj != "" {
		if t := pick(MatchSubject, func(x cand) bool {
			rs := normSubject(x.r.Subject)
			return rs != "" && strings.Contains(subj, rs) && inDomain(x)
		}); t != nil {
			return t
		}
	}

	// domain: only open requests, and only when exactly one fits. Where
	// one authority got several campaigns' requests, the campaign whose
	// questions the message quotes (or whose subject words it carries) wins.
	var open []cand
	for _, x := range all {
		if !inDomain(x) {
			continue
		}
		if m.Open != nil && !m.Open(x.c.ID, x.r.ID) {
			continue
		}
		open = append(open, x)
	}
	if len(open) == 1 {
		return &Target{Campaign: open[0].c, Request: open[0].r, How: MatchDomain}
	}
	if len(open) > 1 {
		best, bestScore, second := -1, -1, -1
		for i, x := range open {
			s := affinity(msg, x.c, x.r)
			if s > bestScore {
				second = bestScore
				best, bestScore = i, s
			} else if s > second {
				second = s
			}
		}
		if best >= 0 && bestScore > 0 && bestScore > second {
			return &Target{Campaign: open[best].c, Request: open[best].r, How: MatchDomain}
		}
	}
	return nil
}

// affinity scores how much msg looks like an answer to campaign c's request
// r: words of the request's subject in the message's subject, and the
// campaign's questions quoted in its body.
func affinity(msg *parser.Message, c *Campaign, r *Request) int {
	score := 0
	subj := " " + normSubject(msg.Subject) + " "
	for _, w := range strings.Fields(normSubject(r.Subject)) {
		if len(w) > 3 && strings.Contains(subj, " "+w+" ") {
			score++
		}
	}
	body := normText(msg.Body)
	for _, q := range c.Questions {
		if qt := normText(q.Text); len(qt) > 10 && strings.Contains(body, qt) {
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
