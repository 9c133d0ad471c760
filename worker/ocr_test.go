package worker_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/parser/scantest"
	"github.com/foiwatch/foiwatch/worker"
	"github.com/foiwatch/foiwatch/worker/demo"
)

// scanMail is a covering email with the given attachments.
func scanMail(att map[string][]byte, types map[string]string) []byte {
	var b bytes.Buffer
	b.WriteString("From: OPCC Norfolk <opccn@norfolk.police.uk>\r\nTo: researcher@requests.example.org\r\n" +
		"Subject: Freedom of Information Request FOI/OPCCN/239\r\nDate: Mon, 17 Jun 2024 11:02:13 +0100\r\n" +
		"Message-ID: <scan-test@norfolk.police.uk>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease find attached our response to your request.\r\n")
	var names []string
	for n := range att {
		names = append(names, n)
	}
	// stable order
	for i := 0; i < len(names); i++ {
		for j := i + 1; j < len(names); j++ {
			if names[j] < names[i] {
				names[i], names[j] = names[j], names[i]
			}
		}
	}
	for _, n := range names {
		fmt.Fprintf(&b, "--b1\r\nContent-Type: %s; name=%q\r\nContent-Disposition: attachment; filename=%q\r\nContent-Transfer-Encoding: base64\r\n\r\n", types[n], n, n)
		enc := base64.StdEncoding.EncodeToString(att[n])
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
	}
	b.WriteString("--b1--\r\n")
	return b.Bytes()
}

// A letter printed, signed and scanned must give the same answers as the
// letter exported from Word.
func TestScannedLetterGivesTheSameAnswersAsTheOriginal(t *testing.T) {
	if _, err := exec.LookPath("tesseract"); err != nil {
		t.Skip("tesseract-ocr is not installed (apt-get install -y tesseract-ocr): skipping the OCR test")
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("poppler-utils is not installed: skipping the OCR test")
	}
	letter, err := os.ReadFile("../parser/extract/testdata/letter.pdf")
	if err != nil {
		t.Fatal(err)
	}
	p1, err1 := os.ReadFile("../parser/extract/testdata/ocr/letter-scan-1.jpg")
	p2, err2 := os.ReadFile("../parser/extract/testdata/ocr/letter-scan-2.jpg")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	// A4 in whole points, as a scanner writes it (the page is rendered
	// back at a scale a little off the scan's own pixels).
	scanPDF, err := scantest.ImagePDF([][]byte{p1, p2}, &scantest.PDFOptions{Width: 595, Height: 842})
	if err != nil {
		t.Fatal(err)
	}
	c, err := worker.ParseCampaign("demo", demo.CampaignTOML())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	parse := func(raw []byte) *parser.Reply {
		r, err := parser.Parse(ctx, raw, c.Asked(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	original := parse(scanMail(map[string][]byte{"FOI-OPCCN-239.pdf": letter}, map[string]string{"FOI-OPCCN-239.pdf": "application/pdf"}))
	if original.Kind != parser.KindResponse || original.Answers["agency_referred"].Value != int64(12) {
		t.Fatalf("the text original itself parses wrong: %s %+v", original.Kind, original.Answers)
	}
	for name, raw := range map[string][]byte{
		"image-only PDF": scanMail(map[string][]byte{"scan.pdf": scanPDF}, map[string]string{"scan.pdf": "application/pdf"}),
		"two JPEG pages": scanMail(map[string][]byte{"page1.jpg": p1, "page2.jpg": p2}, map[string]string{"page1.jpg": "image/jpeg", "page2.jpg": "application/octet-stream"}),
	} {
		t.Run(name, func(t *testing.T) {
			got := parse(raw)
			if got.Kind != original.Kind || got.Reference != original.Reference {
				t.Errorf("kind %s reference %q, want %s %q", got.Kind, got.Reference, original.Kind, original.Reference)
			}
			for _, q := range c.Questions {
				a, o := got.Answers[q.Key], original.Answers[q.Key]
				if a.Status != o.Status || !reflect.DeepEqual(a.Value, o.Value) {
					t.Errorf("%s: %s %#v (from %q), want %s %#v", q.Key, a.Status, a.Value, a.Text, o.Status, o.Value)
				}
			}
			ocr := 0
			for _, at := range got.Attachments {
				if at.OCR {
					ocr++
					if at.OCRConfidence <= 0 || at.TextChars == 0 {
						t.Errorf("attachment %s read by OCR with confidence %v, %d chars", at.Filename, at.OCRConfidence, at.TextChars)
					}
				}
			}
			if ocr == 0 {
				t.Errorf("no attachment says it was read by OCR: %+v", got.Attachments)
			}
			warned := false
			for _, w := range got.Warnings {
				if strings.Contains(strings.ToLower(w), "scan") || strings.Contains(strings.ToLower(w), "ocr") {
					warned = true
				}
			}
			if !warned {
				t.Errorf("no warning that the values came from a scan: %q", got.Warnings)
			}
		})
	}
}
