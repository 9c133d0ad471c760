package parser

import (
	"regexp"
	"strings"
)

// Telling what sort of message a reply is.

var (
	reBounceSubject = regexp.MustCompile(`(?i)\b(undeliverable|undelivered mail|delivery status notification \((failure|delay)\)|mail delivery (failed|failure|subsystem)|delivery (has )?failed|failure notice|returned mail|delivery failure|could not be delivered|non[- ]?delivery)`)
	reBounceSender  = regexp.MustCompile(`(?i)^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@`)
	reAutoSubject   = regexp.MustCompile(`(?i)^\s*(automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|automatic response|out of (the )?office|ooo\b|away from (the )?office|on leave|absence notice)`)
	reOOOBody       = regexp.MustCompile(`(?i)\b(i am|i'm|i will be) (currently )?(out of (the )?office|away from (the |my )?(office|desk)|on (annual |parental |maternity |sick )?leave|not in the office|working (part[- ]time|reduced hours))|\bout of (the )?office (until|from|on)\b|\bwith (limited|no) access to (my )?e-?mail`)
	reIROutcome     = regexp.MustCompile(`(\b(i|we) (have )?(now )?(completed|conducted|carried out|undertaken|concluded) (an?|the|your) (internal )?review\b|\boutcome of (the|your|this|my) (internal )?review\b|\b(internal )?review (has|is) (now )?(been )?(completed|concluded)\b|\b(i|we) (have )?(decided to )?(uphold|upheld|overturn|overturned|partially uphold|partly uphold)\b|\boriginal (decision|response) (is|was|has been) (upheld|overturned|reversed|revised)\b|\bthe reviewer\b|\bresult of (the|your) internal review\b|\binternal review (response|decision|outcome|findings)\b)`)
	reRefusal       = regexp.MustCompile(`(\bexceed(s|ed)? the (appropriate|cost) limit\b|\b(section|s\.?)\s*12\s*(\(\s*1\s*\))?\b.{0,60}\b(applies|applied|engaged|cost)|\bcost limit\b|\bappropriate limit\b|\bvexatious\b|\brepeated request\b|\b(section|s\.?)\s*14\s*\(\s*[12]\s*\)|\b(we|i) (are|am) unable to comply\b|\bnot (obliged|required) to comply\b|\b(we|i) (must |have to |will )?(refuse|decline) (your|this|the) request\b|\b(your|this) request (is|has been) refused\b|\brefus(e|ing|ed) (your|this|the) request\b|\brefusal notice\b|\bneither confirm nor deny\b)`)
	reExtension     = regexp.MustCompile(`(\bpublic interest test\b|\b(section|s\.?)\s*10\s*\(\s*3\s*\)|\b(need|require|requires|needs|take|taking) (some )?(additional|further|more|extra) time\b|\bextend(ed|ing)? (the|our) (time|deadline|response (time|date|deadline)|period)\b|\bextension (of|to) (the )?(time|deadline)\b|\bnot (be )?able to (respond|reply|provide a response) (to you )?(within|by) (the|20)\b|\bunable to (respond|reply) (to you )?within (the )?(statutory|20)\b|\bconsider(ing)? the (balance of the )?public interest\b|\b(apologi[sz]e|sorry) for the delay\b|\bdelay in (responding|our response|providing)\b|\b(new|revised|extended) (deadline|due date|response date)\b)`)
	reClarify       = regexp.MustCompile(`(\b(please |could you |can you |would you )(please )?(clarify|confirm (exactly |precisely )?(what|which|whether|if)|provide (us with )?(further|more|additional) (details|information|clarification)|specify|let (us|me) know (what|which|whether|if|exactly))\b|\bclarification (of|on|regarding|about|as to)\b|\b(we|i) (need|require|would need|would require) (some )?(further |more |additional )?(clarification|details|information) (from you|before|in order|to (be able to )?(process|progress|identify|locate|deal))|\bsection 1\s*\(\s*3\s*\)|\bs\.?\s*1\s*\(\s*3\s*\)|\b(the )?(20 working day|statutory) (clock|time ?limit|period) (will|has been|is) (be )?(paused|stopped|on hold)\b|\buntil (we|i) (receive|have received) (your )?clarification\b|\bseek(ing)? clarification\b)`)
	reAck           = regexp.MustCompile(`(\backnowledge (the )?receipt\b|\bthis (email|e-mail|message|letter) (is to )?(acknowledges?|confirms?) (receipt|that we (have )?received)\b|\b(we|i) (have|has) (now )?received your (request|email|e-mail|freedom of information|foi)\b|\b(logged|registered|recorded) (it )?(under|with|as) (the )?(reference|ref|case)\b|\bhas been (logged|registered)\b|\b(will|aim to|should) (respond|reply|provide (you with )?a response|receive a response|be in touch)\b.{0,80}\b(no later than|not later than|within (20|twenty) working days|by)\b|\bdue (date|to be responded)\b|\bis being (dealt with|processed|considered)\b|\bthank you for your (freedom of information |foi )?(request|email)\b.{0,60}\breceived\b|\bwe received your request on\b|\b(within|in) (20|twenty) working days\b)`)
	reRespondWords  = regexp.MustCompile(`(\bplease find (attached|enclosed|below) (our|the|my|a) (response|reply|answer|information|letter)|\bin response to your (freedom of information )?request\b|\bcan (now )?(confirm|advise|provide) (the following|that)\b|\b(has|have) now been considered\b|\bthe information (you )?(requested|asked for) (is|can be found|has been)|\bresponse can be found\b|\bnot held\b|\b(do|does) not hold\b|\binformation (is )?(attached|enclosed)\b)`)
	reConditional   = regexp.MustCompile(`^(if|should|where|in the event|in case|when|once)\b|\byou (may|can|could|have the right|are entitled|might)\b|\bif\b|\bunless\b`)
)

// classify decides the kind of a message. text is the message's own text
// (quotes removed) with attachment text; found is how many questions the
// answer finder could answer.
func classify(m *Message, text string, found, asked int) Kind {
	h := func(k string) string { return strings.ToLower(strings.TrimSpace(m.Header.Get(k))) }
	subject := m.Subject
	if m.reportType == "delivery-status" || m.dsn || reBounceSender.MatchString(m.From) ||
		(reBounceSubject.MatchString(subject) && !strings.HasPrefix(strings.ToLower(subject), "re:")) {
		return KindBounce
	}
	signals := signalsOf(text)
	autoHeader := (m.AutoSubmitted != "" && m.AutoSubmitted != "no") || h("X-Autoreply") != "" || h("X-Autorespond") != "" ||
		h("X-Auto-Response-Suppress") == "all" && reAutoSubject.MatchString(subject) ||
		strings.Contains(h("Precedence"), "auto_reply") || strings.Contains(h("Precedence"), "auto-reply")
	ooo := reAutoSubject.MatchString(subject) || reOOOBody.MatchString(firstChars(text, 600))
	if autoHeader || ooo {
		// An automatic acknowledgement from a case system (a reference, a
		// due date) is an acknowledgement; a person's absence note is not.
		if !(signals.ack && !ooo && found == 0) {
			return KindAutoReply
		}
	}

	if signals.review {
		return KindInternalReview
	}
	if found > 0 && (2*found >= asked || !(signals.refusal || signals.extension || signals.clarify)) {
		return KindResponse
	}
	switch {
	case signals.refusal:
		return KindRefusal
	case signals.extension:
		return KindExtension
	case signals.clarify:
		return KindClarification
	case signals.respond && !signals.ack:
		return KindResponse
	case signals.ack:
		return KindAcknowledgement
	case signals.respond:
		return KindResponse
	}
	return KindOther
}

type signals struct {
	review, refusal, extension, clarify, ack, respond bool
}

// signalsOf finds the phrases that mark each kind, leaving out those in
// conditional and advisory sentences ("If you are dissatisfied ... internal
// review ..."), which every letter carries as boilerplate. Each pattern runs
// once over the lower-cased text; a match is judged by its sentence.
func signalsOf(text string) signals {
	if len(text) > 100_000 {
		text = text[:100_000]
	}
	lower := strings.ToLower(text)
	found := func(re *regexp.Regexp, clarify bool) bool {
		for _, loc := range re.FindAllStringIndex(lower, 50) {
			sent := sentenceAt(lower, loc[0], loc[1])
			if !reConditional.MatchString(sent) {
				return true
			}
			// "If you could clarify ..." still asks; "if we need
			// clarification we will ask" does not.
			if clarify && strings.Contains(sent, "clarif") && !strings.Contains(sent, "if we need") && !strings.Contains(sent, "if we require") {
				return true
			}
		}
		return false
	}
	return signals{
		review:    found(reIROutcome, false),
		refusal:   found(reRefusal, false),
		extension: found(reExtension, false),
		clarify:   found(reClarify, true),
		ack:       found(reAck, false),
		respond:   found(reRespondWords, false),
	}
}

// sentenceAt returns the sentence of s that holds s[start:end].
func sentenceAt(s string, start, end int) string {
	from := 0
	for _, sep := range []string{". ", "? ", "! ", "\n\n", ".\n"} {
		if i := strings.LastIndex(s[:start], sep); i >= 0 && i+len(sep) > from {
			from = i + len(sep)
		}
	}
	to := len(s)
	for _, sep := range []string{". ", "? ", "! ", "\n\n", ".\n"} {
		if i := strings.Index(s[end:], sep); i >= 0 && end+i+1 < to {
			to = end + i + 1
		}
	}
	return strings.TrimSpace(s[from:to])
}

func firstChars(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
