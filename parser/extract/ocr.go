package extract

// OCR of scanned PDFs and of images (photographed or scanned pages): the
// entry points (OCRPDF, OCRImage, NeedsOCR) and the scheduling of pages
// (page budgets, pages read in parallel, what was not read and why).
//
// A PDF is rendered one page at a time by `pdftoppm -r DPI -gray` (PGM)
// (Debian poppler-utils), and each page image is read by `tesseract --psm 4
// ... tsv` (Debian tesseract-ocr 5.3). Every child runs through runChild
// (child.go), as pdftotext does: its own process group killed on timeout
// or cancellation, capped output, an address-space cap (startCapped). Page
// images travel through pipes (stdin/stdout), so no temporary file ever
// holds a page of a citizen's letter. Pages are read in parallel, up to
// OCRLimits.Parallel processes at once; each tesseract runs with
// OMP_THREAD_LIMIT=1, which on 2 cores is about 5 times faster than
// tesseract's own threads (FIELD-NOTES "OCR of scanned replies").
//
// A rendered page loses its salt and pepper (despecklePGM) before tesseract
// sees it. Each page is read with the first configured language (English);
// a page whose words look Welsh is read again with all of them
// (looksWelsh). Tesseract's word boxes are laid out as pdftotext
// -layout lays out a text PDF (parseTSV), so that tables keep their
// columns and the parser reads a scan with the same rules as a PDF.
//
// The parts live in files of their own: limits and what tesseract can do
// here in ocrlimits.go, reading one page in ocrpage.go, despeckling in
// despeckle.go, the layout of tesseract's words in tsvlayout.go, the pages
// of a TIFF in tiff.go, the bounded child runner in child.go.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // image.DecodeConfig and Decode of JPEG
	_ "image/png"  // image.DecodeConfig and Decode of PNG
	"io"
	"math"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// OCRResult is the text read from the images of one attachment.
type OCRResult struct {
	Text       string   // NFKC-normalised like every text of the package; pages separated by a blank line
	Confidence float64  // mean word confidence 0-100 over the words read (tesseract's conf, words with conf >= 0); 0 when no word was read
	Pages      int      // pages read
	Skipped    []string // what was not read, or read only in part, as sentences a person understands ("pages 31-300 of 300 skipped: limit of 30 pages per attachment"); the caller prefixes the attachment's name
}

// NeedsOCR tells from pdftotext's output whether a PDF is a scan: true when
// the text is (almost) empty: only form feeds and white space, fewer than
// 20 letters per page on average, or more than half of the pages with fewer
// than 20 letters (a scan with a stamped page number or a typed cover
// page). Pages are counted by the form feeds pdftotext puts after each page;
// text without form feeds (PDF's output, where they became blank lines)
// counts as one page.
func NeedsOCR(pdfText string) bool {
	const minLetters = 20
	pages := strings.Split(pdfText, "\f")
	if len(pages) > 1 && strings.TrimSpace(pages[len(pages)-1]) == "" {
		pages = pages[:len(pages)-1] // pdftotext ends every page with \f
	}
	total, sparse := 0, 0
	for _, p := range pages {
		n := 0
		for _, r := range p {
			if unicode.IsLetter(r) {
				n++
			}
		}
		total += n
		if n < minLetters {
			sparse++
		}
	}
	return total < minLetters*len(pages) || 2*sparse > len(pages)
}

// ocrPage is one page image to read: img returns its bytes (rendering it
// if need be) under the page's context.
type ocrPage struct {
	num  int // 1-based, for sentences
	dpi  int // 0: let tesseract read it from the image
	note string
	// img gives the page's image; it is called again for a second read
	// (a page that looks Welsh), so it keeps what is costly to make. One
	// goroutine reads a page.
	img func(ctx context.Context) (io.Reader, error)
}

// pageOut is what became of one page.
type pageOut struct {
	done    bool
	text    string
	confSum float64
	words   int
	skip    string // why the page was not read
	cause   error  // the error behind skip
	note    string // read, but with a remark
}

// OCRPDF reads a scanned PDF: each page is rendered with pdftoppm and read
// by tesseract. At most min(MaxPagesPerAttachment, MaxPagesPerMessage)
// pages are read; the others, and pages that failed or ran out of time, are
// listed in Skipped, and the text of the pages read is returned.
//
// The error is nil when at least one page was read (or the PDF has no
// pages). Otherwise it wraps ErrOCRDisabled, ErrOCRUnavailable,
// ErrToolMissing (pdftoppm, pdfinfo or a language), ErrTooLarge,
// ErrEncrypted, ErrCorrupt or ErrTimeout; after a cancellation it wraps
// context.Canceled, with the pages read so far. ErrTruncated comes with the
// text when it was longer than DefaultMaxOutput characters.
func OCRPDF(ctx context.Context, data []byte, lim *OCRLimits) (OCRResult, error) {
	l, _, err := ocrSetup(lim)
	if err != nil {
		return OCRResult{}, err
	}
	if len(data) > DefaultMaxInput {
		return OCRResult{}, fmt.Errorf("%w: pdf is larger than %d bytes", ErrTooLarge, DefaultMaxInput)
	}
	pdftoppm, err := exec.LookPath("pdftoppm")
	if err != nil {
		return OCRResult{}, toolMissing("pdftoppm", err)
	}
	pdfinfo, err := exec.LookPath("pdfinfo")
	if err != nil {
		return OCRResult{}, toolMissing("pdfinfo", err)
	}
	actx, cancel := context.WithTimeout(ctx, l.Timeout)
	defer cancel()

	limit, why := l.maxPages()
	total, sizes, err := pdfPageSizes(actx, pdfinfo, data, limit)
	if err != nil {
		return OCRResult{}, attachmentError(ctx, actx, l, err)
	}
	var pages []ocrPage
	for n := 1; n <= min(total, limit); n++ {
		dpi, note, hint := l.DPI, "", 0
		if sz, ok := sizes[n]; ok {
			if px := sz[0] / 72 * sz[1] / 72 * float64(l.DPI) * float64(l.DPI); px > float64(l.MaxPixels) {
				dpi = max(1, int(72*math.Sqrt(float64(l.MaxPixels)/(sz[0]*sz[1]))))
				note = fmt.Sprintf("page %d of %d read at %d dpi instead of %d: at %d dpi its %.0f x %.0f inch page would be over the limit of %s",
					n, total, dpi, l.DPI, l.DPI, sz[0]/72, sz[1]/72, megapixels(l.MaxPixels))
			}
			hint = int(min(float64(l.MaxPixels), sz[0]/72*float64(dpi)*sz[1]/72*float64(dpi))) + 64
		}
		var pgm []byte // rendered once, though read twice when it looks Welsh
		pages = append(pages, ocrPage{num: n, dpi: dpi, note: note, img: func(ctx context.Context) (io.Reader, error) {
			if pgm == nil {
				var err error
				if pgm, err = renderPage(ctx, pdftoppm, data, n, dpi, hint, l); err != nil {
					return nil, err
				}
			}
			return bytes.NewReader(pgm), nil
		}})
	}
	res, err := ocrPages(ctx, actx, pages, total, l)
	if total > limit {
		res.Skipped = append([]string{limitSentence(limit, total, why)}, res.Skipped...)
	}
	return res, err
}

// OCRImage reads a JPEG, PNG or TIFF (every page of a multi-page TIFF, up
// to the page limits), told by its first bytes. An image whose header
// claims more than MaxPixels pixels is not decoded at all: it is listed in
// Skipped. Errors as for OCRPDF; an image that is neither JPEG, PNG nor TIFF
// is ErrCorrupt.
func OCRImage(ctx context.Context, data []byte, lim *OCRLimits) (OCRResult, error) {
	l, _, err := ocrSetup(lim)
	if err != nil {
		return OCRResult{}, err
	}
	if len(data) > DefaultMaxInput {
		return OCRResult{}, fmt.Errorf("%w: image is larger than %d bytes", ErrTooLarge, DefaultMaxInput)
	}
	actx, cancel := context.WithTimeout(ctx, l.Timeout)
	defer cancel()
	limit, why := l.maxPages()

	switch f := Sniff(data); f {
	case FormatJPEG, FormatPNG:
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return OCRResult{}, fmt.Errorf("%w: %s image header unreadable: %w", ErrCorrupt, f, err)
		}
		if px := int64(cfg.Width) * int64(cfg.Height); px > l.MaxPixels {
			s := fmt.Sprintf("%s image of %d x %d pixels (%s) not read: over the limit of %s per image",
				strings.ToUpper(string(f)), cfg.Width, cfg.Height, megapixels(px), megapixels(l.MaxPixels))
			return OCRResult{Skipped: []string{s}}, fmt.Errorf("%w: %s", ErrTooLarge, s)
		}
		note := ""
		if truncatedImage(f, data) {
			note = fmt.Sprintf("the %s image is truncated (its end is missing)", strings.ToUpper(string(f)))
		}
		var pgm []byte // decoded, grey and despeckled once, though read twice when it looks Welsh
		return ocrPages(ctx, actx, []ocrPage{{num: 1, note: note, img: func(context.Context) (io.Reader, error) {
			if pgm == nil {
				pgm = despeckledImage(data, int64(cfg.Width)*int64(cfg.Height))
			}
			return bytes.NewReader(pgm), nil
		}}}, 1, l)
	case FormatTIFF:
		t, err := readTIFF(data)
		if err != nil {
			return OCRResult{}, fmt.Errorf("%w: tiff: %w", ErrCorrupt, err)
		}
		total := len(t.pages)
		var pages []ocrPage
		var tooBig []string
		for i, p := range t.pages[:min(total, limit)] {
			if px := int64(p.w) * int64(p.h); px > l.MaxPixels {
				tooBig = append(tooBig, fmt.Sprintf("page %d of %d not read: %d x %d pixels (%s) is over the limit of %s per image",
					i+1, total, p.w, p.h, megapixels(px), megapixels(l.MaxPixels)))
				continue
			}
			pages = append(pages, ocrPage{num: i + 1, img: func(context.Context) (io.Reader, error) {
				return t.page(i), nil
			}})
		}
		res, err := ocrPages(ctx, actx, pages, total, l)
		res.Skipped = append(tooBig, res.Skipped...)
		if total > limit {
			res.Skipped = append([]string{limitSentence(limit, total, why)}, res.Skipped...)
		}
		if len(pages) == 0 && len(tooBig) > 0 && err == nil {
			err = fmt.Errorf("%w: %s", ErrTooLarge, tooBig[0])
		}
		return res, err
	default:
		return OCRResult{}, fmt.Errorf("%w: not a JPEG, PNG or TIFF image (its first bytes say %s)", ErrCorrupt, f)
	}
}

// limitSentence says that the pages after the limit were not read.
func limitSentence(limit, total int, why string) string {
	if limit+1 == total {
		return fmt.Sprintf("page %d of %d skipped: %s", total, total, why)
	}
	return fmt.Sprintf("pages %d-%d of %d skipped: %s", limit+1, total, total, why)
}

// truncatedImage reports a JPEG without its end-of-image marker, or a PNG
// without its IEND chunk: a download or a mail cut short.
func truncatedImage(f Format, data []byte) bool {
	tail := bytes.TrimRight(data, "\x00\r\n\t ")
	tail = tail[max(0, len(tail)-64):]
	switch f {
	case FormatJPEG:
		return !bytes.HasSuffix(tail, []byte{0xff, 0xd9})
	case FormatPNG:
		return !bytes.Contains(tail, []byte("IEND"))
	}
	return false
}

func megapixels(px int64) string {
	return strconv.FormatFloat(float64(px)/1e6, 'f', -1, 64) + " megapixels"
}

// ocrPages reads pages in parallel, up to l.Parallel at once, each under
// l.PageTimeout and all under actx (the attachment's deadline, derived
// from the caller's ctx), and puts the result together.
func ocrPages(ctx, actx context.Context, pages []ocrPage, total int, l OCRLimits) (OCRResult, error) {
	outs := make([]pageOut, len(pages))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(l.Parallel, len(pages)) {
		wg.Go(func() {
			for i := range next {
				outs[i] = readPage(actx, pages[i], total, l)
			}
		})
	}
feed:
	for i := range pages {
		select {
		case next <- i:
		case <-actx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()

	var res OCRResult
	var texts []string
	var confSum float64
	words := 0
	var firstCause error
	for i, o := range outs {
		if pages[i].note != "" {
			res.Skipped = append(res.Skipped, pages[i].note)
		}
		if !o.done && o.skip == "" { // never started: the attachment ran out of time
			o.skip, o.cause = contextReason(ctx, actx, l)
			outs[i] = o
		}
		if o.note != "" {
			res.Skipped = append(res.Skipped, o.note)
		}
		if o.done {
			res.Pages++
			texts = append(texts, o.text)
			confSum += o.confSum
			words += o.words
		} else if firstCause == nil {
			firstCause = o.cause
		}
	}
	res.Skipped = append(res.Skipped, skippedRanges(pages, outs, total)...)
	if words > 0 {
		res.Confidence = math.Round(confSum/float64(words)*10) / 10
	}
	text, err := finish(strings.Join(texts, "\n\n"), (*Limits)(nil).WithDefaults(), false, "ocr")
	res.Text = text
	if errors.Is(ctx.Err(), context.Canceled) {
		return res, fmt.Errorf("extract: OCR stopped after %d of %d pages: %w", res.Pages, len(pages), ctx.Err())
	}
	if res.Pages == 0 && firstCause != nil {
		return res, fmt.Errorf("extract: no page could be read: %w", firstCause)
	}
	return res, err
}

// skippedRanges says which pages were not read and why, one sentence per
// run of consecutive pages with the same reason.
func skippedRanges(pages []ocrPage, outs []pageOut, total int) []string {
	var s []string
	for i := 0; i < len(outs); {
		if outs[i].done {
			i++
			continue
		}
		j := i
		for j+1 < len(outs) && !outs[j+1].done && outs[j+1].skip == outs[i].skip && pages[j+1].num == pages[j].num+1 {
			j++
		}
		if i == j {
			s = append(s, fmt.Sprintf("page %d of %d skipped: %s", pages[i].num, total, outs[i].skip))
		} else {
			s = append(s, fmt.Sprintf("pages %d-%d of %d skipped: %s", pages[i].num, pages[j].num, total, outs[i].skip))
		}
		i = j + 1
	}
	return s
}

// contextReason says why actx ended, in words and as an error.
func contextReason(ctx, actx context.Context, l OCRLimits) (string, error) {
	if errors.Is(ctx.Err(), context.Canceled) {
		return "reading was cancelled", ctx.Err()
	}
	if ctx.Err() != nil { // the caller's own deadline
		return "the deadline for the message passed", fmt.Errorf("%w: OCR stopped at the caller's deadline: %w", ErrTimeout, ctx.Err())
	}
	return fmt.Sprintf("the time limit of %s for the attachment ran out", l.Timeout),
		fmt.Errorf("%w: OCR of the attachment ran longer than %s: %w", ErrTimeout, l.Timeout, actx.Err())
}

// attachmentError is the error of a step that concerns the whole
// attachment (pdfinfo).
func attachmentError(ctx, actx context.Context, l OCRLimits, err error) error {
	if actx.Err() != nil {
		_, cause := contextReason(ctx, actx, l)
		return cause
	}
	return err
}

// pdfPageSizes runs pdfinfo: the number of pages, and the size in points of
// each of the first limit pages.
func pdfPageSizes(ctx context.Context, pdfinfo string, data []byte, limit int) (int, map[int][2]float64, error) {
	ictx, cancel := context.WithTimeout(ctx, ocrInfoTimeout)
	defer cancel()
	r := runChild(ictx, child{
		path:   pdfinfo,
		args:   []string{"-f", "1", "-l", strconv.Itoa(max(1, limit)), "-"},
		stdin:  bytes.NewReader(data),
		maxOut: 1 << 20,
		maxMem: DefaultMaxMemory,
	})
	if ictx.Err() != nil {
		return 0, nil, fmt.Errorf("%w: pdfinfo ran longer than %s on the pdf", ErrTimeout, ocrInfoTimeout)
	}
	if r.err != nil {
		return 0, nil, toolError("pdfinfo", "the pdf cannot be opened", r, DefaultMaxMemory)
	}
	total := -1
	sizes := map[int][2]float64{}
	sc := bufio.NewScanner(bytes.NewReader(r.out))
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "Pages:"); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
				total = n
			}
		} else if m := pageSize.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			w, err1 := strconv.ParseFloat(m[2], 64)
			h, err2 := strconv.ParseFloat(m[3], 64)
			if err1 == nil && err2 == nil && w > 0 && h > 0 {
				sizes[n] = [2]float64{w, h}
			}
		}
	}
	if total < 0 {
		return 0, nil, fmt.Errorf("%w: pdfinfo printed no page count (%s)", ErrCorrupt, firstLine(r.stderr))
	}
	return total, sizes, nil
}

var pageSize = regexp.MustCompile(`^Page\s+(\d+) size:\s+([0-9.]+) x ([0-9.]+) pts`)
