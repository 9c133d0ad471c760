package parser

import (
	"regexp"
	"strings"
)

// Telling what sort of message a reply is: bounces and automatic replies by
// their headers and subject first, then by the phrases of each kind,
// sentence by sentence, in the reply's own text without its boilerplate
// (clean.go: appeal rights, the Information Commissioner), and without
// conditional or advisory sentences ("If we need to clarify anything we
// will let you know", "You may ask for an internal review"), which almost
// every letter carries. Answers found outrank the phrases of refusal,
// extension and clarification: a reply that refuses one part and answers
// the rest is a response.

var (
	reBounceSubject = regexp.MustCompile(`(?i)\b(undeliverable|undelivered mail|delivery status notification \((failure|delay)\)|mail delivery (failed|failure|subsystem)|delivery (has )?failed|failure notice|returned mail|delivery failure|could not be delivered|non[- ]?delivery)`)
	reBounceSender  = regexp.MustCompile(`(?i)^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@`)
	reAutoSubject   = regexp.MustCompile(`(?i)^\s*(automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|automatic response|out of (the )?office|ooo\b|away from (the )?office|on leave|absence notice)`)
	reOOOBody       = regexp.MustCompile(`(?i)\b(i am|i'm|i will be|i’m) (currently )?(out of (the )?office|away from (the |my )?(office|desk)|on (annual |parental |maternity |paternity |sick |study )?leave|not in the office|working (part[- ]time|reduced hours)|on holiday|off work)|\bout of (the )?office (until|from|on|and)\b|\bwith (limited|no) access to (my )?e-?mail`)
	reAutoBody      = regexp.MustCompile(`(?i)\bthis is an? (automated|automatic) (response|reply|message|e-?mail|acknowledge?ment)\b|\b(automated|automatic) (response|reply) to your (e-?mail|message)\b`)
)

// The automatic replies' patterns with their words (keyed_test.go).
var (
	kOOO  = newKeyed("out-of-office", reOOOBody, "i am", "i'm", "i’m", "i will be", "out of", "access to")
	kAuto = newKeyed("automated", reAutoBody, "automated", "automatic")
)

// kindPatterns are the phrases of each kind, tried on lower-case sentences.
var (
	reReview    = regexp.MustCompile(`\b(i|we) (have )?(now )?(completed|conducted|carried out|undertaken|concluded) (an?|the|your) (internal )?review\b|\b(i|we) have (now |carefully )?reviewed (the handling of |our handling of )?(your request|our (original )?response|the (original )?response|the (original )?decision)\b|\b(i|we) (do not|don't|cannot|can't|have not|did not) uphold\b|\b(is|are|has been|have been|was|were) (not |partly |partially )?upheld\b|^internal review of\b|\breview outcome\b|\boutcome of the review\b|\boutcome of (the|your|this|my) (internal )?review\b|\b(internal )?review (has|is) (now )?(been )?(completed|concluded)\b|\b(i|we) (have )?(decided to )?(uphold|upheld|overturn|overturned|partially uphold|partly uphold)\b|\boriginal (decision|response) (is|was|has been) (upheld|overturned|reversed|revised)\b|\bresult of (the|your) internal review\b|\binternal review (response|decision|outcome|findings)\b`)
	reRefusal   = regexp.MustCompile(`\bexceed(s|ed)? the (appropriate|cost) limit\b|\b(section|s\.?)\s*12\s*(\(\s*1\s*\))?( of the act)?\b.{0,60}\b(applies|applied|engaged|cost)|\bcost limit\b|\bappropriate limit\b|\bvexatious\b|\brepeated request\b|\b(section|s\.?)\s*14\s*\(\s*[12]\s*\)|\b(we|i) (are|am) unable to comply\b|\bnot (obliged|required) to comply\b|\b(we|i) (must |have to |will )?(refuse|decline) (your|this|the) request\b|\b(your|this) request (is|has been) refused\b|\brefus(e|ing|ed) (your|this|the) request\b|\brefusal notice\b`)
	reExtension = regexp.MustCompile(`\bpublic interest test\b|\b(section|s\.?)\s*10\s*\(\s*3\s*\)|\b(need|require|requires|needs|take|taking) (some )?(additional|further|more|extra) time\b|\bextend(ed|ing)? (the|our) (time|deadline|response (time|date|deadline)|period|time limit)\b|\bextension (of|to) (the )?(time|deadline)\b|\bnot (be )?able to (respond|reply|provide a response) (to you )?(within|by) (the|20)\b|\bunable to (respond|reply) (to you )?within (the )?(statutory|20)\b|\bconsider(ing)? (where )?the (balance of the )?public interest\b|\b(new|revised|extended) (deadline|due date|response date)\b|\bnow (expect|aim|intend) to (send|provide|respond|reply)\b`)
	reClarify   = regexp.MustCompile(`\b(please |could you |can you |would you )(please )?(clarify|confirm (exactly |precisely )?(what|which|whether|if)|tell (us|me) (what|which|whether|if|exactly)|provide (us with )?(further|more|additional) (details|information|clarification)|specify|let (us|me) know (what|which|whether|if|exactly)|explain (what|which))\b|\bclarification (of|on|regarding|about|as to)\b|\b(we|i) (need|require|would need|would require) (some )?(further |more |additional )?(clarification|details|information) (from you|before|in order|to (be able to )?(process|progress|identify|locate|deal))|\b(we|i) need to clarify\b|\bsection 1 ?\(3\)|\bs\.? ?1 ?\(3\)|\b(the )?(20 working days?|statutory) (clock|time ?limit|period|deadline) (will|has been|is) (be )?(paused|stopped|on hold)\b|\buntil (we|i) (receive|have received) (your )?(clarification|reply|response)\b|\bseek(ing)? clarification\b|\bbefore (we|i) can (answer|go further|proceed|process|respond|deal with)\b|\bwill start again\b`)
	reAck       = regexp.MustCompile(`\backnowledge (the )?receipt\b|\bwhich we received on\b|\bwe received (it|your request|your email) on\b|\byou (should|will) receive (our|a) (full )?(response|reply)\b|\b(information |foi |eir |freedom of information )?request acknowledg(e)?ment\b|^acknowledg(e)?ment\b|\b(i|we) (hereby )?acknowledge (your|the) (request|e-?mail|freedom of information)\b|\bconfirm (the )?receipt\b|\bthis (email|e-mail|message|letter) (is to )?(acknowledges?|confirms?) (receipt|that we (have )?received)\b|\b(we|i) (have|has) (now )?received your (request|email|e-mail|freedom of information|foi)\b|\b(logged|registered|recorded) (it )?(under|with|as|on)\b|\b(has|have) been (received|logged|registered|passed to)\b|\b(will|aim to|should|expect to|intend to) (respond|reply|send (you )?(a |our )?(full )?response|provide (you with )?(a |our )?response|receive a response|be in touch)\b.{0,80}\b(no later than|not later than|within|by)\b|\bcan expect (a|our) (response|reply)\b|\b(response|reply) (is )?due\b|\bdue (date|to be responded)\b|\bis being (dealt with|processed|considered|handled)\b|\bwill be (dealt with|handled|considered|processed) (under|in accordance)\b|\bwe received your request on\b|\b(within|in) (the statutory timescale of )?(20|twenty) working days\b|\b(been )?given (the )?reference\b|\bautomated acknowledge?ment\b|\bcase reference\b|\bquote (this|the) reference\b`)
	reRespond   = regexp.MustCompile(`\bplease find (attached|enclosed|below) (our|the|my|a) (full )?(response|reply|answer|information|letter)|\bin response to your (freedom of information |foi |information )?request\b|\bcan (now )?(confirm|advise|provide) (the following|that)\b|\b(has|have) now been considered\b|\bthe information (you )?(requested|asked for) (is|can be found|has been|is below)|\bresponse can be found\b|\b(our|the) (response|answers?|reply)( to your (request|questions?))? (is|are) (as follows|below|attached|set out|given)\b|\bnot held\b|\b(do|does) not hold\b|\bholds? no (recorded )?(information|data)\b|\bno (recorded )?information (is )?held\b|\binformation (is )?(attached|enclosed)\b|\bour answers are\b|\bresponse to (each|your) (question|part)|\b(do|does|did) not (currently )?(commission|fund|provide|run|operate|employ|use|have) (a|an|any)\b`)
)

// The kinds' patterns with the words each of their phrases holds (a
// test checks it: keyed_test.go), tried only on sentences holding one.
var (
	kReview    = newKeyed("review", reReview, "review", "uphold", "upheld", "overturn", "original decision", "original response")
	kRefusal   = newKeyed("refusal", reRefusal, "limit", "12", "vexatious", "repeated request", "14", "comply", "refus", "declin")
	kExtension = newKeyed("extension", reExtension, "public interest", "10", "time", "extend", "extension", "able to", "deadline", "due date", "response date", "expect", "aim", "intend")
	kClarify   = newKeyed("clarify", reClarify, "clarif", "confirm", "tell", "provide", "specify", "let ", "explain", "detail", "information", "1(3)", "1 (3)", "clock", "time limit", "timelimit", "period", "deadline", "until", "before", "start again")
	kAck       = newKeyed("ack", reAck, "acknowledg", "receipt", "received", "logged", "registered", "recorded", "passed to", "respond", "reply", "response", "be in touch", "due", "dealt with", "processed", "considered", "handled", "working days", "reference")
	kRespond   = newKeyed("respond", reRespond, "please find", "in response", "confirm", "advise", "provide", "considered", "the information", "response", "answer", "reply", "not held", "not hold", "holds no", "hold no", "no information", "no recorded", "attached", "enclosed", "not commission", "not fund", "not run", "not operate", "not employ", "not use", "not have", "not currently")
)

// classify decides the kind of a message. text is the reply's analysed
// text (documents joined by form feeds), sig the signals of its own words
// without boilerplate; found is how many questions were answered, of
// asked.
func classify(m *Message, text string, sig *signals, found, asked int) Kind {
	h := func(k string) string { return strings.ToLower(strings.TrimSpace(m.Header.Get(k))) }
	subject := m.Subject
	if m.reportType == "delivery-status" || m.dsn || reBounceSender.MatchString(m.From) ||
		(reBounceSubject.MatchString(subject) && !strings.HasPrefix(strings.ToLower(subject), "re:")) {
		return KindBounce
	}
	// An automatic reply says so in its headers (RFC 3834 "auto-replied",
	// X-Autoreply, Precedence) or in words ("This is an automated
	// response"); a message a system generated on its own ("auto-generated":
	// a survey, a notice) is classified by its words like any other.
	autoHeader := m.AutoSubmitted == "auto-replied" || h("X-Autoreply") != "" || h("X-Autorespond") != "" ||
		strings.Contains(h("Precedence"), "auto_reply") || strings.Contains(h("Precedence"), "auto-reply") ||
		kAuto.match(firstChars(text, 1500), asciiLower(firstChars(text, 1500)))
	ooo := reAutoSubject.MatchString(subject) || kOOO.match(firstChars(text, 800), asciiLower(firstChars(text, 800)))
	if autoHeader || ooo {
		// An automatic acknowledgement from a case system (a reference, a
		// due date) is an acknowledgement; a person's absence note is not.
		if ooo && found == 0 || !sig.has(kAck) && found == 0 && !sig.has(kRespond) {
			return KindAutoReply
		}
	}
	if bulkMail(h) && !mentionsRequest(subject, text) {
		// A newsletter or a mailing list's post (List-Unsubscribe,
		// Precedence: bulk) that says nothing of a request: whatever
		// figures it gives, it answers none.
		return KindOther
	}
	if sig.has(kReview) {
		return KindInternalReview
	}
	if found > 0 && (2*found >= asked || !(sig.has(kRefusal) || sig.has(kExtension) || sig.clarifies())) {
		return KindResponse
	}
	switch {
	case found > 0 && sig.has(kRefusal) && (found >= 2 || sig.refusesPart()):
		return KindResponse // part refused, the rest answered
	case sig.has(kRefusal) && !sig.clarifies():
		return KindRefusal
	case sig.has(kExtension):
		return KindExtension
	case sig.clarifies():
		return KindClarification
	case sig.has(kRespond) && !sig.has(kAck):
		return KindResponse
	case sig.has(kAck):
		return KindAcknowledgement
	case sig.has(kRespond):
		return KindResponse
	case kReview.match(asciiLower(subject), asciiLower(subject)):
		return KindInternalReview // "Internal review outcome - ...", the letter in its own words
	case kAck.match(asciiLower(subject), asciiLower(subject)):
		return KindAcknowledgement // "Case FOI-24-05512 - we have received your request", the body a form
	}
	return KindOther
}

// bulkMail tells mail sent to a list (RFC 2369 List-* headers, RFC 2076
// Precedence: bulk, list, junk).
func bulkMail(h func(string) string) bool {
	switch h("Precedence") {
	case "bulk", "list", "junk":
		return true
	}
	return h("List-Unsubscribe") != "" || h("List-Id") != ""
}

// mentionsRequest tells words of a request for information: what every
// reply to one says somewhere, and a newsletter need not.
func mentionsRequest(subject, text string) bool {
	return requestKeys.holds(asciiLower(subject)) || requestKeys.holds(asciiLower(firstChars(text, requestWordsWithin)))
}

// requestWordsWithin is how many bytes of a body mentionsRequest reads: a
// reply names the request in its first paragraphs, and a long body is not
// lowered whole for it.
const requestWordsWithin = 20_000

var requestKeys = newKeySet([]string{"request", "freedom of information", "foi", "foisa", "environmental information", "eir ", "eir:", "eir/"})

// signals holds the sentences of a text that can mark its kind: lower
// case, conditional and advisory ones left out.
type signals struct {
	sents []string // lower case
	orig  []string // the same, as written
	cond  []string // conditional sentences, for the phrases that stay true in them
	cache map[*keyed]bool
	all   string // sents joined, made when first needed
}

func newSignals(text string) *signals {
	if len(text) > 100_000 {
		text = text[:100_000]
	}
	s := &signals{cache: map[*keyed]bool{}}
	for n, sent := range sentences(text) {
		if n > 3000 {
			break
		}
		sent = firstChars(sent, 1500)
		for _, clause := range strings.Split(sent, "; ") {
			lower := strings.ToLower(clause)
			if conditional(lower) {
				s.cond = append(s.cond, lower)
				continue
			}
			s.sents = append(s.sents, lower)
			s.orig = append(s.orig, clause)
		}
	}
	return s
}

func (s *signals) has(k *keyed) bool {
	if v, ok := s.cache[k]; ok {
		return v
	}
	v := false
	if s.all == "" {
		s.all = strings.Join(s.sents, "\n")
	}
	if !k.holdsKey(s.all) {
		s.cache[k] = false
		return false // one pass over all of them, for the usual case
	}
	for _, sent := range s.sents {
		if k.match(sent, sent) {
			v = true
			break
		}
	}
	s.cache[k] = v
	return v
}

// refusesPart tells a refusal of some questions only ("the remaining
// questions", "questions 5 to 7"), not of the whole request.
func (s *signals) refusesPart() bool {
	part := false
	for _, l := range s.sents {
		if !kRefusal.match(l, l) {
			continue
		}
		if hasAny(l, []string{"whole request", "whole of your request", "all of your request", "request as a whole", "entire request", "whole of the request"}) {
			return false
		}
		if len(questionNumbersIn(l)) > 0 || hasAny(l, []string{"remaining", "other question", "rest of", "other parts", "remainder", "some of"}) {
			part = true
		}
	}
	return part
}

// clarifies tells a request for clarification: its phrases in a sentence
// of its own, or in a conditional one that still asks ("until we receive
// your clarification", "once we receive your reply, the 20 working days
// will start again"), but not "if we need to clarify anything we will ask".
func (s *signals) clarifies() bool {
	if s.has(kClarify) {
		return true
	}
	for _, c := range s.cond {
		if (strings.HasPrefix(c, "once ") || strings.HasPrefix(c, "until ") || strings.Contains(c, "could you")) && kClarify.match(c, c) {
			return true
		}
	}
	return false
}

// conditional tells a conditional or advisory sentence (lower case): "if
// you are dissatisfied ...", "you may ask for an internal review".
func conditional(sent string) bool {
	sent = strings.TrimLeft(sent, " \"'(")
	if strings.Contains(sent, "you can expect") || strings.Contains(sent, "you will receive") {
		return false // a promise, not a condition
	}
	for _, p := range []string{"if ", "should ", "where ", "in the event", "in case", "when ", "once ", "unless ", "until "} {
		if strings.HasPrefix(sent, p) {
			return true
		}
	}
	for _, c := range []string{" if ", " if,", "(if ", " unless ", "you may ", "you can ", "you could ", "you have the right", "you are entitled", "you might "} {
		if strings.Contains(sent, c) {
			return true
		}
	}
	return false
}
