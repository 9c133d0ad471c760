package extract

// Reading one page: a PDF page rendered by pdftoppm, its image read by
// tesseract under the page's own timeout, in the first language and again
// with all of them when it looks Welsh (looksWelsh), and the errors that
// say in words why a page was not read (pageError).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// readPage renders (if need be) and reads one page under its own timeout.
func readPage(actx context.Context, p ocrPage, total int, l OCRLimits) pageOut {
	if actx.Err() != nil {
		return pageOut{}
	}
	pctx, cancel := context.WithTimeout(actx, l.PageTimeout)
	defer cancel()
	pageErr := func(err error) pageOut {
		switch {
		case actx.Err() != nil:
			return pageOut{} // said once for all such pages by ocrPages
		case pctx.Err() != nil:
			return pageOut{skip: fmt.Sprintf("reading it took longer than the limit of %s per page", l.PageTimeout),
				cause: fmt.Errorf("%w: OCR of a page ran longer than %s: %w", ErrTimeout, l.PageTimeout, pctx.Err())}
		}
		var pe *pageError
		if errors.As(err, &pe) {
			return pageOut{skip: pe.reason, cause: err}
		}
		return pageOut{skip: err.Error(), cause: err}
	}
	// Read with the first language alone, and again with all of them,
	// first language first, when Welsh is among the others and the page
	// looks Welsh (see looksWelsh).
	langs := strings.Split(l.Languages, "+")
	var best pageOut
	for pass, order := range [][]string{langs[:1], langs} {
		if pass == 1 && (!slices.Contains(langs[1:], "cym") || !looksWelsh(best)) {
			break
		}
		img, err := p.img(pctx)
		if err != nil {
			if pass == 1 {
				break // the first read stands
			}
			return pageErr(err)
		}
		r := runTesseract(pctx, img, p.dpi, strings.Join(order, "+"), l)
		if r.err != nil {
			if pass == 1 {
				break
			}
			return pageErr(r.err)
		}
		o := parseTSV(r.out)
		o.done = true
		if r.truncated {
			o.note = fmt.Sprintf("page %d of %d read only in part: OCR output was over %d MiB", p.num, total, ocrMaxTSV>>20)
		}
		if pass == 0 || o.meanConf() > best.meanConf() {
			best = o
		}
	}
	return best
}

func (o pageOut) meanConf() float64 {
	if o.words == 0 {
		return 0
	}
	return o.confSum / float64(o.words)
}

// looksWelsh tells whether a page read with the first of the languages
// may be in Welsh: one word in twenty is one of Welsh's commonest words
// ("yr", "mae", "gwybodaeth", ...). (Confidence does not
// tell: tesseract with eng reads a Welsh letter at about 91, with eng+cym
// at 94.)
//
// Why not read every page with all the languages at once: tesseract with
// eng+cym reads English letters worse than with eng alone; it takes Welsh
// words for English ones it cannot quite see ("PWDIN" for "Programme") and
// reads "0 (no individuals ...)" as "O (no ...)".
func looksWelsh(o pageOut) bool {
	if o.words == 0 {
		return false
	}
	welsh := 0
	for w := range strings.FieldsSeq(o.text) {
		if welshWords[strings.ToLower(strings.Trim(w, ".,;:()“”‘’'\""))] {
			welsh++
		}
	}
	return welsh >= 3 && welsh*20 >= o.words
}

// welshWords are common Welsh words that are not English words, and
// words of Welsh FOI letters.
var welshWords = map[string]bool{
	"yr": true, "yn": true, "mae": true, "ac": true, "eich": true, "ein": true, "gan": true, "wedi": true,
	"bod": true, "hyn": true, "gyda": true, "ddim": true, "ydym": true, "chi": true, "hefyd": true,
	"neu": true, "ond": true, "sydd": true, "drwy": true, "nad": true, "oes": true, "fel": true,
	"cais": true, "gwybodaeth": true, "rhyddid": true, "heddlu": true, "comisiynydd": true,
	"cyngor": true, "diolch": true, "annwyl": true, "cywir": true, "ymateb": true, "rhif": true,
}

// renderPage runs pdftoppm on one page and returns it as a binary PGM.
// PGM, not PNG: pdftoppm spends about 0.6 s of CPU compressing a 200 dpi
// A4 PNG and 0.06 s writing the PGM, and tesseract reads the same words
// from both. The image (at most MaxPixels bytes) is held in memory, never
// in a file.
// sizeHint is the PGM's expected size in bytes, 0 if unknown.
func renderPage(ctx context.Context, pdftoppm string, data []byte, page, dpi, sizeHint int, l OCRLimits) ([]byte, error) {
	n := strconv.Itoa(page)
	r := runChild(ctx, child{
		path:     pdftoppm,
		args:     []string{"-r", strconv.Itoa(dpi), "-gray", "-f", n, "-l", n, "-singlefile", "-"},
		stdin:    bytes.NewReader(data),
		maxOut:   int(min(l.MaxPixels+1024, math.MaxInt32)),
		sizeHint: sizeHint,
		maxMem:   l.renderMemory(),
	})
	if r.truncated {
		return nil, pageErrorf(ErrTooLarge, "the rendered page was over %s", megapixels(l.MaxPixels))
	}
	if r.err != nil {
		return nil, toolError("pdftoppm", "it could not be rendered", r, l.renderMemory())
	}
	// A page pdfinfo gave no size for: check what came out.
	w, h, ok := pgmSize(r.out)
	if !ok {
		return nil, pageErrorf(ErrCorrupt, "it could not be rendered (pdftoppm printed no image: %s)", firstLine(r.stderr))
	}
	if px := w * h; px > l.MaxPixels {
		return nil, pageErrorf(ErrTooLarge, "its %d x %d image is over the limit of %s", w, h, megapixels(l.MaxPixels))
	}
	despecklePGM(r.out)
	return r.out, nil
}

// runTesseract reads one page image from stdin and returns its TSV.
func runTesseract(ctx context.Context, img io.Reader, dpi int, langs string, l OCRLimits) childResult {
	info := tesseractInfo()
	if info.err != nil {
		return childResult{err: info.err}
	}
	// --psm 4: a single column of text of variable sizes; read letters and
	// two-column answer tables in order (FIELD-NOTES).
	args := []string{"stdin", "stdout", "--psm", "4", "-l", langs}
	if dpi > 0 {
		args = append(args, "--dpi", strconv.Itoa(dpi))
	}
	args = append(args, "tsv")
	r := runChild(ctx, child{
		path:   info.path,
		args:   args,
		stdin:  img,
		env:    append(os.Environ(), "OMP_THREAD_LIMIT=1"),
		maxOut: ocrMaxTSV,
		maxMem: l.tesseractMemory(),
	})
	if r.err != nil && !r.truncated {
		r.err = toolError("tesseract", "tesseract could not read it", r, l.tesseractMemory())
	} else {
		r.err = nil
	}
	return r
}

// pageError is why a page could not be read: reason in words for Skipped
// ("tesseract could not read it (Premature end of JPEG file)"), kind one
// of the package's sentinel errors.
type pageError struct {
	kind   error
	reason string
}

func (e *pageError) Error() string { return e.kind.Error() + ": " + e.reason }
func (e *pageError) Unwrap() error { return e.kind }

func pageErrorf(kind error, format string, args ...any) error {
	return &pageError{kind: kind, reason: fmt.Sprintf(format, args...)}
}

// toolError turns a failed child into a *pageError; what says what could
// not be done ("tesseract could not read it").
func toolError(tool, what string, r childResult, maxMem int64) error {
	detail := firstLine(r.stderr)
	for _, sign := range []string{"Out of memory", "bad_alloc", "Cannot allocate memory", "failed to map segment"} {
		if strings.Contains(r.stderr, sign) {
			return pageErrorf(ErrTooLarge, "%s ran out of its memory cap of %d MiB (%s)", tool, maxMem>>20, detail)
		}
	}
	var ee *exec.ExitError
	if errors.As(r.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			if sig := ws.Signal(); sig == syscall.SIGABRT || sig == syscall.SIGKILL {
				return pageErrorf(ErrTooLarge, "%s was stopped by %v, most likely at its memory cap of %d MiB (%s)", tool, sig, maxMem>>20, detail)
			}
			return pageErrorf(ErrCorrupt, "%s: %s crashed (%v: %s)", what, tool, ws.Signal(), detail)
		}
		if strings.Contains(strings.ToLower(r.stderr), "password") {
			return pageErrorf(ErrEncrypted, "%s: the pdf needs a password (%s)", what, detail)
		}
		return pageErrorf(ErrCorrupt, "%s (%s exit code %d: %s)", what, tool, ee.ExitCode(), detail)
	}
	return pageErrorf(ErrCorrupt, "%s (%s: %v)", what, tool, r.err)
}
