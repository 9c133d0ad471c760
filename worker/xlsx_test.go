package worker_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/worker"
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
	key := c.Questions[0].Key
	row := func(req string, ocr bool) worker.Row {
		return worker.Row{Campaign: c.ID, Request: req, Authority: req, SentAt: "2024-05-01T09:00:00Z", Status: "answered", OCR: ocr,
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
	first, _ := excelize.CoordinatesToCellName(len(worker.CSVHeader)+1, 2)
	scanned, _ := excelize.CoordinatesToCellName(len(worker.CSVHeader)+1, 3)
	for cell, want := range map[string]bool{first: false, scanned: true} {
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
	if len(comments) != 1 || comments[0].Cell != scanned || !strings.Contains(comments[0].Text, "scan") {
		t.Errorf("notes %+v, want one on %s saying the answers come from a scan", comments, scanned)
	}
}
