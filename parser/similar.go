package parser

import (
	"math"
	"regexp"
	"slices"
	"strings"
)

// How much a piece of a reply says the words of a question: the measure the
// aligner uses to tell which question a restated question, a label or a
// table row belongs to. It knows no campaign's vocabulary: a word weighs
// what it says about one question against the others of the same campaign
// (a word every question has says nothing), and only English function words
// are left out.

// stopWords are English function words and the words every request uses to
// ask ("please", "provide", "number"); they carry no subject.
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an the of in on at for to by with from and or nor but as into onto
	upon about than then that this these those there their they them it its is are was were be been
	being am do does did done doing has have had having what which who whom whose how many much
	when where why whether if any all each every some your you yours our ours we us i me my he she
	his her so such per via within also not no please provide give state confirm list describe
	detail details tell let know can could would should will shall may might must number numbers
	total amount figure figures information data held hold please kindly include including
	includes included whether e g eg etc re dear non`) {
		stopWords[w] = true
	}
}

// stemWord reduces a lower-case word to a crude stem, so that "referral",
// "referrals", "referred" and "refer" compare equal, and "deployments" and
// "deployed" too.
func stemWord(w string) string {
	w = strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "’s")
	if base, ok := irregular[w]; ok {
		w = base // "paid" is "pay", "held" "hold", "spent" "spend"
	}
	if len(w) <= 3 {
		return w
	}
	for _, s := range []struct{ suf, rep string }{
		{"isations", ""}, {"izations", ""}, {"isation", ""}, {"ization", ""},
		{"ilities", ""}, {"ility", ""}, {"ibles", "ib"}, {"ible", "ib"}, {"ables", "ab"}, {"able", "ab"},
		{"ations", ""}, {"ation", ""}, {"ments", ""}, {"ment", ""},
		{"ances", ""}, {"ance", ""}, {"ences", ""}, {"ence", ""},
		{"ings", ""}, {"ing", ""}, {"ies", "y"}, {"ied", "y"}, {"als", ""}, {"al", ""},
		{"ers", ""}, {"er", ""}, {"ed", ""}, {"es", ""}, {"s", ""},
	} {
		if strings.HasSuffix(w, s.suf) && len(w)-len(s.suf)+len(s.rep) >= 3 {
			w = w[:len(w)-len(s.suf)] + s.rep
			break
		}
	}
	// "suppliers", "supplied": "suppli" -> "supply"
	if n := len(w); n >= 4 && w[n-1] == 'i' && !strings.HasSuffix(w, "ii") {
		w = w[:n-1] + "y"
	}
	// "referr" -> "refer", "fitt" -> "fit"
	if n := len(w); n >= 4 && w[n-1] == w[n-2] && !strings.ContainsRune("aeiouls", rune(w[n-1])) {
		w = w[:n-1]
	}
	// "make" and "making", "use" and "used", "provide" and "provided"
	if n := len(w); n >= 3 && w[n-1] == 'e' {
		w = w[:n-1]
	}
	return w
}

// irregular are the English verbs whose past forms no suffix rule
// reaches, and nouns made from verbs the same way.
var irregular = map[string]string{}

func init() {
	for _, pair := range strings.Fields(`paid:pay made:make held:hold spent:spend sold:sell bought:buy
	brought:bring taken:take took:take given:give gave:give found:find sent:send built:build kept:keep
	met:meet won:win led:lead told:tell ran:run began:begin begun:begin chosen:choose chose:choose
	gone:go went:go seen:see saw:see written:write wrote:write thought:think caught:catch taught:teach
	sought:seek felt:feel lost:lose meant:mean laid:lay said:say stood:stand understood:understand
	withdrawn:withdraw withdrew:withdraw drawn:draw drew:draw grown:grow grew:grow known:know knew:know
	shown:show flown:fly flew:fly driven:drive drove:drive spoken:speak spoke:speak broken:break
	broke:break stolen:steal stole:steal worn:wear wore:wear hidden:hide hid:hide fallen:fall fell:fall
	got:get gotten:get heard:hear lent:lend rose:rise risen:rise sat:sit slept:sleep struck:strike
	swept:sweep threw:throw thrown:throw bore:bear borne:bear undertaken:undertake undertook:undertake
	overtaken:overtake forgiven:forgive arisen:arise arose:arise`) {
		k, v, _ := strings.Cut(pair, ":")
		irregular[k] = v
	}
	// Units as they are written short: "800 mins", "Length (m)".
	for _, pair := range strings.Fields(`mins:minute min:minute hrs:hour hr:hour km:kilometre kms:kilometre
	m:metre mtrs:metre`) {
		k, v, _ := strings.Cut(pair, ":")
		irregular[k] = v
	}
	// Nouns whose verb no suffix rule reaches: "decisions" are what one
	// "decides".
	for _, pair := range strings.Fields(`decision:decide division:divide provision:provide
	inclusion:include exclusion:exclude conclusion:conclude extension:extend expansion:expand
	suspension:suspend permission:permit admission:admit submission:submit omission:omit
	transmission:transmit collision:collide intrusion:intrude persuasion:persuade erosion:erode
	explosion:explode invasion:invade evasion:evade revision:revise supervision:supervise
	advice:advise device:devise choice:choose`) {
		k, v, _ := strings.Cut(pair, ":")
		irregular[k] = v
		irregular[k+"s"] = v
	}
}

// contentStems are the stems of s's words that are not stop words, in order.
func contentStems(s string) []string {
	var out []string
	for _, t := range words(s, 400) {
		if stopWords[t.w] || len(t.w) < 2 && !isDigits(t.w) && irregular[t.w] == "" {
			continue // a letter alone says nothing, but "(m)" is metres
		}
		out = append(out, stemWord(t.w))
	}
	return out
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// vocab holds, for one campaign's questions, each question's stems and how
// much each stem tells one question from the others.
type vocab struct {
	qs     [][]string        // per question: its stems (text and aliases), each once
	qwords [][]string        // per question: the words of its text, in order (matchPrefix)
	qset   []map[string]bool // per question: its stems as a set
	qtext  []map[string]bool // per question: the stems of its text alone (no aliases)
	qaside []map[string]bool // per question: the stems only its parentheses hold
	rare   float64           // the weight of a stem one question has, or none
	weight map[string]float64
	memo   map[string][]string // contentStems of texts already asked about
}

// stems is contentStems(s), remembered: the same lines are measured
// against every question, by several stages.
func (v *vocab) stems(s string) []string {
	if st, ok := v.memo[s]; ok {
		return st
	}
	st := contentStems(s)
	if len(v.memo) < 4096 {
		v.memo[s] = st
	}
	return st
}

func newVocab(qs []Question) *vocab {
	v := &vocab{qs: make([][]string, len(qs)), qwords: make([][]string, len(qs)), weight: map[string]float64{}, memo: map[string][]string{}}
	df := map[string]int{}
	for i, q := range qs {
		v.qwords[i] = wordList(q.Text)
		seen := map[string]bool{}
		for _, s := range append([]string{q.Text}, q.Aliases...) {
			for _, st := range contentStems(s) {
				if !seen[st] {
					seen[st] = true
					v.qs[i] = append(v.qs[i], st)
					df[st]++
				}
			}
		}
	}
	v.qtext = make([]map[string]bool, len(qs))
	v.qaside = make([]map[string]bool, len(qs))
	for i, q := range qs {
		v.qtext[i] = map[string]bool{}
		for _, st := range contentStems(q.Text) {
			v.qtext[i][st] = true
		}
		// Words only in the question's parentheses are examples ("(job
		// title or committee)"): an answer need not say them.
		outside := map[string]bool{}
		for _, st := range contentStems(reParens.ReplaceAllString(q.Text, " ")) {
			outside[st] = true
		}
		v.qaside[i] = map[string]bool{}
		for st := range v.qtext[i] {
			if !outside[st] {
				v.qaside[i][st] = true
			}
		}
	}
	v.qset = make([]map[string]bool, len(qs))
	for i, st := range v.qs {
		v.qset[i] = make(map[string]bool, len(st))
		for _, x := range st {
			v.qset[i][x] = true
		}
	}
	n := float64(len(qs))
	v.rare = math.Log(1 + n)
	for st, d := range df {
		v.weight[st] = math.Log(1 + n/float64(d))
	}
	return v
}

// w is the weight of a stem: rarer among the questions weighs more; a stem
// no question has weighs as much as one only one question has.
func (v *vocab) w(st string) float64 {
	if x, ok := v.weight[st]; ok {
		return x
	}
	return v.rare
}

// sim says how well s restates or labels question qi, from 0 to 1: how much
// of s the question explains (precision) and how much of the question s
// says (recall), weighted by what each word tells one question from the
// others. A label of one word that only this question has ("Policy") is
// near 0.6; a full restatement near 1.
func (v *vocab) sim(s string, qi int) float64 {
	return v.simStems(v.stems(s), qi)
}

func (v *vocab) simStems(stems []string, qi int) float64 {
	if len(stems) == 0 || qi < 0 || qi >= len(v.qs) || len(v.qs[qi]) == 0 {
		return 0
	}
	in := v.qset[qi]
	var hit, all float64
	for i, st := range stems {
		if slices.Contains(stems[:i], st) {
			continue
		}
		x := v.w(st)
		all += x
		if in[st] || v.prefixIn(st, qi) {
			hit += x
		}
	}
	if all == 0 || hit == 0 {
		return 0
	}
	var qall, qhit float64
	for _, st := range v.qs[qi] {
		x := v.w(st)
		qall += x
		if slices.Contains(stems, st) {
			qhit += x
		}
	}
	return 0.65*hit/all + 0.35*qhit/qall
}

// prefixIn tells a stem that is a long prefix of one of the question's
// stems, or has one as its prefix ("deploy" / "deployment"): word endings
// the stemmer does not know.
func (v *vocab) prefixIn(st string, qi int) bool {
	if len(st) < 6 {
		return false
	}
	for _, q := range v.qs[qi] {
		if len(q) >= 6 && (strings.HasPrefix(q, st) || strings.HasPrefix(st, q)) {
			return true
		}
	}
	return false
}

// anyQuestionStem tells stems of which one is a question's; a line with
// none fits no question, and need not be measured against each.
func (v *vocab) anyQuestionStem(stems []string) bool {
	for _, st := range stems {
		if _, ok := v.weight[st]; ok {
			return true
		}
		if len(st) >= 6 {
			return true // prefixIn may still find it
		}
	}
	return false
}

// best is the question s fits best, with its score and the runner-up's.
func (v *vocab) best(s string) (qi int, score, second float64) {
	stems := v.stems(s)
	qi = -1
	if !v.anyQuestionStem(stems) {
		return qi, 0, 0
	}
	for i := range v.qs {
		x := v.simStems(stems, i)
		switch {
		case x > score:
			second, score, qi = score, x, i
		case x > second:
			second = x
		}
	}
	return qi, score, second
}

// bestOf is the question among those ok allows that s fits best, and its
// score; -1 when none fits at all.
func (v *vocab) bestOf(s string, ok func(qi int) bool) (int, float64) {
	stems := v.stems(s)
	best, score := -1, 0.0
	for i := range v.qs {
		if !ok(i) {
			continue
		}
		if x := v.simStems(stems, i); x > score {
			best, score = i, x
		}
	}
	return best, score
}

// recallBest is the question most of whose distinctive words s says, and
// how much of them (weighted): the measure for a sentence that answers in
// the question's words and adds its own ("Pothole repairs in 2024 were
// carried out by ..."), where precision means little. A question of which
// s says fewer than two words, or none that few questions have, is none.
func (v *vocab) recallBest(s string, ok func(qi int) bool) (int, float64, bool) {
	stems := v.stems(s)
	best, score, second := -1, 0.0, 0.0
	bestOwn := false
	for qi := range v.qs {
		own := false // a stem only this question has
		var all, hit, textAll, textHit float64
		hits, rare := 0, false
		for _, st := range v.qs[qi] {
			x := v.w(st)
			if v.qaside[qi][st] {
				x /= 2
			}
			inText := v.qtext[qi][st]
			all += x
			if inText {
				textAll += x
			}
			if slices.Contains(stems, st) || v.stemPrefixIn(st, stems) {
				hit += x
				if inText {
					textHit += x
				}
				hits++
				if x >= 1.0 {
					rare = true
				}
				if v.weight[st] == v.w("") {
					own = true
				}
			}
		}
		if all == 0 || hits < 2 || !rare || ok != nil && !ok(qi) {
			continue // ok last: it may cost more than the words
		}
		// Aliases are other words for the question, not more of it: the
		// question's own words said count whole.
		r := hit / all
		if textAll > 0 {
			r = max(r, textHit/textAll)
		}
		if r > score {
			best, score, second, bestOwn = qi, r, score, own
		} else if r > second {
			second = r
		}
	}
	if score-second < 0.1 {
		return -1, 0, false // two questions fit as well: it answers neither for sure
	}
	return best, score, bestOwn
}

var reParens = regexp.MustCompile(`\([^()]*\)`)

// ownStemIn tells whether s says a word only question qi has.
func (v *vocab) ownStemIn(s string, qi int) bool {
	for _, st := range v.stems(s) {
		if v.qset[qi][st] && v.weight[st] == v.w("") {
			return true
		}
	}
	return false
}

// stemPrefixIn tells a question's stem that a word of s starts, or that
// starts a word of s ("deploy", "deployments").
func (v *vocab) stemPrefixIn(st string, stems []string) bool {
	if len(st) < 6 {
		return false
	}
	for _, x := range stems {
		if len(x) >= 6 && (strings.HasPrefix(x, st) || strings.HasPrefix(st, x)) {
			return true
		}
	}
	return false
}
