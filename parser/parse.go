package parser

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Parse reads one email and makes its Reply: Read, then Message.Reply. It is
// a pure function of its arguments.
func Parse(ctx context.Context, raw []byte, asked *Asked, lim *Limits) (*Reply, error) {
	m, err := Read(ctx, raw, lim)
	if err != nil {
		return nil, err
	}
	r := m.Reply(asked)
	sum := sha256.Sum256(raw)
	r.SHA256 = hex.EncodeToString(sum[:])
	return r, nil
}

// Reply makes the Reply for a message read by Read: its kind, reference,
// stated due date, answers (one per question for a response or internal
// review, none otherwise), attachments and warnings. It leaves Campaign,
// Request and Match empty: matching is the worker's. asked may be nil (a
// message matched to no campaign): no answers are looked for.
func (m *Message) Reply(asked *Asked) (r *Reply) {
	var questions []Question
	if asked != nil {
		questions = asked.Questions
	}
	r = &Reply{
		MessageID:     m.MessageID,
		From:          m.From,
		Subject:       m.Subject,
		Kind:          KindOther,
		Answers:       map[string]Answer{},
		Attachments:   append([]Attachment{}, m.Attachments...),
		Warnings:      append([]string{}, m.Warnings...),
		ParserVersion: Version,
	}
	if !m.Date.IsZero() {
		r.Date = m.Date.Format(time.RFC3339)
	}
	defer func() {
		if p := recover(); p != nil {
			r.Warnings = append(r.Warnings, fmt.Sprintf("the reply could not be analysed in full (internal error: %v)", p))
		}
	}()

	docs, clean, scans := m.analysisTexts()
	text := strings.Join(docs, "\n\f\n")
	if asked == nil {
		asked = &Asked{}
	}
	answers, found, prose := findAnswers(docs, asked, func() []string { return exemptionSentences(text) })
	own := withoutBoilerplate(text)
	sig := newSignals(own)
	if found == 0 && prose >= 3 && 2*prose >= len(questions) && !sig.has(kRefusal) && !sig.has(kExtension) && !sig.clarifies() {
		// A letter in paragraphs, a figure or a name of its type in the
		// words of each of most questions: a response, though no sentence
		// alone would make it one.
		found = prose
	}
	r.Kind = classify(m, text, sig, found, len(questions))
	r.Reference = findReference(m.Subject, text)
	var refFromScan bool
	if len(scans) > 0 {
		r.Reference, refFromScan = scanReference(m.Subject, clean, text)
	}
	switch r.Kind {
	case KindAcknowledgement, KindExtension:
		r.StatedDue = findDue(text, m.Date)
	case KindResponse, KindInternalReview:
		if found == 0 && prose == 0 && len(questions) > 0 {
			if s := notHeldSentence(own); s != "" && wholeRequest(s) {
				// "We do not hold the information you requested": every
				// question gets that answer, and a person should look.
				for k := range answers {
					answers[k] = Answer{Status: StatusNotHeld, Text: s, Check: true, Why: "read as not held from one sentence for the whole request"}
				}
			}
		}
		if found > 0 && found < len(questions) && sig.has(kRefusal) {
			partRefusal(answers, questions, sig)
		}
		r.Answers = answers
	}
	if len(scans) > 0 {
		r.Warnings = append(r.Warnings, checkScanned(r.Answers, questions, clean, scans, refFromScan)...)
	}
	return r
}

// partRefusal marks exempt the questions a response refuses to answer
// ("to answer questions 5 to 7 would exceed the appropriate limit under
// section 12", "the remaining questions"), where it left them unanswered:
// the answers it gives stand, the refused ones are said to be refused,
// and a person should look.
func partRefusal(answers map[string]Answer, qs []Question, sig *signals) {
	for i, l := range sig.sents {
		if !kRefusal.match(l, l) {
			continue
		}
		sent := sig.orig[i]
		ex := exemption(sent)
		if ex == "" || ex != "s.12" && ex != "s.14" {
			ex = "s.12"
			if strings.Contains(l, "vexatious") || strings.Contains(l, "repeated") {
				ex = "s.14"
			}
		}
		nums := questionNumbersIn(l)
		all := len(nums) == 0 && hasAny(l, []string{"remaining", "other question", "rest of", "other parts", "remainder"})
		if len(nums) == 0 && !all {
			continue
		}
		for _, q := range qs {
			a := answers[q.Key]
			if a.Status != StatusUnanswered || !all && !nums[q.Number] {
				continue
			}
			answers[q.Key] = Answer{Status: StatusExempt, Exemption: ex, Text: shorten(strings.TrimSpace(sent), 400), Check: true,
				Why: "the reply refuses this part of the request (" + ex + ") in one sentence for several questions"}
		}
	}
}

// reQuestionNumbers names questions: "question 5", "questions 3 to 5",
// "questions 2, 3 and 4", "Q3-Q5".
var reQuestionNumbers = regexp.MustCompile(`\b(?:questions?|q|parts?|points?)\s*(\d{1,2})((?:\s*(?:,|and|to|-|–|&)\s*(?:q\s*)?\d{1,2})*)`)

var reNumberStep = regexp.MustCompile(`(to|-|–|,|and|&)?\s*(?:q\s*)?(\d{1,2})`)

func questionNumbersIn(l string) map[int]bool {
	out := map[int]bool{}
	for _, m := range reQuestionNumbers.FindAllStringSubmatch(l, 10) {
		first, _ := strconv.Atoi(m[1])
		out[first] = true
		prev := first
		rest := m[2]
		for _, t := range reNumberStep.FindAllStringSubmatch(rest, 20) {
			n, _ := strconv.Atoi(t[2])
			if t[1] == "to" || t[1] == "-" || t[1] == "–" {
				for k := prev + 1; k <= n && k-prev < 50; k++ {
					out[k] = true
				}
			}
			out[n] = true
			prev = n
		}
	}
	return out
}

// exemptionSentences are the paragraphs of a text that cite an
// exemption: the footnotes a suppressed figure ("*", "<5") points to.
func exemptionSentences(text string) []string {
	var out []string
	for _, p := range strings.Split(firstChars(text, 200_000), "\n\n") {
		if p = strings.TrimSpace(p); p != "" && exemption(p) != "" {
			out = append(out, strings.Join(strings.Fields(p), " "))
			if len(out) == 200 {
				break
			}
		}
	}
	return out
}

// scanReference finds the reference of a message with scanned attachments.
// A reference found in text not read by OCR (the subject, the body, a text
// attachment) is preferred to one read from a scan, unless it is only
// "Your ref"; one read from a scan is written as the clean text writes it
// when the two differ only by what OCR confuses ("FOVOPCCN/239" for
// "FOI/OPCCN/239").
//
// A reference the scan gives in a stronger form ("Our reference:
// 2023/FOI/0388") that the clean text also holds, as written or as OCR
// confuses it (the subject "FOI 2023/FOI/0388 response", whose own best
// reading is "FOI/0388"), is taken in the clean text's form: the scan says
// which token is the reference, the clean text how it is written.
func scanReference(subject, clean, text string) (ref string, fromScan bool) {
	ref, score := findReferenceScored(subject, clean)
	all, allScore := findReferenceScored(subject, text)
	if allScore <= score {
		return ref, false
	}
	trusted := subject + "\n" + clean
	if t := trustedForm(all, trusted); t != all || strings.Contains(trusted, all) {
		return t, false
	}
	if score >= 50 {
		return ref, false
	}
	return all, true // trustedForm found no other form of it
}

// checkScanned leaves unanswered a number that OCR may have misread and
// warns that values came from a scan.
func checkScanned(answers map[string]Answer, qs []Question, clean string, scans []ocrSource, refFromScan bool) []string {
	var warnings []string
	used := map[string]bool{}
	var from []ocrSource
	for _, q := range qs {
		a, ok := answers[q.Key]
		if !ok || a.Status == StatusUnanswered && a.Text == "" {
			continue
		}
		src, scanned := fromOCR(a, clean, scans)
		if !scanned {
			continue
		}
		if a.Status != StatusUnanswered {
			if !used[src.name] {
				used[src.name] = true
				from = append(from, src)
			}
			a.Check, a.Why = true, fmt.Sprintf("read by OCR from a scan (%s, confidence %.0f): check it against the letter", src.name, src.conf)
			answers[q.Key] = a
		}
		if q.Type != TypeCount && q.Type != TypeMoney {
			continue
		}
		if tok := doubtfulNumber(firstPara(a.Text)); tok != "" {
			label := q.Key
			if q.Number > 0 {
				label = fmt.Sprintf("question %d (%s)", q.Number, q.Key)
			}
			warnings = append(warnings, fmt.Sprintf("%s: %q, read from a scan, may be misread (letters and digits OCR confuses): left unanswered", label, tok))
			answers[q.Key] = Answer{Status: StatusUnanswered, Text: a.Text, Note: a.Note, Check: true, Why: fmt.Sprintf("%q, read from a scan, may be misread", tok)}
		}
	}
	switch {
	case len(from) > 0:
		warnings = append([]string{scanWarning(from, "answers were")}, warnings...)
	case refFromScan:
		warnings = append(warnings, scanWarning(scans, "the reference was"))
	}
	return warnings
}

// Reference is the authority's reference for the message, as Reply gives
// it, without the rest of Reply's work: a matcher needs it before it knows
// whose questions to look for.
func (m *Message) Reference() (ref string) {
	defer func() {
		if recover() != nil {
			ref = "" // Reply, which recovers the same way, says what happened
		}
	}()
	docs, clean, scans := m.analysisTexts()
	text := strings.Join(docs, "\n\f\n")
	if len(scans) > 0 {
		ref, _ := scanReference(m.Subject, clean, text)
		return ref
	}
	return findReference(m.Subject, text)
}

// analysisTexts returns the documents analysed (the message's own text
// without what it quotes, then the text of every attachment, that of scans
// repaired by repairOCR), the text not read by OCR, and the repaired text
// of each attachment read by OCR. They are put together once per Message.
func (m *Message) analysisTexts() (docs []string, clean string, scans []ocrSource) {
	m.analysed.Do(func() {
		defer func() {
			if p := recover(); p != nil {
				m.analysisPanic = fmt.Sprint(p)
			}
		}()
		m.docs, m.cleanText, m.scanTexts = m.buildAnalysisTexts()
	})
	if m.analysisPanic != "" {
		panic(m.analysisPanic) // each caller recovers it, and Reply says so
	}
	return m.docs, m.cleanText, m.scanTexts
}

func (m *Message) buildAnalysisTexts() (docs []string, clean string, scans []ocrSource) {
	var c strings.Builder
	body := stripQuoted(m.Body)
	docs = append(docs, body)
	c.WriteString(body)
	for _, a := range m.attTexts {
		t := a.text
		if a.ocr {
			t = repairOCR(t)
			scans = append(scans, ocrSource{name: a.name, conf: a.conf, text: t})
		} else {
			c.WriteString("\n\n")
			c.WriteString(t)
		}
		docs = append(docs, t)
	}
	return docs, c.String(), scans
}

// notHeldSentence is the first sentence of text saying the information is
// not held, "" when there is none in its first 4,000 characters.
func notHeldSentence(text string) string {
	for _, s := range sentences(firstChars(text, 4000)) {
		if notHeld(s) {
			return shorten(s, 400)
		}
	}
	return ""
}

// wholeRequest tells a sentence about all that was asked ("We do not hold
// the information you requested"), not one thing ("The Council does not
// have a library strategy").
func wholeRequest(s string) bool {
	l := strings.ToLower(s)
	return hasAny(l, []string{"information you", "information requested", "your request", "this request", "requested information", "any information", "any of the information", "the information", "any recorded information", "this information", "such information", "data you", "records you"})
}

// Text is the text the parser reads a message's answers from: its own text
// without what it quotes, then the text of each attachment (that of scans
// repaired), as `foiwatch show` prints it.
func (m *Message) Text() (text string) {
	defer func() {
		if p := recover(); p != nil {
			text = ""
		}
	}()
	docs, _, _ := m.analysisTexts()
	return strings.Join(docs, "\n\n")
}
