package parser

import (
	"strconv"
	"strings"
	"sync"
)

// prepared is what a campaign's questions give every reply read against
// them: the period asked about, each question's words and stems, and the
// weights of the stems among the questions. It is made once per campaign
// (a daemon reads every reply of one against the same questions) and only
// read afterwards, so replies parsed at once share it.
type prepared struct {
	period period
	ctxs   []*qctx
	vocab  *vocab // memo nil: each reply gets its own copy with one
}

// preparedCache holds the prepared forms of the campaigns seen lately, by
// their fingerprint. It is cleared when it holds maxPrepared: an operator
// runs a few campaigns at a time, not hundreds.
var preparedCache struct {
	sync.Mutex
	m map[string]*prepared
}

const maxPrepared = 64

// prepare returns the prepared form of asked, from the cache when its
// questions were seen before.
func prepare(asked *Asked) *prepared {
	fp := fingerprint(asked)
	preparedCache.Lock()
	p, ok := preparedCache.m[fp]
	preparedCache.Unlock()
	if ok {
		return p
	}
	per := askedPeriod(asked)
	p = &prepared{period: per, ctxs: make([]*qctx, len(asked.Questions)), vocab: newVocab(asked.Questions)}
	for i, q := range asked.Questions {
		p.ctxs[i] = newQctx(q, per)
	}
	p.vocab.memo = nil
	preparedCache.Lock()
	if preparedCache.m == nil || len(preparedCache.m) >= maxPrepared {
		preparedCache.m = map[string]*prepared{}
	}
	preparedCache.m[fp] = p
	preparedCache.Unlock()
	return p
}

// fingerprint is every part of asked the preparation reads, joined.
func fingerprint(asked *Asked) string {
	var b strings.Builder
	b.WriteString(asked.Title)
	b.WriteByte(0)
	b.WriteString(asked.Period)
	for _, q := range asked.Questions {
		b.WriteByte(1)
		b.WriteString(q.Key)
		b.WriteByte(0)
		b.WriteString(strconv.Itoa(q.Number))
		b.WriteByte(0)
		b.WriteString(string(q.Type))
		b.WriteByte(0)
		b.WriteString(q.Text)
		for _, a := range q.Aliases {
			b.WriteByte(2)
			b.WriteString(a)
		}
	}
	return b.String()
}

// forReply returns a vocab for one reply: the campaign's, with a memo of
// its own.
func (p *prepared) forReply() *vocab {
	v := *p.vocab
	v.memo = map[string][]string{}
	return &v
}
