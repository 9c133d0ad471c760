package worker_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/worker"
	"github.com/foiwatch/foiwatch/worker/deadline"
	"github.com/foiwatch/foiwatch/worker/demo"
)

// Answers read from a scan are shaded and carry a note in the workbook, as
// "(scan)" on the status page; the others are not; numbers stay numbers.
func TestXLSXMarksAnswersReadFromAScan(t *testing.T) {
	c, err := worker.ParseCampaign("demo", demo.CampaignTOML())
	if err != nil {
		t.Fatal(err)
	}
	d := &worker.Daemon{Campaigns: &worker.Campaigns{List: []*worker.Campaign{c}}}
	key := c.Questions[1].Key // a count
	row := func(req string, ocr bool) worker.Row {
		return worker.Row{Campaign: c.ID, Request: req, Authority: req, SentAt: "2024-05-01T09:00:00Z", SentDate: "2024-05-01", Status: "answered", OCR: ocr,
			Answers: map[string]parser.Answer{key: {Status: parser.StatusAnswered, Value: int64(12), Text: "12"}}}
	}
	var b bytes.Buffer
	if err := d.WriteXLSX(&b, []worker.Row{row("typed", false), row("scanned", true)}); err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	col := columnOf(t, wb, c.ID, key)
	typed, scanned := col+"2", col+"3"
	for cell, want := range map[string]bool{typed: false, scanned: true} {
		if v, _ := wb.GetCellValue(c.ID, cell); v != "12" {
			t.Errorf("%s = %q, want 12", cell, v)
		}
		if typ, _ := wb.GetCellType(c.ID, cell); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
			t.Errorf("%s is stored as text", cell)
		}
		id, _ := wb.GetCellStyle(c.ID, cell)
		st, _ := wb.GetStyle(id)
		shaded := st != nil && len(st.Fill.Color) > 0 && strings.EqualFold(st.Fill.Color[0], "FFE699")
		if shaded != want {
			t.Errorf("%s shaded %v, want %v (fill %+v)", cell, shaded, want, st)
		}
	}
	comments, err := wb.GetComments(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var onRows []excelize.Comment
	for _, cm := range comments {
		if !strings.HasSuffix(cm.Cell, "1") || len(cm.Cell) > 3 {
			onRows = append(onRows, cm)
		}
	}
	first := columnOf(t, wb, c.ID, c.Questions[0].Key) + "3"
	if len(onRows) != 1 || onRows[0].Cell != first || !strings.Contains(onRows[0].Text, "scan") {
		t.Errorf("notes %+v, want one on %s saying the answers come from a scan", onRows, first)
	}
}

// columnOf is the letter of the column whose header is name.
func columnOf(t *testing.T, wb *excelize.File, sheet, name string) string {
	t.Helper()
	rows, err := wb.GetRows(sheet)
	if err != nil || len(rows) == 0 {
		t.Fatalf("sheet %s: %v", sheet, err)
	}
	for i, h := range rows[0] {
		if h == name {
			s, _ := excelize.ColumnNumberToName(i + 1)
			return s
		}
	}
	t.Fatalf("sheet %s has no column %q: %q", sheet, name, rows[0])
	return ""
}

// The workbook opens with a sheet per campaign whatever the ids (two share
// their first 31 characters, one is "questions"), real dates, numbers and
// amounts as numbers, a value column per question holding only values of
// its type with a status column beside it, widths, an autofilter, notes for
// caveats, and a Questions sheet saying what every column is.
func TestXLSXHasASheetPerCampaignWithTypedColumns(t *testing.T) {
	f := openFixture(t, "https://northshire-pcc.gov.uk/evaluation")
	rows, err := f.d.Rows(context.Background(), "", deadline.DateOf(fixtureClock))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := f.d.WriteXLSX(&b, rows); err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenReader(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	sheets := wb.GetSheetList()
	if len(sheets) != len(f.d.Campaigns.List)+1 || sheets[len(sheets)-1] != "Questions" {
		t.Fatalf("sheets %q, want one per campaign (%d) and Questions", sheets, len(f.d.Campaigns.List))
	}
	seen := map[string]bool{}
	byCampaign := map[string]string{}
	for _, s := range sheets[:len(sheets)-1] {
		if len([]rune(s)) > 31 || seen[strings.ToLower(s)] {
			t.Errorf("sheet name %q is too long or used twice (%q)", s, sheets)
		}
		seen[strings.ToLower(s)] = true
		id, _ := wb.GetCellValue(s, "A2")
		byCampaign[id] = s
	}
	for _, c := range f.d.Campaigns.List {
		sheet, ok := byCampaign[c.ID]
		if !ok {
			t.Errorf("campaign %s has no sheet (sheets %q): its rows are lost", c.ID, sheets)
			continue
		}
		xr, _ := wb.GetRows(sheet)
		want := 0
		for _, r := range rows {
			if r.Campaign == c.ID {
				want++
			}
		}
		if len(xr)-1 != want {
			t.Errorf("sheet %s (%s): %d rows, want %d", sheet, c.ID, len(xr)-1, want)
		}
	}

	sheet := byCampaign[fixtureLongA]
	head, _ := wb.GetRows(sheet)
	header := head[0]
	// Every column has a width set, and the authority's fits its names.
	for i := range header {
		col, _ := excelize.ColumnNumberToName(i + 1)
		w, _ := wb.GetColWidth(sheet, col)
		if w == 9.140625 || w < 8 {
			t.Errorf("column %s (%s) has the default width %g", col, header[i], w)
		}
	}
	if w, _ := wb.GetColWidth(sheet, columnOf(t, wb, sheet, "authority")); w < 40 {
		t.Errorf("authority column %g wide, want at least 40", w)
	}
	// An autofilter over the whole table, and the header row frozen.
	last, _ := excelize.CoordinatesToCellName(len(header), len(head))
	found := false
	for _, dn := range wb.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" && strings.HasSuffix(dn.RefersTo, "!$A$1:$"+strings.TrimRight(last, "0123456789")+"$"+strings.TrimLeft(last, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")) {
			found = true
		}
	}
	if !found {
		t.Errorf("no autofilter over A1:%s of %s: %+v", last, sheet, wb.GetDefinedName())
	}
	if p, _ := wb.GetPanes(sheet); !p.Freeze || p.YSplit != 1 {
		t.Errorf("panes %+v, want the header row frozen", p)
	}

	cell := func(col string, row int) string { return col + strconv.Itoa(row) }
	rowOf := map[string]int{}
	for i, r := range head[1:] {
		rowOf[r[1]] = i + 2
	}
	north := rowOf["northshire"]
	// Dates are dates: a number with a date format, shown as YYYY-MM-DD.
	for _, name := range []string{"sent_at", "due", "replied_at"} {
		c := cell(columnOf(t, wb, sheet, name), north)
		raw, _ := wb.GetCellValue(sheet, c, excelize.Options{RawCellValue: true})
		shown, _ := wb.GetCellValue(sheet, c)
		id, _ := wb.GetCellStyle(sheet, c)
		st, _ := wb.GetStyle(id)
		if strings.Contains(raw, "-") || st == nil || st.CustomNumFmt == nil || *st.CustomNumFmt != "yyyy-mm-dd" || len(shown) != 10 {
			t.Errorf("%s %s = raw %q shown %q (style %+v): want a date", name, c, raw, shown, st)
		}
	}
	if v, _ := wb.GetCellValue(sheet, cell(columnOf(t, wb, sheet, "sent_at"), north)); v != "2024-05-13" {
		t.Errorf("sent_at = %q", v)
	}
	// Each question's value column holds only values of its type; the
	// status column beside it says what the answer is.
	isNumber := func(c string) bool {
		typ, _ := wb.GetCellType(sheet, c)
		v, _ := wb.GetCellValue(sheet, c, excelize.Options{RawCellValue: true})
		return v != "" && typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString
	}
	for _, q := range fixtureQuestions {
		vc := columnOf(t, wb, sheet, q.Key)
		if vn, _ := excelize.ColumnNameToNumber(vc); header[vn] != q.Key+".status" && header[vn] != q.Key+".period" {
			t.Errorf("%s: the column after its values is %q, want its status", q.Key, header[vn])
		}
		for req, n := range rowOf {
			v, _ := wb.GetCellValue(sheet, cell(vc, n), excelize.Options{RawCellValue: true})
			if v == "" {
				continue
			}
			num := isNumber(cell(vc, n))
			switch q.Type {
			case parser.TypeCount, parser.TypeMoney:
				if !num {
					t.Errorf("%s %s = %q: not a number in a %s column", req, q.Key, v, q.Type)
				}
			default:
				if num {
					t.Errorf("%s %s = %q: a number in a %s column", req, q.Key, v, q.Type)
				}
			}
		}
	}
	want := map[string][2]string{ // key → Northshire's value (as shown), status
		"self_referred":             {"1,204", "answered"},
		"budget":                    {"£125,000.00", "answered"},
		"capital_budget":            {"£1,234.50", "answered"},
		"waiting_list":              {"", "answered, no figure"},
		"financial_contributors":    {"", "not held"},
		"agency_referred_completed": {"", "exempt s.40(2)"},
		"staff":                     {"", "not answered"},
		"referring_organisations":   {"Northshire Police; Children's Services", "answered"},
		"evaluation_link":           {"https://northshire-pcc.gov.uk/evaluation", "answered"},
	}
	for key, w := range want {
		v, _ := wb.GetCellValue(sheet, cell(columnOf(t, wb, sheet, key), north))
		s, _ := wb.GetCellValue(sheet, cell(columnOf(t, wb, sheet, key+".status"), north))
		if v != w[0] || s != w[1] {
			t.Errorf("Northshire %s = %q, status %q; want %q, %q", key, v, s, w[0], w[1])
		}
	}
	if p, _ := wb.GetCellValue(sheet, cell(columnOf(t, wb, sheet, "budget.period"), north)); p != "year" {
		t.Errorf("budget.period = %q, want year", p)
	}
	if ok, link, _ := wb.GetCellHyperLink(sheet, cell(columnOf(t, wb, sheet, "evaluation_link"), north)); !ok || link != "https://northshire-pcc.gov.uk/evaluation" {
		t.Errorf("the evaluation link is no hyperlink: %v %q", ok, link)
	}
	if v, _ := wb.GetCellValue(sheet, cell(columnOf(t, wb, sheet, "days_late"), rowOf["southshire"])); v != "8" || !isNumber(cell(columnOf(t, wb, sheet, "days_late"), rowOf["southshire"])) {
		t.Errorf("Southshire days_late = %q, want the number 8", v)
	}
	// Caveats and answers without a figure are notes on their cells.
	notes := map[string]string{}
	cms, _ := wb.GetComments(sheet)
	for _, cm := range cms {
		notes[cm.Cell] = cm.Text
	}
	if n := notes[cell(columnOf(t, wb, sheet, "agency_referred"), north)]; !strings.Contains(n, "although this is the total number") {
		t.Errorf("agency_referred note %q, want the caveat", n)
	}
	if n := notes[cell(columnOf(t, wb, sheet, "waiting_list"), north)]; !strings.Contains(n, "Fewer than ten") {
		t.Errorf("waiting_list note %q, want the words it was read from", n)
	}
	if n := notes[columnOf(t, wb, sheet, "budget")+"1"]; !strings.Contains(n, "Budget inclusive of Running Costs") {
		t.Errorf("budget header note %q, want the question", n)
	}

	// The Questions sheet: one row per question of every campaign, naming
	// its sheet and columns.
	qs, _ := wb.GetRows("Questions")
	if len(qs) < 1 || strings.Join(qs[0], "|") != "campaign|sheet|number|key|type|question|value column|status column" {
		t.Fatalf("Questions header %q", qs[0])
	}
	n := 0
	for _, c := range f.d.Campaigns.List {
		for _, q := range c.Questions {
			n++
			r := qs[n]
			if r[0] != c.ID || r[1] != byCampaign[c.ID] || r[3] != q.Key || r[4] != string(q.Type) || r[5] != q.Text {
				t.Errorf("Questions row %d = %q, want %s %s %s", n, r, c.ID, q.Key, q.Text)
				continue
			}
			vcol, _, _ := strings.Cut(r[6], " ")
			if h, _ := wb.GetCellValue(r[1], vcol+"1"); h != q.Key {
				t.Errorf("Questions says %s is column %s of %s, which is %q", q.Key, vcol, r[1], h)
			}
		}
	}
	t.Logf("%d sheets %q, %d bytes", len(sheets), sheets, b.Len())
}
