package extract

// OCR of scanned PDFs and of images (photographed or scanned pages).
//
// A PDF is rendered one page at a time by `pdftoppm -r DPI -gray` (PGM)
// (Debian poppler-utils), and each page image is read by `tesseract --psm 4
// ... tsv` (Debian tesseract-ocr 5.3). Every child runs like pdftotext in
// pdf.go: its own process group killed on timeout or cancellation, capped
// output, an address-space cap (startCapped). Page images travel
// through pipes (stdin/stdout), so no temporary file ever holds a page of a
// citizen's letter. Pages are read in parallel, up to OCRLimits.Parallel
// processes at once; each tesseract runs with OMP_THREAD_LIMIT=1, which on
// 2 cores is about 5 times faster than tesseract's own threads (FIELD-NOTES
// "OCR of scanned replies").
//
// A rendered page loses its salt and pepper (despecklePGM) before tesseract
// sees it. Each page is read with the first configured language (English);
// a page whose words look Welsh is read again with all of them
// (looksWelsh). Tesseract's word boxes are laid out as pdftotext
// -layout lays out a text PDF (parseTSV), so that tables keep their
// columns and the parser reads a scan with the same rules as a PDF.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // image.DecodeConfig and Decode of JPEG
	_ "image/png"  // image.DecodeConfig and Decode of PNG
	"io"
	"math"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/foiwatch/foiwatch/parser/internal/procgroup"
)

// ErrOCRUnavailable: tesseract is not installed (or has no English data), so
// scans cannot be read.
var ErrOCRUnavailable = errors.New("extract: tesseract-ocr is not installed; install tesseract-ocr to read scans")

// ErrOCRDisabled: OCR was turned off in OCRLimits.Enabled.
var ErrOCRDisabled = errors.New("extract: OCR is turned off in the configuration")

// OCRLimits bound the OCR of one attachment. Zero in a field means its
// default.
type OCRLimits struct {
	Enabled               *bool         // default: on when tesseract is found
	Languages             string        // tesseract languages, "+"-separated; default "eng+cym" where both traineddata are installed, else "eng". A page is read with the first; one that looks Welsh, when Welsh is among the others, is read again with all of them, and the read with the higher confidence kept
	MaxPagesPerAttachment int           // pages read from one attachment; default 30
	MaxPagesPerMessage    int           // pages left for the whole message (the caller passes the remaining budget); default 60
	PageTimeout           time.Duration // wall time for one page (render + OCR); default 60s
	Timeout               time.Duration // wall time for one attachment; default 5m
	DPI                   int           // resolution a PDF page is rendered at; default 200
	MaxPixels             int64         // pixels of one page image; default 40 megapixels. A bigger image is refused (a PDF page is rendered at a lower DPI), judged from its header before anything is decoded
	Parallel              int           // pages read at once (processes); default runtime.NumCPU()
}

// Defaults for OCRLimits fields left at zero.
const (
	DefaultOCRMaxPagesPerAttachment = 30
	DefaultOCRMaxPagesPerMessage    = 60
	DefaultOCRPageTimeout           = 60 * time.Second
	DefaultOCRTimeout               = 5 * time.Minute
	DefaultOCRDPI                   = 200
	DefaultOCRMaxPixels             = 40_000_000
)

// ocrMaxTSV caps what one tesseract process may print for one page: a
// letter page is about 10 KB of TSV; a page of noise some hundreds of KB.
const ocrMaxTSV = 16 << 20

// ocrInfoTimeout bounds `tesseract --list-langs` and `pdfinfo`.
const ocrInfoTimeout = 20 * time.Second

// WithDefaults returns a copy of l with every zero (or negative) field set
// to its default, Enabled and Languages according to what is installed. It
// is safe on a nil *OCRLimits.
func (l *OCRLimits) WithDefaults() OCRLimits {
	var out OCRLimits
	if l != nil {
		out = *l
	}
	info := tesseractInfo()
	if out.Enabled == nil {
		on := info.err == nil
		out.Enabled = &on
	}
	if out.Languages == "" {
		out.Languages = "eng"
		if info.langs["eng"] && info.langs["cym"] {
			out.Languages = "eng+cym"
		}
	}
	if out.MaxPagesPerAttachment <= 0 {
		out.MaxPagesPerAttachment = DefaultOCRMaxPagesPerAttachment
	}
	if out.MaxPagesPerMessage <= 0 {
		out.MaxPagesPerMessage = DefaultOCRMaxPagesPerMessage
	}
	if out.PageTimeout <= 0 {
		out.PageTimeout = DefaultOCRPageTimeout
	}
	if out.Timeout <= 0 {
		out.Timeout = DefaultOCRTimeout
	}
	if out.DPI <= 0 {
		out.DPI = DefaultOCRDPI
	}
	if out.MaxPixels <= 0 {
		out.MaxPixels = DefaultOCRMaxPixels
	}
	if out.Parallel <= 0 {
		out.Parallel = runtime.NumCPU()
	}
	return out
}

// maxPages is how many pages of this attachment may be read, and the
// words for the limit that decides it.
func (l OCRLimits) maxPages() (int, string) {
	if l.MaxPagesPerMessage < l.MaxPagesPerAttachment {
		return l.MaxPagesPerMessage, fmt.Sprintf("the message's limit of %d scanned pages was reached", l.MaxPagesPerMessage)
	}
	return l.MaxPagesPerAttachment, fmt.Sprintf("limit of %d pages per attachment", l.MaxPagesPerAttachment)
}

// memory caps (startCapped) for the children: what a 200 dpi page needs
// is far below them (tesseract: about 90 MB resident), but a page at
// MaxPixels must still fit.
func (l OCRLimits) renderMemory() int64    { return DefaultMaxMemory + 4*l.MaxPixels }
func (l OCRLimits) tesseractMemory() int64 { return DefaultMaxMemory + 16*l.MaxPixels }

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

// OCRAvailable reports whether tesseract can read scans, and says so in
// words: which version and languages, or what to install.
func OCRAvailable() (bool, string) {
	info := tesseractInfo()
	if info.err != nil {
		return false, info.err.Error()
	}
	langs := make([]string, 0, len(info.langs))
	for l := range info.langs {
		langs = append(langs, l)
	}
	slices.Sort(langs)
	s := fmt.Sprintf("%s, languages %s", info.version, strings.Join(langs, ", "))
	if !info.langs["cym"] {
		s += " (install tesseract-ocr-cym to read Welsh)"
	}
	return true, s
}

type tessInfo struct {
	path, version string
	langs         map[string]bool
	err           error
}

var tessCache struct {
	mu   sync.Mutex
	path string // $PATH the entry was made for
	info *tessInfo
}

// tesseractInfo finds tesseract and its languages, once per value of $PATH
// (tests change it; a daemon never does).
func tesseractInfo() tessInfo {
	tessCache.mu.Lock()
	defer tessCache.mu.Unlock()
	if p := os.Getenv("PATH"); tessCache.info == nil || tessCache.path != p {
		info := probeTesseract()
		tessCache.path, tessCache.info = p, &info
	}
	return *tessCache.info
}

func probeTesseract() tessInfo {
	path, err := exec.LookPath("tesseract")
	if err != nil {
		return tessInfo{err: fmt.Errorf("%w (no tesseract in PATH: apt-get install tesseract-ocr tesseract-ocr-cym)", ErrOCRUnavailable)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), ocrInfoTimeout)
	defer cancel()
	info := tessInfo{path: path, langs: map[string]bool{}}
	r := runChild(ctx, child{path: path, args: []string{"--list-langs"}, maxOut: 1 << 16, maxMem: DefaultMaxMemory})
	if r.err != nil {
		return tessInfo{err: fmt.Errorf("%w (tesseract --list-langs failed: %s: %w)", ErrOCRUnavailable, firstLine(r.stderr), r.err)}
	}
	// "List of available languages in "/usr/share/...tessdata/" (3):\ncym\neng\nosd\n"
	for i, line := range strings.Split(string(r.out), "\n") {
		if line = strings.TrimSpace(line); i > 0 && langName.MatchString(line) {
			info.langs[line] = true
		}
	}
	if !info.langs["eng"] {
		return tessInfo{err: fmt.Errorf("%w (tesseract has no English data: apt-get install tesseract-ocr-eng)", ErrOCRUnavailable)}
	}
	info.version = "tesseract"
	if v := runChild(ctx, child{path: path, args: []string{"--version"}, maxOut: 1 << 16, maxMem: DefaultMaxMemory}); v.err == nil {
		info.version = firstLine(string(v.out) + "\n" + v.stderr) // 5.3 prints it on stdout, 4.x on stderr
	}
	return info
}

var (
	langName  = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
	langsSpec = regexp.MustCompile(`^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*$`)
)

// ocrSetup applies the defaults and checks that OCR can run as asked.
func ocrSetup(lim *OCRLimits) (OCRLimits, tessInfo, error) {
	l := lim.WithDefaults()
	if !*l.Enabled {
		return l, tessInfo{}, ErrOCRDisabled
	}
	info := tesseractInfo()
	if info.err != nil {
		return l, info, info.err
	}
	if !langsSpec.MatchString(l.Languages) {
		return l, info, fmt.Errorf("extract: OCR languages %q are not of the form eng+cym", l.Languages)
	}
	for _, lang := range strings.Split(l.Languages, "+") {
		if !info.langs[lang] {
			return l, info, fmt.Errorf("%w: tesseract has no %q language data (apt-get install tesseract-ocr-%s)", ErrToolMissing, lang, lang)
		}
	}
	return l, info, nil
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

// despecklePGM removes a scan's dirt from a binary 8-bit PGM, in place:
// every cluster of at most specklePixels dark pixels (under 128, touching
// by sides or corners) that stands alone turns white, and a light pixel
// whose 8 neighbours are all dark takes the darkest one's value. Tesseract
// reads such dots as commas, quotes and broken letters ("Prograniiie"),
// and a dot beside a word stretches the word's box. A full stop or the dot
// of an i is four pixels across and more at 200 dpi, so text keeps every
// mark; a speck that touches a letter is part of it and stays. About 40 ms
// a 200 dpi A4 page, against 0.7 s for tesseract.
func despecklePGM(b []byte) {
	w64, h64, ok := pgmSize(b)
	if !ok {
		return
	}
	w, h := int(w64), int(h64)
	// The pixels are the last w*h bytes (one white-space byte ends the
	// header).
	off := len(b) - w*h
	if off < 0 || w < 3 || h < 3 {
		return
	}
	pix := b[off:]

	// Light pixels alone among dark ones, judged on the page as it came.
	above := append([]byte(nil), pix[:w]...)
	cur := make([]byte, w)
	for y := 1; y < h-1; y++ {
		copy(cur, pix[y*w:(y+1)*w])
		below := pix[(y+1)*w : (y+2)*w]
		for x := 1; x < w-1; x++ {
			if cur[x] < 128 {
				continue
			}
			lo, hi := byte(255), byte(0)
			for _, v := range [8]byte{above[x-1], above[x], above[x+1], cur[x-1], cur[x+1], below[x-1], below[x], below[x+1]} {
				lo, hi = min(lo, v), max(hi, v)
			}
			if hi < 128 {
				pix[y*w+x] = lo
			}
		}
		above, cur = cur, above
	}

	// Dark clusters. big marks pixels known to belong to a cluster larger
	// than specklePixels: a search that reaches one stops there.
	big := make([]uint64, (w*h+63)/64)
	isBig := func(i int) bool { return big[i>>6]&(1<<(i&63)) != 0 }
	var found [specklePixels + 1]int
	for start := range pix {
		if pix[start] >= 128 || isBig(start) {
			continue
		}
		n, large := 1, false
		found[0] = start
	search:
		for k := 0; k < n; k++ {
			x, y := found[k]%w, found[k]/w
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= w || ny >= h {
						continue
					}
					j := ny*w + nx
					if pix[j] >= 128 || slices.Contains(found[:n], j) {
						continue
					}
					if isBig(j) || n == specklePixels {
						large = true
						break search
					}
					found[n] = j
					n++
				}
			}
		}
		for _, i := range found[:n] {
			if large {
				big[i>>6] |= 1 << (i & 63)
			} else {
				pix[i] = 255
			}
		}
	}
}

// despeckleMaxPixels bounds the images despeckledImage decodes: a page
// scanned at 300 dpi is 8.7 megapixels. Decoding one of 10 takes up to
// 50 MB for a moment (a PNG decodes to 4 bytes a pixel), per page read at
// once. A phone's photo of a letter (12 megapixels and more) has no
// scanner's dust and goes to tesseract as it is.
const despeckleMaxPixels = 10_000_000

// despeckledImage returns a JPEG or PNG image of px pixels as a grey,
// despeckled binary PGM (despecklePGM), the way a PDF page is rendered. An
// image over despeckleMaxPixels, or one Go cannot decode whole (a
// truncated JPEG, which tesseract reads as far as it goes), is returned as
// it is.
func despeckledImage(data []byte, px int64) []byte {
	if px > despeckleMaxPixels {
		return data
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return data
	}
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	hdr := fmt.Sprintf("P5\n%d %d\n255\n", w, h)
	pgm := make([]byte, len(hdr)+w*h)
	copy(pgm, hdr)
	pix := pgm[len(hdr):]
	switch m := img.(type) {
	case *image.Gray:
		for y := range h {
			copy(pix[y*w:(y+1)*w], m.Pix[y*m.Stride:])
		}
	case *image.YCbCr: // a JPEG: its Y plane is the grey image
		for y := range h {
			copy(pix[y*w:(y+1)*w], m.Y[y*m.YStride:])
		}
	default:
		for y := range h {
			for x := range w {
				pix[y*w+x] = color.GrayModel.Convert(img.At(r.Min.X+x, r.Min.Y+y)).(color.Gray).Y
			}
		}
	}
	despecklePGM(pgm)
	return pgm
}

// specklePixels is the largest cluster of dark pixels despecklePGM takes
// for dirt: a 2 x 2 speck of dust with the blur JPEG gives it.
const specklePixels = 6

// pgmSize reads the width and height of a binary PGM ("P5 W H 255\n").
func pgmSize(b []byte) (w, h int64, ok bool) {
	f := strings.Fields(string(b[:min(len(b), 64)]))
	if len(f) < 4 || f[0] != "P5" {
		return 0, 0, false
	}
	w, err1 := strconv.ParseInt(f[1], 10, 32)
	h, err2 := strconv.ParseInt(f[2], 10, 32)
	return w, h, err1 == nil && err2 == nil && w > 0 && h > 0
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

// tsvWord is a word of tesseract's TSV: its box in pixels, its confidence
// (0-100) and its text.
type tsvWord struct {
	left, top, width, height int
	conf                     float64
	text                     string
}

// parseTSV turns tesseract's TSV into text laid out the way `pdftotext
// -layout` lays out a text PDF, so that the parser reads a scan with the
// same rules as the PDF it was printed from; and sums the words'
// confidence.
//
// Implementation notes:
//   - Words of a line are joined by a space, except where the gap before a
//     word is two characters wide or more: there the word starts a new cell
//     (a table column), written at its column on a grid of the page's median
//     character width, at least three spaces after the cell before it.
//   - Lines tesseract split that sit on one baseline, side by side (a table
//     row's cells, the answer's sometimes read before the question's), are
//     put back together.
//   - A line is indented to the column of its first word, counted from the
//     page's leftmost word, so a cell that wraps stays under its cell's
//     first words.
//   - A blank line goes where the distance from one line's baseline to the
//     next is over 1.25 times the page's usual line pitch and tesseract
//     starts a new paragraph there, or over 1.4 times whatever tesseract
//     says, as pdftotext puts one where the PDF leaves vertical space
//     (between paragraphs, and between the rows of a table with cell
//     padding). Neither signal alone will do on a speckled scan: tesseract
//     starts paragraphs inside a table cell, and a speck that joins a
//     word's box moves a one-word line's baseline. A line's baseline is
//     the median of where its words sit (the bottom of a word without
//     descenders, the top and a word's height for one with capitals and
//     descenders; not a box a speck made taller), corrected for the
//     page's skew (the median slope of lines' baselines), so that a page
//     fed a degree askew, or a line whose first word is "to" rather than
//     "The", does not count. The usual pitch is that of lines set close:
//     see below. Tesseract's own paragraphs are used only on a page of too
//     few lines to measure.
//   - Specks: a word with no letter or digit whose box is tiny (under a
//     third of the page's median word height both ways) or whose confidence
//     is under 50 is scanner dirt, not text, and is dropped; a word read
//     with less than 90 confidence loses marks a speck glued before its
//     first letter ("_Borsetshire", ".None", "—_Borsetshire"; not a
//     hyphen), and the quote marks before its first letter when nothing
//     after it on the line closes a quotation ("‘Fenland OPCC"). A mark
//     half as tall again as the page's words, or alone in the white space
//     between two columns ("|", "_", most of a character's width from its
//     neighbours; not a dash, which stands between words) and read with
//     less than 90 confidence, is dropped too, and so is a letter or two
//     alone in white space between two words read with less than 50
//     confidence (a speck tesseract took for a "7").
func parseTSV(tsv []byte) pageOut {
	var o pageOut
	type line struct {
		par   string
		words []tsvWord
	}
	var lines []line
	var lastLine string
	for row := range strings.SplitSeq(string(tsv), "\n") {
		f := strings.Split(strings.TrimRight(row, "\r"), "\t")
		// level page block par line word left top width height conf text
		if len(f) < 12 || f[0] != "5" {
			continue
		}
		w := tsvWord{text: strings.TrimSpace(f[11])}
		var err error
		w.conf, err = strconv.ParseFloat(f[10], 64)
		if w.text == "" || err != nil || w.conf < 0 {
			continue
		}
		box := [4]int{}
		for k := range box {
			if box[k], err = strconv.Atoi(f[6+k]); err != nil || box[k] < 0 {
				box = [4]int{}
				break
			}
		}
		w.left, w.top, w.width, w.height = box[0], box[1], box[2], box[3]
		par, ln := f[1]+"."+f[2]+"."+f[3], f[1]+"."+f[2]+"."+f[3]+"."+f[4]
		if ln != lastLine || len(lines) == 0 {
			lines = append(lines, line{par: par})
			lastLine = ln
		}
		l := &lines[len(lines)-1]
		l.words = append(l.words, w)
	}
	for _, l := range lines {
		slices.SortStableFunc(l.words, func(a, b tsvWord) int { return a.left - b.left })
	}
	median := func(v []float64) float64 {
		if len(v) == 0 {
			return 0
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	var heights []float64
	for _, l := range lines {
		for _, w := range l.words {
			if wordy(w.text) && w.height > 0 {
				heights = append(heights, float64(w.height))
			}
		}
	}
	wordH := median(heights)
	var widths []float64
	for _, l := range lines {
		for _, w := range l.words {
			if n := utf8.RuneCountInString(w.text); n >= 3 && w.width > 0 && wordy(w.text) {
				widths = append(widths, float64(w.width)/float64(n))
			}
		}
	}
	cw := median(widths) // the page's character width in pixels; 0: no geometry

	// Drop specks, then lines left empty.
	kept := lines[:0]
	for _, l := range lines {
		ws := make([]tsvWord, 0, len(l.words))
		for j, w := range l.words {
			// The white space before and after the word, in characters;
			// infinite at the ends of the line.
			before, after := math.Inf(1), math.Inf(1)
			if cw > 0 && j > 0 {
				before = float64(w.left-(l.words[j-1].left+l.words[j-1].width)) / cw
			}
			if cw > 0 && j < len(l.words)-1 {
				after = float64(l.words[j+1].left-(w.left+w.width)) / cw
			}
			// Alone in white space between two words, one or two
			// characters read with less than 50 confidence: tesseract
			// made a letter or digit of a speck ("7" between a question
			// and its answer "22"). (An item's number at the start of a
			// line is often read with less confidence, and stays.)
			if w.conf < 50 && utf8.RuneCountInString(w.text) <= 2 && cw > 0 && j > 0 && j < len(l.words)-1 && before >= 1 && after >= 1 {
				continue
			}
			if !wordy(w.text) {
				tiny := wordH > 0 && float64(w.width) < wordH/3 && float64(w.height) < wordH/3
				// No mark of a font is half as tall again as the words:
				// tesseract saw a shape in the white space between two
				// columns.
				tall := wordH > 0 && float64(w.height) > 1.5*wordH
				// Alone in the white space between two columns, most of a
				// character's width from its neighbours: a speck or a
				// cell's edge read as "|" or "_". (A dash stands alone
				// between two words.)
				alone := cw > 0 && !strings.ContainsAny(w.text, "-–—") && before >= 0.8 && after >= 0.8
				if w.conf < 50 || tiny || tall || alone && w.conf < 90 {
					continue
				}
			}
			if w.conf < 90 {
				w.text = trimSpeckMarks(w.text)
				if t := trimOpeningQuote(w.text); t != w.text && !closesQuote(l.words[j+1:]) {
					w.text = t
				}
			}
			ws = append(ws, w)
			o.confSum += w.conf
			o.words++
		}
		if len(ws) > 0 {
			l.words = ws
			kept = append(kept, l)
		}
	}
	lines = kept
	margin := math.MaxInt
	for _, l := range lines {
		for _, w := range l.words {
			margin = min(margin, w.left)
		}
	}

	// The skew: the median slope of the baselines of lines at least 200
	// pixels long.
	var slopes []float64
	for _, l := range lines {
		var first, last *tsvWord
		for k := range l.words {
			if w := &l.words[k]; !descends(w.text) && w.height > 0 {
				if first == nil {
					first = w
				}
				last = w
			}
		}
		if first != nil && last.left-first.left >= 200 {
			slopes = append(slopes, float64(last.top+last.height-first.top-first.height)/float64(last.left-first.left))
		}
	}
	slope := median(slopes)
	baselines := make([]float64, len(lines))
	for i, l := range lines {
		var ys, all []float64
		for _, w := range l.words {
			// Where the word sits: the bottom of a word without
			// descenders; the top and a word's height down from it for
			// one with capitals or ascenders ("https://x/bspp-"); else
			// the bottom less a descender.
			y := float64(w.top + w.height)
			switch {
			case !descends(w.text):
			case ascends(w.text):
				y = float64(w.top) + wordH
			default:
				y -= 0.2 * wordH
			}
			y -= slope * float64(w.left)
			// A box taller than the page's words took in a speck (one
			// with descenders and capitals may be a half taller), above
			// or below it: unless all of the line's words are such, they
			// do not count; if they are, half way between where the top
			// and the bottom put them.
			tall := 1.2
			if descends(w.text) {
				tall = 1.6
			}
			if wordH == 0 || float64(w.height) <= tall*wordH {
				ys = append(ys, y)
			} else if ascends(w.text) {
				y = (y + float64(w.top) + wordH - slope*float64(w.left)) / 2
			}
			all = append(all, y)
		}
		if len(ys) > 0 {
			baselines[i] = median(ys)
		} else {
			baselines[i] = median(all)
		}
	}
	// Lines tesseract split that sit on one baseline (a table row's cells
	// read as lines of their own, the answer's sometimes before the
	// question's) are one line, its words in order across the page.
	if wordH > 0 {
		for i := 0; i < len(lines); i++ {
			for j := i + 1; j < len(lines) && j <= i+4; j++ {
				if math.Abs(baselines[j]-baselines[i]) >= 0.5*wordH || overlaps(lines[i].words, lines[j].words) {
					continue
				}
				lines[i].words = append(lines[i].words, lines[j].words...)
				slices.SortStableFunc(lines[i].words, func(a, b tsvWord) int { return a.left - b.left })
				lines = slices.Delete(lines, j, j+1)
				baselines = slices.Delete(baselines, j, j+1)
				j--
			}
		}
	}
	var pitches []float64
	for i := 1; i < len(lines); i++ {
		if d := baselines[i] - baselines[i-1]; d > 0 {
			pitches = append(pitches, d)
		}
	}
	// The usual pitch is the pitch of lines set close, not the median: on
	// a page of two-line table rows half the pitches are row gaps. The
	// fifth-shortest in five, at most 2.2 word heights (a page whose every
	// line stands apart).
	pitch := 0.0
	if len(pitches) >= 3 && cw > 0 {
		slices.Sort(pitches)
		pitch = pitches[len(pitches)/5]
		if wordH > 0 {
			pitch = min(pitch, 2.2*wordH)
		}
	}
	var b strings.Builder
	for i, l := range lines {
		switch {
		case i == 0:
		case pitch > 0 && baselines[i]-baselines[i-1] > 1.25*pitch && l.par != lines[i-1].par,
			pitch > 0 && baselines[i]-baselines[i-1] > 1.4*pitch,
			pitch > 0 && baselines[i] < baselines[i-1], // a new column or block above
			pitch == 0 && l.par != lines[i-1].par:
			b.WriteString("\n\n")
		default:
			b.WriteByte('\n')
		}
		col := 0 // runes written on this line
		for j, w := range l.words {
			at := 0
			if cw > 0 {
				at = int(min(max(math.Round(float64(w.left-margin)/cw), 0), 400))
			}
			switch {
			case j == 0:
				col = min(at, 400)
				b.WriteString(strings.Repeat(" ", col))
			case cw > 0 && float64(w.left-(l.words[j-1].left+l.words[j-1].width)) >= 2*cw:
				pad := max(3, min(at-col, 400))
				b.WriteString(strings.Repeat(" ", pad))
				col += pad
			default:
				b.WriteByte(' ')
				col++
			}
			b.WriteString(w.text)
			col += utf8.RuneCountInString(w.text)
		}
	}
	o.text = b.String()
	return o
}

// trimSpeckMarks drops the marks a speck, or the white space between two
// columns, may be read as ("_", ".", ",", ":", ";", "|", "~", "^", "—",
// "–") from the start of a word that goes on with a letter.
func trimSpeckMarks(s string) string { return trimBeforeLetter(s, "_.,:;|~^—–") }

// trimOpeningQuote drops the quote marks that start s when a letter
// follows them.
func trimOpeningQuote(s string) string { return trimBeforeLetter(s, "“‘\"'`") }

// trimBeforeLetter drops the characters of cutset that start s when a
// letter follows them; else it returns s.
func trimBeforeLetter(s, cutset string) string {
	t := strings.TrimLeft(s, cutset)
	if t == s || t == "" {
		return s
	}
	if r, _ := utf8.DecodeRuneInString(t); !unicode.IsLetter(r) {
		return s
	}
	return t
}

// closesQuote tells whether one of ws ends a quotation.
func closesQuote(ws []tsvWord) bool {
	for _, w := range ws {
		if strings.ContainsAny(w.text, "”\"") || strings.HasSuffix(strings.TrimRight(w.text, ".,;:)"), "’") || strings.HasSuffix(strings.TrimRight(w.text, ".,;:)"), "'") {
			return true
		}
	}
	return false
}

// overlaps tells whether the words of a and b share some of the page's
// width.
func overlaps(a, b []tsvWord) bool {
	span := func(ws []tsvWord) (int, int) {
		lo, hi := math.MaxInt, math.MinInt
		for _, w := range ws {
			lo, hi = min(lo, w.left), max(hi, w.left+w.width)
		}
		return lo, hi
	}
	alo, ahi := span(a)
	blo, bhi := span(b)
	return alo < bhi && blo < ahi
}

// ascends reports whether s has a capital, a digit or a letter that goes
// up to the capitals' height, so that its box's top is the line's cap
// height.
func ascends(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsUpper(r) || unicode.IsDigit(r) || strings.ContainsRune("bdfhklt/", r)
	}) >= 0
}

// descends reports whether s has a letter or mark that goes below the
// baseline, so that its box's bottom is not the line's baseline.
func descends(s string) bool { return strings.ContainsAny(s, "gjpqyQJ,;()[]{}|@$") }

// wordy reports whether s holds a letter or a digit.
func wordy(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0
}

// child is an external program to run bounded, the way PDF runs
// pdftotext.
type child struct {
	path     string
	args     []string
	stdin    io.Reader
	env      []string // nil: this process's
	maxOut   int
	sizeHint int   // bytes of output expected: allocated at once (at most maxOut)
	maxMem   int64 // address-space cap (startCapped); 0 none
}

type childResult struct {
	out       []byte
	truncated bool // output was over maxOut: cut, and the child killed
	stderr    string
	err       error // start or exit error; ctx's error when ctx ended first
}

// runChild runs c in its own process group, killed as a group when ctx
// ends or its output passes c.maxOut, its address space capped at
// c.maxMem (startCapped).
func runChild(ctx context.Context, c child) childResult {
	cmd := exec.CommandContext(ctx, c.path, c.args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return procgroup.Kill(cmd) }
	cmd.WaitDelay = waitDelay
	cmd.Env = c.env
	stderr := &headWriter{max: 4096}
	cmd.Stderr = stderr
	stdout := &headWriter{max: c.maxOut, onFull: func() { _ = procgroup.Kill(cmd) }}
	if c.sizeHint > 0 {
		stdout.buf = make([]byte, 0, min(c.sizeHint, c.maxOut))
	}
	cmd.Stdout = stdout
	err := startCapped(cmd, c.stdin, c.maxMem)
	if err == nil {
		err = cmd.Wait()
	}
	out, truncated := stdout.bytes()
	if err != nil && ctx.Err() != nil && !truncated {
		err = ctx.Err()
	}
	return childResult{out: out, truncated: truncated, stderr: stderr.String(), err: err}
}

// tiffFile is a TIFF's pages (its chain of IFDs).
type tiffFile struct {
	data  []byte
	order binary.ByteOrder
	pages []tiffIFD
}

type tiffIFD struct {
	off, next uint32 // the IFD, and where its next-IFD pointer is
	w, h      uint32
}

// maxTIFFPages bounds the walk of the IFD chain.
const maxTIFFPages = 10000

// readTIFF walks a classic TIFF's IFD chain (not BigTIFF), with loop
// detection, noting each page's width and height.
func readTIFF(data []byte) (*tiffFile, error) {
	if len(data) < 8 {
		return nil, errors.New("file is shorter than its header")
	}
	t := &tiffFile{data: data, order: binary.LittleEndian}
	if data[0] == 'M' {
		t.order = binary.BigEndian
	}
	seen := map[uint32]bool{}
	for off := t.order.Uint32(data[4:]); off != 0; {
		if seen[off] {
			break // a loop: the pages so far
		}
		seen[off] = true
		if len(t.pages) == maxTIFFPages {
			return nil, fmt.Errorf("more than %d pages", maxTIFFPages)
		}
		if off < 8 || int64(off)+2 > int64(len(data)) {
			if len(t.pages) > 0 {
				break // a truncated file: the pages so far
			}
			return nil, fmt.Errorf("image directory at %d is outside the file", off)
		}
		count := int64(t.order.Uint16(data[off:]))
		next := int64(off) + 2 + 12*count
		if next+4 > int64(len(data)) {
			if len(t.pages) > 0 {
				break
			}
			return nil, fmt.Errorf("image directory at %d runs past the end of the file", off)
		}
		p := tiffIFD{off: off, next: uint32(next)}
		for e := int64(off) + 2; e < next; e += 12 {
			tag, typ := t.order.Uint16(data[e:]), t.order.Uint16(data[e+2:])
			var v uint32
			switch typ {
			case 3: // SHORT
				v = uint32(t.order.Uint16(data[e+8:]))
			case 4: // LONG
				v = t.order.Uint32(data[e+8:])
			default:
				continue
			}
			switch tag {
			case 256:
				p.w = v
			case 257:
				p.h = v
			}
		}
		if p.w == 0 || p.h == 0 {
			return nil, fmt.Errorf("page %d has no width or height", len(t.pages)+1)
		}
		t.pages = append(t.pages, p)
		off = t.order.Uint32(data[next:])
	}
	if len(t.pages) == 0 {
		return nil, errors.New("no pages")
	}
	return t, nil
}

// page returns page i as a TIFF of its own, without copying: the header
// points at its IFD and that IFD's next pointer reads 0. Every offset in
// the file stays valid.
func (t *tiffFile) page(i int) io.Reader {
	p := t.pages[i]
	hdr := make([]byte, 8)
	copy(hdr, t.data[:4])
	t.order.PutUint32(hdr[4:], p.off)
	return io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(t.data[8:p.next]),
		bytes.NewReader(make([]byte, 4)), bytes.NewReader(t.data[p.next+4:]))
}
