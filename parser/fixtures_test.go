package parser

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/parser/scantest"
)

// Fixtures with binary attachments are written by code, so that they can be
// read and changed: go test ./parser -run TestWriteFixtures -update writes
// testdata/docx-table.eml and testdata/pdf-columns.eml (TestGolden then
// compares their Replies).

// tableRows are the rows of the question/answer tables of both fixtures.
var docxRows = [][2]string{
	{"Name of the service commissioned to work with stalking perpetrators", "Borsetshire Stalking Perpetrator Programme (BSPP)"},
	{"Number of individuals who referred themselves", "None – the programme takes agency referrals only."},
	{"Number of individuals referred by another agency", "a total of 16"},
	{"Number of individuals who completed the service", "No recorded information is held."},
	{"Names of the agencies that referred individuals", "Borsetshire Police and Probation"},
	{"Link to any evaluation", "The evaluation is at https://www.borsetshire.example.gov.uk/bspp-evaluation"},
	{"Organisations that fund the service", "Borsetshire County Council; OPCC for Borsetshire"},
	{"Total budget of the service", "£92,000 per annum"},
}

func docxTable() []byte {
	const wNS = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`
	para := func(s string) string {
		return `<w:p><w:r><w:t xml:space="preserve">` + html.EscapeString(s) + `</w:t></w:r></w:p>`
	}
	cell := func(s string, bold bool) string {
		rpr := ""
		if bold {
			rpr = `<w:rPr><w:b/></w:rPr>`
		}
		return `<w:tc><w:p><w:r>` + rpr + `<w:t xml:space="preserve">` + html.EscapeString(s) + `</w:t></w:r></w:p></w:tc>`
	}
	var b strings.Builder
	b.WriteString(para("Freedom of Information Act 2000 – Our reference: BCC-FOI-23-1029"))
	b.WriteString(para("Dear Requester,"))
	b.WriteString(para("Borsetshire County Council has now considered your request of 1 November 2023. Our response to each question is set out in the table below."))
	b.WriteString(`<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr><w:tblGrid><w:gridCol/><w:gridCol/></w:tblGrid>`)
	b.WriteString(`<w:tr>` + cell("Question", true) + cell("Response", true) + `</w:tr>`)
	for _, r := range docxRows {
		b.WriteString(`<w:tr>` + cell(r[0], true) + cell(r[1], false) + `</w:tr>`)
	}
	b.WriteString(`</w:tbl>`)
	b.WriteString(para("If you are not satisfied with this response you may ask for an internal review."))
	b.WriteString(para("Yours sincerely,"))
	b.WriteString(para("Information Governance, Borsetshire County Council"))
	doc := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ` + wNS + `><w:body>` + b.String() + `</w:body></w:document>`
	files := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		{"word/document.xml", doc},
	}
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: time.Date(2023, 11, 20, 9, 0, 0, 0, time.UTC)})
		if err != nil {
			panic(err)
		}
		w.Write([]byte(f.body))
	}
	zw.Close()
	return zb.Bytes()
}

// pdfColumns is a one-page PDF letter whose answers are in a table of three
// columns (number, question, answer), as Word exports it: each cell's
// lines are runs placed in its column, the question wrapping over two
// lines, the answer on the row's first line.
func pdfColumns() []byte {
	type run struct {
		x, y float64
		s    string
	}
	var runs []run
	y := 780.0
	line := func(x float64, s string) { runs = append(runs, run{x, y, s}) }
	line(330, "Fenland Constabulary")
	y -= 14
	line(330, "Freedom of Information Unit")
	y -= 28
	line(56, "Our reference: 2023/FOI/0388")
	y -= 14
	line(56, "Date: 4 December 2023")
	y -= 28
	line(56, "Dear Requester,")
	y -= 20
	line(56, "Fenland Constabulary has searched its records. The answers are given below.")
	y -= 28
	line(56, "No.")
	line(84, "Question")
	line(340, "Answer")
	y -= 20
	rows := []struct {
		q1, q2, a1, a2 string
	}{
		{"The name of the service commissioned to", "work with perpetrators of stalking", "Fenland Stalking Clinic (FSC)", ""},
		{"The number of individuals who referred", "themselves to the service", "Nil", ""},
		{"The number of individuals referred to the", "service by another agency", "22 (twenty-two)", ""},
		{"The number of individuals who completed", "the service", "less than five", "(s.40(2) applies)"},
		{"The names of the agencies that referred", "individuals to the service", "Fenland Constabulary, National", "Probation Service and MARAC"},
		{"The organisations that fund the service", "", "Fenland OPCC", ""},
		{"The total budget of the service", "", "£1.2m over three years", ""},
	}
	for i, r := range rows {
		line(56, fmt.Sprintf("%d", i+1))
		line(84, r.q1)
		line(340, r.a1)
		y -= 14
		if r.q2 != "" || r.a2 != "" {
			if r.q2 != "" {
				line(84, r.q2)
			}
			if r.a2 != "" {
				line(340, r.a2)
			}
			y -= 14
		}
		y -= 8
	}
	y -= 20
	line(56, "Yours sincerely,")
	y -= 14
	line(56, "Disclosure Officer")

	var c strings.Builder
	for _, r := range runs {
		s := strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`, "£", `\243`).Replace(r.s)
		fmt.Fprintf(&c, "BT /F1 10 Tf 1 0 0 1 %g %g Tm (%s) Tj ET\n", r.x, r.y, s)
	}
	content := c.String()
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
	}
	return scantest.PDF(objs)
}

// emailWith is a message with a short body and one base64 attachment.
func emailWith(headers, body, ctype, filename string, data []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(data)
	var wrapped strings.Builder
	for len(enc) > 76 {
		wrapped.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	wrapped.WriteString(enc + "\r\n")
	s := strings.ReplaceAll(headers+"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"att-1\"\n\n--att-1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"+body+"\n--att-1\nContent-Type: "+ctype+"; name=\""+filename+"\"\nContent-Disposition: attachment; filename=\""+filename+"\"\nContent-Transfer-Encoding: base64\n\n", "\n", "\r\n")
	return []byte(s + wrapped.String() + "\r\n--att-1--\r\n")
}

func docxTableEmail() []byte {
	return emailWith("From: Information Governance <foi@borsetshire.example.gov.uk>\nTo: researcher@requests.example.org\nSubject: Your Freedom of Information request\nDate: Mon, 20 Nov 2023 09:12:00 +0000\nMessage-ID: <bcc-foi-23-1029@borsetshire.example.gov.uk>\n",
		"Dear Requester,\n\nPlease find attached our response to your request for information.\n\nKind regards,\nInformation Governance Team",
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "BCC-FOI-23-1029 response.docx", docxTable())
}

func pdfColumnsEmail() []byte {
	return emailWith("From: Freedom of Information <foi@fenland.example.police.uk>\nTo: researcher@requests.example.org\nSubject: FOI 2023/FOI/0388 response\nDate: Mon, 4 Dec 2023 14:00:00 +0000\nMessage-ID: <foi-0388@fenland.example.police.uk>\n",
		"Good afternoon,\n\nPlease find our response attached.\n\nFreedom of Information Unit",
		"application/octet-stream", "FOI 0388 Response.pdf", pdfColumns())
}

func TestWriteFixtures(t *testing.T) {
	for name, data := range map[string][]byte{
		"testdata/docx-table.eml":  docxTableEmail(),
		"testdata/pdf-columns.eml": pdfColumnsEmail(),
	} {
		if *update {
			if err := os.WriteFile(name, data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if old, err := os.ReadFile(name); err != nil || !bytes.Equal(old, data) {
			t.Errorf("%s is not what its generator writes (run go test ./parser -run TestWriteFixtures -update)", name)
		}
	}
}
