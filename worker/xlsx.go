package worker

import (
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/worker/deadline"
)

// WriteXLSX writes the rows as a workbook a spreadsheet user can sort,
// filter, sum and chart without cleaning anything first:
//
//   - one sheet per campaign, named after its id and unique whatever the
//     ids (Excel's names are at most 31 characters and case-insensitive:
//     a second "police-and-crime-commissioners-…" becomes "…~2"); the full
//     id is in the campaign column of every row;
//   - the fixed columns of CSVHeader, with sent_at, due and replied_at as
//     dates and days_late as a number; then, per question, a value column
//     that holds only values of the question's type (counts as numbers,
//     amounts as numbers in the currency's format, text, lists joined by
//     "; ", links as hyperlinks) and a status column beside it ("answered",
//     "not held", "exempt s.40(2)", "not answered", "answered, no figure");
//     a money question also has the amount's period ("year"); then
//     due_in_working_days and from_scan;
//   - the header row frozen with the request and authority columns, an
//     autofilter over the whole table, column widths that fit, and the
//     question's number and text in a note on its header;
//   - a note on a value cell with the authority's caveat, or the words of
//     an answer that gave no figure; the answers of a scanned letter shaded
//     amber with a note that they need checking against the letter; an
//     answer an operator set by hand (foiwatch answer) holds the operator's
//     value, shaded blue with a note saying who set it, when, why and what
//     the reply said; one a person should check (foiwatch review) shaded
//     salmon with a note saying why and the words it was read from;
//   - a last sheet, Questions, saying for every campaign which sheet it is
//     on and, per question, its number, key, type, text and columns; then
//     what each fixed column holds.
func (d *Daemon) WriteXLSX(w io.Writer, rows []Row) error {
	x := &xlsxWriter{f: excelize.NewFile(), cellStyles: map[[2]string]int{}}
	defer x.f.Close()
	if err := x.styles(); err != nil {
		return err
	}
	var camps []*Campaign
	var ids []string
	for _, c := range d.Campaigns.List {
		for _, r := range rows {
			if r.Campaign == c.ID {
				camps = append(camps, c)
				ids = append(ids, c.ID)
				break
			}
		}
	}
	names := sheetNames(ids)
	for i, c := range camps {
		var mine []Row
		for _, r := range rows {
			if r.Campaign == c.ID {
				mine = append(mine, r)
			}
		}
		if i == 0 {
			if err := x.f.SetSheetName("Sheet1", names[i]); err != nil {
				return fmt.Errorf("xlsx: sheet %s: %w", names[i], err)
			}
		} else if _, err := x.f.NewSheet(names[i]); err != nil {
			return fmt.Errorf("xlsx: sheet %s: %w", names[i], err)
		}
		if err := x.campaignSheet(names[i], c, mine); err != nil {
			return fmt.Errorf("xlsx: sheet %s (campaign %s): %w", names[i], c.ID, err)
		}
	}
	if len(camps) == 0 {
		x.f.SetCellValue("Sheet1", "A1", "no requests")
	} else if err := x.questionsSheet(camps, names); err != nil {
		return fmt.Errorf("xlsx: sheet %s: %w", questionsSheet, err)
	}
	x.f.SetActiveSheet(0)
	_, err := x.f.WriteTo(w)
	return err
}

// questionsSheet is the name of the sheet that explains the columns.
const questionsSheet = "Questions"

// scannedFill is the fill of answers read from a scan: pale amber, "check
// me", as the status page's "(scan)".
const scannedFill = "FFE699"

type xlsxWriter struct {
	f                  *excelize.File
	header, date, wrap int
	cellStyles         map[[2]string]int // answer cells' styles by number format and fill
}

func (x *xlsxWriter) styles() error {
	var err error
	mk := func(s *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = x.f.NewStyle(s)
		return id
	}
	dateFmt := "yyyy-mm-dd"
	x.header = mk(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}}})
	x.date = mk(&excelize.Style{CustomNumFmt: &dateFmt})
	x.wrap = mk(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	if err != nil {
		return fmt.Errorf("xlsx: styles: %w", err)
	}
	return nil
}

// countFormat is the number format of counts.
const countFormat = "#,##0"

// moneyFormat is the number format of amounts in currency.
func moneyFormat(currency string) string {
	sym, ok := currencySymbols[strings.ToUpper(currency)]
	if !ok {
		sym = strings.ToUpper(currency) + " "
	}
	return `"` + strings.ReplaceAll(sym, `"`, "") + `"#,##0.00`
}

// cellStyle is the style of an answer cell with number format numFmt ("":
// general) and fill ("": none: scannedFill, correctedFill or checkFill),
// made once.
func (x *xlsxWriter) cellStyle(numFmt, fill string) (int, error) {
	key := [2]string{numFmt, fill}
	if id, ok := x.cellStyles[key]; ok {
		return id, nil
	}
	s := &excelize.Style{}
	if numFmt != "" {
		s.CustomNumFmt = &numFmt
	}
	if fill != "" {
		s.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fill}}
	}
	id, err := x.f.NewStyle(s)
	if err != nil {
		return 0, fmt.Errorf("style of answers (%q, fill %s): %w", numFmt, fill, err)
	}
	x.cellStyles[key] = id
	return id, nil
}

// xlsxColumn is one column of a campaign sheet.
type xlsxColumn struct {
	name  string
	width float64
	// q and part ("value", "status", "period") for an answer's columns.
	q    *parser.Question
	part string
}

func campaignColumns(c *Campaign) []xlsxColumn {
	cols := []xlsxColumn{
		{name: "campaign", width: min(float64(len(c.ID))+2, 32)}, {name: "request", width: 16}, {name: "authority", width: 44},
		{name: "sent_at", width: 11.5}, {name: "reference", width: 18}, {name: "due", width: 11.5}, {name: "status", width: 19},
		{name: "replied_at", width: 11.5}, {name: "days_late", width: 10},
	}
	for i := range c.Questions {
		q := &c.Questions[i]
		w := 12.0
		switch q.Type {
		case parser.TypeText, parser.TypeList, parser.TypeURL:
			w = 40
		case parser.TypeMoney:
			w = 14
		}
		w = max(w, float64(len(q.Key))+2)
		cols = append(cols, xlsxColumn{name: q.Key, width: min(w, 60), q: q, part: "value"})
		if q.Type == parser.TypeMoney {
			cols = append(cols, xlsxColumn{name: q.Key + ".period", width: 9, q: q, part: "period"})
		}
		cols = append(cols, xlsxColumn{name: q.Key + ".status", width: 16, q: q, part: "status"})
	}
	return append(cols, xlsxColumn{name: "due_in_working_days", width: 12}, xlsxColumn{name: "from_scan", width: 10})
}

func cellName(col, row int) string {
	s, _ := excelize.CoordinatesToCellName(col, row)
	return s
}

func colName(col int) string {
	s, _ := excelize.ColumnNumberToName(col)
	return s
}

// day is a YYYY-MM-DD date as a spreadsheet date, or nil.
func day(s string) any {
	d, err := deadline.ParseDate(s)
	if err != nil || s == "" {
		return nil
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

func (x *xlsxWriter) campaignSheet(sheet string, c *Campaign, rows []Row) error {
	f := x.f
	cols := campaignColumns(c)
	for i, col := range cols {
		cell := cellName(i+1, 1)
		if err := f.SetCellValue(sheet, cell, col.name); err != nil {
			return err
		}
		if err := f.SetColWidth(sheet, colName(i+1), colName(i+1), col.width); err != nil {
			return err
		}
		if col.q != nil && col.part == "value" {
			text := col.q.Text
			if col.q.Number != 0 {
				text = strconv.Itoa(col.q.Number) + ". " + text
			}
			if err := f.AddComment(sheet, excelize.Comment{Cell: cell, Author: "foiwatch", Text: text + " (" + string(col.q.Type) + ")"}); err != nil {
				return err
			}
		}
	}
	if err := f.SetCellStyle(sheet, "A1", cellName(len(cols), 1), x.header); err != nil {
		return err
	}
	for i, r := range rows {
		n := i + 2
		fixed := []any{r.Campaign, r.Request, r.Authority, day(r.SentDate), r.Reference, day(r.Due), r.Status, day(r.RepliedAt), r.DaysLate}
		for j, v := range fixed {
			if v == nil {
				continue
			}
			if err := f.SetCellValue(sheet, cellName(j+1, n), v); err != nil {
				return err
			}
		}
		for _, j := range []int{4, 6, 8} { // sent_at, due, replied_at
			if err := f.SetCellStyle(sheet, cellName(j, n), cellName(j, n), x.date); err != nil {
				return err
			}
		}
		firstAnswer := 0
		for j, col := range cols {
			if col.q == nil {
				continue
			}
			if firstAnswer == 0 {
				firstAnswer = j + 1
			}
			if err := x.answerCell(sheet, cellName(j+1, n), col, r.Answers[col.q.Key], r.OCR); err != nil {
				return err
			}
		}
		tail := len(cols) - 1
		if r.DueIn != nil {
			if err := f.SetCellValue(sheet, cellName(tail, n), *r.DueIn); err != nil {
				return err
			}
		}
		if err := f.SetCellValue(sheet, cellName(tail+1, n), r.OCR); err != nil {
			return err
		}
		if r.OCR && firstAnswer > 0 {
			if err := x.noteOn(sheet, cellName(firstAnswer, n), "These answers were read from a scanned letter (OCR): check them against the letter before using them."); err != nil {
				return err
			}
		}
	}
	last := cellName(len(cols), max(len(rows)+1, 2))
	if err := f.AutoFilter(sheet, "A1:"+last, nil); err != nil {
		return err
	}
	return f.SetPanes(sheet, &excelize.Panes{Freeze: true, XSplit: 3, YSplit: 1, TopLeftCell: "D2", ActivePane: "bottomRight"})
}

// answerCell writes one part of an answer: its value (only a value of the
// question's type), its status, or a money answer's period. ocr is true
// when the row's answers were read from a scan. The value cell of an answer
// set by hand, or one to check, is marked (xlsx_marks.go).
func (x *xlsxWriter) answerCell(sheet, cell string, col xlsxColumn, a parser.Answer, ocr bool) error {
	f := x.f
	fill, numFmt := "", ""
	if ocr && a.Status == parser.StatusAnswered {
		fill = scannedFill
	}
	switch col.part {
	case "status":
		words := StatusWords(a)
		if a.Status == parser.StatusAnswered && a.Value == nil {
			words = "answered, no figure"
		}
		if err := f.SetCellValue(sheet, cell, words); err != nil {
			return err
		}
	case "period":
		if m, ok := a.Value.(parser.Money); ok && a.Status == parser.StatusAnswered && m.Period != "" {
			if err := f.SetCellValue(sheet, cell, m.Period); err != nil {
				return err
			}
		}
	case "value":
		var notes []string
		if a.Note != "" {
			notes = append(notes, "Note from the authority: "+a.Note)
		}
		var err error
		if a.Status == parser.StatusAnswered {
			switch v := a.Value.(type) {
			case int64:
				if col.q.Type == parser.TypeCount {
					err = f.SetCellValue(sheet, cell, v)
					numFmt = countFormat
				}
			case parser.Money:
				if col.q.Type == parser.TypeMoney {
					err = f.SetCellValue(sheet, cell, v.Amount)
					numFmt = moneyFormat(v.Currency)
				}
			case []string:
				if col.q.Type == parser.TypeList {
					err = f.SetCellValue(sheet, cell, strings.Join(v, "; "))
				}
			case string:
				switch col.q.Type {
				case parser.TypeText:
					err = f.SetCellValue(sheet, cell, v)
				case parser.TypeURL:
					err = f.SetCellValue(sheet, cell, v)
					if u, perr := url.Parse(v); err == nil && perr == nil && (u.Scheme == "http" || u.Scheme == "https") && len(v) < 2000 {
						err = f.SetCellHyperLink(sheet, cell, v, "External")
					}
				}
			case nil:
				if a.Text != "" {
					notes = append(notes, "No figure could be read from the answer: "+a.Text)
				}
			}
		}
		if err != nil {
			return err
		}
		if markFill, note := answerMark(a, ocr); markFill != "" {
			fill = markFill
			notes = append(notes, note)
		}
		if len(notes) > 0 {
			if err := x.noteOn(sheet, cell, strings.Join(notes, "\n")); err != nil {
				return err
			}
		}
	}
	if fill == "" && numFmt == "" {
		return nil
	}
	style, err := x.cellStyle(numFmt, fill)
	if err != nil {
		return err
	}
	return f.SetCellStyle(sheet, cell, cell, style)
}

// noteOn adds text to the note of cell (one note a cell, texts joined).
func (x *xlsxWriter) noteOn(sheet, cell, text string) error {
	cs, err := x.f.GetComments(sheet)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.Cell == cell {
			text = c.Text + "\n" + text
			if err := x.f.DeleteComment(sheet, cell); err != nil {
				return err
			}
		}
	}
	return x.f.AddComment(sheet, excelize.Comment{Cell: cell, Author: "foiwatch", Text: text})
}

// fixedColumnHelp says what each column holds (the Questions sheet).
var fixedColumnHelp = [][2]string{
	{"campaign", "the campaign's id"},
	{"request", "the request's id in the campaign file"},
	{"authority", "the authority the request went to"},
	{"sent_at", "the day the request was sent"},
	{"reference", "the authority's own reference for the request"},
	{"due", "the day a response is due (20 working days, moved by extensions and clarifications)"},
	{"status", "where the request stands: sent, acknowledged, clarification, extension, answered, partially_answered, not_held, refused, bounced, withdrawn, review_requested, review_answered"},
	{"replied_at", "the day of the substantive response"},
	{"days_late", "working days the response was (or is, if none yet) late; 0 when not late"},
	{"KEY", "the answer to a question, only when it is a value of the question's type: a count, an amount, text, names joined by \"; \", a link. Shaded blue: set by hand by an operator (foiwatch answer; the note says who, when, why and what the reply said); salmon: a person should check it (foiwatch review; the note says why); amber: read from a scanned letter"},
	{"KEY.period", "for an amount: the period it is for (\"year\"), empty when not said"},
	{"KEY.status", "answered, answered with no figure, not held, exempt (with the section), or not answered"},
	{"due_in_working_days", "for a request still waiting and not late: the working days until it is due"},
	{"from_scan", "TRUE when the answers were read from a scanned letter: check them against the letter"},
}

func (x *xlsxWriter) questionsSheet(camps []*Campaign, names []string) error {
	f := x.f
	if _, err := f.NewSheet(questionsSheet); err != nil {
		return err
	}
	head := []any{"campaign", "sheet", "number", "key", "type", "question", "value column", "status column"}
	if err := f.SetSheetRow(questionsSheet, "A1", &head); err != nil {
		return err
	}
	n := 2
	for i, c := range camps {
		cols := campaignColumns(c)
		for _, q := range c.Questions {
			var value, status string
			for j, col := range cols {
				if col.q != nil && col.q.Key == q.Key {
					switch col.part {
					case "value":
						value = colName(j+1) + " (" + col.name + ")"
					case "status":
						status = colName(j+1) + " (" + col.name + ")"
					}
				}
			}
			var num any
			if q.Number != 0 {
				num = q.Number
			}
			row := []any{c.ID, names[i], num, q.Key, string(q.Type), q.Text, value, status}
			if err := f.SetSheetRow(questionsSheet, cellName(1, n), &row); err != nil {
				return err
			}
			n++
		}
	}
	if err := f.SetCellStyle(questionsSheet, "A1", "H1", x.header); err != nil {
		return err
	}
	if err := f.AutoFilter(questionsSheet, "A1:"+cellName(8, max(n-1, 2)), nil); err != nil {
		return err
	}
	if err := f.SetCellStyle(questionsSheet, "F2", cellName(6, max(n-1, 2)), x.wrap); err != nil {
		return err
	}
	for col, w := range map[string]float64{"A": 30, "B": 24, "C": 8, "D": 26, "E": 8, "F": 70, "G": 28, "H": 32} {
		if err := f.SetColWidth(questionsSheet, col, col, w); err != nil {
			return err
		}
	}
	n += 2
	help := [][]any{{"column", "holds"}}
	for _, h := range fixedColumnHelp {
		help = append(help, []any{h[0], h[1]})
	}
	for i, h := range help {
		if err := f.SetSheetRow(questionsSheet, cellName(1, n+i), &h); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(questionsSheet, cellName(1, n), cellName(2, n), x.header); err != nil {
		return err
	}
	return f.SetPanes(questionsSheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

// sheetNames gives each campaign id a sheet name Excel accepts: at most 31
// characters, none of []:*?/\', unique without regard to case, and neither
// "Questions" nor Excel's reserved "History". A name already taken (two
// long ids that share their first 31 characters) ends in "~2", "~3", ...
func sheetNames(ids []string) []string {
	used := map[string]bool{strings.ToLower(questionsSheet): true, "history": true}
	out := make([]string, len(ids))
	for i, id := range ids {
		base := strings.Map(func(r rune) rune {
			if strings.ContainsRune(`[]:*?/\'`, r) {
				return '-'
			}
			return r
		}, id)
		if base == "" {
			base = "campaign"
		}
		name := cutRunes(base, 31)
		for k := 2; used[strings.ToLower(name)]; k++ {
			suffix := "~" + strconv.Itoa(k)
			name = cutRunes(base, 31-len(suffix)) + suffix
		}
		used[strings.ToLower(name)] = true
		out[i] = name
	}
	return out
}

func cutRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
