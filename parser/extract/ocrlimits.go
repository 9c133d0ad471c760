package extract

// The limits on the OCR of one attachment (OCRLimits), and what OCR can
// use on this machine: tesseract found and asked for its version and
// languages once per $PATH (tesseractInfo), and the checks made before any
// page is read (ocrSetup).

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
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
