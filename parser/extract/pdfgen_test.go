package extract

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/foiwatch/foiwatch/parser/scantest"
)

// The PDF fixtures in testdata are written by this file:
//
//	go test ./parser/extract/ -run TestPDFFixtures -update
//
// The encrypted ones need qpdf (apt-get install qpdf); without it they are
// left as they are.
var update = flag.Bool("update", false, "rewrite the PDF fixtures in testdata")

// pdfText is one text run placed at (x, y) points from the bottom left, in
// Helvetica at size pt, the way Word's PDF export places each run.
type pdfText struct {
	x, y, size float64
	s          string
}

// winAnsi encodes s for a Type1 font with WinAnsiEncoding.
func winAnsi(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '(' || r == ')' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x80:
			b.WriteRune(r)
		case r == '£':
			b.WriteString(`\243`)
		case r == '’':
			b.WriteString(`\222`)
		case r == '–':
			b.WriteString(`\226`)
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// pdfDoc writes a PDF with the given objects (1-based, without "n 0 obj"),
// a correct xref table, and the trailer.
func pdfDoc(objs []string) []byte { return scantest.PDF(objs) }

func stream(content string) string {
	return fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content)
}

// textPDF lays out pages of text runs. Objects: 1 catalog, 2 pages, 3 font,
// then a page and its content per page.
func textPDF(pages [][]pdfText) []byte {
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"}
	var kids []string
	for _, page := range pages {
		pageObj := len(objs) + 1
		kids = append(kids, fmt.Sprintf("%d 0 R", pageObj))
		var c strings.Builder
		for _, t := range page {
			fmt.Fprintf(&c, "BT /F1 %g Tf 1 0 0 1 %g %g Tm (%s) Tj ET\n", t.size, t.x, t.y, winAnsi(t.s))
		}
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", pageObj+1),
			stream(c.String()))
	}
	objs[1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages))
	return pdfDoc(objs)
}

// letterPages is a two-page FOI reply as Word exports it: each list number
// is its own run at the list indent, its text another run at the tab stop.
func letterPages() [][]pdfText {
	const left, num, text = 72.0, 72.0, 96.0
	y := 770.0
	var p1, p2 []pdfText
	line := func(p *[]pdfText, x float64, s string) {
		*p = append(*p, pdfText{x, y, 11, s})
	}
	next := func(gap float64) { y -= gap }

	line(&p1, 360, "Office of the Police and Crime")
	next(14)
	line(&p1, 360, "Commissioner for Norfolk")
	next(28)
	line(&p1, left, "Our ref: FOI/OPCCN/239")
	next(14)
	line(&p1, left, "Date: 17 June 2024")
	next(28)
	line(&p1, left, "Dear Member of Public,")
	next(28)
	line(&p1, left, "RE: Freedom of Information Request FOI/OPCCN/239")
	next(28)
	line(&p1, left, "I have reviewed our records and can advise the following:")
	next(28)
	answers := []string{
		"The Change Hub Perpetrator Behaviour Change Intervention.",
		"None, police referrals only.",
		"None, police referrals only.",
		"None, police referrals only.",
		"12.",
		"11.",
		"10.",
		"Police referrals only.",
		"Office of the Police and Crime Commissioner for Norfolk.",
		"£125,000 per annum.",
	}
	for i, a := range answers[:7] {
		line(&p1, num, fmt.Sprintf("%d.", i+1))
		line(&p1, text, a)
		next(18)
	}
	y = 770
	for i, a := range answers[7:] {
		line(&p2, num, fmt.Sprintf("%d.", i+8))
		line(&p2, text, a)
		next(18)
	}
	next(18)
	line(&p2, left, "Yours sincerely")
	next(28)
	line(&p2, left, "Leah Smith")
	return [][]pdfText{p1, p2}
}

func letterPDF() []byte { return textPDF(letterPages()) }

// imagePDF is a page holding only an image, as a scanner writes it.
func imagePDF() []byte {
	img := strings.Repeat("\x00\xff", 32)
	return pdfDoc([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>",
		stream("q 400 0 0 600 90 120 cm /Im1 Do Q"),
		fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>\nstream\n%s\nendstream", len(img), img),
	})
}

// loopPDF has a page tree whose Pages node lists itself among its kids.
func loopPDF() []byte {
	return pdfDoc([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
		stream("BT /F1 11 Tf 72 770 Td (Looped page text) Tj ET"),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	})
}

func TestPDFFixtures(t *testing.T) {
	fixtures := map[string][]byte{
		"letter.pdf":     letterPDF(),
		"image-only.pdf": imagePDF(),
		"page-loop.pdf":  loopPDF(),
	}
	l := letterPDF()
	fixtures["truncated.pdf"] = l[:len(l)*6/10]
	if !*update {
		for name := range fixtures {
			if _, err := os.Stat(filepath.Join("testdata", name)); err != nil {
				t.Errorf("fixture missing: %v (run with -update)", err)
			}
		}
		return
	}
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range fixtures {
		if err := os.WriteFile(filepath.Join("testdata", name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	qpdf, err := exec.LookPath("qpdf")
	if err != nil {
		t.Log("qpdf not installed: encrypted fixtures left as they are")
		return
	}
	in := filepath.Join("testdata", "letter.pdf")
	for _, c := range []struct{ out, user string }{
		{"encrypted-empty-password.pdf", ""},
		{"encrypted-user-password.pdf", "secret"},
	} {
		cmd := exec.Command(qpdf, "--encrypt", c.user, "owner-pw", "256", "--", in, filepath.Join("testdata", c.out))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("qpdf %s: %v\n%s", c.out, err, out)
		}
	}
}
