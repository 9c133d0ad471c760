package worker

import (
	"strings"
	"sync"
)

// matchIndex is what the matcher looks requests up by, built once per set
// of campaigns: a reply's Message-IDs, recipients, reference, sender and
// domain each name their requests by a map look-up, so matching a reply
// costs the same however many requests the campaigns hold (issue 19:
// walking every request for every rule made the cost per reply grow with
// the campaigns).
type matchIndex struct {
	// fingerprint of the set the index was built from (see indexFor).
	campaigns, requests int

	all    []cand            // every request, in the campaigns' order
	pos    map[*Request]int  // a request's place in all, to keep that order
	byKey  map[string]cand   // "campaign.request"
	byID   map[string][]cand // normID(message_id)
	byTo   map[string][]cand // reply_to
	byRef  map[string][]cand // NormRef(reference)
	byMail map[string][]cand // email
	byDom  map[string][]cand // each of the request's domains

	// The references written in the campaign files at least five
	// characters long (normalised), for rule 3's look in the subject.
	longRefs []refCand
	// normSubject of each request's subject, by request.
	subject map[*Request]string
	// normText of each campaign's questions (those over ten characters),
	// for affinity.
	questions map[*Campaign][]string
}

type refCand struct {
	ref string
	x   cand
}

var matchIndexes struct {
	sync.Mutex
	m map[*Campaigns]*matchIndex
}

// indexFor returns the index of cs, built on first use. The set is
// immutable once loaded (a reload makes a new one), so the index is kept
// for as long as the set; it is built again if the number of campaigns or
// requests changed all the same (a test that adds a request).
func indexFor(cs *Campaigns) *matchIndex {
	nc, nr := 0, 0
	if cs != nil {
		nc = len(cs.List)
		for _, c := range cs.List {
			nr += len(c.Requests)
		}
	}
	matchIndexes.Lock()
	defer matchIndexes.Unlock()
	if x := matchIndexes.m[cs]; x != nil && x.campaigns == nc && x.requests == nr {
		return x
	}
	x := buildMatchIndex(cs)
	x.campaigns, x.requests = nc, nr
	if matchIndexes.m == nil || len(matchIndexes.m) > 64 {
		// Sets replaced by a reload are dropped: a daemon holds one or two.
		matchIndexes.m = map[*Campaigns]*matchIndex{}
	}
	matchIndexes.m[cs] = x
	return x
}

func buildMatchIndex(cs *Campaigns) *matchIndex {
	x := &matchIndex{
		pos: map[*Request]int{}, byKey: map[string]cand{}, byID: map[string][]cand{}, byTo: map[string][]cand{},
		byRef: map[string][]cand{}, byMail: map[string][]cand{}, byDom: map[string][]cand{},
		subject: map[*Request]string{}, questions: map[*Campaign][]string{},
	}
	if cs == nil {
		return x
	}
	for _, c := range cs.List {
		for _, q := range c.Questions {
			if qt := normText(q.Text); len(qt) > 10 {
				x.questions[c] = append(x.questions[c], qt)
			}
		}
		for _, r := range c.Requests {
			k := cand{c, r}
			x.pos[r] = len(x.all)
			x.all = append(x.all, k)
			x.byKey[Key(c.ID, r.ID)] = k
			if r.MessageID != "" {
				id := normID(r.MessageID)
				x.byID[id] = append(x.byID[id], k)
			}
			if r.ReplyTo != "" {
				x.byTo[r.ReplyTo] = append(x.byTo[r.ReplyTo], k)
			}
			if ref := NormRef(r.Reference); ref != "" {
				x.byRef[ref] = append(x.byRef[ref], k)
				if len(ref) >= 5 {
					x.longRefs = append(x.longRefs, refCand{ref, k})
				}
			}
			if r.Email != "" {
				x.byMail[r.Email] = append(x.byMail[r.Email], k)
			}
			seen := map[string]bool{}
			for _, d := range r.Domains {
				if d != "" && !seen[d] {
					seen[d] = true
					x.byDom[d] = append(x.byDom[d], k)
				}
			}
			x.subject[r] = normSubject(r.Subject)
		}
	}
	return x
}

// inDomain returns the requests whose domains hold domain or one it is a
// subdomain of, in the campaigns' order.
func (x *matchIndex) inDomain(domain string) []cand {
	if domain == "" {
		return nil
	}
	var lists [][]cand
	for d := domain; ; {
		if l := x.byDom[d]; len(l) > 0 {
			lists = append(lists, l)
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			break
		}
		d = d[i+1:]
	}
	return x.merge(lists...)
}

// merge puts lists of requests together, each once, in the campaigns'
// order (the order the rules walked them in before the index).
func (x *matchIndex) merge(lists ...[]cand) []cand {
	switch len(lists) {
	case 0:
		return nil
	case 1:
		return lists[0]
	}
	seen := map[*Request]bool{}
	var out []cand
	for _, l := range lists {
		for _, k := range l {
			if !seen[k.r] {
				seen[k.r] = true
				out = append(out, k)
			}
		}
	}
	sortCands(out, x.pos)
	return out
}

func sortCands(l []cand, pos map[*Request]int) {
	for i := 1; i < len(l); i++ {
		for j := i; j > 0 && pos[l[j].r] < pos[l[j-1].r]; j-- {
			l[j], l[j-1] = l[j-1], l[j]
		}
	}
}
