// Printing: a test's letter, written as HTML or as a Word .docx, becomes the
// PDF a council's "print to PDF" would make, ready to be scanned. Headless
// Chromium does the layout, so the text sits in a real PDF text layer with
// the line breaks, table columns and fonts of a printed page.

package scantest

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/foiwatch/foiwatch/parser/internal/procgroup"
)

// ErrNoChromium is returned by PrintHTML when no Chromium is installed;
// tests skip on it.
var ErrNoChromium = errors.New("scantest: chromium is not installed; install it with `apt-get install -y chromium fonts-liberation`")

// chromiumTimeout bounds a print when the caller's context has no deadline.
// A one-page letter takes about a second.
const chromiumTimeout = 60 * time.Second

// chromiumWaitDelay bounds how long Wait waits for Chromium's output pipes
// after the group was killed, in case a child outside the group (its crash
// handler starts its own session) still holds them.
const chromiumWaitDelay = 2 * time.Second

// chromiumFlags are passed on every print, before --print-to-pdf,
// --user-data-dir and the page's URL.
var chromiumFlags = []string{
	"--headless",
	// CI runs as root, where Chromium refuses to start with its sandbox.
	"--no-sandbox",
	// There is no GPU in CI; without this Chromium tries one and logs why not.
	"--disable-gpu",
	// No date and title header, no URL and page-number footer: they would be
	// text in the scan that no council wrote. (Chromium 156 ignores the older
	// --print-to-pdf-no-header.)
	"--no-pdf-header-footer",
	"--no-first-run",
	// /dev/shm in a container is often a few MiB and Chromium crashes when it
	// fills. Debian's wrapper means to add this flag itself when /dev/shm is
	// small, but its test fails on some machines ("[: unexpected operator").
	"--disable-dev-shm-usage",
	// Lay out and paint the whole page before printing, so nothing is
	// printed half-drawn.
	"--run-all-compositor-stages-before-draw",
}

// PrintHTML prints an HTML document to a PDF with headless Chromium and
// returns the PDF. The document sets the paper with a CSS @page rule, as
// DOCXHTML's does (A4, 25 mm margins); without one Chromium picks the
// paper from its locale, often Letter.
//
// Chromium runs in its own process group, killed as a group when ctx ends,
// or after 60 seconds if ctx has no deadline; the document, Chromium's
// profile and its home directory live in a temporary directory removed
// afterwards. A missing Chromium gives an error wrapping ErrNoChromium; a
// failed print gives one that holds the last lines Chromium logged.
func PrintHTML(ctx context.Context, html string) ([]byte, error) {
	bin, err := chromiumPath()
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, chromiumTimeout)
		defer cancel()
	}

	dir, err := os.MkdirTemp("", "scantest-print-")
	if err != nil {
		return nil, fmt.Errorf("scantest: making a directory to print in: %w", err)
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "in.html")
	out := filepath.Join(dir, "out.pdf")
	// A byte order mark makes Chromium read the file as UTF-8 even when the
	// document declares no charset; from a file:// URL it would otherwise
	// guess, and "£" or "–" would print as mojibake.
	doc := html
	if !strings.HasPrefix(doc, "\uFEFF") {
		doc = "\uFEFF" + doc
	}
	if err := os.WriteFile(in, []byte(doc), 0o600); err != nil {
		return nil, fmt.Errorf("scantest: writing the page to print: %w", err)
	}

	args := append([]string(nil), chromiumFlags...)
	args = append(args,
		"--print-to-pdf="+out,
		// A fresh profile: none of the user's settings, no lock shared with
		// another Chromium (tests print in parallel), nothing left behind.
		"--user-data-dir="+filepath.Join(dir, "profile"),
		(&url.URL{Scheme: "file", Path: in}).String(),
	)
	cmd := exec.CommandContext(ctx, bin, args...)
	// Chromium keeps its crash-report database and a few caches under the
	// home directory whatever --user-data-dir says: point it at the
	// temporary one too, so that printing leaves nothing in ~.
	home := filepath.Join(dir, "home")
	cmd.Env = append(os.Environ(),
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
	)
	// Its own process group, so one kill reaches the browser, its renderer
	// and its other helpers, and none is left running after a timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return procgroup.Kill(cmd) }
	cmd.WaitDelay = chromiumWaitDelay
	log := &chromiumLog{}
	// One writer for both: exec then lets only one goroutine write at a time.
	cmd.Stdout = log
	cmd.Stderr = log
	runErr := cmd.Run()
	if runErr != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("scantest: chromium printing to PDF: %w", ctx.Err())
	}

	// Chromium logs errors on every run in a container (no D-Bus, no GPU),
	// so its output says nothing about the print: the PDF does. A complete
	// PDF is taken even if Chromium then exited badly, since it was written
	// before the exit; tests read it back and check its text anyway.
	pdf, readErr := os.ReadFile(out)
	if readErr == nil && completePDF(pdf) {
		return pdf, nil
	}
	switch {
	case runErr != nil:
		return nil, fmt.Errorf("scantest: chromium printed no PDF: %w; it logged:\n%s", runErr, log.tail())
	case readErr != nil:
		return nil, fmt.Errorf("scantest: chromium exited without printing a PDF: %w; it logged:\n%s", readErr, log.tail())
	default:
		return nil, fmt.Errorf("scantest: chromium printed an incomplete PDF of %d bytes; it logged:\n%s", len(pdf), log.tail())
	}
}

// chromiumPath finds Chromium under its Debian name, then under the name
// some other distributions give it.
func chromiumPath() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w (neither chromium nor chromium-browser is in $PATH)", ErrNoChromium)
}

// completePDF reports whether pdf starts as a PDF and has the end-of-file
// marker near its end: a Chromium killed while writing leaves a file
// without it.
func completePDF(pdf []byte) bool {
	tail := pdf[max(0, len(pdf)-1024):]
	return bytes.HasPrefix(pdf, []byte("%PDF-")) && bytes.Contains(tail, []byte("%%EOF"))
}

// chromiumLogMax is how much of Chromium's output is kept.
const chromiumLogMax = 16 << 10

// chromiumLog keeps the end of Chromium's output: the lines that say why a
// print failed come last, after the complaints it logs on every run.
type chromiumLog struct {
	buf []byte
}

func (l *chromiumLog) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	if over := len(l.buf) - chromiumLogMax; over > 0 {
		l.buf = append(l.buf[:0], l.buf[over:]...)
	}
	return len(p), nil
}

// tail returns the last lines logged, without D-Bus complaints: a container
// has no D-Bus and Chromium says so a few dozen times on every run.
func (l *chromiumLog) tail() string {
	var lines []string
	for line := range strings.SplitSeq(string(l.buf), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.Contains(line, ":ERROR:dbus/") {
			continue
		}
		lines = append(lines, line)
	}
	if len(lines) > 10 {
		lines = lines[len(lines)-10:]
	}
	if len(lines) == 0 {
		return "(nothing)"
	}
	return strings.Join(lines, "\n")
}

// Namespaces of WordprocessingML as Word writes it (transitional) and of
// markup compatibility. Elements are matched by namespace and local name, so
// that DrawingML's a:p or a:t is not taken for a Word paragraph or text.
const (
	docxWordNS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
	docxMCNS   = "http://schemas.openxmlformats.org/markup-compatibility/2006"
)

// docxMainPart is the document body's part. Word always names it so;
// _rels/.rels could point elsewhere but test fixtures do not.
const docxMainPart = "word/document.xml"

// docxMaxPart caps how much of the body part is decompressed: a zip bomb in
// a fixture should fail the test, not the machine.
const docxMaxPart = 8 << 20

// docxCSS lays the document out as a plain letter on A4. Fixtures' tables
// have no borders, and their first column holds the questions.
const docxCSS = `@page { size: A4; margin: 25mm }
body { margin: 0; font-family: "Liberation Sans", sans-serif; font-size: 11pt; line-height: 1.35 }
p { margin: 0 0 8pt; white-space: pre-wrap }
.nested { display: block }
table { width: 100%; border-collapse: collapse; border: none; margin: 0 0 8pt }
td { border: none; padding: 4pt 14pt 4pt 0; vertical-align: top }
td:first-child { width: 45% }
td > p:last-child { margin-bottom: 0 }
`

// DOCXHTML lays a Word .docx out as an HTML letter for PrintHTML, so that a
// test can print and scan a .docx fixture.
//
// Only word/document.xml is read. Kept: paragraphs, empty ones as a blank
// line; the text of runs (w:t), with spaces as typed, a tab as two em
// spaces and a line break (w:br, w:cr) as a line break; bold and italic set
// on the run itself; tables, nested ones too, as borderless tables whose
// first column takes 45% of the width; hyperlinks, content controls,
// insertions and field results as their text. List numbers are a simple
// approximation: a paragraph with its own numbering (w:numPr) starts with
// "N. ", N counted per list and level (numId, ilvl), a deeper level
// restarting when a shallower one advances. word/numbering.xml is not read,
// so bullets, letters and roman numerals also print as "1.", "2.", start
// values and restarts are ignored, and numbering that comes from a
// paragraph style prints no number.
//
// Not rendered: styles (so headings, fonts, sizes, colours, alignment,
// indentation and spacing are all the page's own, and bold from a style is
// lost), headers, footers, footnotes, comments, images, hidden text,
// deleted text and field codes; a text box's paragraphs flow inline as
// lines, and the fallback copy of a drawing (mc:Fallback) is skipped.
//
// The error says why when docx is not a zip, has no word/document.xml, that
// part is larger than 8 MiB decompressed, or it is not well-formed
// WordprocessingML.
func DOCXHTML(docx []byte) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	if err != nil {
		return "", fmt.Errorf("scantest: docx is not a zip: %w", err)
	}
	var part *zip.File
	for _, f := range zr.File {
		if strings.TrimPrefix(f.Name, "/") == docxMainPart {
			part = f
			break
		}
	}
	if part == nil {
		return "", fmt.Errorf("scantest: docx has no %s", docxMainPart)
	}
	rc, err := part.Open()
	if err != nil {
		return "", fmt.Errorf("scantest: opening %s of docx: %w", docxMainPart, err)
	}
	defer rc.Close()

	// One byte over the cap tells a part that is too large from one that
	// ends exactly at it.
	lr := &io.LimitedReader{R: rc, N: docxMaxPart + 1}
	tooLarge := func() error {
		if lr.N > 0 {
			return nil
		}
		return fmt.Errorf("scantest: %s of docx is larger than %d bytes decompressed", docxMainPart, docxMaxPart)
	}
	dec := xml.NewDecoder(lr)
	r := &docxRenderer{counts: map[docxLevel]int{}}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			if err := tooLarge(); err != nil {
				return "", err
			}
			return "", fmt.Errorf("scantest: reading %s of docx: %w", docxMainPart, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			// Word writes a drawing twice, as mc:Choice for itself and as
			// mc:Fallback for older readers; a text box in it would print
			// twice.
			if t.Name.Space == docxMCNS && t.Name.Local == "Fallback" {
				if err := dec.Skip(); err != nil {
					return "", fmt.Errorf("scantest: reading %s of docx: %w", docxMainPart, err)
				}
				continue
			}
			r.start(t)
		case xml.EndElement:
			r.end(t)
		case xml.CharData:
			r.text(t)
		}
	}
	if err := tooLarge(); err != nil {
		return "", err
	}
	if !r.sawDocument {
		return "", fmt.Errorf("scantest: %s of docx is not a WordprocessingML document (no w:document)", docxMainPart)
	}

	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><style>\n")
	b.WriteString(docxCSS)
	b.WriteString("</style></head><body>\n")
	b.WriteString(r.body.String())
	b.WriteString("</body></html>\n")
	return b.String(), nil
}

// docxLevel is a level of a Word list.
type docxLevel struct {
	numID string
	level int
}

// docxFrame is a paragraph (w:p) or run (w:r) being read. Its HTML is
// gathered until it ends, because what wraps it (a list number, <b>) is
// known only from properties that come first but are read along the way.
type docxFrame struct {
	run bool // a w:r, else a w:p
	buf strings.Builder

	// Of a run.
	bold, italic, hidden bool

	// Of a paragraph.
	numbered bool
	numID    string
	level    int
}

// docxRenderer turns the tokens of word/document.xml into HTML.
type docxRenderer struct {
	body        strings.Builder
	open        []xml.Name   // elements open now, outermost first
	frames      []*docxFrame // paragraphs and runs open now, outermost first
	cells       int          // table cells open now
	counts      map[docxLevel]int
	sawDocument bool
}

// sink is where HTML goes now: the innermost open paragraph or run, else the
// body.
func (r *docxRenderer) sink() *strings.Builder {
	if len(r.frames) == 0 {
		return &r.body
	}
	return &r.frames[len(r.frames)-1].buf
}

// top is the innermost open paragraph or run, or nil.
func (r *docxRenderer) top() *docxFrame {
	if len(r.frames) == 0 {
		return nil
	}
	return r.frames[len(r.frames)-1]
}

// newline ends a block with a line break when it sits in the body, to keep
// the HTML readable; inside a paragraph, whose spaces are kept, it would
// print.
func (r *docxRenderer) newline() {
	if len(r.frames) == 0 {
		r.body.WriteByte('\n')
	}
}

// in reports whether the element just opened sits directly in the given
// chain of Word elements, outermost first: in("r", "rPr") for a property of
// a run, not of a paragraph mark or of a tracked change.
func (r *docxRenderer) in(chain ...string) bool {
	n := len(r.open) - 1 // the element itself
	if n < len(chain) {
		return false
	}
	for i, local := range chain {
		name := r.open[n-len(chain)+i]
		if name.Space != docxWordNS || name.Local != local {
			return false
		}
	}
	return true
}

func (r *docxRenderer) start(t xml.StartElement) {
	r.open = append(r.open, t.Name)
	if t.Name.Space != docxWordNS {
		return
	}
	f := r.top()
	switch t.Name.Local {
	case "document":
		if len(r.open) == 1 {
			r.sawDocument = true
		}
	case "p":
		r.frames = append(r.frames, &docxFrame{})
	case "r":
		r.frames = append(r.frames, &docxFrame{run: true})
	case "tbl":
		r.sink().WriteString("<table>")
		r.newline()
	case "tr":
		r.sink().WriteString("<tr>")
	case "tc":
		r.cells++
		r.sink().WriteString("<td>")
	case "tab", "ptab":
		// w:tab also defines tab stops in a paragraph's properties; only one
		// in a run is a tab.
		if r.in("r") && f != nil && f.run {
			f.buf.WriteString("&emsp;&emsp;")
		}
	case "br", "cr":
		if r.in("r") && f != nil && f.run {
			f.buf.WriteString("<br>")
		}
	case "b", "i", "vanish":
		if !r.in("r", "rPr") || f == nil || !f.run {
			return
		}
		on := docxOn(t)
		switch t.Name.Local {
		case "b":
			f.bold = on
		case "i":
			f.italic = on
		default:
			f.hidden = on
		}
	case "numId", "ilvl":
		if !r.in("p", "pPr", "numPr") || f == nil || f.run {
			return
		}
		val := docxVal(t)
		if t.Name.Local == "numId" {
			// numId 0 switches off numbering a style would give.
			f.numID = val
			f.numbered = val != "" && val != "0"
		} else if n, err := strconv.Atoi(val); err == nil && n >= 0 {
			f.level = n
		}
	}
}

func (r *docxRenderer) end(t xml.EndElement) {
	r.open = r.open[:len(r.open)-1]
	if t.Name.Space != docxWordNS {
		return
	}
	switch t.Name.Local {
	case "p":
		f := r.frames[len(r.frames)-1]
		r.frames = r.frames[:len(r.frames)-1]
		content := f.buf.String()
		if f.numbered {
			content = strconv.Itoa(r.number(f.numID, f.level)) + ". " + content
		}
		if content == "" {
			// Word prints an empty paragraph as a blank line; an empty <p>
			// has no height.
			content = "<br>"
		}
		if len(r.frames) == 0 {
			r.body.WriteString("<p>" + content + "</p>")
		} else {
			// A paragraph in a text box inside a paragraph: a <p> there
			// would end the outer one.
			r.sink().WriteString(`<span class="nested">` + content + "</span>")
		}
		if r.cells == 0 {
			r.newline() // a row's cells stay on its line
		}
	case "r":
		f := r.frames[len(r.frames)-1]
		r.frames = r.frames[:len(r.frames)-1]
		content := f.buf.String()
		if content == "" || f.hidden {
			return
		}
		if f.italic {
			content = "<i>" + content + "</i>"
		}
		if f.bold {
			content = "<b>" + content + "</b>"
		}
		r.sink().WriteString(content)
	case "tbl":
		r.sink().WriteString("</table>")
		r.newline()
	case "tr":
		r.sink().WriteString("</tr>")
		r.newline()
	case "tc":
		r.cells--
		r.sink().WriteString("</td>")
	}
}

// text keeps the characters of a w:t; other character data is layout
// whitespace, deleted text (w:delText) or field codes (w:instrText).
func (r *docxRenderer) text(t xml.CharData) {
	if len(r.open) == 0 {
		return
	}
	if name := r.open[len(r.open)-1]; name.Space != docxWordNS || name.Local != "t" {
		return
	}
	if f := r.top(); f != nil && f.run {
		f.buf.WriteString(html.EscapeString(string(t)))
	}
}

// number counts a list paragraph at level of list numID and returns its
// number. Deeper levels of the list restart, as they do in Word.
func (r *docxRenderer) number(numID string, level int) int {
	for k := range r.counts {
		if k.numID == numID && k.level > level {
			delete(r.counts, k)
		}
	}
	k := docxLevel{numID, level}
	r.counts[k]++
	return r.counts[k]
}

// docxVal returns an element's w:val attribute.
func docxVal(t xml.StartElement) string {
	for _, a := range t.Attr {
		if a.Name.Local == "val" && (a.Name.Space == docxWordNS || a.Name.Space == "") {
			return a.Value
		}
	}
	return ""
}

// docxOn reads an on/off property such as <w:b/>: present means on, unless
// its w:val says off.
func docxOn(t xml.StartElement) bool {
	switch docxVal(t) {
	case "0", "false", "off":
		return false
	}
	return true
}
