package scantest

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// docxOf returns a .docx whose word/document.xml has body inside w:body.
func docxOf(t *testing.T, body string) []byte {
	t.Helper()
	return docxZip(t, map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>`,
		"word/document.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` +
			body + `<w:sectPr/></w:body></w:document>`,
	})
}

func docxZip(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func docxPara(runs ...string) string { return "<w:p>" + strings.Join(runs, "") + "</w:p>" }

func docxRun(text string) string {
	return `<w:r><w:t xml:space="preserve">` + text + `</w:t></w:r>`
}

func docxBoldRun(text string) string {
	return `<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">` + text + `</w:t></w:r>`
}

func docxListPara(numID, level, text string) string {
	return `<w:p><w:pPr><w:numPr><w:ilvl w:val="` + level + `"/><w:numId w:val="` + numID + `"/></w:numPr></w:pPr>` + docxRun(text) + `</w:p>`
}

func docxCell(text string) string { return "<w:tc>" + docxPara(docxRun(text)) + "</w:tc>" }

// docxLetterBody is a short council reply: a bold figure, a two-by-two table
// and a numbered list.
var docxLetterBody = docxPara(docxRun("Dear Requester,")) +
	docxPara(docxRun("We hold "), docxBoldRun("12"), docxRun(" records &amp; none &lt;elsewhere&gt;.")) +
	docxPara(`<w:r><w:rPr><w:b w:val="0"/></w:rPr><w:t>Plain words</w:t></w:r>`) +
	docxPara(`<w:r><w:rPr><w:i/></w:rPr><w:t>Leaning words</w:t></w:r>`) +
	docxPara(docxRun("Our ref:"), `<w:r><w:tab/></w:r>`, docxRun("FOI-1"), `<w:r><w:br/><w:t>Next line</w:t></w:r>`) +
	docxPara(`<w:del><w:r><w:delText>withdrawn words</w:delText></w:r></w:del>`, docxRun("Kept words")) +
	`<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr>` +
	"<w:tr>" + docxCell("Question") + docxCell("Answer") + "</w:tr>" +
	"<w:tr>" + docxCell("Number of staff") + docxCell("a total of 16") + "</w:tr>" +
	"</w:tbl>" +
	docxListPara("1", "0", "First question") +
	docxListPara("1", "0", "Second question") +
	docxPara() +
	docxPara(docxRun("Yours sincerely,"))

func TestDOCXHTML(t *testing.T) {
	tests := []struct {
		name    string
		docx    []byte
		want    []string // in the HTML
		notWant []string
		wantErr string
	}{
		{
			name: "letter",
			docx: docxOf(t, docxLetterBody),
			want: []string{
				"@page { size: A4; margin: 25mm }",
				"<p>Dear Requester,</p>",
				"We hold <b>12</b> records &amp; none &lt;elsewhere&gt;.",
				"<p>Plain words</p>",
				"<i>Leaning words</i>",
				"Our ref:&emsp;&emsp;FOI-1<br>Next line",
				"<p>Kept words</p>",
				"<table>",
				"<tr><td><p>Question</p></td><td><p>Answer</p></td></tr>",
				"<tr><td><p>Number of staff</p></td><td><p>a total of 16</p></td></tr>",
				"<p>1. First question</p>",
				"<p>2. Second question</p>",
				"<p><br></p>",
				"<p>Yours sincerely,</p>",
			},
			notWant: []string{"<b>Plain", "withdrawn"},
		},
		{
			name: "list levels",
			docx: docxOf(t, docxListPara("3", "0", "One")+docxListPara("3", "1", "One a")+docxListPara("3", "1", "One b")+
				docxListPara("3", "0", "Two")+docxListPara("3", "1", "Two a")+docxListPara("4", "0", "Other list")+docxListPara("0", "0", "Not numbered")),
			want: []string{"<p>1. One</p>", "<p>1. One a</p>", "<p>2. One b</p>", "<p>2. Two</p>", "<p>1. Two a</p>", "<p>1. Other list</p>", "<p>Not numbered</p>"},
		},
		{
			name: "nested table",
			docx: docxOf(t, "<w:tbl><w:tr><w:tc>"+docxPara(docxRun("Outer"))+"<w:tbl><w:tr>"+docxCell("Inner")+"</w:tr></w:tbl>"+docxPara()+"</w:tc></w:tr></w:tbl>"),
			want: []string{"<td><p>Outer</p><table>\n<tr><td><p>Inner</p></td></tr>\n</table>\n<p><br></p></td></tr>"},
		},
		{name: "not a zip", docx: []byte("Dear Requester,"), wantErr: "not a zip"},
		{name: "no document part", docx: docxZip(t, map[string]string{"word/styles.xml": "<w:styles/>"}), wantErr: "has no word/document.xml"},
		{name: "broken xml", docx: docxZip(t, map[string]string{"word/document.xml": `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p>`}), wantErr: "reading word/document.xml"},
		{name: "not word xml", docx: docxZip(t, map[string]string{"word/document.xml": `<html><p>Dear Requester,</p></html>`}), wantErr: "not a WordprocessingML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DOCXHTML(tt.docx)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "scantest: ") {
					t.Fatalf("err = %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("HTML lacks %q; it is:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("HTML has %q; it is:\n%s", w, got)
				}
			}
		})
	}
}

// printedText prints html with PrintHTML and returns the PDF's text as
// `pdftotext -layout` reads it, skipping the test when a tool is missing.
func printedText(t *testing.T, html string) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext is not installed (apt-get install -y poppler-utils)")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	start := time.Now()
	pdf, err := PrintHTML(ctx, html)
	if errors.Is(err, ErrNoChromium) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("printed %d bytes of PDF in %v", len(pdf), time.Since(start).Round(time.Millisecond))
	cmd := exec.CommandContext(ctx, "pdftotext", "-layout", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// A table row: both cells on one line, apart.
func printedRowRE(a, b string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(a) + ` {2,}` + regexp.QuoteMeta(b) + `\s*$`)
}

func TestPrintHTMLLetter(t *testing.T) {
	t.Parallel()
	const letter = `<!DOCTYPE html><html><head><style>
@page { size: A4; margin: 25mm }
body { font-family: "Liberation Sans"; font-size: 11pt }
td { padding: 4pt 14pt 4pt 0 }
</style></head><body>
<p>Dear Requester,</p>
<p>Borsetshire County Council holds the information – the budget is £92,000.</p>
<table><tr><td style="width: 45%">Number of staff</td><td>a total of 16</td></tr></table>
<p>Yours sincerely,</p>
</body></html>`
	text := printedText(t, letter)
	for _, w := range []string{"Dear Requester,", "Borsetshire County Council holds the information – the budget is £92,000.", "Yours sincerely,"} {
		if !strings.Contains(text, w) {
			t.Errorf("printed text lacks %q; it is:\n%s", w, text)
		}
	}
	if !printedRowRE("Number of staff", "a total of 16").MatchString(text) {
		t.Errorf("printed text lacks the table row on one line; it is:\n%s", text)
	}
	// No header with the date and title, no footer with the file's URL.
	if strings.Contains(text, "file://") || strings.Contains(text, "1/1") {
		t.Errorf("printed text has Chromium's header or footer; it is:\n%s", text)
	}
}

func TestPrintDOCXHTML(t *testing.T) {
	t.Parallel()
	html, err := DOCXHTML(docxOf(t, docxLetterBody))
	if err != nil {
		t.Fatal(err)
	}
	text := printedText(t, html)
	for _, w := range []string{"Dear Requester,", "We hold 12 records & none <elsewhere>.", "1. First question", "2. Second question", "Yours sincerely,"} {
		if !strings.Contains(text, w) {
			t.Errorf("printed text lacks %q; it is:\n%s", w, text)
		}
	}
	if strings.Contains(text, "withdrawn") {
		t.Errorf("printed text has deleted words; it is:\n%s", text)
	}
	if !regexp.MustCompile(`Our ref: {2,}FOI-1`).MatchString(text) {
		t.Errorf("printed text lacks the tab as a gap; it is:\n%s", text)
	}
	for _, row := range [][2]string{{"Question", "Answer"}, {"Number of staff", "a total of 16"}} {
		if !printedRowRE(row[0], row[1]).MatchString(text) {
			t.Errorf("printed text lacks the row %q on one line; it is:\n%s", row, text)
		}
	}
}

func TestPrintHTMLStopsWithItsContext(t *testing.T) {
	if _, err := chromiumPath(); err != nil {
		t.Skip(err)
	}
	t.Parallel()
	// A page whose script never ends is never printed; only the deadline
	// stops Chromium.
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := PrintHTML(ctx, `<!DOCTYPE html><p>Never printed</p><script>for (;;) {}</script>`)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("PrintHTML returned %v after its deadline of 500ms", d)
	}
}
