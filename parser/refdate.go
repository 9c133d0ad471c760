package parser

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The authority's reference and a due date it states.

// refToken is a reference as authorities write them: groups of letters and
// digits joined by "/", "-", "." or "_", e.g. FOI/OPCCN/239, 00019-23,
// RFI-2023-0412; optionally after a word such as "FOI " (FOI 2023/1187).
//
// An authority's own letters may stand before it, in capitals: "FAS FOI
// 24-133", "LDC 25/0203", "GPCC 2026/0093".
const refToken = `(?:(?-i:[A-Z][A-Z0-9]{1,5})\s+)?(?:(?:FOI|FOIA|FOIR|FOISA|EIR|RFI|IR|REF)\s)?[A-Za-z0-9]+(?:[/\-._][A-Za-z0-9]+)*`

var (
	// Labels, strongest first.
	reRefOur   = regexp.MustCompile(`(?i)\bour\s+(?:ref(?:erence)?|case)(?:\s*(?:no|number|num)\b\.?)?(?:\s+for\s+(?:your|this)\s+(?:request|enquiry|case|application))?\s*(?:is|:|-|–|\.)?\s*(` + refToken + `)`)
	reRefLabel = regexp.MustCompile(`(?i)\b(?:(?:logged|registered|recorded)\s+(?:it\s+)?(?:under|with|as)\s+(?:the\s+)?(?:reference|ref|case)(?:\s+(?:number|no))?|(?:logged|registered|recorded)\s+(?:it\s+)?as|quote(?:\s+(?:the\s+)?(?:reference|ref))?|(?:foi|foia|request|case|file)\s+(?:ref(?:erence)?|number|no|id)\b\.?|ref(?:erence)?\s*(?:number|no)?\b\.?|reference\s+number\s+is|(?:foi|freedom of information|information)\s+request\s*(?:no\.?|number|ref\.?)?)\s*(?:is|:|-|–|#)?\s*(` + refToken + `)`)
	reRefYour  = regexp.MustCompile(`(?i)\byour\s+ref(?:erence)?(?:\s*(?:no|number)\b\.?)?\s*[:.\-–]?\s*(` + refToken + `)`)
	reRefFOI   = regexp.MustCompile(`(?i)\b((?:FOI|FOIA|FOIR|FOISA|EIR|RFI|IR)(?:[/\-_][A-Za-z0-9]+)+|(?:FOI|FOIA|FOIR|FOISA|EIR|RFI|IR)\s+[0-9]+(?:[/\-._][0-9]+)*|(?:FOI|FOIA|FOIR|FOISA|EIR|RFI)\s+[A-Za-z0-9]+(?:[/\-._][A-Za-z0-9]+)+)\b`)
	reRefBrack = regexp.MustCompile(`[\[(]\s*(?:ref(?:erence)?[:.]?\s*)?(` + refToken + `)\s*[\])]`)
	reRefBare  = regexp.MustCompile(`\b([A-Za-z0-9]+(?:[/\-_.][A-Za-z0-9]+)+)\b`)

	reDateLike  = regexp.MustCompile(`^(\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2})$`)
	reFinYear   = regexp.MustCompile(`^((?:19|20)\d\d)[/\-]((?:19|20)?\d\d)$`)
	rePostcode  = regexp.MustCompile(`(?i)^[A-Z]{1,2}\d[A-Z\d]?$`)
	reRefLetter = regexp.MustCompile(`[A-Za-z]`)
	// reQuantity: a figure and its unit, "2.3bn", "4.5m", "1.2km".
	reQuantity = regexp.MustCompile(`^\d+(?:[.,]\d+)?[a-z]{1,3}$`)
)

type refCandidate struct {
	ref   string
	score int
}

// Anchored forms of the label patterns, tried only where one of their first
// words starts: far cheaper than scanning a whole letter with each pattern.
var (
	anchOur   = anchored(reRefOur)
	anchLabel = anchored(reRefLabel)
	anchFOI   = anchored(reRefFOI)
	anchYour  = anchored(reRefYour)
)

func anchored(re *regexp.Regexp) *regexp.Regexp {
	p := re.String()
	flags := ""
	if strings.HasPrefix(p, "(?i)") {
		flags, p = "(?i)", p[4:]
	}
	return regexp.MustCompile(flags + "^(?:" + p + ")")
}

// findAt runs an anchored pattern at each place of text where one of keys
// starts a word, and passes group 1 of each match to fn.
func findAt(re *regexp.Regexp, text, lower string, keys []string, fn func(string)) {
	findAtPos(re, text, lower, keys, func(m string, _ int) { fn(m) })
}

// findAtPos is findAt passing where each match starts.
func findAtPos(re *regexp.Regexp, text, lower string, keys []string, fn func(string, int)) {
	for _, k := range keys {
		from := 0
		for n := 0; n < 100; n++ {
			i := strings.Index(lower[from:], k)
			if i < 0 {
				break
			}
			i += from
			from = i + len(k)
			if i > 0 && isWordByte(lower[i-1]) {
				continue
			}
			if m := re.FindStringSubmatch(text[i:min(len(text), i+160)]); m != nil {
				fn(m[1], i)
			}
		}
	}
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}

// asciiLower lower-cases ASCII letters only, so byte offsets stay the same.
func asciiLower(s string) string {
	i := 0
	for i < len(s) && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s // nothing to change: no copy
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 32
		}
		b.WriteByte(c)
	}
	return b.String()
}

var (
	keysOur   = []string{"our"}
	keysLabel = []string{"logged", "registered", "recorded", "quote", "foi", "request", "case", "file", "ref", "freedom", "information"}
	keysFOI   = []string{"foi", "eir", "rfi", "ir"}
	keysYour  = []string{"your"}
)

// findReference returns the authority's reference from the subject and the
// text, "" when none is found.
func findReference(subject, text string) string {
	ref, _ := findReferenceScored(subject, text)
	return ref
}

// findReferenceScored is findReference with the score of the form the
// reference was found in: 100 "Our ref:", 90 another label, 80 a bracketed
// token in the subject, 70 an FOI-prefixed token, 50 a bare token in the
// subject, 20 "Your ref:"; one more when found in the subject.
func findReferenceScored(subject, text string) (string, int) {
	var best refCandidate
	consider := func(ref string, score int) {
		ref = strings.TrimRight(strings.TrimSpace(ref), ".-_/")
		if !plausibleRef(ref, score >= 80) {
			return
		}
		if score > best.score {
			best = refCandidate{ref, score}
		}
	}
	if len(text) > 200_000 {
		text = text[:200_000]
	}
	for _, src := range []struct {
		s     string
		bonus int
	}{{subject, 1}, {text, 0}} {
		lower := asciiLower(src.s)
		findAt(anchOur, src.s, lower, keysOur, func(r string) { consider(r, 100+src.bonus) })
		findAt(anchLabel, src.s, lower, keysLabel, func(r string) { consider(r, 90+src.bonus) })
		findAtPos(anchFOI, src.s, lower, keysFOI, func(ref string, at int) {
			// "FOI GF/2023/118": the word is a label, the token the
			// reference; "FOI 2023/1187" is kept whole, as written.
			if i := strings.IndexAny(ref, " \t"); i > 0 && reRefLetter.MatchString(ref[i+1:]) {
				ref = strings.TrimSpace(ref[i+1:])
			} else if p := refPrefix(src.s[:at]); p != "" {
				ref = p + ref // "DP-FOI-2023-077", "PCC FOI 117-23"
			}
			consider(ref, 70+src.bonus)
		})
		findAt(anchYour, src.s, lower, keysYour, func(r string) { consider(r, 20+src.bonus) })
	}
	for _, m := range reRefBrack.FindAllStringSubmatch(subject, 5) {
		consider(m[1], 80)
	}
	for _, m := range reRefBare.FindAllStringSubmatch(subject, 5) {
		consider(m[1], 50)
	}
	return best.ref, best.score
}

// refPrefix is an authority's letters just before "FOI" ("DP-", "PCC "),
// with what joins them; "" when there are none. Words that only lead to a
// reference ("RE", "Our") are none.
func refPrefix(before string) string {
	if before == "" {
		return ""
	}
	sep := before[len(before)-1]
	if sep != ' ' && sep != '-' && sep != '/' {
		return ""
	}
	w := before[:len(before)-1]
	start := len(w)
	for start > 0 && (w[start-1] >= 'A' && w[start-1] <= 'Z' || w[start-1] >= '0' && w[start-1] <= '9') {
		start--
	}
	word := w[start:]
	if len(word) < 2 || len(word) > 6 || word[0] < 'A' || word[0] > 'Z' || start > 0 && isWordByte(asciiLower(w[start-1 : start])[0]) {
		return ""
	}
	switch word {
	case "RE", "FW", "FWD", "OUR", "YOUR", "THE", "AND", "REF", "NO", "FOR", "OF", "TO":
		return ""
	}
	return word + string(sep)
}

// plausibleRef rejects what only looks like a reference: dates, financial
// years, phone numbers, postcodes, words.
func plausibleRef(ref string, labelled bool) bool {
	if len(ref) < 3 || len(ref) > 40 || !strings.ContainsAny(ref, "0123456789") {
		return false
	}
	core := ref
	if i := strings.LastIndexByte(core, ' '); i >= 0 {
		core = core[i+1:]
	}
	if reDateLike.MatchString(core) || rePostcode.MatchString(core) || reQuantity.MatchString(core) {
		return false
	}
	if m := reFinYear.FindStringSubmatch(core); m != nil {
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[2])
		if b == a+1 || b == (a+1)%100 {
			return false
		}
	}
	digitsOnly := strings.Trim(core, "0123456789") == ""
	if digitsOnly && (!labelled || len(core) >= 10) {
		return false // a phone number, a question number
	}
	if !labelled && !reRefLetter.MatchString(core) && !strings.ContainsAny(core, "/-") {
		return false
	}
	return true
}

// A due date the authority states.

var (
	months = map[string]time.Month{
		"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
		"jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
		"oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
	}
	monthRe  = `(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)`
	dateExpr = `(?:(?:mon|tue|tues|wed|wednes|thu|thur|thurs|fri|sat|satur|sun)(?:day)?\.?,?\s+)?(?:the\s+)?` +
		`(?:(\d{1,2})(?:st|nd|rd|th)?(?:\s+of)?\s+` + monthRe + `,?(?:\s+(\d{4}))?` +
		`|` + monthRe + `\s+(\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(\d{4}))?` +
		`|(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})` +
		`|(\d{1,2})[\-/ ]` + monthRe + `[\-/ ](\d{4})` +
		`|(\d{4})-(\d{2})-(\d{2}))`
	reDue = regexp.MustCompile(`(?i)\b(no later than|not later than|on or before|by no later than|by|before|until|(?:response |reply )?due(?: (?:on|by|date))?(?: is)?:?|(?:deadline|target(?: response)? date|target)(?: for (?:(?:our|your|the|a|this) )?(?:request|response|reply))?(?: (?:is|of|to|date|will be))?:?|(?:due|response|reply) date(?: for (?:(?:your|the|a|this) )?(?:request|response|reply))?(?: is)?:?|extended? (?:the deadline |the date |this |it )?(?:to|until)|new (?:deadline|date|response date)(?: is| of)?:?|working days,? (?:i\.e\.?|which is|that is|this being|being),?)(?:\s+|\s*[.…:]{2,}\s*)(?:\|\s+)?` + dateExpr + `\b`)
)

// findDue returns the due date text states, as YYYY-MM-DD: the latest of
// the dates after a word that sets one ("by", "no later than", "Response
// due:"), so that an extension naming the old date and then the new one
// gives the new one. A year left out is taken from the message date; a
// date before the message is no due date.
func findDue(text string, msgDate time.Time) string {
	if len(text) > 200_000 {
		text = text[:200_000]
	}
	var best time.Time
	for _, m := range reDue.FindAllStringSubmatch(text, 40) {
		if d, ok := dueFrom(m, msgDate); ok && d.After(best) {
			best = d
		}
	}
	if best.IsZero() {
		return ""
	}
	return best.Format("2006-01-02")
}

func dueFrom(m []string, ref time.Time) (time.Time, bool) {
	var day, year int
	var mon time.Month
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	switch {
	case m[2] != "":
		day, mon, year = atoi(m[2]), months[strings.ToLower(m[3])], atoi(m[4])
	case m[5] != "":
		mon, day, year = months[strings.ToLower(m[5])], atoi(m[6]), atoi(m[7])
	case m[8] != "":
		day, mon, year = atoi(m[8]), time.Month(atoi(m[9])), atoi(m[10])
		if year < 100 {
			year += 2000
		}
	case m[11] != "":
		day, mon, year = atoi(m[11]), months[strings.ToLower(m[12])], atoi(m[13])
	case m[14] != "":
		year, mon, day = atoi(m[14]), time.Month(atoi(m[15])), atoi(m[16])
	}
	if mon < 1 || mon > 12 || day < 1 || day > 31 {
		return time.Time{}, false
	}
	if year == 0 {
		if ref.IsZero() {
			return time.Time{}, false
		}
		year = ref.Year()
		if time.Date(year, mon, day, 0, 0, 0, 0, time.UTC).Before(ref.AddDate(0, -2, 0)) {
			year++
		}
	}
	t := time.Date(year, mon, day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, false
	}
	if !ref.IsZero() && (t.Before(ref.AddDate(0, 0, -7)) || t.After(ref.AddDate(1, 0, 0))) {
		return time.Time{}, false // a date in the past is not a due date
	}
	return t, true
}
