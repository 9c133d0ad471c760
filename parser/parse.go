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
func Parse(ctx context.Context, raw []byte, questions []Question, lim *Limits) (*Reply, error) {
	m, err := Read(ctx, raw, lim)
	if err != nil {
		return nil, err
	}
	r := m.Reply(questions)
	sum := sha256.Sum256(raw)
	r.SHA256 = hex.EncodeToString(sum[:])
	return r, nil
}

// Reply makes the Reply for a message read by Read: its kind, reference,
// stated due date, answers (one per question for a response or internal
// review, none otherwise), attachments and warnings. It leaves Campaign,
// Request and Match empty: matching is the worker's.
func (m *Message) Reply(questions []Question) (r *Reply) {
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

	text := m.analysisText()
	answers := findAnswers(text, questions)
	found := 0
	for _, a := range answers {
		if a.Status != StatusUnanswered {
			found++
		}
	}
	r.Kind = classify(m, text, found, len(questions))
	r.Reference = findReference(m.Subject, text)
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
	return r
}

// analysisText is the message's own text without what it quotes, followed by
// the text of every attachment.
func (m *Message) analysisText() string {
	var b strings.Builder
	b.WriteString(stripQuoted(m.Body))
	for _, a := range m.attTexts {
		b.WriteString("\n\n")
		b.WriteString(a.text)
	}
	return b.String()
}

func notHeldSentence(text string) string {
	for _, s := range sentences(firstChars(text, 4000)) {
		if notHeldIn(s) {
			return shorten(s, 400)
		}
	}
	return ""
}
