package parser

import (
	"regexp"
	"strconv"
	"strings"
)

// The period a campaign asks about, and the periods a reply names: a
// financial year ("2023/24", "2023-24", "2023/2024", "FY 2023/24"), a
// calendar year ("2024"), or a range of dates. Authorities often answer
// with several years (a column per year, lines "2021/22 - 198"); the answer
// is the figure for the period asked.

// period is a span of years: a financial year 2023/24 is {2023, 2024, true},
// the calendar year 2024 {2024, 2024, false}.
type period struct {
	from, to  int
	financial bool
}

func (p period) zero() bool { return p.from == 0 }

var (
	reFinYearIn = regexp.MustCompile(`(?i)\b(?:fy\s?)?((?:19|20)\d\d)\s*(?:/|-|–|to)\s*((?:19|20)?\d\d)\b`)
	reFYShort   = regexp.MustCompile(`(?i)\bfy\s?(\d\d)\s*/\s*(\d\d)\b|\b(\d\d)/(\d\d)\b`)
	reYearIn    = regexp.MustCompile(`\b((?:19|20)\d\d)\b`)
	reDateRange = regexp.MustCompile(`^(\d{4})-(\d\d)-(\d\d)\.\.(\d{4})-(\d\d)-(\d\d)$`)
)

// finYear reads "2023/24" (or 2023-24, 2023/2024) in the match m of
// reFinYearIn: a financial year only when the second year follows the first.
func finYear(a, b string) (period, bool) {
	y1, _ := strconv.Atoi(a)
	y2, _ := strconv.Atoi(b)
	if y2 < 100 {
		y2 += y1 / 100 * 100
		if y2 < y1 {
			y2 += 100
		}
	}
	if y2 != y1+1 {
		return period{}, false
	}
	return period{y1, y2, true}, true
}

// parsePeriod reads the `period` of a campaign file.
func parsePeriod(s string) period {
	s = strings.TrimSpace(s)
	if m := reDateRange.FindStringSubmatch(s); m != nil {
		y1, _ := strconv.Atoi(m[1])
		y2, _ := strconv.Atoi(m[4])
		m1, _ := strconv.Atoi(m[2])
		if m1 == 4 && y2 == y1+1 {
			return period{y1, y2, true}
		}
		return period{y1, y2, false}
	}
	if m := reFinYearIn.FindStringSubmatch(s); m != nil {
		if p, ok := finYear(m[1], m[2]); ok {
			return p
		}
	}
	if m := reYearIn.FindStringSubmatch(s); m != nil && len(strings.TrimSpace(s)) <= 6 {
		y, _ := strconv.Atoi(m[1])
		return period{y, y, false}
	}
	return period{}
}

// reYearByDays is a year told by its first and last days: "1 April 2024
// and 31 March 2025", "1st January 2024 to 31st December 2024".
var reYearByDays = regexp.MustCompile(`(?i)\b1(?:st)?\s+(april|apr|january|jan)\s+(\d{4})\s*(?:and|to|until|till|-|–)\s*3[01](?:st)?\s+(march|mar|december|dec)\s+(\d{4})\b`)

// askedPeriod is the period a campaign asks about: its `period`, else the
// one financial year its title or questions name (when they name one only).
func askedPeriod(a *Asked) period {
	if a == nil {
		return period{}
	}
	if p := parsePeriod(a.Period); !p.zero() {
		return p
	}
	found := map[period]bool{}
	var first period
	texts := []string{a.Title}
	for _, q := range a.Questions {
		texts = append(texts, q.Text)
	}
	for _, t := range texts {
		for _, m := range reFinYearIn.FindAllStringSubmatch(t, 5) {
			if p, ok := finYear(m[1], m[2]); ok {
				if len(found) == 0 {
					first = p
				}
				found[p] = true
			}
		}
		// "between 1 April 2024 and 31 March 2025", "from 1 January 2024
		// to 31 December 2024": a year told by its first and last days.
		for _, m := range reYearByDays.FindAllStringSubmatch(t, 5) {
			y1, _ := strconv.Atoi(m[2])
			y2, _ := strconv.Atoi(m[4])
			var p period
			switch {
			case strings.HasPrefix(strings.ToLower(m[1]), "apr") && strings.HasPrefix(strings.ToLower(m[3]), "mar") && y2 == y1+1:
				p = period{y1, y2, true}
			case strings.HasPrefix(strings.ToLower(m[1]), "jan") && strings.HasPrefix(strings.ToLower(m[3]), "dec") && y2 == y1:
				p = period{y1, y1, false}
			default:
				continue
			}
			if len(found) == 0 {
				first = p
			}
			found[p] = true
		}
	}
	if len(found) == 1 {
		return first
	}
	if len(found) > 1 {
		return period{}
	}
	// No financial year: one calendar year the title names ("calendar year
	// 2024", "in 2024"), else the one year every question that names one
	// names.
	years := map[int]bool{}
	for _, m := range reYearIn.FindAllStringSubmatch(a.Title, 5) {
		y, _ := strconv.Atoi(m[1])
		years[y] = true
	}
	if len(years) == 0 {
		for _, q := range a.Questions {
			for _, m := range reYearIn.FindAllStringSubmatch(q.Text, 5) {
				y, _ := strconv.Atoi(m[1])
				years[y] = true
			}
		}
	}
	if len(years) == 1 {
		for y := range years {
			return period{y, y, false}
		}
	}
	return period{}
}

// periodsIn returns every period a piece of text names, in order: financial
// years, and calendar years standing alone.
func periodsIn(s string) []period {
	var out []period
	for _, m := range reFinYearIn.FindAllStringSubmatch(s, 10) {
		if p, ok := finYear(m[1], m[2]); ok {
			out = append(out, p)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, m := range reFYShort.FindAllStringSubmatch(s, 10) {
		a, b := m[1]+m[3], m[2]+m[4]
		if p, ok := finYear("20"+a, b); ok {
			out = append(out, p)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, m := range reYearIn.FindAllStringSubmatch(s, 10) {
		y, _ := strconv.Atoi(m[1])
		out = append(out, period{y, y, false})
	}
	return out
}

// isPeriodLabel tells a piece of text that is only a period ("2023/24",
// "2023-24:", "FY 2022/23", "2024"), as the head of a table column or the
// label of a line "2023/24 - 37".
func isPeriodLabel(s string) bool {
	s = strings.Trim(strings.TrimSpace(s), ":-–—()[]*")
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(s), "fy"), "financial year"))
	if s == "" || len(s) > 24 {
		return false
	}
	if m := reFinYearIn.FindStringSubmatchIndex(s); m != nil && m[0] == 0 && m[1] == len(s) {
		return true
	}
	if m := reFYShort.FindStringIndex(s); m != nil && m[0] == 0 && m[1] == len(s) {
		return true
	}
	if len(s) == 4 && isDigits(s) && (s[:2] == "19" || s[:2] == "20") {
		return true
	}
	return false
}

// matches tells whether a period named in a reply is the one asked.
func (p period) matches(q period) bool {
	if p.zero() || q.zero() {
		return false
	}
	if p == q {
		return true
	}
	// A calendar year asked, a financial year named that starts in it,
	// or the other way round, is not the same period.
	return false
}

// isTotalLabel tells a row or column head that sums the others.
func isTotalLabel(s string) bool {
	l := strings.ToLower(strings.Trim(strings.TrimSpace(s), ":*"))
	return l == "total" || l == "totals" || l == "grand total" || l == "overall" || l == "all" ||
		strings.HasPrefix(l, "total ") && len(l) < 30 || strings.HasSuffix(l, " total") && len(l) < 30
}

// isSubPeriodLabel tells the head of a row or column that is a part of a
// year: a quarter ("Q1", "Q2 2024/25", "Apr-Jun"), a month, a half.
func isSubPeriodLabel(s string) bool {
	l := strings.ToLower(strings.Trim(strings.TrimSpace(s), ":*"))
	if l == "" || len(l) > 30 {
		return false
	}
	if len(l) >= 2 && l[0] == 'q' && l[1] >= '1' && l[1] <= '4' && (len(l) == 2 || l[2] == ' ' || l[2] == '-') {
		return true
	}
	if strings.HasPrefix(l, "quarter") || strings.HasPrefix(l, "h1") || strings.HasPrefix(l, "h2") {
		return true
	}
	if k, ok := monthAt(l); ok && (k == len(l) || l[k] == ' ' || l[k] == '-' || l[k] == '/' || strings.HasPrefix(l[k:], "–")) {
		return true
	}
	return false
}

// monthAt tells a month name (or its abbreviation) at the start of l and
// where it ends.
func monthAt(l string) (int, bool) {
	best := 0
	for name := range months {
		if strings.HasPrefix(l, name) && len(name) > best {
			best = len(name)
		}
	}
	return best, best > 0
}
