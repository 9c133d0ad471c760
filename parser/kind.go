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
	reAutoBody      = regexp.MustCompile(`(?i)\bthis is an automated (response|reply|message|e-?mail|acknowledge?ment)\b|\bthis (e-?mail|message|mailbox) (address )?is not monitored\b|\bplease do not reply to this (e-?mail|message)\b`)
	reIROutcome     = regexp.MustCompile(`(\b(i|we) (have )?(now )?(completed|conducted|carried out|undertaken|concluded) (an?|the|your) (internal )?review\b|\boutcome of (the|your|this|my) (internal )?review\b|\b(internal )?review (has|is) (now )?(been )?(completed|concluded)\b|\b(i|we) (have )?(decided to )?(uphold|upheld|overturn|overturned|partially uphold|partly uphold)\b|\boriginal (decision|response) (is|was|has been) (upheld|overturned|reversed|revised)\b|\bthe reviewer\b|\bresult of (the|your) internal review\b|\binternal review (response|decision|outcome|findings)\b)`)
	reRefusal       = regexp.MustCompile(`(\bexceed(s|ed)? the (appropriate|cost) limit\b|\b(section|s\.?)\s*12\s*(\(\s*1\s*\))?\b.{0,60}\b(applies|applied|engaged|cost)|\bcost limit\b|\bappropriate limit\b|\bvexatious\b|\brepeated request\b|\b(section|s\.?)\s*14\s*\(\s*[12]\s*\)|\b(we|i) (are|am) unable to comply\b|\bnot (obliged|required) to comply\b|\b(we|i) (must |have to |will )?(refuse|decline) (your|this|the) request\b|\b(your|this) request (is|has been) refused\b|\brefus(e|ing|ed) (your|this|the) request\b|\brefusal notice\b|\bneither confirm nor deny\b)`)
	reExtension     = regexp.MustCompile(`(\bpublic interest test\b|\b(section|s\.?)\s*10\s*\(\s*3\s*\)|\b(need|require|requires|needs|take|taking) (some )?(additional|further|more|extra) time\b|\bextend(ed|ing)? (the|our) (time|deadline|response (time|date|deadline)|period)\b|\bextension (of|to) (the )?(time|deadline)\b|\bnot (be )?able to (respond|reply|provide a response) (to you )?(within|by) (the|20)\b|\bunable to (respond|reply) (to you )?within (the )?(statutory|20)\b|\bconsider(ing)? the (balance of the )?public interest\b|\b(apologi[sz]e|sorry) for the delay\b|\bdelay in (responding|our response|providing)\b|\b(new|revised|extended) (deadline|due date|response date)\b)`)
	reClarify       = regexp.MustCompile(`(\b(please |could you |can you |would you )(please )?(clarify|confirm (exactly |precisely )?(what|which|whether|if)|provide (us with )?(further|more|additional) (details|information|clarification)|specify|let (us|me) know (what|which|whether|if|exactly))\b|\bclarification (of|on|regarding|about|as to)\b|\b(we|i) (need|require|would need|would require) (some )?(further |more |additional )?(clarification|details|information) (from you|before|in order|to (be able to )?(process|progress|identify|locate|deal))|\bsection 1\s*\(\s*3\s*\)|\bs\.?\s*1\s*\(\s*3\s*\)|\b(the )?(20 working day|statutory) (clock|time ?limit|period) (will|has been|is) (be )?(paused|stopped|on hold)\b|\buntil (we|i) (receive|have received) (your )?clarification\b|\bseek(ing)? clarification\b)`)
	reAck           = regexp.MustCompile(`(\backnowledge (the )?receipt\b|\bthis (email|e-mail|message|letter) (is to )?(acknowledges?|confirms?) (receipt|that we (have )?received)\b|\b(we|i) (have|has) (now )?received your (request|email|e-mail|freedom of information|foi)\b|\b(logged|registered|recorded) (it )?(under|with|as) (the )?(reference|ref|case)\b|\bhas been (logged|registered)\b|\b(will|aim to|should) (respond|reply|provide (you with )?a response|receive a response|be in touch)\b.{0,80}\b(no later than|not later than|within (20|twenty) working days|by)\b|\bdue (date|to be responded)\b|\bis being (dealt with|processed|considered)\b|\bthank you for your (freedom of information |foi )?(request|email)\b.{0,60}\breceived\b|\bwe received your request on\b|\b(within|in) (20|twenty) working days\b)`)
	reRespondWords  = regexp.MustCompile(`(\bplease find (attached|enclosed|below) (our|the|my|a) (response|reply|answer|information|letter)|\bin response to your (freedom of information )?request\b|\bcan (now )?(confirm|advise|provide) (the following|that)\b|\b(has|have) now been considered\b|\bthe information (you )?(requested|asked for) (is|can be found|has been)|\bresponse can be found\b|\bnot held\b|\b(do|does) not hold\b|\binformation (is )?(attached|enclosed)\b|\bholds? no (recorded )?(information|data)\b|\bno (recorded )?information (is )?held\b|\b(do|does|did) not (currently )?(commission|fund|provide|run|operate)\b)`)
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
	sig := newSignals(text)
	autoHeader := (m.AutoSubmitted != "" && m.AutoSubmitted != "no") || h("X-Autoreply") != "" || h("X-Autorespond") != "" ||
		strings.Contains(h("Precedence"), "auto_reply") || strings.Contains(h("Precedence"), "auto-reply") ||
		keyed(reAutoBody, firstChars(text, 1000), "automated", "not monitored", "do not reply")
	ooo := reAutoSubject.MatchString(subject) || keyed(reOOOBody, firstChars(text, 600), "office", "leave", "desk", "access", "working")
	if autoHeader || ooo {
		// An automatic acknowledgement from a case system (a reference, a
		// due date) is an acknowledgement; a person's absence note is not.
		if ooo || found > 0 || !sig.has(sigAck) {
			return KindAutoReply
		}
	}
	if sig.has(sigReview) {
		return KindInternalReview
	}
	if found > 0 && (2*found >= asked || !(sig.has(sigRefusal) || sig.has(sigExtension) || sig.has(sigClarify))) {
		return KindResponse
	}
	switch {
	case sig.has(sigRefusal):
		return KindRefusal
	case sig.has(sigExtension):
		return KindExtension
	case sig.has(sigClarify):
		return KindClarification
	case sig.has(sigRespond) && !sig.has(sigAck):
		return KindResponse
	case sig.has(sigAck):
		return KindAcknowledgement
	case sig.has(sigRespond):
		return KindResponse
	}
	return KindOther
}

// The phrases that mark each kind, and words one of which must be in a
// sentence for its pattern to match there (a cheap test that spares running
// every pattern on every sentence).
const (
	sigReview = iota
	sigRefusal
	sigExtension
	sigClarify
	sigAck
	sigRespond
	nSignals
)

var signalPatterns = [nSignals]struct {
	re   *regexp.Regexp
	keys []string
}{
	sigReview:    {reIROutcome, []string{"review", "uphold", "upheld", "overturn", "original decision", "original response"}},
	sigRefusal:   {reRefusal, []string{"limit", "vexatious", "repeated request", "14", "12", "comply", "refus", "declin", "neither confirm"}},
	sigExtension: {reExtension, []string{"public interest", "10", "time", "extend", "extension", "able to", "delay", "deadline", "date"}},
	sigClarify:   {reClarify, []string{"clarif", "please", "could you", "can you", "would you", "1(3)", "1 (3)", "clock", "time limit", "period", "need", "require"}},
	sigAck:       {reAck, []string{"acknowledg", "receipt", "received", "logged", "registered", "recorded", "respond", "reply", "response", "due", "dealt with", "processed", "considered", "working days", "be in touch"}},
	sigRespond:   {reRespondWords, []string{"please find", "in response", "confirm", "advise", "provide", "considered", "the information", "response can", "not held", "not hold", "attached", "enclosed", "holds no", "hold no", "no information", "no recorded", " not "}},
}

// signals finds, on demand, whether a text carries each kind's phrases,
// leaving out conditional and advisory sentences ("If you are dissatisfied
// ... internal review ..."), which every letter carries as boilerplate.
type signals struct {
	sents []string // lower case, conditional sentences left out
	clar  []string // conditional sentences that still ask to clarify
	done  [nSignals]bool
	val   [nSignals]bool
}

func newSignals(text string) *signals {
	if len(text) > 100_000 {
		text = text[:100_000]
	}
	s := &signals{}
	for n, sent := range sentences(strings.ToLower(text)) {
		if n > 3000 {
			break
		}
		if len(sent) > 1500 {
			sent = sent[:1500]
		}
		if conditional(sent) {
			// "If you could clarify ..." still asks; "if we need
			// clarification we will ask" does not.
			if strings.Contains(sent, "clarif") && !strings.Contains(sent, "if we need") && !strings.Contains(sent, "if we require") {
				s.clar = append(s.clar, sent)
			}
			continue
		}
		s.sents = append(s.sents, sent)
	}
	return s
}

func (s *signals) has(k int) bool {
	if s.done[k] {
		return s.val[k]
	}
	p := signalPatterns[k]
	sents := s.sents
	if k == sigClarify {
		sents = append(append([]string{}, s.sents...), s.clar...)
	}
	for _, sent := range sents {
		if hasAny(sent, p.keys) && p.re.MatchString(sent) {
			s.val[k] = true
			break
		}
	}
	s.done[k] = true
	return s.val[k]
}

// conditional tells a conditional or advisory sentence (lower case): "if
// you are dissatisfied ...", "you may ask for an internal review".
func conditional(sent string) bool {
	for _, p := range []string{"if ", "should ", "where ", "in the event", "in case", "when ", "once "} {
		if strings.HasPrefix(sent, p) {
			return true
		}
	}
	for _, c := range []string{" if ", " if,", "(if ", " unless ", "you may", "you can", "you could", "you have the right", "you are entitled", "you might"} {
		if strings.Contains(sent, c) {
			return true
		}
	}
	return false
}

func firstChars(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
