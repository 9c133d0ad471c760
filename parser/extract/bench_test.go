package extract

import (
	"bytes"
	"context"
	"strings"
	"syscall"
	"testing"
)

// benchHTML is a reply of the size Outlook sends: the letter as list
// paragraphs and a table, with Outlook's head.
func benchHTML() []byte {
	var b strings.Builder
	b.WriteString(outlookList)
	b.WriteString("<table>")
	for i := range 50 {
		b.WriteString("<tr><td>Programme ")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString("</td><td>127</td><td>£125,000 per annum</td></tr>")
	}
	b.WriteString("</table>")
	for range 40 {
		b.WriteString("<p class=MsoNormal>If you are dissatisfied with the way in which your request has been handled, you should write within 40 days.<o:p></o:p></p>")
	}
	return []byte(b.String())
}

func BenchmarkHTML(b *testing.B) {
	data := benchHTML()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := HTML(bytes.NewReader(data), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPDFLetter(b *testing.B) {
	needPdftotext(b)
	data := readFixture(b, "letter.pdf")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PDF(context.Background(), data, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
	// Peak resident memory of the largest child so far (pdftotext).
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "child-maxRSS-MiB")
	}
}

func BenchmarkDOCX(b *testing.B) {
	data := letterDOCX(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DOCX(data, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}
