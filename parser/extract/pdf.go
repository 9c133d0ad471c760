package extract

// The text of a PDF with a text layer: pdftotext -layout run bounded
// (runChild, child.go), its output made the package's text, and its exit
// made an error an operator can act on.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
)

// pdftotextArgs: -layout keeps a list number on the line of its text and
// table cells in columns (plain mode splits "5." from "12."; see
// FIELD-NOTES "Text from attachments"); "-" "-" reads stdin and writes
// stdout, so no temporary file holds a citizen's letter.
var pdftotextArgs = []string{"-layout", "-enc", "UTF-8", "-", "-"}

// PDF returns the text of a PDF as `pdftotext -layout` lays it out, with
// page breaks turned into PageBreak lines. pdftotext (Debian poppler-utils)
// runs through runChild, as the children of OCR do: in its own process
// group, its address space capped at lim.MaxMemory (see startCapped), its
// output read up to lim.MaxOutput characters, killed as a group after
// lim.Timeout, when ctx ends or when its output is over the cap.
//
// Errors wrap: ErrToolMissing (no pdftotext: a *ToolMissingError, whose
// text says what to install), ErrTooLarge (input, or
// pdftotext ran out of its memory cap), ErrTimeout, ErrEncrypted (a user
// password is needed, or copying text is forbidden), ErrCorrupt (pdftotext
// cannot read it), ErrNoTextLayer (it reads, but has no text: a scan), and
// ErrTruncated together with the text so far. PDFs encrypted with an empty
// user password read like any other. When ctx is cancelled the error wraps
// context.Canceled.
func PDF(ctx context.Context, data []byte, lim *Limits) (string, error) {
	l := lim.WithDefaults()
	if int64(len(data)) > l.MaxInput {
		return "", fmt.Errorf("%w: pdf is larger than %d bytes", ErrTooLarge, l.MaxInput)
	}
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		return "", toolMissing("pdftotext", err)
	}
	runCtx, cancel := context.WithTimeout(ctx, l.Timeout)
	defer cancel()
	r := runChild(runCtx, child{
		path:   tool,
		args:   pdftotextArgs,
		stdin:  bytes.NewReader(data),
		maxOut: l.maxOutputBytes(),
		maxMem: l.MaxMemory,
	})
	switch {
	case r.truncated:
		return finishPDF(r.out, l, true)
	case runCtx.Err() != nil:
		return "", contextError(ctx, runCtx, l)
	case !r.started && isNotFound(r.err):
		return "", toolMissing("pdftotext", r.err)
	case !r.started:
		return "", fmt.Errorf("extract: starting pdftotext: %w", r.err)
	case r.err != nil:
		return "", pdftotextError(r.err, r.stderr, l)
	case len(bytes.Trim(r.out, " \t\r\n\f\v")) == 0:
		// pdftotext prints only form feeds for pages without text.
		return "", fmt.Errorf("%w: pdftotext found no text on any page", ErrNoTextLayer)
	}
	return finishPDF(r.out, l, false)
}

// contextError says why runCtx ended: the caller cancelled ctx, or time ran
// out (ours or the caller's deadline).
func contextError(ctx, runCtx context.Context, l Limits) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("extract: pdftotext stopped: %w", ctx.Err())
	}
	return fmt.Errorf("%w: pdftotext ran longer than %s and was killed: %w", ErrTimeout, l.Timeout, runCtx.Err())
}

func finishPDF(out []byte, l Limits, truncated bool) (string, error) {
	pages := strings.Split(string(out), "\f")
	for i, p := range pages {
		pages[i] = unColumn(p) // two columns of prose, one after the other
	}
	s := strings.Join(pages, "\n"+PageBreak+"\n")
	// -layout puts as many spaces between a list number and its text as
	// the tab stop was wide ("5.   12."); one space reads as Word shows it
	// and as HTML and DOCX give it. Other columns keep their spacing.
	s = layoutLabel.ReplaceAllString(s, "$1$2 $3")
	return finish(s, l, truncated, "pdf")
}

var layoutLabel = regexp.MustCompile(`(?m)^( *)(\d{1,3}[.)]) {2,}(\S)`)

// pdftotextError turns pdftotext's exit into an error an operator can act
// on. Exit codes (pdftotext(1)): 1 cannot open the file (also a wrong
// password), 2 cannot open the output, 3 PDF permissions, 99 other.
func pdftotextError(waitErr error, stderr string, l Limits) error {
	detail := firstLine(stderr)
	var ee *exec.ExitError
	if !errors.As(waitErr, &ee) {
		return fmt.Errorf("extract: running pdftotext: %w", waitErr)
	}
	for _, sign := range []string{"out of memory", "bad_alloc", "cannot allocate memory", "failed to map segment"} {
		// The address-space cap hit while loading (the dynamic loader
		// exits 127 "out of memory") or parsing.
		if strings.Contains(strings.ToLower(stderr), sign) {
			return fmt.Errorf("%w: pdftotext ran out of its memory cap of %d MiB (%s): %w", ErrTooLarge, l.MaxMemory>>20, detail, waitErr)
		}
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		sig := ws.Signal()
		// Poppler calls abort() when an allocation fails ("Out of memory"),
		// which under the address-space cap means the cap was reached.
		if sig == syscall.SIGABRT || sig == syscall.SIGKILL || strings.Contains(stderr, "Out of memory") || strings.Contains(stderr, "bad_alloc") {
			return fmt.Errorf("%w: pdftotext was stopped by %v, most likely at its memory cap of %d MiB (%s): %w",
				ErrTooLarge, sig, l.MaxMemory>>20, detail, waitErr)
		}
		return fmt.Errorf("%w: pdftotext crashed (%v) on this pdf (%s): %w", ErrCorrupt, sig, detail, waitErr)
	}
	switch code := ee.ExitCode(); code {
	case 1:
		if strings.Contains(strings.ToLower(stderr), "password") {
			return fmt.Errorf("%w: pdf needs a password to open (%s): %w", ErrEncrypted, detail, waitErr)
		}
		return fmt.Errorf("%w: pdftotext cannot open the pdf (%s): %w", ErrCorrupt, detail, waitErr)
	case 3:
		return fmt.Errorf("%w: pdf forbids copying its text (%s): %w", ErrEncrypted, detail, waitErr)
	default:
		return fmt.Errorf("%w: pdftotext failed with exit code %d (%s): %w", ErrCorrupt, code, detail, waitErr)
	}
}
