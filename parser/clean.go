package parser

import (
	"regexp"
	"strings"
)

// Clean: the first stage. The text of a reply without what it quotes (the
// request sent, an earlier message), and the knowledge of which lines are
// boilerplate every authority sends (appeal rights, the Information
// Commissioner, re-use licences, disclaimers, signatures, "CAUTION:
// external email" banners), so that the later stages neither take them for
// answers nor classify a reply by them.

var (
	reOriginalMarker = regexp.MustCompile(`(?i)^\s*(-{2,}\s*original message\s*-{2,}|-{5,}\s*forwarded message\s*-{5,}|_{10,}\s*$|on .{4,120} wrote:\s*$|begin forwarded message:?)`)
	reHeaderFrom     = regexp.MustCompile(`(?i)^\s*\*?from:\*?\s+\S`)
	reHeaderSent     = regexp.MustCompile(`(?i)^\s*\*?(sent|date|to|subject):\*?\s+\S`)
)

// stripQuoted removes the text a reply quotes: lines starting with ">" and
// everything from an "Original Message" marker, an "On ... wrote:" line or an
// Outlook header block ("From:" then "Sent:") on. It keeps the text when the
// cut would leave nothing.
func stripQuoted(s string) string {
	lines := strings.Split(s, "\n")
	keep, lastKept := inlineQuotes(lines)
	out := make([]string, 0, len(lines))
	below := false // the writer's words point to the answers in the thread below
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if isQuoted(l) {
			if keep[i] {
				out = append(out, unquote(l))
			}
			continue
		}
		marker := isOriginalMarker(l)
		if marker && (i < lastKept || below) {
			continue // "On ... wrote:" above the questions answered under them
		}
		cut := marker && hasText(out) && !strings.Contains(strings.ToLower(l), "forwarded") ||
			mayBeHeaderFrom(l) && reHeaderFrom.MatchString(l) && hasText(out) && headerBlockAt(lines, i)
		if cut && !below && pointsBelow(out) {
			// "Please see below the response from our Street Scene
			// Manager": the answers are in what is forwarded.
			below = true
		}
		if cut && !below {
			break
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// isOriginalMarker tells reOriginalMarker's line, tried only where one of
// its words or rules is.
func isOriginalMarker(l string) bool {
	lower := asciiLower(l)
	if !strings.Contains(l, "--") && !strings.Contains(l, "__") && !strings.Contains(lower, "wrote") && !strings.Contains(lower, "forwarded") {
		return false
	}
	return reOriginalMarker.MatchString(l)
}

// mayBeHeaderFrom is the cheap test before reHeaderFrom.
func mayBeHeaderFrom(l string) bool {
	t := strings.TrimLeft(l, " \t*")
	return len(t) >= 5 && (t[0] == 'F' || t[0] == 'f') && strings.EqualFold(t[:5], "from:")
}

// headerBlockAt tells an Outlook header block at line i: "From:", then
// "Sent:" and the like.
func headerBlockAt(lines []string, i int) bool {
	n := 0
	for k := i + 1; k < len(lines) && k <= i+4; k++ {
		if reHeaderSent.MatchString(lines[k]) {
			n++
		}
	}
	return n >= 2
}

// pointsBelow tells a short covering note, no answers of its own, that
// points to them below ("Please see below the response from ...").
func pointsBelow(lines []string) bool {
	n, says := 0, false
	for _, l := range lines {
		t := strings.TrimSpace(l)
		n += len(t)
		if itemLabel(t).num > 0 {
			return false
		}
		lower := strings.ToLower(t)
		if strings.Contains(lower, "below") && (strings.Contains(lower, "response") || strings.Contains(lower, "answer") || strings.Contains(lower, "reply") || strings.Contains(lower, "information")) {
			says = true
		}
	}
	return says && n < 800
}

func isQuoted(l string) bool { return strings.HasPrefix(strings.TrimSpace(l), ">") }

// unquote takes one level of quoting off a line.
func unquote(l string) string {
	t := strings.TrimSpace(l)
	t = strings.TrimPrefix(t, ">")
	return strings.TrimPrefix(t, " ")
}

// inlineQuotes finds a reply written under the lines it quotes ("> 1. How
// many ...?" then the answer, and so on): quoted blocks each followed by
// the writer's own text, two or more of them. Those blocks are the
// questions the answers go with, and are kept (keep[i]), unquoted; a
// quoted block with nothing of the writer's after it (the original at
// the bottom) is not. lastKept is the last line kept; -1 when the reply is
// not written that way.
func inlineQuotes(lines []string) (keep []bool, lastKept int) {
	type block struct{ from, to int } // lines [from, to)
	var answered []block
	for i := 0; i < len(lines); {
		if !isQuoted(lines[i]) {
			i++
			continue
		}
		j := i
		for j < len(lines) && (isQuoted(lines[j]) || strings.TrimSpace(lines[j]) == "" && j+1 < len(lines) && isQuoted(lines[j+1])) {
			j++
		}
		own := false
		for k := j; k < len(lines) && !isQuoted(lines[k]); k++ {
			if t := strings.TrimSpace(lines[k]); t != "" {
				if reOriginalMarker.MatchString(t) || isSignOff(t) {
					break
				}
				own = true
				break
			}
		}
		if own {
			answered = append(answered, block{i, j})
		}
		i = j
	}
	keep = make([]bool, len(lines))
	if len(answered) < 2 {
		return keep, -1
	}
	for _, b := range answered {
		for k := b.from; k < b.to; k++ {
			keep[k] = isQuoted(lines[k])
		}
		lastKept = b.to - 1
	}
	return keep, lastKept
}

func hasText(lines []string) bool {
	n := 0
	for _, l := range lines {
		n += len(strings.TrimSpace(l))
		if n > 40 {
			return true
		}
	}
	return false
}

// reSignOff is a line that ends a letter's body: what follows is a name, a
// signature, the usual paragraphs on rights.
var reSignOff = regexp.MustCompile(`(?i)^\s*(yours (sincerely|faithfully|truly|ever)|(with )?(kind|best|warm|many)(est)? (regards|wishes|thanks)|regards|many thanks|thanks( again)?|thank you|best|cheers|diolch|yn gywir|yr eiddoch yn gywir|cofion)[\s,.!]*(/.*)?$`)

// reBoilerplate is the first line of a paragraph every letter carries: the
// right to a review or to complain, copyright and re-use, disclaimers,
// banners. Answers end where one begins.
var reBoilerplate = regexp.MustCompile(`(?i)^\W*(if you are (dissatisfied|unhappy|not (satisfied|happy|content))|if you (remain|are still) (dissatisfied|unhappy)|if you (wish|want|would like) to (request|ask for|complain|appeal|make a complaint|seek)|if you have any (further )?(queries|questions|concerns)|if you (think|believe|feel|consider) (that )?(we|the (council|trust|force|authority))|should you (have|wish|require|be dissatisfied)|please do not hesitate|complaints?( rights| procedure| process)?\s*:?\s*$|(your )?rights? (of|to) (appeal|complain|review|request an internal review)|internal review( procedure| process| rights)?\s*:?\s*$|appeals? (procedure|process|rights)|right of appeal|information commissioner|copyright( notice)?|re-?use of (public sector )?information|(this|the) (e-?mail|message)( and any (files|attachments)( transmitted with it)?)? (is|are|may be) (confidential|intended|private)|disclaimer|caution:|external (email|sender|e-?mail)|this (e-?mail|message) (originated|was sent) from outside|the information (supplied|provided|released|disclosed) (to you )?(is|in response|under)|you (have|may have) the right to|privacy notice|data protection( notice)?\s*:?\s*$|how (we|the council) (use|handle) your (personal )?(data|information))`)

// isSignOff tells a line that ends the body of a letter.
func isSignOff(s string) bool {
	t := strings.TrimSpace(s)
	return len(t) <= 40 && t != "" && reSignOff.MatchString(t)
}

// isBoilerplate tells the first line of a boilerplate paragraph.
func isBoilerplate(s string) bool {
	t := firstChars(strings.TrimSpace(s), 200)
	if t == "" {
		return false
	}
	return kBoilerplate.match(t, asciiLower(t))
}

// kBoilerplate is reBoilerplate with the words each of its phrases holds
// (keyed_test.go checks that none is missing).
var kBoilerplate = newKeyed("boilerplate", reBoilerplate, "if you", "should you", "hesitate", "complain", "right", "review", "appeal", "commissioner", "copyright", "use of", "confidential", "intended", "private", "disclaimer", "caution", "external", "outside", "the information", "privacy", "data protection", "your personal", "your data", "your information")

// withoutBoilerplate is text with its boilerplate paragraphs and what
// follows a sign-off left out: the words the kind of a reply is decided
// from. A sign-off in the first lines (a covering note "Regards" above an
// attached letter) ends nothing: documents are joined by a form feed, and
// each is read to its own sign-off.
func withoutBoilerplate(text string) string {
	text = firstChars(text, 200_000) // the kind is said in a letter's first pages
	var b strings.Builder
	b.Grow(len(text))
	for _, doc := range strings.Split(text, "\f") {
		skip, signed := false, false
		for _, l := range strings.Split(doc, "\n") {
			t := strings.TrimSpace(l)
			if t == "" {
				skip = false
				if !signed {
					b.WriteByte('\n')
				}
				continue
			}
			if signed {
				continue
			}
			if isSignOff(t) {
				signed = true
				continue
			}
			if isBoilerplate(t) {
				skip = true
			}
			if !skip {
				b.WriteString(l)
				b.WriteByte('\n')
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
