package parser

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
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
// pdftoppm at 200 dpi, turned by 1 degree, blurred, speckled with a fixed
// seed, saved as JPEG and wrapped into an image-only PDF
// (scantest.ScanPDF). The scan goes back into the email in place of the
// original (a PDF keeps its part headers and filename; a Word document
// becomes "<name>.pdf"), and both emails must give the same kind,
// reference and answers.

// docxType is the media type of a Word document.
const docxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

func TestScannedFixturesGiveTheSameAnswersAsTheOriginals(t *testing.T) {
	for _, tool := range []string{"tesseract", "pdftoppm", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (apt-get install -y tesseract-ocr poppler-utils): skipping the scanned-fixture test", tool)
		}
	}
	qs := testQuestions(t)
	ctx := context.Background()
	files, _ := filepath.Glob("testdata/*.eml")
	covered := map[string]int{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		original, err := Parse(ctx, raw, qs, nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var letters []Attachment
		for _, a := range original.Attachments {
			if (a.ContentType == "application/pdf" || a.ContentType == docxType) && a.TextChars > 0 && !a.OCR {
				letters = append(letters, a)
				covered[a.ContentType]++
			}
		}
		if len(letters) == 0 {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(f), ".eml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			scanned := raw
			scanNames := map[string]bool{}
			for _, a := range letters {
				seed := scantest.Letter(uint64(len(a.Filename)))
				if a.ContentType == "application/pdf" {
					scanned = replaceAttachment(t, scanned, a.Filename, "", func(pdf []byte) []byte {
						scan, err := scantest.ScanPDF(ctx, pdf, seed)
						if err != nil {
							t.Fatal(err)
						}
						return scan
					})
					scanNames[a.Filename] = true
					continue
				}
				pdfName := strings.TrimSuffix(a.Filename, filepath.Ext(a.Filename)) + ".pdf"
				scanned = replaceAttachment(t, scanned, a.Filename, pdfName, func(docx []byte) []byte {
					html, err := scantest.DOCXHTML(docx)
					if err != nil {
						t.Fatal(err)
					}
					pdf, err := scantest.PrintHTML(ctx, html)
					if errors.Is(err, scantest.ErrNoChromium) {
						t.Skip(err)
					}
					if err != nil {
						t.Fatal(err)
					}
					scan, err := scantest.ScanPDF(ctx, pdf, seed)
					if err != nil {
						t.Fatal(err)
					}
					return scan
				})
				scanNames[pdfName] = true
			}
			start := time.Now()
			got, err := Parse(ctx, scanned, qs, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("scanned copy parsed in %v", time.Since(start).Round(time.Millisecond))
			compareScanned(t, original, got, qs)
			for n := range scanNames {
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
	if covered["application/pdf"] == 0 || covered[docxType] == 0 {
		t.Fatalf("fixtures with a letter to scan, by type: %v; want PDF and Word letters", covered)
	}
}

// compareScanned requires the Reply of the scanned copy to give the same
// kind, reference and, for every question, the same status and value as the
// Reply of the original.
func compareScanned(t *testing.T, original, got *Reply, qs []Question) {
	t.Helper()
	if got.Kind != original.Kind {
		t.Errorf("kind %s, want %s", got.Kind, original.Kind)
	}
	if got.Reference != original.Reference {
		t.Errorf("reference %q, want %q", got.Reference, original.Reference)
	}
	for _, q := range qs {
		a, o := got.Answers[q.Key], original.Answers[q.Key]
		if a.Status != o.Status || !reflect.DeepEqual(a.Value, o.Value) {
			t.Errorf("%s: %s %#v (from %q), want %s %#v (from %q)", q.Key, a.Status, a.Value, a.Text, o.Status, o.Value, o.Text)
		}
	}
	if t.Failed() {
		t.Logf("warnings of the scanned copy: %q", got.Warnings)
	}
}

// replaceAttachment finds the base64 part of raw whose filename is filename
// and replaces its body with repl of its decoded body, keeping every other
// byte of the message. With newName "" the part keeps its headers; else it
// gets new ones: a PDF attachment named newName.
func replaceAttachment(t *testing.T, raw []byte, filename, newName string, repl func([]byte) []byte) []byte {
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
