package parser

import (
	"regexp"
	"strconv"
	"strings"
)

// Not held, exempt, suppressed: what an answer says about the information
// itself, before any value is read from it. The wordings are those of the
// law and of every authority (FOIA, FOISA and the EIR), never of one
// subject.

var (
	// reNotHeld: the authority does not hold the information.
	reNotHeld = regexp.MustCompile(`(?i)\b(not held|(does|do|did) not (currently |actually )?(hold|record|collect|collate|capture|keep|retain|maintain|store|compile|produce|track|monitor|log)\b|doesn'?t (hold|record|collect|keep)|don'?t (hold|record|collect|keep)|holds? no (recorded )?(information|data|records?|figures?)|no (recorded |relevant |such )?(information|data|records?|figures?|statistics|details) (is |are |was |were )?(held|recorded|available|kept|collected|captured|retained|found|exists?)|no such (information|data|records?|documents?|policy|policies|report|reports|figures?)( (exists?|is held|are held))?|(is|are|was|were|has not been|have not been) not (recorded|collected|collated|captured|kept|retained|held|available|centrally (recorded|held)|separately (identified|identifiable|recorded|held))|not (separately |centrally )?(recorded|collated|captured|identifiable|identified)( separately)?|information (is )?not (held|available|recorded)|not held centrally|there (is|are) no (such|separate|single|specific|formal|written|recorded|relevant) (information|data|records?|document|documents|policy|policies|figures?|report)|(unable|not able) to (locate|find|identify) any (information|records?|data)|we have no (information|records?|data)|no information (within|in) scope|(does|do|did) not (currently )?have (a |an |any )?(separate|specific|single|formal|written|documented|published|adopted|approved|agreed|current|standalone|stand-alone|dedicated) |(does|do|did) not (currently )?have (a|an|any) ([a-z-]+ ){0,2}(policy|policies|plan|strategy|procedure|protocol|guidance|register)\b|\bno \w+( \w+)? (has|have) (yet )?been (published|produced|carried out|undertaken|completed|commissioned|written|prepared))`)

	// reExemptWords: the information is withheld.
	reExemptWords = regexp.MustCompile(`(?i)\b(exempt|exemption|withh[eo]ld(ing)?|redact(ed|ion)?|suppress(ed|ion)?|neither confirm nor deny|not (been )?disclosed|not (be )?released|cannot be (disclosed|released|provided)|refus(e|ed|al)|commercially (sensitive|confidential))`)

	// reSection: a section of FOIA or FOISA, or a regulation of the EIR.
	reSection = regexp.MustCompile(`(?i)\b(?:(s|ss|sec|section|sections)\s*\.?\s*|(reg|regs|regulation|regulations|r)\s*\.?\s*)(\d{1,2})\s*(?:\(\s*(\d{1,2})\s*\)|\s+subsection\s+(\d))?(?:\s*\(\s*([a-z])\s*\))?(?:\s*\(\s*([ivx]+)\s*\))?`)

	// reSuppressed: a small figure not given: "*", "<5", "fewer than 5",
	// "5 or fewer", "between 1 and 4".
	reSuppressed = regexp.MustCompile(`(?i)^\W*(\*+|<\s*\d+\s*\*?|≤\s*\d+|(fewer|less) than (\d+|five|ten|three)\b|under (\d+|five|ten)\b|below (\d+|five|ten)\b|(\d+|five|ten) or (fewer|less|under)\b|between (1|one) and (\d+|four|nine)\b|1\s*[-–]\s*4\b|low numbers?|a small number\b|very few\b)`)
)

// notHeld tells text saying the information is not held.
func notHeld(s string) bool {
	return kNotHeld.match(s, asciiLower(s))
}

// kNotHeld is reNotHeld with the words each of its phrases holds
// (keyed_test.go checks that none is missing).
var kNotHeld = newKeyed("not-held", reNotHeld, "held", "hold", "record", "collect", "collat", "captur", "keep", "kept", "retain", "maintain", "store", "compile", "produce", "track", "monitor", "log", "such", "identif", "available", "no information", "have no", "not have", "currently have", "exist", "found", "locate", "to find", "scope", "there is no", "there are no", "been").
	and("no", "n't", "nt ", "unable")

// mayCite tells whether s may cite a section: a digit after the last
// letter of one of reSection's words ("s", "sec", "section", "reg",
// "regulation", "r"), dots and spaces between. Most text cites none.
func mayCite(s string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' || s[i-1] >= '0' && s[i-1] <= '9' {
			continue
		}
		j := i - 1
		for j >= 0 && strings.IndexByte(" .\t\n\f\r", s[j]) >= 0 {
			j--
		}
		if j >= 0 {
			switch s[j] | 0x20 {
			case 's', 'c', 'n', 'g', 'r':
				return true
			}
		}
	}
	return false
}

// exemptWords tells text saying information is withheld.
func exemptWords(s string) bool {
	return kExemptWords.match(s, asciiLower(s))
}

var kExemptWords = newKeyed("exempt-words", reExemptWords, "exempt", "withh", "redact", "suppress", "neither confirm", "disclosed", "released", "cannot be", "refus", "commercially")

// exemption returns the first section or regulation cited, written
// "s.40(2)", "s.38(1)(b)", "reg.12(4)(a)", "reg.13"; "" when none.
func exemption(s string) string {
	if !mayCite(s) {
		return ""
	}
	for _, m := range reSection.FindAllStringSubmatch(s, 10) {
		n, _ := strconv.Atoi(m[3])
		reg := m[2] != ""
		if reg {
			if strings.EqualFold(m[2], "r") && m[4] == "" {
				continue // "r 5" is rarely a regulation
			}
			if n != 12 && n != 13 {
				continue
			}
		} else if n != 12 && n != 14 && (n < 21 || n > 44) {
			continue // FOIA ss.21-44, FOISA ss.25-41; 12 and 14 refuse
		}
		out := "s." + m[3]
		if reg {
			out = "reg." + m[3]
		}
		if sub := m[4] + m[5]; sub != "" {
			out += "(" + sub + ")"
		}
		if m[6] != "" {
			out += "(" + strings.ToLower(m[6]) + ")"
		}
		if m[7] != "" {
			out += "(" + strings.ToLower(m[7]) + ")"
		}
		return out
	}
	return ""
}

// suppressed tells an answer that gives a small figure only as a range or
// a mark: "*", "<5", "fewer than 5".
func suppressed(s string) bool {
	return reSuppressed.MatchString(s)
}

// footnoteFor finds, among a reply's footnotes and sentences, the one that
// explains a suppressed figure: it cites an exemption and speaks of small
// figures or the mark the answer uses. It returns the exemption.
func footnoteFor(answer string, notes []string) string {
	mark := strings.Contains(answer, "*")
	for _, n := range notes {
		ex := exemption(n)
		if ex == "" {
			continue
		}
		l := asciiLower(n)
		if mark && strings.HasPrefix(strings.TrimSpace(n), "*") || hasAny(l, []string{"fewer than", "less than", "lower than", "below", "small number", "low number", "suppress", "under five", "under 5", "not given", "exact number", "exact figure", "identify", "identities", "withheld", "withhold", "redact"}) {
			return ex
		}
	}
	return ""
}
