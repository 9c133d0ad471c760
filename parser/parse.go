package parser

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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

	text, clean, scans := m.analysisTexts()
	answers := findAnswers(text, questions)
	found := 0
	for _, a := range answers {
		if a.Status != StatusUnanswered {
			found++
		}
	}
	r.Kind = classify(m, text, found, len(questions))
	r.Reference = findReference(m.Subject, text)
	var refFromScan bool
	if len(scans) > 0 {
		r.Reference, refFromScan = scanReference(m.Subject, clean, text)
	}
	switch r.Kind {
	case KindAcknowledgement, KindExtension:
		r.StatedDue = findDue(text, m.Date)
	case KindResponse, KindInternalReview:
		if found == 0 && notHeldIn(firstChars(text, 4000)) {
			// "We do not hold the information you requested": every
			// question gets that answer.
			for k := range answers {
				answers[k] = Answer{Status: StatusNotHeld, Text: notHeldSentence(text)}
			}
		}
		r.Answers = answers
	}
	if len(scans) > 0 {
		r.Warnings = append(r.Warnings, checkScanned(r.Answers, questions, clean, scans, refFromScan)...)
	}
	return r
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
		if !ok || a.Status == StatusUnanswered {
			continue
		}
		src, scanned := fromOCR(a, clean, scans)
		if !scanned {
			continue
		}
		if !used[src.name] {
			used[src.name] = true
			from = append(from, src)
		}
		a.Check, a.Why = true, fmt.Sprintf("read by OCR from a scan (%s, confidence %.0f): check it against the letter", src.name, src.conf)
		answers[q.Key] = a
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
	text, clean, scans := m.analysisTexts()
	if len(scans) > 0 {
		ref, _ := scanReference(m.Subject, clean, text)
		return ref
	}
	return findReference(m.Subject, text)
}

// analysisTexts returns the text analysed (the message's own text without
// what it quotes, followed by the text of every attachment, that of scans
// repaired by repairOCR), the part of it not read by OCR, and the repaired
// text of each attachment read by OCR. They are put together once per
// Message.
func (m *Message) analysisTexts() (text, clean string, scans []ocrSource) {
	m.analysed.Do(func() {
		defer func() {
			if p := recover(); p != nil {
				m.analysisPanic = fmt.Sprint(p)
			}
		}()
		m.texts, m.cleanText, m.scanTexts = m.buildAnalysisTexts()
	})
	if m.analysisPanic != "" {
		panic(m.analysisPanic) // each caller recovers it, and Reply says so
	}
	return m.texts, m.cleanText, m.scanTexts
}

func (m *Message) buildAnalysisTexts() (text, clean string, scans []ocrSource) {
	var b, c strings.Builder
	body := stripQuoted(m.Body)
	b.WriteString(body)
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
		b.WriteString("\n\n")
		b.WriteString(t)
	}
	return b.String(), c.String(), scans
}

func notHeldSentence(text string) string {
	for _, s := range sentences(firstChars(text, 4000)) {
		if notHeldIn(s) {
			return shorten(s, 400)
		}
	}
	return ""
}
