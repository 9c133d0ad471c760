package parser

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/parser/scantest"
)

// Issue 9: `foiwatch parse` of a scanned copy of each text fixture gives the
// same answers as the original. For every testdata/*.eml whose letter is an
// attachment with text (a PDF with a text layer, or a Word document), the
// letter is printed and scanned at test time: a PDF as it is, a Word
// document first laid out as HTML and printed to PDF by chromium
// (scantest.DOCXHTML, scantest.PrintHTML); the pages are rendered by
// pdftoppm at 200 dpi, turned by 1 degree, blurred, saved as JPEG and
// wrapped into an image-only PDF (scantest.ScanPDF), once clean and once
// speckled as well (0.1% of pixels flipped, 200 specks of dust, a fixed
// seed). The scan goes back into the email in place of the original (a
// PDF keeps its part headers and filename; a Word document becomes
// "<name>.pdf"), and both emails must give the same kind, reference and
// answers.
//
// How often a speckled scan gives the same answers depends on where the
// specks fall; BenchmarkScannedFixtures measures it over many seeds.

// docxType is the media type of a Word document.
const docxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

// scanFixture is a fixture whose letter can be printed and scanned.
type scanFixture struct {
	name     string
	raw      []byte
	original *Reply
	letters  []Attachment // the attachments to scan
	printed  [][]byte     // each letter as a PDF with a text layer
}

// scanFixtures returns the fixtures in testdata whose letter is a PDF with
// a text layer or a Word document, each letter printed to PDF. It skips tb
// when the tools are missing.
func scanFixtures(tb testing.TB, qs []Question) []scanFixture {
	tb.Helper()
	for _, tool := range []string{"tesseract", "pdftoppm", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Skipf("%s is not installed (apt-get install -y tesseract-ocr poppler-utils): skipping the scanned fixtures", tool)
		}
	}
	ctx := context.Background()
	files, _ := filepath.Glob("testdata/*.eml")
	var out []scanFixture
	covered := map[string]int{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		original, err := Parse(ctx, raw, &Asked{Questions: qs}, nil)
		if err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		fx := scanFixture{name: strings.TrimSuffix(filepath.Base(f), ".eml"), raw: raw, original: original}
		for _, a := range original.Attachments {
			if (a.ContentType != "application/pdf" && a.ContentType != docxType) || a.TextChars == 0 || a.OCR {
				continue
			}
			body := attachmentBody(tb, raw, a.Filename)
			if a.ContentType == docxType {
				html, err := scantest.DOCXHTML(body)
				if err != nil {
					tb.Fatalf("%s: %v", f, err)
				}
				body, err = scantest.PrintHTML(ctx, html)
				if errors.Is(err, scantest.ErrNoChromium) {
					tb.Skip(err)
				}
				if err != nil {
					tb.Fatalf("%s: %v", f, err)
				}
			}
			fx.letters = append(fx.letters, a)
			fx.printed = append(fx.printed, body)
			covered[a.ContentType]++
		}
		if len(fx.letters) > 0 {
			out = append(out, fx)
		}
	}
	if covered["application/pdf"] == 0 || covered[docxType] == 0 {
		tb.Fatalf("fixtures with a letter to scan, by type: %v; want PDF and Word letters", covered)
	}
	return out
}

// scanned returns fx's email with each letter replaced by its scan, and
// the names the scans have in it.
func (fx scanFixture) scanned(tb testing.TB, sc scantest.Scan) ([]byte, []string) {
	tb.Helper()
	raw := fx.raw
	var names []string
	for i, a := range fx.letters {
		scan, err := scantest.ScanPDF(context.Background(), fx.printed[i], sc)
		if err != nil {
			tb.Fatal(err)
		}
		newName := ""
		if a.ContentType == docxType {
			newName = strings.TrimSuffix(a.Filename, filepath.Ext(a.Filename)) + ".pdf"
		}
		raw = replaceAttachment(tb, raw, a.Filename, newName, func([]byte) []byte { return scan })
		names = append(names, cmp.Or(newName, a.Filename))
	}
	return raw, names
}

func TestScannedFixturesGiveTheSameAnswersAsTheOriginals(t *testing.T) {
	qs := testQuestions(t)
	for _, fx := range scanFixtures(t, qs) {
		for _, v := range []struct {
			name string
			scan scantest.Scan
		}{
			{"clean", scantest.Scan{Rotate: 1, Blur: true}},
			{"speckled", scantest.Letter(uint64(len(fx.letters[0].Filename)))},
		} {
			t.Run(fx.name+"/"+v.name, func(t *testing.T) {
				t.Parallel()
				raw, names := fx.scanned(t, v.scan)
				start := time.Now()
				got, err := Parse(context.Background(), raw, &Asked{Questions: qs}, nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("scanned copy parsed in %v", time.Since(start).Round(time.Millisecond))
				for _, d := range scanDifferences(fx.original, got, qs) {
					t.Error(d)
				}
				if t.Failed() {
					t.Logf("warnings of the scanned copy: %q", got.Warnings)
				}
				for _, n := range names {
					var at *Attachment
					for i := range got.Attachments {
						if got.Attachments[i].Filename == n {
							at = &got.Attachments[i]
						}
					}
					switch {
					case at == nil:
						t.Errorf("the scanned copy has no attachment %q: %+v", n, got.Attachments)
					case !at.OCR || at.OCRConfidence <= 0 || at.TextChars == 0:
						t.Errorf("attachment %q of the scanned copy: ocr %v, confidence %v, %d chars; want read by OCR", n, at.OCR, at.OCRConfidence, at.TextChars)
					}
				}
				warned := false
				for _, w := range got.Warnings {
					if strings.Contains(strings.ToLower(w), "scan") {
						warned = true
					}
				}
				if !warned {
					t.Errorf("no warning that the values came from a scan: %q", got.Warnings)
				}
			})
		}
	}
}

// BenchmarkScannedFixtures measures how often a speckled scan of each
// fixture gives the same answers as the original, over b.N seeds each
// (go test ./parser -run '^$' -bench ScannedFixtures -benchtime 20x), and
// the time to parse a scanned copy. It reports "same-%" per fixture.
func BenchmarkScannedFixtures(b *testing.B) {
	qs := testQuestions(b)
	for _, fx := range scanFixtures(b, qs) {
		b.Run(fx.name, func(b *testing.B) {
			same := 0
			var parse time.Duration
			var diffs []string
			for i := range b.N {
				b.StopTimer()
				raw, _ := fx.scanned(b, scantest.Letter(uint64(1000+i)))
				b.StartTimer()
				start := time.Now()
				got, err := Parse(context.Background(), raw, &Asked{Questions: qs}, nil)
				parse += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if d := scanDifferences(fx.original, got, qs); len(d) == 0 {
					same++
				} else {
					diffs = append(diffs, fmt.Sprintf("seed %d: %s", 1000+i, strings.Join(d, "; ")))
				}
			}
			b.ReportMetric(100*float64(same)/float64(b.N), "same-%")
			b.ReportMetric(parse.Seconds()/float64(b.N), "s/scan")
			for _, d := range diffs {
				b.Log(d)
			}
		})
	}
}

// scanDifferences says where the Reply of a scanned copy differs from the
// Reply of the original in kind, reference, or any question's status or
// value.
func scanDifferences(original, got *Reply, qs []Question) []string {
	var d []string
	if got.Kind != original.Kind {
		d = append(d, fmt.Sprintf("kind %s, want %s", got.Kind, original.Kind))
	}
	if got.Reference != original.Reference {
		d = append(d, fmt.Sprintf("reference %q, want %q", got.Reference, original.Reference))
	}
	for _, q := range qs {
		a, o := got.Answers[q.Key], original.Answers[q.Key]
		if a.Status != o.Status || !reflect.DeepEqual(a.Value, o.Value) {
			d = append(d, fmt.Sprintf("%s: %s %#v (from %q), want %s %#v (from %q)", q.Key, a.Status, a.Value, a.Text, o.Status, o.Value, o.Text))
		}
	}
	return d
}

// attachmentBody is the decoded body of raw's attachment filename.
func attachmentBody(tb testing.TB, raw []byte, filename string) []byte {
	var body []byte
	replaceAttachment(tb, raw, filename, "", func(b []byte) []byte { body = b; return b })
	return body
}

// replaceAttachment finds the base64 part of raw whose filename is filename
// and replaces its body with repl of its decoded body, keeping every other
// byte of the message. With newName "" the part keeps its headers; else it
// gets new ones: a PDF attachment named newName.
func replaceAttachment(t testing.TB, raw []byte, filename, newName string, repl func([]byte) []byte) []byte {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		t.Fatalf("%q is not in a multipart message: %v", filename, err)
	}
	delim := []byte("--" + params["boundary"])
	// Split at the boundary lines, keeping them.
	var parts [][]byte
	rest := raw
	for {
		i := indexLine(rest, delim)
		if i < 0 {
			parts = append(parts, rest)
			break
		}
		parts = append(parts, rest[:i])
		rest = rest[i:]
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			parts = append(parts, rest)
			break
		}
		parts = append(parts, rest[:nl+1])
		rest = rest[nl+1:]
	}
	done := false
	for k, p := range parts {
		hdrEnd, sep := bytes.Index(p, []byte("\r\n\r\n")), 4
		if i := bytes.Index(p, []byte("\n\n")); i >= 0 && (hdrEnd < 0 || i < hdrEnd) {
			hdrEnd, sep = i, 2
		}
		if hdrEnd < 0 {
			continue
		}
		ph, err := mail.ReadMessage(bytes.NewReader(p))
		if err != nil {
			continue
		}
		_, dp, _ := mime.ParseMediaType(ph.Header.Get("Content-Disposition"))
		name, err := new(mime.WordDecoder).DecodeHeader(dp["filename"])
		if err != nil || name != filename || !strings.EqualFold(ph.Header.Get("Content-Transfer-Encoding"), "base64") {
			continue
		}
		body, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(p[hdrEnd+sep:])), ""))
		if err != nil {
			t.Fatalf("%s: %v", filename, err)
		}
		eol := "\n"
		if sep == 4 {
			eol = "\r\n"
		}
		var b bytes.Buffer
		if newName == "" {
			b.Write(p[:hdrEnd+sep])
		} else {
			b.WriteString("Content-Type: application/pdf; name=" + strconv.Quote(newName) + eol +
				"Content-Disposition: attachment; filename=" + strconv.Quote(newName) + eol +
				"Content-Transfer-Encoding: base64" + eol + eol)
		}
		enc := base64.StdEncoding.EncodeToString(repl(body))
		for len(enc) > 76 {
			b.WriteString(enc[:76] + eol)
			enc = enc[76:]
		}
		b.WriteString(enc + eol + eol)
		parts[k] = b.Bytes()
		done = true
	}
	if !done {
		t.Fatalf("no base64 part with filename %q", filename)
	}
	return bytes.Join(parts, nil)
}

// indexLine is the index in b of the first line that starts with prefix.
func indexLine(b, prefix []byte) int {
	for off := 0; off < len(b); {
		if bytes.HasPrefix(b[off:], prefix) {
			return off
		}
		nl := bytes.IndexByte(b[off:], '\n')
		if nl < 0 {
			return -1
		}
		off += nl + 1
	}
	return -1
}
