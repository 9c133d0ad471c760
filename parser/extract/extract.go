// Package extract is in charge of turning the bytes of one attachment or body
// part (HTML, PDF, DOCX, CSV, XLSX, and scans read by OCR) into plain text,
// within limits on size, time and memory. It is not in charge of MIME, of
// charsets in mail headers, or of what the text means: that is package
// parser.
//
// The text it returns is NFKC-normalised, has lines separated by "\n", no
// trailing spaces on a line, at most one blank line in a row, and no leading
// or trailing blank lines. List numbers and table rows are kept the way a
// reader sees them ("5. 12.", "Police | 12 | 11"), because package parser
// finds answers by their numbers.
//
// # Implementation notes
//
// Invariants every extractor keeps, whatever the input:
//
//   - Never panic, never hang. HTML and DOCX are parsed in this process with
//     parsers that only move forward through bounded input (x/net/html,
//     encoding/xml); PDF is parsed by pdftotext in a child process, because a
//     PDF parser can loop (page-tree and xref loops) and Go cannot stop a
//     goroutine.
//   - Input is refused above Limits.MaxInput (ErrTooLarge) before any work.
//   - Output is cut at Limits.MaxOutput characters; the text so far is
//     returned together with an error wrapping ErrTruncated, so the caller
//     keeps the text and records a warning.
//   - Every child (pdftotext; for OCR pdfinfo, pdftoppm and tesseract) runs
//     through one runner, runChild (child.go), in its own process group
//     (Setpgid). On timeout or cancellation the whole group is sent SIGKILL
//     (kill(-pgid)), so nothing it may have started survives; its stdout is
//     read through a cap (pdftotext's: the bytes of MaxOutput characters,
//     maxOutputBytes), after which the group is killed as well. Its address
//     space is capped (pdftotext's at MaxMemory) with prlimit(2) once it has
//     started and before it is given its input (startCapped).
//   - DOCX is a zip: the entry count is capped before anything is opened;
//     only the XML parts we need are read, each through an io.LimitReader
//     counting decompressed bytes against both a per-part and a running
//     total cap (header sizes are checked first but never trusted alone), so
//     a zip bomb costs at most MaxUncompressed bytes of inflation. A DTD in
//     any part is refused: encoding/xml never expands entities, and refusing
//     the DOCTYPE gives a clear error for billion-laughs and XXE instead of a
//     confusing one about an undefined entity.
//   - HTML: x/net/html's tree builder refuses more than 512 open elements;
//     such documents are read again with the streaming html.Tokenizer, which
//     keeps no tree. Both paths feed one bounded text builder.
package extract

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Format is the kind of file as told by its first bytes.
type Format string

// Formats Sniff can report.
const (
	FormatPDF     Format = "pdf"
	FormatDOCX    Format = "docx"
	FormatXLSX    Format = "xlsx"
	FormatHTML    Format = "html"
	FormatText    Format = "text"
	FormatJPEG    Format = "jpeg"
	FormatPNG     Format = "png"
	FormatTIFF    Format = "tiff"
	FormatZIP     Format = "zip"
	FormatUnknown Format = "unknown"
)

// Sentinel errors. Every error returned by this package wraps one of them
// (or a context error) with %w, with words an operator understands.
var (
	// ErrNoTextLayer: a PDF whose pages carry no text, most often a scan;
	// the caller may OCR it.
	ErrNoTextLayer = errors.New("extract: pdf has no text layer (a scan?)")
	// ErrTooLarge: input, a decompressed part, or the memory needed is over
	// a limit.
	ErrTooLarge = errors.New("extract: file is over a size limit")
	// ErrTimeout: the extractor ran longer than Limits.Timeout.
	ErrTimeout = errors.New("extract: took too long")
	// ErrEncrypted: a PDF that needs a password we do not have, or forbids
	// text extraction.
	ErrEncrypted = errors.New("extract: file is encrypted with a password")
	// ErrToolMissing: an external program (pdftotext) is not installed.
	// Such errors are a *ToolMissingError, which names the program and
	// the package to install; MissingTools checks them all at once.
	ErrToolMissing = errors.New("extract: a required program is not installed")
	// ErrCorrupt: the file is damaged or not what its bytes claimed.
	ErrCorrupt = errors.New("extract: file is damaged or not of its claimed type")
	// ErrTruncated: the text was longer than Limits.MaxOutput and was cut.
	// It comes with the text so far: keep the text, record a warning.
	ErrTruncated = errors.New("extract: text was cut at the output limit")
)

// Limits bound the work done on one input. Zero in a field means its default.
type Limits struct {
	MaxInput        int64         // bytes of input accepted (default 64 MiB)
	MaxOutput       int           // characters of text returned; the rest is cut and ErrTruncated returned with the text (default 2 MiB)
	Timeout         time.Duration // wall time per PDF (default 20s)
	MaxMemory       int64         // address-space cap for the pdftotext child (default 512 MiB)
	MaxZipEntries   int           // entries in a DOCX zip (default 2000)
	MaxUncompressed int64         // decompressed bytes read from a DOCX, in total and per part (default 64 MiB)
}

// Defaults for Limits fields left at zero.
const (
	DefaultMaxInput        = 64 << 20
	DefaultMaxOutput       = 2 << 20
	DefaultTimeout         = 20 * time.Second
	DefaultMaxMemory       = 512 << 20
	DefaultMaxZipEntries   = 2000
	DefaultMaxUncompressed = 64 << 20
)

// WithDefaults returns a copy of l with every zero (or negative) field set to
// its default. It is safe on a nil *Limits.
func (l *Limits) WithDefaults() Limits {
	var out Limits
	if l != nil {
		out = *l
	}
	if out.MaxInput <= 0 {
		out.MaxInput = DefaultMaxInput
	}
	if out.MaxOutput <= 0 {
		out.MaxOutput = DefaultMaxOutput
	}
	if out.Timeout <= 0 {
		out.Timeout = DefaultTimeout
	}
	if out.MaxMemory <= 0 {
		out.MaxMemory = DefaultMaxMemory
	}
	if out.MaxZipEntries <= 0 {
		out.MaxZipEntries = DefaultMaxZipEntries
	}
	if out.MaxUncompressed <= 0 {
		out.MaxUncompressed = DefaultMaxUncompressed
	}
	return out
}

// maxOutputBytes is how many bytes of raw text are worth collecting before
// normalisation and the cut to MaxOutput characters: a character is at most
// 4 bytes of UTF-8, and the slack lets NFKC see whole sequences.
func (l Limits) maxOutputBytes() int {
	const maxInt = int(^uint(0) >> 1)
	if l.MaxOutput > (maxInt-1024)/4 {
		return maxInt
	}
	return 4*l.MaxOutput + 1024
}

// finish turns raw extracted text into the package's output form (see the
// package doc) and applies MaxOutput. truncated says the raw text was
// already cut while it was being collected.
func finish(raw string, lim Limits, truncated bool, what string) (string, error) {
	// Bytes that are not UTF-8 (an HTML part whose charset was wrong)
	// become U+FFFD, so the output is always valid UTF-8.
	s := norm.NFKC.String(strings.ToValidUTF8(raw, "\ufffd"))
	s = tidyLines(s)
	if n := utf8.RuneCountInString(s); n > lim.MaxOutput {
		s = cutRunes(s, lim.MaxOutput)
		truncated = true
	}
	if truncated {
		return s, fmt.Errorf("%w: %s text kept to the first %d characters", ErrTruncated, what, lim.MaxOutput)
	}
	return s, nil
}

// cutRunes returns the first n runes of s.
func cutRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// tidyLines trims trailing white space on each line, keeps at most one blank
// line in a row, and drops blank lines at both ends. Leading spaces stay:
// they carry list nesting and the columns of pdftotext -layout.
func tidyLines(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	blank := 0
	page := false
	started := false
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimRight(line, " \t\r\v\f\u00a0")
		if line == PageBreak {
			page = true
			continue
		}
		if strings.TrimSpace(line) == "" {
			blank++
			continue
		}
		if started {
			b.WriteByte('\n')
			switch {
			case page:
				b.WriteString(PageBreak + "\n") // in place of the blank line
			case blank > 0:
				b.WriteByte('\n')
			}
		}
		b.WriteString(line)
		started = true
		blank, page = 0, false
	}
	return b.String()
}

// PageBreak is a line of its own between the pages of a PDF's text. It is
// white space (U+2029, PARAGRAPH SEPARATOR): what reads lines trimmed
// takes it for a blank line, and a reader of tables can see a table go on
// from one page to the next.
const PageBreak = "\u2029"

// formatNumber writes n the way a list shows it: decimal, lowerLetter,
// upperLetter, lowerRoman, upperRoman (Word's numFmt names; HTML's ol type
// maps onto them). Unknown formats and n <= 0 fall back to decimal, which
// is what a reader can still match.
func formatNumber(n int, format string) string {
	if n <= 0 {
		return fmt.Sprint(n)
	}
	switch format {
	case "lowerLetter", "upperLetter":
		// Word repeats the letter past z: aa, bb, ... (not spreadsheet
		// columns).
		if n > 26*50 { // far past any real list: keep the label short
			return fmt.Sprint(n)
		}
		c := byte('a' + (n-1)%26)
		if format == "upperLetter" {
			c = byte('A' + (n-1)%26)
		}
		return strings.Repeat(string(c), (n-1)/26+1)
	case "lowerRoman", "upperRoman":
		if n >= 4000 {
			return fmt.Sprint(n)
		}
		r := roman(n)
		if format == "lowerRoman" {
			r = strings.ToLower(r)
		}
		return r
	case "decimalZero":
		if n < 10 {
			return "0" + fmt.Sprint(n)
		}
	}
	return fmt.Sprint(n)
}

func roman(n int) string {
	vals := []int{1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1}
	syms := []string{"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"}
	var b strings.Builder
	for i, v := range vals {
		for n >= v {
			b.WriteString(syms[i])
			n -= v
		}
	}
	return b.String()
}
