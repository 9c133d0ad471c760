package worker

import (
	"fmt"
	"strings"

	"github.com/foiwatch/foiwatch/parser"
)

// Answers set by hand, and answers to check, in the XLSX export: their
// value cell (the operator's value, for one set by hand) is shaded and
// carries a note saying so.

// correctedFill is the fill of answers an operator set by hand: pale
// blue, distinct from the amber of answers read from a scan.
const correctedFill = "BDD7EE"

// checkFill is the fill of answers a person should check (review).
const checkFill = "F8CBAD"

// answerMark is the fill and the note of the value cell of a, set by hand
// or to check; fill is "" when a is neither. ocr is true when the row's
// answers were read from a scan: those are shaded and noted as a whole
// already, so an answer to check among them is not marked again, unless
// it was set by hand.
func answerMark(a parser.Answer, ocr bool) (fill, note string) {
	check := a.Check && (!ocr || a.Corrected != nil)
	if a.Corrected == nil && !check {
		return "", ""
	}
	fill = checkFill
	if a.Corrected != nil {
		fill = correctedFill
		note = fmt.Sprintf("Set by hand by %s on %s", a.Corrected.By, strings.TrimSuffix(a.Corrected.At, "Z"))
		if a.Corrected.Note != "" {
			note += ": " + a.Corrected.Note
		}
		if a.Corrected.Parsed != nil {
			note += ". Read from the reply as: " + DisplayValue(*a.Corrected.Parsed)
		}
	}
	if check {
		if note != "" {
			note += ". "
		}
		note += "Check: " + a.Why
		if a.Text != "" {
			note += ". Read from: " + truncate(a.Text, 300)
		}
	}
	return fill, note
}
