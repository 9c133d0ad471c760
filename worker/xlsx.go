package worker

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/foiwatch/foiwatch/parser"
)

// WriteXLSX writes the rows as a workbook with one sheet per campaign: the
// fixed columns of CSVHeader, then a column per question holding the answer
// as a number where it is one, so a spreadsheet can sum and chart it.
// Answers read from a scan are shaded amber, with a note on the row's first
// answer that they need checking against the letter.
func (d *Daemon) WriteXLSX(w io.Writer, rows []Row) error {
	f := excelize.NewFile()
	defer f.Close()
	first := true
	scanned := 0 // the style of answers read from a scan, made when first needed
	var marks xlsxMarks
	for _, c := range d.Campaigns.List {
		var mine []Row
		for _, r := range rows {
			if r.Campaign == c.ID {
				mine = append(mine, r)
			}
		}
		if len(mine) == 0 {
			continue
		}
		sheet := sheetName(c.ID)
		if first {
			f.SetSheetName("Sheet1", sheet)
			first = false
		} else if _, err := f.NewSheet(sheet); err != nil {
			return fmt.Errorf("xlsx: sheet %s: %w", sheet, err)
		}
		header := append([]any{}, toAny(CSVHeader)...)
		for _, q := range c.Questions {
			header = append(header, q.Key)
		}
		if err := f.SetSheetRow(sheet, "A1", &header); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
		for i, r := range mine {
			rec := []any{r.Campaign, r.Request, r.Authority, r.SentAt, r.Reference, r.Due, r.Status, r.RepliedAt, r.DaysLate}
			for _, q := range c.Questions {
				rec = append(rec, cellAny(r.Answers[q.Key]))
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			if err := f.SetSheetRow(sheet, cell, &rec); err != nil {
				return fmt.Errorf("xlsx: %w", err)
			}
			if r.OCR && len(c.Questions) > 0 {
				if scanned == 0 {
					var err error
					if scanned, err = f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{scannedFill}}}); err != nil {
						return fmt.Errorf("xlsx: style for scanned answers: %w", err)
					}
				}
				if err := markScanned(f, sheet, i+2, len(CSVHeader)+1, len(CSVHeader)+len(c.Questions), scanned); err != nil {
					return err
				}
			}
			if err := marks.markRow(f, sheet, i+2, len(CSVHeader)+1, c, r); err != nil {
				return err
			}
		}
		f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	}
	if first {
		f.SetCellValue("Sheet1", "A1", "no requests")
	}
	_, err := f.WriteTo(w)
	return err
}

// scannedFill is the fill of answers read from a scan: pale amber, "check
// me", as the status page's "(scan)".
const scannedFill = "FFE699"

// markScanned gives the answer cells from column first to last of row,
// read from a scan, the style scanned (scannedFill), and notes on the
// first why: OCR may have misread them.
func markScanned(f *excelize.File, sheet string, row, first, last, scanned int) error {
	from, _ := excelize.CoordinatesToCellName(first, row)
	to, _ := excelize.CoordinatesToCellName(last, row)
	if err := f.SetCellStyle(sheet, from, to, scanned); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	err := f.AddComment(sheet, excelize.Comment{Cell: from, Author: "foiwatch",
		Text: "These answers were read from a scanned letter (OCR): check them against the letter before using them."})
	if err != nil {
		return fmt.Errorf("xlsx: note on %s!%s: %w", sheet, from, err)
	}
	return nil
}

// cellAny is an answer as a typed cell: numbers stay numbers.
func cellAny(a parser.Answer) any {
	if a.Status == parser.StatusAnswered {
		switch v := a.Value.(type) {
		case int64:
			return v
		case float64:
			return v
		case parser.Money:
			return v.Amount
		}
	}
	return CellValue(a)
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// sheetName fits a campaign id into Excel's 31-character sheet names.
func sheetName(id string) string {
	if len(id) > 31 {
		return id[:31]
	}
	return id
}
