package extract

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzLimits keep each fuzz run small, so the fuzzer explores instead of
// inflating.
var fuzzLimits = &Limits{MaxInput: 1 << 20, MaxOutput: 4096, MaxUncompressed: 1 << 20, MaxZipEntries: 64}

func checkText(t *testing.T, got string, err error) {
	t.Helper()
	if !utf8.ValidString(got) {
		t.Fatalf("invalid UTF-8 in output")
	}
	if n := utf8.RuneCountInString(got); n > fuzzLimits.MaxOutput {
		t.Fatalf("output of %d characters over the limit", n)
	}
	if err != nil && !strings.HasPrefix(err.Error(), "extract: ") {
		t.Fatalf("error without the package prefix: %v", err)
	}
	if err != nil && got != "" && !errors.Is(err, ErrTruncated) {
		t.Fatalf("text %q returned with a non-truncation error %v", got, err)
	}
}

func FuzzHTML(f *testing.F) {
	for _, s := range []string{
		"", "<p>a</p>", outlookList, "<ol start=5><li>12.</li></ol>", "<table><tr><td>a<td>b</table>",
		strings.Repeat("<div>", 600) + "x", strings.Repeat("<ol><li>", 100) + "<pre>a\n b</pre>",
		"<a href='http://x'>y</a><script>z", "<svg><text>t</text></svg><math>m</math>", "<p>&pound;&nbsp;\ufb01</p>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := HTML(bytes.NewReader(data), fuzzLimits)
		checkText(t, got, err)
	})
}

func FuzzDOCX(f *testing.F) {
	f.Add(letterDOCX(f))
	f.Add(buildZip(f, docxParts(numPara(1, 0, "a")+numPara(4, 1, "b")+`<w:tbl><w:tr><w:tc><w:tbl><w:tr><w:tc>`+para("n")+`</w:tc></w:tr></w:tbl></w:tc></w:tr></w:tbl>`,
		"word/numbering.xml", numberingXML, "word/styles.xml", stylesXML)...))
	f.Add(buildZip(f, "word/document.xml", billionLaughs))
	f.Add(buildZip(f, "word/document.xml", "<w:document "+wNS+"><w:body><w:p><w:r><w:t>x"))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DOCX(data, fuzzLimits)
		checkText(t, got, err)
	})
}

func FuzzSniff(f *testing.F) {
	for _, s := range []string{"", "%PDF-1.4", "PK\x03\x04", "\xff\xd8\xff", "<html>", "\ufeff<!doctype html>", "<?xml", "text", "II*\x00"} {
		f.Add([]byte(s))
	}
	f.Add(letterDOCX(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		switch got := Sniff(data); got {
		case FormatPDF, FormatDOCX, FormatHTML, FormatText, FormatJPEG, FormatPNG, FormatTIFF, FormatZIP, FormatUnknown:
			if got == FormatText && (!utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0) {
				t.Fatalf("binary data sniffed as text")
			}
		default:
			t.Fatalf("Sniff returned %q", got)
		}
	})
}

// FuzzParseTSV: whatever tesseract prints, laying it out never panics,
// counts no more words than it was given, and keeps each word's text.
func FuzzParseTSV(f *testing.F) {
	head := "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
	for _, s := range []string{
		"", head,
		head + "5\t1\t1\t1\t1\t1\t100\t100\t40\t20\t96\tThe\n5\t1\t1\t1\t1\t2\t700\t100\t70\t20\t95\tAnswer\n5\t1\t1\t1\t2\t1\t101\t130\t40\t20\t90\tnext\n",
		head + "5\t1\t1\t1\t1\t1\t-5\t99999999999\t0\t0\t50\t|\n5\t1\t2\t1\t1\t1\t0\t0\t2\t2\t40\t_x\n",
		head + "5\t1\t1\t1\t1\t1\t2147483647\t10\t2147483647\t10\t99\t“‘quoted\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		o := parseTSV(data)
		rows := bytes.Count(data, []byte("\n")) + 1
		if o.words > rows || o.words < 0 {
			t.Fatalf("%d words from %d rows", o.words, rows)
		}
		if o.confSum < 0 || o.confSum > float64(o.words)*1e308 {
			t.Fatalf("confidence sum %v", o.confSum)
		}
	})
}
