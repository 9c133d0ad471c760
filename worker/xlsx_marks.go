package worker

import (
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Answers set by hand, and answers to check, in the XLSX export.

// correctedFill is the fill of answers an operator set by hand: pale
// blue, distinct from the amber of answers read from a scan.
const correctedFill = "BDD7EE"

// checkFill is the fill of answers a person should check (review).
const checkFill = "F8CBAD"

// xlsxMarks makes the styles of marked answers when first needed.
type xlsxMarks struct{ corrected, check int }

// markRow marks, in row of sheet, the answer cells of r (the first in
// column first, in campaign c's question order) that were set by hand or
// need checking, each with a note saying so.
func (m *xlsxMarks) markRow(f *excelize.File, sheet string, row, first int, c *Campaign, r Row) error {
	for i, q := range c.Questions {
		a := r.Answers[q.Key]
		// A row read from a scan is shaded as a whole already (markScanned).
		check := a.Check && (!r.OCR || a.Corrected != nil)
		if a.Corrected == nil && !check {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(first+i, row)
		style, fill := &m.corrected, correctedFill
		var note string
		if a.Corrected != nil {
			note = fmt.Sprintf("Set by hand by %s on %s", a.Corrected.By, strings.TrimSuffix(a.Corrected.At, "Z"))
			if a.Corrected.Note != "" {
				note += ": " + a.Corrected.Note
			}
			if a.Corrected.Parsed != nil {
				note += ". Read from the reply as: " + DisplayValue(*a.Corrected.Parsed)
			}
		}
		if check {
			if a.Corrected == nil {
				style, fill = &m.check, checkFill
			}
			if note != "" {
				note += ". "
			}
			note += "Check: " + a.Why
			if a.Text != "" {
				note += ". Read from: " + truncate(a.Text, 300)
			}
		}
		if *style == 0 {
			s, err := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fill}}})
			if err != nil {
				return fmt.Errorf("xlsx: style for marked answers: %w", err)
			}
			*style = s
		}
		if err := f.SetCellStyle(sheet, cell, cell, *style); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
		if r.OCR && i == 0 {
			continue // the note that the row was read from a scan is there
		}
		if err := f.AddComment(sheet, excelize.Comment{Cell: cell, Author: "foiwatch", Text: note}); err != nil {
			return fmt.Errorf("xlsx: note on %s!%s: %w", sheet, cell, err)
		}
	}
	return nil
}
