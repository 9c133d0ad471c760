package extract

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

// xlsxOf writes a workbook of one sheet "Data": rows of cells, each
// "s:TEXT" (a shared string), "n:VALUE" or "n:VALUE@STYLE" (a number with
// a cell style), with the given custom number formats (id -> code) and
// cell styles (the numFmtId of each).
func xlsxOf(t *testing.T, rows [][]string, numFmts map[int]string, xfs []int) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	put := func(name, body string) {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	put("[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`)
	put("xl/workbook.xml", `<?xml version="1.0"?><workbook `+ns+` xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	put("xl/_rels/workbook.xml.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)
	var shared []string
	var sheet strings.Builder
	sheet.WriteString(`<?xml version="1.0"?><worksheet ` + ns + `><sheetData>`)
	for _, r := range rows {
		sheet.WriteString("<row>")
		for _, c := range r {
			kind, v, _ := strings.Cut(c, ":")
			switch kind {
			case "s":
				shared = append(shared, v)
				sheet.WriteString(`<c t="s"><v>` + itoa(len(shared)-1) + `</v></c>`)
			case "n":
				val, style, ok := strings.Cut(v, "@")
				if ok {
					sheet.WriteString(`<c s="` + style + `"><v>` + val + `</v></c>`)
				} else {
					sheet.WriteString(`<c><v>` + val + `</v></c>`)
				}
			}
		}
		sheet.WriteString("</row>")
	}
	sheet.WriteString(`</sheetData></worksheet>`)
	put("xl/worksheets/sheet1.xml", sheet.String())
	var ss strings.Builder
	ss.WriteString(`<?xml version="1.0"?><sst ` + ns + `>`)
	for _, s := range shared {
		ss.WriteString("<si><t>" + s + "</t></si>")
	}
	ss.WriteString("</sst>")
	put("xl/sharedStrings.xml", ss.String())
	var st strings.Builder
	st.WriteString(`<?xml version="1.0"?><styleSheet ` + ns + `><numFmts>`)
	for id, code := range numFmts {
		var esc bytes.Buffer
		xml.EscapeText(&esc, []byte(code))
		st.WriteString(`<numFmt numFmtId="` + itoa(id) + `" formatCode="` + strings.ReplaceAll(esc.String(), `"`, "&quot;") + `"/>`)
	}
	st.WriteString(`</numFmts><cellXfs>`)
	for _, id := range xfs {
		st.WriteString(`<xf numFmtId="` + itoa(id) + `"/>`)
	}
	st.WriteString(`</cellXfs></styleSheet>`)
	put("xl/styles.xml", st.String())
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// A workbook's dates are day counts and its amounts bare numbers; the cell
// styles say which, and the text says them as a person reads them.
func TestXLSXNumbersAsTheirStylesShowThem(t *testing.T) {
	data := xlsxOf(t, [][]string{
		{"s:Month", "s:Income", "s:Notices"},
		{"n:45292@1", "n:168204.5@2", "n:251"},
		{"n:45323@1", "n:159877.25@2", "n:238"},
		{"n:45306@3", "n:12@0", "n:3"},
		{"s:Total", "n:328081.75@4", "n:489"},
	}, map[int]string{164: "mmm yyyy", 165: `"£"#,##0.00`, 166: `[$£-809]#,##0.00`}, []int{0, 164, 165, 14, 166})
	got, err := XLSX(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Month | Income | Notices",
		"January 2024 | £168,204.50 | 251",
		"February 2024 | £159,877.25 | 238",
		"15 January 2024 | 12 | 3",
		"Total | £328,081.75 | 489",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no line %q in:\n%s", want, got)
		}
	}
}

func TestFormatOfCodes(t *testing.T) {
	for _, c := range []struct {
		id   int
		code string
		want cellFormat
	}{
		{14, "", fmtDate}, {17, "", fmtMonth}, {0, "", fmtNumber}, {3, "", fmtNumber},
		{164, "dd/mm/yyyy", fmtDate}, {165, "mmm-yy", fmtMonth}, {166, `"£"#,##0`, fmtPounds},
		{167, `[$£-809]#,##0.00`, fmtPounds}, {168, `0.00"m"`, fmtNumber}, {169, `[Red]#,##0`, fmtNumber},
		{170, `"Month "0`, fmtNumber},
	} {
		if got := formatOf(c.id, c.code); got != c.want {
			t.Errorf("formatOf(%d, %q) = %d, want %d", c.id, c.code, got, c.want)
		}
	}
}
