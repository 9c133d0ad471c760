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
func moneyIn(s string, masked spans) (Money, bool, string) {
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
	// "£5.9 million (£5,903,117)": the exact figure of the rounded one.
	if len(cands) > 1 && first.rounded && !cands[1].rounded && near(first.m.Amount, cands[1].m.Amount) && cands[1].start-first.end < 20 {
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
	if distinct > 1 && !startsAnswer(s, first.start) {
		var parts []string
		for _, c := range cands[:min(len(cands), 4)] {
			parts = append(parts, s[c.start:c.end])
		}
		return first.m, true, fmt.Sprintf("several amounts given (%s): took the first", strings.Join(parts, ", "))
	}
	return first.m, true, ""
}

// reNoSpend says no money was spent: "no spend", "nothing was spent",
// "did not spend any", "no cost".
var reNoSpend = regexp.MustCompile(`(?i)\b((no|nil|zero) (spend|expenditure|cost|costs|payments?)\b|nothing (was|has been) (spent|paid)|(did|have|has) not (spent|spend|paid|pay)\b)`)

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
