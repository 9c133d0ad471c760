package parser

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/parser/extract"
)

func email(headers, body string) []byte {
	return []byte(strings.ReplaceAll("From: A <a@example.gov.uk>\nTo: r@example.org\nSubject: FOI\nDate: Mon, 2 Oct 2023 10:00:00 +0100\nMessage-ID: <x@example.gov.uk>\n"+headers+"\n"+body, "\n", "\r\n"))
}

func TestReadHeaders(t *testing.T) {
	raw := email("Cc: \"B\" <B@Example.GOV.uk>, c@example.gov.uk\nIn-Reply-To: <req@example.org>\nReferences: <a@b> <req@example.org>\nAuto-Submitted: No\n", "hello")
	raw = bytes.Replace(raw, []byte("From: A <a@example.gov.uk>"), []byte("From: =?utf-8?q?Caf=C3=A9_FOI?= <FOI@Example.gov.UK>"), 1)
	m, err := Read(context.Background(), raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.From != "foi@example.gov.uk" || m.FromName != "Café FOI" {
		t.Errorf("from %q name %q", m.From, m.FromName)
	}
	if strings.Join(m.Cc, ",") != "b@example.gov.uk,c@example.gov.uk" {
		t.Errorf("cc %q", m.Cc)
	}
	if strings.Join(m.InReplyTo, " ") != "<req@example.org>" || len(m.References) != 2 {
		t.Errorf("threading %q %q", m.InReplyTo, m.References)
	}
	if m.MessageID != "<x@example.gov.uk>" || m.AutoSubmitted != "no" {
		t.Errorf("id %q auto %q", m.MessageID, m.AutoSubmitted)
	}
	if _, off := m.Date.Zone(); off != 3600 || m.Body != "hello" {
		t.Errorf("date %v body %q", m.Date, m.Body)
	}
	r := m.Reply(nil)
	if r.Date != "2023-10-02T10:00:00+01:00" || r.ParserVersion != Version || r.Kind != KindOther {
		t.Errorf("reply %+v", r)
	}
}

func TestNotEmail(t *testing.T) {
	for _, in := range []string{"", "   \r\n", "%PDF-1.4 binary", "just some words\nno header here"} {
		if _, err := Parse(context.Background(), []byte(in), nil, nil); !errors.Is(err, ErrNotEmail) {
			t.Errorf("Parse(%q) error %v; want ErrNotEmail", in, err)
		}
	}
}

func TestKinds(t *testing.T) {
	qs := testQuestions(t)
	for _, c := range []struct {
		name, headers, body string
		want                Kind
	}{
		{"auto-submitted", "Auto-Submitted: auto-replied\n", "Thanks for your message.", KindAutoReply},
		{"x-autoreply", "X-Autoreply: yes\n", "Thanks.", KindAutoReply},
		{"precedence", "Precedence: auto_reply\n", "Thanks.", KindAutoReply},
		{"ooo body", "", "I am currently out of the office until Monday with limited access to email.", KindAutoReply},
		{"case system ack", "Auto-Submitted: auto-generated\n", "Thank you. Your request has been logged under reference FOI-2023-77. We will respond no later than 30 October 2023.", KindAcknowledgement},
		{"postmaster", "", "Delivery has failed to these recipients.", KindBounce},
		{"ack", "", "We acknowledge receipt of your request. We will respond within 20 working days.", KindAcknowledgement},
		{"refusal s14", "", "We consider your request vexatious under section 14(1) and will not be answering it.", KindRefusal},
		{"extension pit", "", "We need further time to consider the public interest test for the exemption at section 31. We will respond by 10 November 2023.", KindExtension},
		{"clarification", "", "Could you please clarify which financial year you are asking about?", KindClarification},
		{"whole not held", "", "Thank you for your request. The OPCC does not hold the information you have requested.", KindResponse},
		{"ir outcome", "", "I have now completed the internal review. I have decided to uphold the original decision.", KindInternalReview},
		{"boilerplate only", "", "Please find attached our response.\n\nIf you are dissatisfied you may request an internal review. If we are unable to respond in time we will tell you.", KindResponse},
		{"automated notice", "", "This is an automated message. Please do not reply to this email.", KindAutoReply},
		{"does not commission", "", "The OPCC does not commission a service of this kind.", KindResponse},
		{"partial with s12", "", "Please see below.\n\n1. Safe Steps\n\nTo answer the remaining questions would exceed the appropriate limit under section 12, so we are unable to comply with them.", KindResponse},
		{"other", "", "Hello, just checking in.", KindOther},
	} {
		t.Run(c.name, func(t *testing.T) {
			raw := email(c.headers, c.body)
			if c.name == "postmaster" {
				raw = bytes.Replace(raw, []byte("a@example.gov.uk"), []byte("postmaster@example.gov.uk"), 1)
			}
			r, err := Parse(context.Background(), raw, &Asked{Questions: qs}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != c.want {
				t.Errorf("kind %s; want %s", r.Kind, c.want)
			}
			if (r.Kind == KindResponse || r.Kind == KindInternalReview) != (len(r.Answers) > 0) {
				t.Errorf("kind %s with %d answers", r.Kind, len(r.Answers))
			}
			if r.Kind == KindResponse && c.name == "whole not held" && r.Answers["budget"].Status != StatusNotHeld {
				t.Errorf("whole not held: %+v", r.Answers["budget"])
			}
			if c.name == "partial with s12" {
				if a := r.Answers["budget"]; a.Status != StatusExempt || a.Exemption != "s.12" || !a.Check {
					t.Errorf("a question the reply refuses under s.12: %+v", a)
				}
			}
		})
	}
}

func TestLimitsBecomeWarnings(t *testing.T) {
	var b strings.Builder
	b.WriteString("Content-Type: multipart/mixed; boundary=b\n\n")
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&b, "--b\nContent-Type: text/plain\n\npart %d %s\n", i, strings.Repeat("x", 100))
	}
	b.WriteString("--b--\n")
	raw := email("MIME-Version: 1.0\n", "")
	raw = append(bytes.TrimRight(raw, "\r\n"), []byte("\r\n"+strings.ReplaceAll(b.String(), "\n", "\r\n"))...)
	for _, c := range []struct {
		lim  Limits
		want string
	}{
		{Limits{MaxParts: 5}, "more than 5 parts"},
		{Limits{MaxText: 300}, "more than 300 characters"},
		{Limits{MaxMessage: 400}, "larger than 400 bytes"},
	} {
		m, err := Read(context.Background(), raw, &c.lim)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(m.Warnings, "\n"), c.want) {
			t.Errorf("%+v: warnings %q; want %q", c.lim, m.Warnings, c.want)
		}
	}

	// Deep nesting.
	var deep strings.Builder
	deep.WriteString("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b0\n\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&deep, "--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n", i, i+1)
	}
	deep.WriteString("--b40\nContent-Type: text/plain\n\ndeep\n")
	m, err := Read(context.Background(), []byte("From: a@b.c\n"+deep.String()), &Limits{MaxDepth: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(m.Warnings, "\n"), "deeper than 10") {
		t.Errorf("warnings %q", m.Warnings)
	}
}

func TestCharsetsAndForwards(t *testing.T) {
	// An unknown charset: a warning, the text still read.
	raw := email("Content-Type: text/plain; charset=x-klingon\n", "Nil.")
	m, err := Read(context.Background(), raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Body != "Nil." || len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0], "unknown character set") {
		t.Errorf("body %q warnings %q", m.Body, m.Warnings)
	}
	// Unlabelled 8-bit text is read as windows-1252.
	raw = email("", "Children\x92s Services \x96 \xa3100")
	if m, _ = Read(context.Background(), raw, nil); m.Body != "Children’s Services – £100" {
		t.Errorf("body %q", m.Body)
	}
	// A forwarded message's text is part of the body.
	raw = email("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=f\n", "--f\nContent-Type: text/plain\n\nFYI\n--f\nContent-Type: message/rfc822\n\nFrom: x@authority.gov.uk\nSubject: FOI\nContent-Type: text/plain\n\nWe do not hold this information.\n--f--\n")
	if m, _ = Read(context.Background(), raw, nil); !strings.Contains(m.Body, "We do not hold") || !strings.Contains(m.Body, "FYI") {
		t.Errorf("forward body %q", m.Body)
	}
	// A stub plain part loses to the HTML.
	html := "<p>" + strings.Repeat("The answer to question one is twelve. ", 20) + "</p>"
	raw = email("MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=a\n", "--a\nContent-Type: text/plain\n\nView this email in a browser.\n--a\nContent-Type: text/html\n\n"+html+"\n--a--\n")
	if m, _ = Read(context.Background(), raw, nil); !strings.Contains(m.Body, "question one is twelve") {
		t.Errorf("alternative body %q", m.Body)
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	raw, _ := os.ReadFile("testdata/bare-list.eml")
	r, err := Parse(ctx, raw, &Asked{Questions: testQuestions(t)}, nil)
	if err != nil || r == nil || len(r.Warnings) == 0 {
		t.Fatalf("cancelled parse: %v %+v", err, r)
	}
}

// An HTML part larger than extract reads is read to that size, with a
// warning, not dropped.
func TestHTMLPartLargerThanExtractReads(t *testing.T) {
	body := "<html><body><p>Intro</p><ol><li>Ten</li><li>None</li></ol>" + strings.Repeat("<p>filler words here</p>", 400) + "</body></html>"
	raw := email("MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n", body)
	r, err := Parse(context.Background(), raw, nil, &Limits{Extract: extract.Limits{MaxInput: 1024}})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := Read(context.Background(), raw, &Limits{Extract: extract.Limits{MaxInput: 1024}})
	for _, want := range []string{"Intro", "1. Ten", "2. None"} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("body lacks %q:\n%s", want, firstChars(m.Body, 300))
		}
	}
	if !strings.Contains(strings.Join(r.Warnings, "\n"), "too large") {
		t.Errorf("no warning of the part cut short: %q", r.Warnings)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := os.ReadDir("testdata")
	for _, e := range files {
		if strings.HasSuffix(e.Name(), ".eml") {
			b, _ := os.ReadFile("testdata/" + e.Name())
			f.Add(b)
		}
	}
	f.Add([]byte("From: a@b\n\n1. 2. 3. (((( [[[ £ £ £1.2.3m fewer than"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: message/rfc822\n\n--x--"))
	f.Add([]byte("Subject: =?bogus?q?=ZZ?=\nContent-Transfer-Encoding: base64\n\n!!!!"))
	qs := []Question{
		{Key: "a", Number: 1, Type: TypeText, Text: "The name of the programme"},
		{Key: "b", Number: 2, Type: TypeCount, Text: "The number of referrals"},
		{Key: "c", Type: TypeURL, Text: "Link to evaluation"},
		{Key: "d", Number: 3, Type: TypeList, Text: "The referring organisations"},
		{Key: "e", Number: 4, Type: TypeMoney, Text: "Budget"},
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r, err := Parse(ctx, raw, &Asked{Questions: qs}, &Limits{MaxMessage: 1 << 20})
		if err != nil {
			if !errors.Is(err, ErrNotEmail) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if r.Answers == nil || r.Warnings == nil || r.Attachments == nil {
			t.Fatal("nil slices or maps in a Reply")
		}
		if (r.Kind == KindResponse || r.Kind == KindInternalReview) && len(r.Answers) != len(qs) {
			t.Fatalf("%d answers for %d questions", len(r.Answers), len(qs))
		}
	})
}

func BenchmarkParsePlain(b *testing.B) {
	raw, err := os.ReadFile("testdata/repeated-cp1252.eml")
	if err != nil {
		b.Fatal(err)
	}
	qs := testQuestions(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(context.Background(), raw, &Asked{Questions: qs}, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "replies/s")
}

func TestImageAttachmentOCR(t *testing.T) {
	// A PNG header and 30 KB of bytes: big enough to be taken for a
	// photographed page. Whether tesseract is installed or not, the result
	// says what happened: text read by OCR, or a warning naming the file.
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 30<<10)...)
	var b64 strings.Builder
	enc := base64.NewEncoder(base64.StdEncoding, &b64)
	enc.Write(png)
	enc.Close()
	raw := email("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=p\n",
		"--p\nContent-Type: text/plain\n\nSee the scan.\n--p\nContent-Type: image/png\nContent-Disposition: attachment; filename=letter.png\nContent-Transfer-Encoding: base64\n\n"+b64.String()+"\n--p--\n")
	off := false
	r, err := Parse(context.Background(), raw, nil, &Limits{OCR: extract.OCRLimits{Enabled: &off}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Attachments) != 1 || r.Attachments[0].ContentType != "image/png" || r.Attachments[0].OCR {
		t.Fatalf("attachments %+v", r.Attachments)
	}
	if w := strings.Join(r.Warnings, "\n"); !strings.Contains(w, "letter.png") || !strings.Contains(w, "OCR is turned off") {
		t.Errorf("warnings %q", r.Warnings)
	}
}

// FuzzRepairOCR: the repairs of OCR text and the rejoining of table rows
// never panic and never add lines.
func FuzzRepairOCR(f *testing.F) {
	for _, s := range []string{
		"", "1:.   The service      Clinic\n       of stalking\n 2     Self-referrals   Nil",
		"3. A\n4. B\n“8.   12.\n6. C", "at https://www. x.example.gov. uk/a-\n   b\nhttps:",
		"Question          Response\n\nName of        Borsetshire\nthe service    Programme\n\nTotal    £92,000",
		"\t\t\t   |   |\n\n\n   1   2   3", "https://" + strings.Repeat("a. ", 100),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1<<14 {
			return
		}
		r := repairOCR(s)
		lines := strings.Split(r, "\n")
		if len(lines) > strings.Count(s, "\n")+1 {
			t.Fatalf("repairOCR added lines: %q -> %q", s, r)
		}
		if j := tabulate(lines, period{2023, 2024, true}); len(j) > len(lines) {
			t.Fatalf("finding tables added lines: %q -> %d lines", lines, len(j))
		}
	})
}

// BenchmarkMatchThenReply is what the worker does with a plain reply: read
// it, take its reference to match it, then make its Reply with the matched
// campaign's questions.
func BenchmarkMatchThenReply(b *testing.B) {
	raw, err := os.ReadFile("testdata/repeated-cp1252.eml")
	if err != nil {
		b.Fatal(err)
	}
	qs := testQuestions(b)
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		msg, err := Read(context.Background(), raw, nil)
		if err != nil {
			b.Fatal(err)
		}
		if msg.Reference() == "" {
			b.Fatal("no reference")
		}
		msg.Reply(&Asked{Questions: qs})
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "replies/s")
}

// Without pdftotext a PDF attachment is listed with why its text was not
// read, in words that name what to install and how to read it afterwards.
func TestAttachmentNotReadSaysWhy(t *testing.T) {
	raw, err := os.ReadFile("testdata/pdf-letter.eml")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir())
	off := false
	r, err := Parse(context.Background(), raw, nil, &Limits{OCR: extract.OCRLimits{Enabled: &off}})
	if err != nil {
		t.Fatal(err)
	}
	var pdf *Attachment
	for i := range r.Attachments {
		if strings.HasSuffix(r.Attachments[i].Filename, ".pdf") {
			pdf = &r.Attachments[i]
		}
	}
	if pdf == nil {
		t.Fatalf("no PDF among %+v", r.Attachments)
	}
	want := "not read: pdftotext is not installed (apt-get install poppler-utils); foiwatch reprocess reads it once installed"
	if pdf.Error != want || pdf.TextChars != 0 {
		t.Errorf("attachment error %q (text %d chars); want %q", pdf.Error, pdf.TextChars, want)
	}
	if !strings.Contains(strings.Join(r.Warnings, "\n"), "attachment "+pdf.Filename+" "+want) {
		t.Errorf("warnings %q lack the attachment's", r.Warnings)
	}
}
