package worker

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/foiwatch/foiwatch/parser"
)

// Reading what an operator types as an answer (foiwatch answer ... set
// VALUE). This is deliberately stricter than the parser, which must make
// sense of whatever an authority wrote: a person correcting a result
// writes it one way, and anything else is refused with an example, never
// guessed at.

var (
	opCount = regexp.MustCompile(`^(?:\d{1,3}(?:,\d{3})+|\d+)$`)
	opMoney = regexp.MustCompile(`(?i)^(£|gbp|€|eur|\$|usd)?\s*(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?\s*(k|thousand|m|million|bn|billion)?\s*(?:(?:,\s*)?(per year|per annum|a year|annually|yearly|pa|p\.a\.|/\s*year|/\s*yr))?$`)
	// A section of FOIA, FOISA or the EIR: s.40(2), s40(2)(a), section
	// 43(2), reg.12(4)(b).
	opSection    = regexp.MustCompile(`(?i)^(?:s\.?|ss\.?|section|reg\.?|regulation)\s*(\d{1,2})\s*((?:\(\s*\d{1,2}\s*\))?)\s*((?:\(\s*[a-z]\s*\))?)$`)
	opSectionSep = regexp.MustCompile(`(?i)\s*(?:,|\band\b|&)\s*`)
)

// valueHelp shows, by question type, how a value is written.
var valueHelp = map[parser.QuestionType]string{
	parser.TypeCount: "a whole number such as 12 (or 1,250)",
	parser.TypeMoney: "an amount such as £125,000 or £125,000 per year (or 1.5 million)",
	parser.TypeList:  "names separated by semicolons, such as Police; Probation; Children's Services",
	parser.TypeURL:   "a link starting with https:// (or http://)",
	parser.TypeText:  "any text",
}

// ValueHelp says how a value for a question of type t is written, and the
// values every question takes.
func ValueHelp(t parser.QuestionType) string {
	return valueHelp[t] + "; or not_held, exempt s.40(2), unanswered"
}

// ReadValue reads what an operator wrote as the answer to q: a value of
// the question's type, "not_held", "unanswered", or "exempt" with the
// section(s) ("exempt s.40(2)", "exempt s.40(2), s.43(2)"). The Answer it
// returns has status, value and exemption; the caller adds the rest. The
// error says in plain words what was expected.
func ReadValue(q parser.Question, s string) (parser.Answer, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return parser.Answer{}, fmt.Errorf("no value given: write %s", ValueHelp(q.Type))
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return parser.Answer{}, errors.New("the value holds a control character (a tab or line break?): write it on one line")
		}
	}
	if len(s) > 4000 {
		return parser.Answer{}, fmt.Errorf("the value is %d characters long: the most an answer takes is 4000", len(s))
	}
	lower := strings.ToLower(s)
	switch lower {
	case "not_held", "not held":
		return parser.Answer{Status: parser.StatusNotHeld}, nil
	case "unanswered":
		return parser.Answer{Status: parser.StatusUnanswered}, nil
	}
	if rest, ok := strings.CutPrefix(lower, "exempt"); ok && (rest == "" || rest[0] == ' ' || rest[0] == ':') {
		secs, err := readSections(strings.TrimLeft(s[len("exempt"):], " :"))
		if err != nil {
			return parser.Answer{}, err
		}
		return parser.Answer{Status: parser.StatusExempt, Exemption: secs}, nil
	}
	a := parser.Answer{Status: parser.StatusAnswered}
	switch q.Type {
	case parser.TypeCount:
		if !opCount.MatchString(s) {
			return parser.Answer{}, fmt.Errorf("%q is not a count: write %s", s, ValueHelp(q.Type))
		}
		n, err := strconv.ParseInt(strings.ReplaceAll(s, ",", ""), 10, 64)
		if err != nil {
			return parser.Answer{}, fmt.Errorf("%q is too large a count", s)
		}
		a.Value = n
	case parser.TypeMoney:
		m, err := readMoney(s)
		if err != nil {
			return parser.Answer{}, err
		}
		a.Value = m
	case parser.TypeList:
		var items []string
		for _, it := range strings.Split(s, ";") {
			it = strings.Join(strings.Fields(it), " ")
			if strings.Trim(it, " .,-–—") == "" {
				continue
			}
			items = append(items, it)
		}
		if len(items) == 0 {
			return parser.Answer{}, fmt.Errorf("%q names nothing: write %s", s, ValueHelp(q.Type))
		}
		a.Value = items
	case parser.TypeURL:
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(s, " <>\"") {
			return parser.Answer{}, fmt.Errorf("%q is not a link: write %s", s, ValueHelp(q.Type))
		}
		a.Value = s
	case parser.TypeText:
		a.Value = strings.Join(strings.Fields(s), " ")
	default:
		return parser.Answer{}, fmt.Errorf("question %s has type %q, which foiwatch does not know", q.Key, q.Type)
	}
	return a, nil
}

// readMoney reads "£125,000", "£125,000 per year", "1.5 million", "GBP 98500".
func readMoney(s string) (parser.Money, error) {
	bad := func() (parser.Money, error) {
		return parser.Money{}, fmt.Errorf("%q is not an amount of money: write %s", s, ValueHelp(parser.TypeMoney))
	}
	m := opMoney.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return bad()
	}
	amount, err := strconv.ParseFloat(strings.ReplaceAll(m[2], ",", "")+m[3], 64)
	if err != nil {
		return bad()
	}
	switch strings.ToLower(m[4]) {
	case "k", "thousand":
		amount *= 1e3
	case "m", "million":
		amount *= 1e6
	case "bn", "billion":
		amount *= 1e9
	}
	if amount > 1e15 {
		return parser.Money{}, fmt.Errorf("%q is more money than any public body has", s)
	}
	amount = math.Round(amount*100) / 100
	cur := "GBP"
	switch strings.ToLower(m[1]) {
	case "€", "eur":
		cur = "EUR"
	case "$", "usd":
		cur = "USD"
	}
	period := ""
	if m[5] != "" {
		period = "year"
	}
	return parser.Money{Amount: amount, Currency: cur, Period: period}, nil
}

// readSections reads the sections of an exemption: "s.40(2)", "section
// 43(2)", several separated by commas or "and". They are written back as
// s.40(2).
func readSections(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", errors.New("exempt needs the section it was withheld under: write exempt s.40(2)")
	}
	var out []string
	for _, part := range opSectionSep.Split(strings.TrimSpace(s), -1) {
		if part == "" {
			continue
		}
		m := opSection.FindStringSubmatch(part)
		if m == nil {
			return "", fmt.Errorf("%q is not a section: write it as s.40(2) (or s.43(2)(a), reg.12(4)(b) for the EIR)", part)
		}
		prefix := "s."
		if l := strings.ToLower(part); strings.HasPrefix(l, "reg") {
			prefix = "reg."
		}
		sec := prefix + m[1] + strings.ReplaceAll(m[2], " ", "") + strings.ToLower(strings.ReplaceAll(m[3], " ", ""))
		out = append(out, sec)
	}
	if len(out) == 0 {
		return "", errors.New("exempt needs the section it was withheld under: write exempt s.40(2)")
	}
	return strings.Join(out, ", "), nil
}
