package parser

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Reading an amount of money: "£125,000 per annum", "£1.2m", "£865k",
// "£5.9 million (£5,903,117)" (the exact figure beside a rounded one wins),
// "2,400 pounds"; "nil" and "no spend" are £0. The period is "year" only
// where the answer says so beside the amount ("per year", "per annum",
// "annually", "an annual budget of").

var (
	reMoney   = regexp.MustCompile(`(?i)(£|gbp\s*|€|eur\s*|\$|usd\s*)\s*(\d[\d,]*(?:\.\d+)?)\s*(million|mil|m|bn|billion|k|thousand)?\b|\b(\d[\d,]*(?:\.\d+)?)\s*(million|m|k|thousand|bn)?\s*(pounds|gbp)\b`)
	rePerYear = regexp.MustCompile(`(?i)^[\s,.]*(\(?(per annum|per year|a year|each year|every year|annually|yearly|p\.?\s?a\.?|pa|per financial year|a financial year|per year)\b)`)
	reAnnual  = regexp.MustCompile(`(?i)\b(annual|yearly|per annum|per year|each year|a year)\b[^.£]{0,30}$`)
)

type moneyCand struct {
	m          Money
	start, end int
	rounded    bool // written with a multiplier ("£5.9 million")
}

func moneyCandidates(s string) []moneyCand {
	if len(s) > 4000 {
		s = s[:4000]
	}
	var out []moneyCand
	for _, m := range reMoney.FindAllStringSubmatchIndex(s, 20) {
		g := func(i int) string {
			if m[2*i] < 0 {
				return ""
			}
			return s[m[2*i]:m[2*i+1]]
		}
		sym, num, mult := g(1), g(2), g(3)
		if num == "" {
			num, mult, sym = g(4), g(5), "£"
		}
		v, err := strconv.ParseFloat(strings.ReplaceAll(num, ",", ""), 64)
		if err != nil {
			continue
		}
		switch strings.ToLower(mult) {
		case "m", "mil", "million":
			v *= 1e6
		case "bn", "billion":
			v *= 1e9
		case "k", "thousand":
			v *= 1e3
		}
		cur := "GBP"
		switch strings.ToLower(strings.TrimSpace(sym)) {
		case "€", "eur":
			cur = "EUR"
		case "$", "usd":
			cur = "USD"
		}
		c := moneyCand{m: Money{Amount: round2(v), Currency: cur}, start: m[0], end: m[1], rounded: mult != ""}
		before := s[:m[0]]
		if len(before) > 60 {
			before = before[len(before)-60:]
		}
		if rePerYear.MatchString(s[m[1]:]) || reAnnual.MatchString(before) {
			c.m.Period = "year"
		}
		out = append(out, c)
	}
	return out
}

func round2(v float64) float64 {
	return float64(int64(v*100+0.5)) / 100
}

// moneyIn reads the amount an answer gives; why is set when several
// amounts competed.
func moneyIn(s string, masked spans, qstems map[string]bool, asked period) (Money, bool, string) {
	var cands []moneyCand
	for _, c := range moneyCandidates(s) {
		if !masked.covers(c.start, c.end) {
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 {
		if zeroSaid(strings.TrimSpace(s)) || reNoSpend.MatchString(s) {
			return Money{Amount: 0, Currency: "GBP"}, true, ""
		}
		return Money{}, false, ""
	}
	first := cands[0]
	// "£5.9 million (£5,903,117)", "Approximately £612k. The exact figure
	// is GBP 612,480.00": the exact figure of the rounded one.
	if len(cands) > 1 && first.rounded && !cands[1].rounded && near(first.m.Amount, cands[1].m.Amount) && (cands[1].start-first.end < 20 || cands[1].start-first.end < 120 && strings.Contains(strings.ToLower(s[first.end:cands[1].start]), "exact")) {
		exact := cands[1]
		if first.m.Period != "" {
			exact.m.Period = first.m.Period
		}
		return exact.m, true, ""
	}
	if len(cands) > 1 && !first.rounded && cands[1].rounded && near(first.m.Amount, cands[1].m.Amount) && cands[1].start-first.end < 20 {
		return first.m, true, ""
	}
	distinct := 0
	seen := map[float64]bool{}
	for _, c := range cands {
		if !seen[c.m.Amount] {
			seen[c.m.Amount] = true
			distinct++
		}
	}
	if distinct > 1 {
		var parts []string
		for _, c := range cands[:min(len(cands), 4)] {
			parts = append(parts, s[c.start:c.end])
		}
		several := strings.Join(parts, ", ")
		if c, ok := chooseAmount(s, cands, qstems, asked); ok {
			return c.m, true, fmt.Sprintf("several amounts given (%s): took %s", several, c.why)
		}
		if !startsAnswer(s, first.start) {
			return first.m, true, fmt.Sprintf("several amounts given (%s): took the first", several)
		}
	}
	return first.m, true, ""
}

type chosenAmount struct {
	m   Money
	why string
}

// chooseAmount picks among several amounts by the words that lead to each
// in its clause: the one the letter gives as the total ("The total was
// £185,680" after its parts); else, when some are a budget or an estimate
// and the question asks for none, the one that is not ("budget ... £64,500;
// actual outturn ... £61,873.44").
func chooseAmount(s string, cands []moneyCand, qstems map[string]bool, asked period) (chosenAmount, bool) {
	// "Over the three years 2022 to 2024 ... £3.6m, of which £1.1m was in
	// 2024": the amount of the period asked, beside one of several years.
	if !asked.zero() {
		var exact []moneyCand
		ranged := false
		for i, c := range cands {
			prevEnd := 0
			if i > 0 {
				prevEnd = cands[i-1].end
			}
			switch periodNear(s, c, prevEnd, asked) {
			case 1:
				exact = append(exact, c)
			case -1:
				ranged = true
			}
		}
		if len(exact) > 0 && ranged && sameAmounts(exact) {
			return chosenAmount{exact[0].m, "the one of the period asked"}, true
		}
	}
	askedPlanned := false
	for _, st := range []string{"budget", "forecast", "estimat", "allocat"} {
		askedPlanned = askedPlanned || qstems[st]
	}
	var totals, actual []moneyCand
	planned := 0
	for i, c := range cands {
		from := 0
		if i > 0 {
			from = cands[i-1].end // the words after the amount before are this one's
			if m := reTotalAfter.FindString(s[from:c.start]); m != "" {
				// "£164,912 in total - £144,600 on cleaning": the words
				// are the amount's before.
				from += len(m)
				if len(totals) == 0 || totals[len(totals)-1] != cands[i-1] {
					totals = append(totals, cands[i-1])
				}
			}
		}
		lead := clauseBefore(s[from:], c.start-from)
		isPlanned := hasAny(lead, plannedWords)
		if isPlanned {
			planned++
		} else {
			actual = append(actual, c)
		}
		if !isPlanned && hasAny(lead, totalWords) {
			totals = append(totals, c)
		}
	}
	if len(totals) == 1 && (totals[0].start > cands[0].start || afterTotal(s, totals[0])) {
		return chosenAmount{totals[0].m, "the total"}, true
	}
	if planned > 0 && !askedPlanned && len(actual) > 0 && sameAmounts(actual) {
		return chosenAmount{actual[0].m, "the one not given as a budget or an estimate"}, true
	}
	return chosenAmount{}, false
}

// periodNear tells the period the words around an amount give it, in its
// sentence, after the amount before it (prevEnd): 1 the one asked alone,
// -1 a span of several years ("2022 to
// 2024", "three years"), 0 none.
func periodNear(s string, c moneyCand, prevEnd int, asked period) int {
	from := max(prevEnd, c.start-80)
	if i := strings.LastIndex(s[from:c.start], ". "); i >= 0 {
		from += i + 2
	}
	to := min(len(s), c.end+40)
	if i := strings.Index(s[c.end:to], ". "); i >= 0 {
		to = c.end + i
	}
	// Only up to the next amount: its words are its own.
	if i := strings.IndexAny(s[c.end:to], "£$€"); i >= 0 {
		to = c.end + i
	}
	near := s[from:to]
	for _, m := range reFinYearIn.FindAllStringSubmatch(near, 4) {
		if _, fin := finYear(m[1], m[2]); !fin {
			return -1 // "2022 to 2024"
		}
	}
	if reSeveralYears.MatchString(near) {
		return -1
	}
	for _, p := range periodsIn(near) {
		if p.matches(asked) {
			return 1
		}
	}
	return 0
}

var reSeveralYears = regexp.MustCompile(`(?i)\b(two|three|four|five|six|seven|eight|nine|ten|\d+) (calendar |financial )?years\b`)

var (
	totalWords   = []string{"total", "in all", "altogether", "overall", "combined"}
	plannedWords = []string{"budget", "forecast", "estimate", "planned", "allocated", "allocation", "projected", "provision of", "anticipated"}
)

// clauseBefore is the lower-case text of s's clause up to pos: from the
// last sentence end, ";" or line break before it.
func clauseBefore(s string, pos int) string {
	start := 0
	// ": " too: "£386,240 in total: device leasing £211,800": the words
	// before the colon are the amount's before it.
	for _, sep := range []string{". ", "; ", "\n", ": "} {
		if i := strings.LastIndex(s[:pos], sep); i >= 0 && i+len(sep) > start {
			start = i + len(sep)
		}
	}
	return strings.ToLower(s[start:pos])
}

// reTotalAfter is what says an amount is the total after it: "£164,912 in
// total", "£38,214 overall".
var reTotalAfter = regexp.MustCompile(`(?i)^\s*(?:in total|in all|overall|altogether|total)\b`)

// afterTotal tells an amount that words after it call the total.
func afterTotal(s string, c moneyCand) bool { return reTotalAfter.MatchString(s[c.end:]) }

func sameAmounts(cs []moneyCand) bool {
	for _, c := range cs[1:] {
		if c.m.Amount != cs[0].m.Amount {
			return false
		}
	}
	return true
}

// reNoSpend says no money was spent: "no spend", "nothing was spent",
// "did not spend any", "no cost".
var reNoSpend = regexp.MustCompile(`(?i)\b((no|nil|zero) (spend|expenditure|cost|costs|payments?)\b|(nothing|no money) (was|has been|were) (spent|paid)|(did|have|has) not (spent|spend|paid|pay)\b)`)

// near tells two amounts of which one rounds the other (within 5%).
func near(a, b float64) bool {
	if a == 0 || b == 0 {
		return false
	}
	d := a - b
	if d < 0 {
		d = -d
	}
	return d/max(a, b) <= 0.05
}
