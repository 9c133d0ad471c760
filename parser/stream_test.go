package parser

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/foiwatch/foiwatch/parser/extract"
)

// utf8Stream, fed a text in pieces cut anywhere, says what utf8.Valid and a
// search for NUL say of the whole.
func TestUTF8StreamAgreesWithValidOnTheWhole(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	texts := [][]byte{
		[]byte("plain ascii"), []byte("Café £12 — ﬁ 😀 €"), []byte("bad \xff byte"), []byte("cut \xe2\x82"),
		[]byte("\xc3\x28 invalid pair"), []byte("nul \x00 byte"), []byte("\xf0\x9f\x98"), []byte("ok\xef\xbf\xbd"),
	}
	for i := 0; i < 200; i++ {
		b := make([]byte, rng.Intn(40))
		for j := range b {
			alphabet := "a€😀\xff\xc3\x80\x00"
			b[j] = alphabet[rng.Intn(len(alphabet))]
		}
		texts = append(texts, b)
	}
	for _, text := range texts {
		for try := 0; try < 20; try++ {
			var v utf8Stream
			rest := text
			for len(rest) > 0 {
				k := rng.Intn(len(rest) + 1)
				v.write(rest[:k])
				rest = rest[k:]
			}
			if got, want := v.valid(), utf8.Valid(text); got != want {
				t.Fatalf("%q: valid = %v, want %v", text, got, want)
			}
			if got, want := v.nul, bytes.IndexByte(text, 0) >= 0; got != want && utf8.Valid(text) {
				t.Fatalf("%q: nul = %v, want %v", text, got, want)
			}
		}
	}
}

// ReadFrom, reading a message as a stream in uneven pieces, makes the same
// Message as Read of its bytes: for every golden message, large ones with a
// text and a binary attachment, and those Read refuses or reads leniently.
func TestReadFromAStreamIsReadOfTheBytes(t *testing.T) {
	files, err := filepath.Glob("testdata/*.eml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden messages: %v", err)
	}
	cases := map[string][]byte{
		"large text":          largeMessage(3<<20, true),
		"large binary":        largeMessage(3<<20, false),
		"mbox line":           []byte("From foi@example.gov.uk Mon Oct  2 10:00:00 2023\nFrom: foi@example.gov.uk\nSubject: hi\n\nHello.\n"),
		"empty":               nil,
		"blanks":              bytes.Repeat([]byte(" \r\n"), 40000),
		"no header":           []byte("Hello, this is not a header line\nFrom: x@example.org\n\nbody\n"),
		"malformed header":    []byte("From: a@example.org\r\nSubject: broken\r\nX-Bad\x00Header: 1\r\n : folded wrong\r\n\r\nThe body.\r\n"),
		"long first line":     append([]byte("X-Long: "+strings.Repeat("a", 100<<10)+"\r\nFrom: a@example.org\r\n\r\n"), largeMessage(200<<10, true)...),
		"over MaxMessage":     largeMessage(1<<20, true),
		"csv over the budget": largeMessage(6<<20, true),
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases[filepath.Base(f)] = b
	}
	for name, raw := range cases {
		lim := &Limits{}
		if name == "over MaxMessage" {
			lim.MaxMessage = 512 << 10
		}
		want, werr := Read(context.Background(), raw, lim)
		got, gerr := ReadFrom(context.Background(), int64(len(raw)), lim, func() (io.ReadCloser, error) {
			return io.NopCloser(iotest.HalfReader(bytes.NewReader(raw))), nil
		})
		if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
			t.Errorf("%s: ReadFrom error %v, Read error %v", name, gerr, werr)
			continue
		}
		if werr != nil {
			continue
		}
		wj, _ := json.Marshal(want)
		gj, _ := json.Marshal(got)
		if !bytes.Equal(wj, gj) || want.Text() != got.Text() {
			t.Errorf("%s: ReadFrom and Read differ:\n got %.600s\nwant %.600s", name, gj, wj)
		}
	}
}

// A stream that fails part way is an error to try again, not a message
// read in part.
func TestReadFromAFailingStreamIsASourceError(t *testing.T) {
	raw := largeMessage(1<<20, true)
	broken := errors.New("connection to the store lost")
	_, err := ReadFrom(context.Background(), int64(len(raw)), nil, func() (io.ReadCloser, error) {
		return io.NopCloser(io.MultiReader(bytes.NewReader(raw[:len(raw)/2]), iotest.ErrReader(broken))), nil
	})
	var se *SourceError
	if !errors.As(err, &se) || !errors.Is(err, broken) {
		t.Fatalf("ReadFrom of a stream that fails: %v, want a *SourceError of %v", err, broken)
	}
}

// An attachment over what its extractor reads is refused with a warning
// that says so, while it is read: no more of it than the limit is kept,
// and its size is its whole size.
func TestAnAttachmentOverTheLimitIsRefusedWhileRead(t *testing.T) {
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0123456789abcdef"), 3<<20/16)...)
	raw := []byte("From: foi@example.gov.uk\r\nSubject: FOI response\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nAttached.\r\n" +
		"--b\r\nContent-Type: application/pdf; name=\"big.pdf\"\r\nContent-Disposition: attachment; filename=\"big.pdf\"\r\n\r\n" +
		string(pdf) + "\r\n--b--\r\n")
	lim := &Limits{Extract: extract.Limits{MaxInput: 1 << 20}}
	m, err := Read(context.Background(), raw, lim)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Attachments) != 1 {
		t.Fatalf("attachments %+v, want big.pdf", m.Attachments)
	}
	a := m.Attachments[0]
	if a.Size < len(pdf) || !strings.Contains(a.Error, "too large") {
		t.Errorf("big.pdf: size %d (want %d), error %q (want it to say it is too large)", a.Size, len(pdf), a.Error)
	}

	// What the reader keeps of it.
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	mr := e.MultipartReader()
	mr.NextPart()
	part, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	r := &reader{ctx: context.Background(), lim: lim.WithDefaults(), m: &Message{}, textLeft: DefaultMaxText, warned: map[string]bool{}, rawLen: len(raw)}
	r.lim.Extract.MaxInput = 1 << 20
	data, size, format := r.readAttachment(part, "big.pdf")
	if format != extract.FormatPDF || size < len(pdf) || len(data) > extract.DefaultMaxInput+1 {
		t.Errorf("readAttachment: format %v, size %d, kept %d bytes; want a PDF of %d bytes, at most %d kept", format, size, len(data), len(pdf), extract.DefaultMaxInput+1)
	}
	// A Word file (no OCR to read it otherwise) is kept to the limit only.
	zipped := append([]byte("PK\x03\x04"), bytes.Repeat([]byte{7}, 3<<20)...)
	r.lim.Extract.MaxInput = 1 << 20
	data, size, _ = r.readAttachment(&message.Entity{Header: message.Header{}, Body: bytes.NewReader(zipped)}, "big.docx")
	if size != len(zipped) || len(data) != 1<<20+1 {
		t.Errorf("readAttachment of a 3 MiB zip: size %d, kept %d; want %d and %d", size, len(data), len(zipped), 1<<20+1)
	}
}
