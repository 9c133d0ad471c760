package parser

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/foiwatch/foiwatch/parser/extract"
)

// Attachments and text parts are decoded as streams, with the limits
// applied while reading: of a 50 MB CSV only what the text budget can
// still take is kept (the rest is read, counted and dropped), and a PDF,
// Word or Excel file or an image, which its extractor reads whole, is kept
// up to the extractor's MaxInput and no further. Before, each part was
// decoded whole first: a 50 MB CSV held 50 MB to keep its first 5.

// sniffBytes is how much of an attachment is read before deciding what to
// keep of it: more than extract.Sniff looks at for a PDF or an HTML file.
const sniffBytes = 64 << 10

// readAttachment reads an attachment's decoded body. It returns the bytes
// kept, the attachment's whole decoded size and its format, which is what
// extract.Sniff would say of the whole.
func (r *reader) readAttachment(e *message.Entity, name string) (data []byte, size int, format extract.Format) {
	body := io.LimitReader(e.Body, r.lim.MaxMessage)
	head := make([]byte, sniffBytes)
	n, err := io.ReadFull(body, head)
	head = head[:n]
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return head, n, extract.Sniff(head) // all of it: nothing to decide
	}
	if err != nil {
		r.decodeWarning(name, err)
		return head, n, extract.Sniff(head)
	}
	format = extract.Sniff(head)
	lead := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n\f")
	switch {
	case format == extract.FormatHTML || len(lead) < 2048:
		// HTML is read whole (htmlText cuts it to what extract reads and
		// says so); and a start of nothing but blanks says too little.
		data, err = readKept(body, head, r.lim.MaxMessage, r.rawLen, nil)
		size = len(data)
	case format != extract.FormatText && format != extract.FormatUnknown:
		// Read whole by its extractor (PDF, DOCX, XLSX, a zip) or by OCR
		// (an image): one byte over the most it takes is enough for it to
		// refuse the file as too large.
		keep := r.lim.Extract.WithDefaults().MaxInput + 1
		switch format {
		case extract.FormatJPEG, extract.FormatPNG, extract.FormatTIFF:
			keep = extract.DefaultMaxInput + 1 // OCRImage's limit
		case extract.FormatPDF:
			keep = max(keep, extract.DefaultMaxInput+1) // and OCRPDF's, for a scan
		}
		var total int64
		data, err = readKept(body, head, keep, r.rawLen, &total)
		size = int(total)
		if format == extract.FormatZIP || format == extract.FormatDOCX || format == extract.FormatXLSX {
			format = extract.Sniff(data) // a zip says what it holds in its directory, at its end
		}
	default:
		// Text or not, as Sniff would say of the whole: valid UTF-8 with
		// no NUL byte all through. Only what cutText keeps is kept, and one
		// byte more so that it says the rest was not read.
		keep := int64(r.textLeft + r.textLeft/4 + 1024 + 1)
		var v utf8Stream
		v.write(head)
		var total int64
		data, err = readKeptFunc(body, head, keep, r.rawLen, &total, v.write)
		size = int(total)
		format = extract.FormatUnknown
		if v.valid() && !v.nul {
			format = extract.FormatText
		}
	}
	if err != nil {
		r.decodeWarning(name, err)
	}
	return data, size, format
}

// readText reads a text part's decoded body, keeping what cutText can keep
// (and one byte more, so that it says the rest was not read).
func (r *reader) readText(e *message.Entity, name string) []byte {
	keep := int64(r.textLeft + r.textLeft/4 + 1024 + 1)
	data, err := readKept(io.LimitReader(e.Body, r.lim.MaxMessage), nil, keep, r.rawLen, nil)
	if err != nil {
		r.decodeWarning(name, err)
	}
	return data
}

func (r *reader) decodeWarning(name string, err error) {
	what := "a part"
	if name != "" {
		what = "attachment " + name
	}
	r.warn("%s could not be decoded in full: %v", what, err)
}

// readKept reads rd to its end after head, keeping the first keep bytes
// (head included) and counting all of them in *total when total is set.
// The buffer is sized once from limit, the raw message's length (a part
// never decodes to more than about three quarters of it), as readBounded's.
func readKept(rd io.Reader, head []byte, keep int64, limit int, total *int64) ([]byte, error) {
	return readKeptFunc(rd, head, keep, limit, total, nil)
}

func readKeptFunc(rd io.Reader, head []byte, keep int64, limit int, total *int64, seen func([]byte)) ([]byte, error) {
	// As readBounded: small at first, and after 256 KiB grown once to the
	// most the part can hold, so that neither the many small parts of a
	// large message nor a large one are given more than they need.
	most := min(int64(limit)*3/4+64<<10, keep)
	data := make([]byte, len(head), max(int64(len(head)), min(2<<10, keep)))
	copy(data, head)
	n := int64(len(head))
	var scratch []byte // for what is read past keep, and dropped
	for {
		var buf []byte
		if int64(len(data)) < keep {
			if len(data) == cap(data) {
				if len(data) >= 256<<10 && most > int64(cap(data)) {
					nb := make([]byte, len(data), most)
					copy(nb, data)
					data = nb
				} else {
					data = append(data, 0)[:len(data)]
				}
			}
			buf = data[len(data):min(int64(cap(data)), keep)]
		} else {
			if scratch == nil {
				scratch = make([]byte, 32<<10)
			}
			buf = scratch
		}
		k, err := rd.Read(buf)
		if k > 0 {
			n += int64(k)
			if seen != nil {
				seen(buf[:k])
			}
			if scratch == nil {
				data = data[:len(data)+k]
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			if total != nil {
				*total = n
			}
			return data, err
		}
	}
	if total != nil {
		*total = n
	}
	return data, nil
}

// utf8Stream checks, a chunk at a time, that bytes are valid UTF-8 and
// hold no NUL byte (a rune may be split between chunks).
type utf8Stream struct {
	carry   [utf8.UTFMax]byte
	ncarry  int
	invalid bool
	nul     bool
}

func (v *utf8Stream) write(p []byte) {
	if v.invalid {
		return
	}
	if bytes.IndexByte(p, 0) >= 0 {
		v.nul = true
	}
	if v.ncarry > 0 {
		// Finish the rune the last chunk ended in.
		for len(p) > 0 && v.ncarry < utf8.UTFMax && !utf8.FullRune(v.carry[:v.ncarry]) {
			v.carry[v.ncarry] = p[0]
			v.ncarry++
			p = p[1:]
		}
		if !utf8.FullRune(v.carry[:v.ncarry]) {
			return // still short: more to come
		}
		if rn, size := utf8.DecodeRune(v.carry[:v.ncarry]); rn == utf8.RuneError && size <= 1 || size != v.ncarry {
			v.invalid = true
			return
		}
		v.ncarry = 0
	}
	// Keep the start of a rune cut at the end for the next chunk.
	cut := len(p)
	for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax; i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				cut = i
			}
			break
		}
	}
	if !utf8.Valid(p[:cut]) {
		v.invalid = true
		return
	}
	v.ncarry = copy(v.carry[:], p[cut:])
}

// valid reports whether all the bytes written were valid UTF-8.
func (v *utf8Stream) valid() bool { return !v.invalid && v.ncarry == 0 }

// ReadFrom is Read of a message of size bytes read as a stream from what
// open returns, so that a large message is never whole in memory: its
// parts are decoded as they are read. open is called again when the header
// must be read a second time (leniently, when it is malformed). An error
// reading the stream is returned as a *SourceError, not read as the end of
// the message: the caller tries again rather than store half a message.
func ReadFrom(ctx context.Context, size int64, lim *Limits, open func() (io.ReadCloser, error)) (m *Message, err error) {
	var opened []io.Closer
	defer func() {
		for _, c := range opened {
			c.Close()
		}
	}()
	var readErr error
	// start opens the stream and returns it past an mbox "From " line, and
	// its first bytes.
	start := func() (*bufio.Reader, []byte, int64, error) {
		rc, err := open()
		if err != nil {
			return nil, nil, 0, &SourceError{err}
		}
		opened = append(opened, rc)
		br := bufio.NewReaderSize(&errTracker{r: rc, err: &readErr}, sniffBytes)
		head, _ := br.Peek(sniffBytes)
		if bytes.HasPrefix(head, []byte("From ")) {
			if i := bytes.IndexByte(head, '\n'); i >= 0 {
				br.Discard(i + 1)
				return br, head[i+1:], int64(i + 1), nil
			}
		}
		return br, head, 0, nil
	}
	br, head, skipped, err := start()
	if err != nil {
		return nil, err
	}
	whole := len(head)+int(skipped) >= int(size) || readErr != nil
	if !whole && (len(bytes.TrimSpace(head)) == 0 || bytes.IndexByte(head, '\n') < 0) {
		// Blanks, or a first line longer than what was looked at: what
		// Read says of it needs all of it, and such a message is no
		// letter anyone sent.
		raw, err := io.ReadAll(io.MultiReader(bytes.NewReader(head), br))
		if readErr != nil {
			return nil, &SourceError{readErr}
		}
		if err != nil {
			return nil, &SourceError{err}
		}
		return Read(ctx, raw, lim)
	}
	if readErr != nil {
		return nil, &SourceError{readErr}
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return nil, fmt.Errorf("%w: empty input", ErrNotEmail)
	}
	if !looksLikeHeader(head) {
		return nil, fmt.Errorf("%w: no header", ErrNotEmail)
	}
	first := true
	m, err = read(ctx, size-skipped, lim, func(max int64) io.Reader {
		if first {
			first = false
			return io.LimitReader(br, max)
		}
		br, _, _, err := start()
		if err != nil {
			readErr = err
			return bytes.NewReader(nil)
		}
		return io.LimitReader(br, max)
	})
	if readErr != nil {
		var se *SourceError
		if errors.As(readErr, &se) {
			return nil, se
		}
		return nil, &SourceError{readErr}
	}
	return m, err
}

// SourceError is an error reading the stream ReadFrom reads a message from
// (the store it is kept in), not something the message holds.
type SourceError struct{ Err error }

func (e *SourceError) Error() string { return "reading the message: " + e.Err.Error() }
func (e *SourceError) Unwrap() error { return e.Err }

// errTracker keeps the first error other than io.EOF that reading r gave.
type errTracker struct {
	r   io.Reader
	err *error
}

func (t *errTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF && *t.err == nil {
		*t.err = err
	}
	return n, err
}
