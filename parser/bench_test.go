package parser

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkParsePDFLetter parses a reply whose letter is a PDF attachment,
// pdftotext included: replies/s per core.
func BenchmarkParsePDFLetter(b *testing.B) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		b.Skip("pdftotext is not installed")
	}
	raw, err := os.ReadFile("testdata/pdf-letter.eml")
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

// BenchmarkPdftotextAlone runs pdftotext on the PDF of pdf-letter.eml as
// the parser runs it, and nothing else: the floor BenchmarkParsePDFLetter
// is measured against (the whole parse should cost little more).
func BenchmarkPdftotextAlone(b *testing.B) {
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		b.Skip("pdftotext is not installed")
	}
	raw, err := os.ReadFile("testdata/pdf-letter.eml")
	if err != nil {
		b.Fatal(err)
	}
	pdf := pdfOf(b, raw)
	if pdf == nil {
		b.Fatal("pdf-letter.eml holds no PDF")
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(tool, "-layout", "-enc", "UTF-8", "-", "-")
		cmd.Stdin = bytes.NewReader(pdf)
		if _, err := cmd.Output(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "docs/s")
}

// pdfOf returns the first PDF attached to raw, decoded.
func pdfOf(tb testing.TB, raw []byte) []byte {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		tb.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		tb.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return nil
		}
		if !strings.Contains(p.Header.Get("Content-Type"), "pdf") {
			continue
		}
		data, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, p))
		if err != nil {
			tb.Fatal(err)
		}
		return data
	}
}

// largeMessage is a reply with one attachment of n bytes: random binary
// (declared a PDF, which it is not) or, with text, a text/plain file.
func largeMessage(n int, text bool) []byte {
	data := make([]byte, n)
	ctype, name := "application/pdf", "scan.pdf"
	if text {
		line := []byte("1. The number of individuals referred to the service by another agency: 12\n")
		for i := 0; i < n; i += len(line) {
			copy(data[i:], line)
		}
		ctype, name = "text/plain", "data.txt"
	} else {
		rand.Read(data)
		copy(data, "%PDF-1.4\n")
	}
	var b bytes.Buffer
	b.Grow(n*4/3 + n/38 + 4096)
	b.WriteString("From: foi@example.gov.uk\r\nTo: r@example.org\r\nSubject: FOI response\r\nDate: Mon, 2 Oct 2023 10:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nPlease find our response attached.\r\n--b\r\n")
	fmt.Fprintf(&b, "Content-Type: %s; name=%q\r\nContent-Disposition: attachment; filename=%q\r\nContent-Transfer-Encoding: base64\r\n\r\n", ctype, name, name)
	enc := base64.StdEncoding
	for i := 0; i < n; i += 57 {
		chunk := data[i:min(n, i+57)]
		buf := make([]byte, enc.EncodedLen(len(chunk)))
		enc.Encode(buf, chunk)
		b.Write(buf)
		b.WriteString("\r\n")
	}
	b.WriteString("--b--\r\n")
	return b.Bytes()
}

func BenchmarkParseLarge25MB(b *testing.B) {
	for _, text := range []bool{false, true} {
		name := "binary"
		if text {
			name = "text"
		}
		b.Run(name, func(b *testing.B) {
			raw := largeMessage(25<<20, text)
			qs := testQuestions(b)
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := Parse(context.Background(), raw, &Asked{Questions: qs}, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestPeakMemory25MB parses a message with a 25 MB attachment in a child
// process and reads the child's peak resident memory (VmHWM), less the
// message itself, which the caller holds anyway. The aim is under 100 MB.
func TestPeakMemory25MB(t *testing.T) {
	if file := os.Getenv("FOIWATCH_PEAK_CHILD"); file != "" {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		base := vmHWM()
		r, err := Parse(context.Background(), raw, &Asked{Questions: testQuestions(t)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("PEAK %d %d %d %d\n", base, vmHWM(), len(raw), len(r.Warnings))
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	for _, kind := range []string{"binary", "text"} {
		file := t.TempDir() + "/large.eml"
		if err := os.WriteFile(file, largeMessage(25<<20, kind == "text"), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestPeakMemory25MB$", "-test.count=1")
		cmd.Env = append(os.Environ(), "FOIWATCH_PEAK_CHILD="+file)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		i := strings.Index(string(out), "PEAK ")
		if i < 0 {
			t.Fatalf("child said:\n%s", out)
		}
		f := strings.Fields(string(out[i:]))
		base, _ := strconv.Atoi(f[1])
		peak, _ := strconv.Atoi(f[2])
		size, _ := strconv.Atoi(f[3])
		t.Logf("%s attachment: message %.1f MB; peak RSS of the process %.1f MB (%.1f MB before parsing, with the message read)", kind, float64(size)/1e6, float64(peak)/1e6, float64(base)/1e6)
		if peak > 100e6 {
			t.Errorf("%s: peak RSS %.1f MB; the aim is under 100 MB", kind, float64(peak)/1e6)
		}
	}
}

// vmHWM is the process's peak resident set size in bytes, 0 when unknown.
func vmHWM() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			f := strings.Fields(l)
			n, _ := strconv.Atoi(f[1])
			return n << 10
		}
	}
	return 0
}
