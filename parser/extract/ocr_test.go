package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/parser/scantest"
)

func needTesseract(t testing.TB) {
	t.Helper()
	needPdftotext(t) // poppler-utils: pdftoppm, pdfinfo
	if ok, why := OCRAvailable(); !ok {
		t.Skipf("OCR not tested: %s (apt-get install tesseract-ocr tesseract-ocr-cym)", why)
	}
}

// missing reports the wanted pieces missing from text, comparing leniently:
// OCR turns "5." into "5:" or "‘5." but keeps the numbers of answers.
func missing(text string, want ...string) []string {
	var out []string
	for _, w := range want {
		if !strings.Contains(text, w) {
			out = append(out, w)
		}
	}
	return out
}

// letterWords are what must come through from the scanned letter.
var letterWords = []string{"Norfolk", "12", "11", "10", "125,000", "per annum", "Police referrals only", "Yours sincerely"}

func TestOCRScannedPDF(t *testing.T) {
	needTesseract(t)
	data := letterScanPDF(t)
	if !NeedsOCR(pdftotextRaw(t, data)) {
		t.Error("NeedsOCR(pdftotext of the scan) = false")
	}
	start := time.Now()
	res, err := OCRPDF(context.Background(), data, nil)
	if err != nil {
		t.Fatalf("OCRPDF: %v", err)
	}
	t.Logf("2 pages in %v, confidence %.1f, skipped %q\n%s", time.Since(start), res.Confidence, res.Skipped, res.Text)
	if res.Pages != 2 || len(res.Skipped) != 0 {
		t.Errorf("pages %d, skipped %q; want 2 and none", res.Pages, res.Skipped)
	}
	if m := missing(res.Text, letterWords...); len(m) > 0 {
		t.Errorf("text lacks %q", m)
	}
	// A line with an answer number and its answer, and £ as £.
	if !strings.Contains(res.Text, "£125,000") {
		t.Errorf("text lacks £125,000")
	}
	if res.Confidence < 70 || res.Confidence > 100 {
		t.Errorf("confidence %.1f, want 70-100 on a clean-ish scan", res.Confidence)
	}
	// Page 1 comes first, pages separated by a blank line.
	if i, j := strings.Index(res.Text, "Norfolk"), strings.Index(res.Text, "Yours sincerely"); i < 0 || j < i {
		t.Errorf("pages out of order")
	}
	if !strings.Contains(res.Text, "\n\n") {
		t.Errorf("no blank line in the text")
	}
}

// pdftotextRaw is pdftotext's own output, form feeds and all.
func pdftotextRaw(t testing.TB, pdf []byte) string {
	r := runChild(context.Background(), child{path: "pdftotext", args: pdftotextArgs, stdin: bytes.NewReader(pdf), maxOut: 1 << 20})
	if r.err != nil {
		t.Fatalf("pdftotext: %v", r.err)
	}
	return string(r.out)
}

func TestOCRImageJPEGPages(t *testing.T) {
	needTesseract(t)
	var all strings.Builder
	for i, jp := range letterScans(t) {
		if Sniff(jp) != FormatJPEG {
			t.Fatalf("page %d sniffs as %s", i+1, Sniff(jp))
		}
		res, err := OCRImage(context.Background(), jp, &OCRLimits{Languages: "eng"})
		if err != nil {
			t.Fatalf("page %d: %v", i+1, err)
		}
		if res.Pages != 1 || res.Confidence < 70 {
			t.Errorf("page %d: pages %d, confidence %.1f", i+1, res.Pages, res.Confidence)
		}
		all.WriteString(res.Text + "\n")
	}
	if m := missing(all.String(), letterWords...); len(m) > 0 {
		t.Errorf("text lacks %q:\n%s", m, all.String())
	}
}

func TestOCRMultiPageTIFF(t *testing.T) {
	needTesseract(t)
	scans := letterScans(t)
	tif := grayTIFF([]*image.Gray{decodeGray(t, scans[0]), decodeGray(t, scans[1])})
	if Sniff(tif) != FormatTIFF {
		t.Fatalf("sniffs as %s", Sniff(tif))
	}
	res, err := OCRImage(context.Background(), tif, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages != 2 {
		t.Errorf("pages = %d, want 2 (skipped %q)", res.Pages, res.Skipped)
	}
	if m := missing(res.Text, letterWords...); len(m) > 0 {
		t.Errorf("text lacks %q:\n%s", m, res.Text)
	}
	if i, j := strings.Index(res.Text, "Norfolk"), strings.Index(res.Text, "Yours sincerely"); i < 0 || j < i {
		t.Errorf("pages out of order")
	}

	// The page limit applies to TIFF pages too.
	res, err = OCRImage(context.Background(), tif, &OCRLimits{MaxPagesPerAttachment: 1})
	if err != nil || res.Pages != 1 || len(res.Skipped) != 1 || res.Skipped[0] != "page 2 of 2 skipped: limit of 1 pages per attachment" {
		t.Errorf("with a limit of 1 page: pages %d, skipped %q, err %v", res.Pages, res.Skipped, err)
	}
}

func TestOCRNoise(t *testing.T) {
	needTesseract(t)
	data := noisePNG(t, 1200, 1600)
	start := time.Now()
	res, err := OCRImage(context.Background(), data, &OCRLimits{PageTimeout: 30 * time.Second})
	d := time.Since(start)
	t.Logf("noise: %v, pages %d, confidence %.1f, %d characters, skipped %q, err %v", d, res.Pages, res.Confidence, len(res.Text), res.Skipped, err)
	if err != nil && !errors.Is(err, ErrTimeout) {
		t.Errorf("err = %v", err)
	}
	if res.Confidence > 50 {
		t.Errorf("confidence %.1f on noise", res.Confidence)
	}
	if d > 30*time.Second+waitDelay+time.Second {
		t.Errorf("took %v", d)
	}
}

func TestOCRPageLimit(t *testing.T) {
	needTesseract(t)
	blank := blankJPEG(t, 16, 16)
	pages := make([][]byte, 300)
	for i := range pages {
		pages[i] = blank
	}
	data := jpegPDF(t, pages, 72, 72) // one shared image, 1 inch pages
	start := time.Now()
	res, err := OCRPDF(context.Background(), data, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v for %d pages", time.Since(start), res.Pages)
	if res.Pages != DefaultOCRMaxPagesPerAttachment {
		t.Errorf("pages read = %d, want %d", res.Pages, DefaultOCRMaxPagesPerAttachment)
	}
	want := []string{"pages 31-300 of 300 skipped: limit of 30 pages per attachment"}
	if strings.Join(res.Skipped, "|") != strings.Join(want, "|") {
		t.Errorf("skipped = %q, want %q", res.Skipped, want)
	}

	// The message's remaining budget is the tighter limit.
	res, err = OCRPDF(context.Background(), data, &OCRLimits{MaxPagesPerMessage: 4})
	if err != nil || res.Pages != 4 {
		t.Fatalf("pages %d, err %v", res.Pages, err)
	}
	if want := "pages 5-300 of 300 skipped: the message's limit of 4 scanned pages was reached"; len(res.Skipped) != 1 || res.Skipped[0] != want {
		t.Errorf("skipped = %q, want %q", res.Skipped, want)
	}
}

func TestOCRHugeImages(t *testing.T) {
	needTesseract(t)
	t.Run("PNG header claiming 20000 x 20000 is refused unread", func(t *testing.T) {
		res, err := OCRImage(context.Background(), pngHeader(20000, 20000), nil)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
		want := "PNG image of 20000 x 20000 pixels (400 megapixels) not read: over the limit of 40 megapixels per image"
		if len(res.Skipped) != 1 || res.Skipped[0] != want {
			t.Errorf("skipped = %q, want %q", res.Skipped, want)
		}
	})
	t.Run("TIFF page claiming 20000 x 20000 is refused unread", func(t *testing.T) {
		small := decodeGray(t, blankJPEG(t, 64, 64))
		huge := &image.Gray{Rect: image.Rect(0, 0, 20000, 20000)} // claims only: no pixels
		res, err := OCRImage(context.Background(), grayTIFF([]*image.Gray{small, huge}), nil)
		if err != nil {
			t.Fatal(err)
		}
		want := "page 2 of 2 not read: 20000 x 20000 pixels (400 megapixels) is over the limit of 40 megapixels per image"
		if res.Pages != 1 || len(res.Skipped) != 1 || res.Skipped[0] != want {
			t.Errorf("pages %d, skipped = %q, want %q", res.Pages, res.Skipped, want)
		}
	})
	t.Run("a huge PDF page is rendered at a lower resolution", func(t *testing.T) {
		data := jpegPDF(t, letterScans(t)[:1], 2000, 2000) // 27.8 inches square
		res, err := OCRPDF(context.Background(), data, &OCRLimits{MaxPixels: 4_000_000})
		if err != nil {
			t.Fatal(err)
		}
		want := "page 1 of 1 read at 72 dpi instead of 200: at 200 dpi its 28 x 28 inch page would be over the limit of 4 megapixels"
		if res.Pages != 1 || len(res.Skipped) != 1 || res.Skipped[0] != want {
			t.Errorf("pages %d, skipped %q, want %q", res.Pages, res.Skipped, want)
		}
	})
}

func TestOCRTruncatedJPEG(t *testing.T) {
	needTesseract(t)
	jp := letterScans(t)[0]
	cut := jp[:len(jp)*4/10]
	start := time.Now()
	res, err := OCRImage(context.Background(), cut, &OCRLimits{PageTimeout: 20 * time.Second})
	t.Logf("%v: pages %d, skipped %q, err %v, text %.80q", time.Since(start), res.Pages, res.Skipped, err, res.Text)
	if err == nil && len(res.Skipped) == 0 {
		t.Errorf("a truncated JPEG read without a word about it")
	}
	if err == nil && !strings.Contains(strings.Join(res.Skipped, " "), "truncated") {
		t.Errorf("skipped = %q, want a sentence about truncation", res.Skipped)
	}
	// Garbage after the header is refused before tesseract.
	if _, err := OCRImage(context.Background(), []byte("\xff\xd8\xffgarbage"), nil); !errors.Is(err, ErrCorrupt) {
		t.Errorf("garbage JPEG: err = %v, want ErrCorrupt", err)
	}
	if _, err := OCRImage(context.Background(), []byte("%PDF-1.4 not an image"), nil); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a PDF given as image: err = %v, want ErrCorrupt", err)
	}
}

func TestOCRPageTimeout(t *testing.T) {
	needTesseract(t)
	start := time.Now()
	res, err := OCRPDF(context.Background(), letterScanPDF(t), &OCRLimits{PageTimeout: time.Millisecond})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("err = %v, want ErrTimeout", err)
	}
	want := "pages 1-2 of 2 skipped: reading it took longer than the limit of 1ms per page"
	if res.Pages != 0 || len(res.Skipped) != 1 || res.Skipped[0] != want {
		t.Errorf("pages %d, skipped %q, want %q", res.Pages, res.Skipped, want)
	}
}

func TestOCRAttachmentTimeoutKeepsPagesRead(t *testing.T) {
	needTesseract(t)
	scans := letterScans(t)
	// Six pages, one at a time: the attachment's time runs out on the way.
	data := jpegPDF(t, [][]byte{scans[0], scans[1], scans[0], scans[1], scans[0], scans[1]}, 595, 842)
	var one OCRResult
	page := time.Hour
	for range 2 { // the faster of two
		start := time.Now()
		var err error
		one, err = OCRPDF(context.Background(), jpegPDF(t, scans[:1], 595, 842), &OCRLimits{Parallel: 1})
		if err != nil {
			t.Fatal(err)
		}
		page = min(page, time.Since(start))
	}
	// On a loaded machine a page may take longer than measured: allow
	// more time until some, but not all, pages are read.
	var res OCRResult
	var err error
	timeout := page * 5 / 2
	for range 4 {
		res, err = OCRPDF(context.Background(), data, &OCRLimits{Parallel: 1, Timeout: timeout})
		t.Logf("page %v, timeout %v: pages %d, skipped %q, err %v", page, timeout, res.Pages, res.Skipped, err)
		if res.Pages > 0 && res.Pages < 6 {
			break
		}
		if res.Pages == 6 {
			timeout /= 2
		} else {
			timeout *= 2
		}
	}
	if err != nil || res.Pages == 0 || res.Pages == 6 {
		t.Fatalf("pages %d, err %v: want some pages and no error", res.Pages, err)
	}
	if first := strings.SplitN(one.Text, "\n", 2)[0]; !strings.HasPrefix(res.Text, first) {
		t.Errorf("text of the pages read is missing: want it to start with %q", first)
	}
	last := res.Skipped[len(res.Skipped)-1]
	if !strings.HasSuffix(last, "of 6 skipped: the time limit of "+timeout.String()+" for the attachment ran out") {
		t.Errorf("skipped = %q", res.Skipped)
	}
}

func TestOCRCancel(t *testing.T) {
	needTesseract(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := OCRPDF(ctx, letterScanPDF(t), nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second+waitDelay {
		t.Errorf("took %v after a cancel at 200ms", d)
	}
}

func TestOCRUnavailable(t *testing.T) {
	off := false
	if _, err := OCRPDF(context.Background(), []byte("%PDF-1.4"), &OCRLimits{Enabled: &off}); !errors.Is(err, ErrOCRDisabled) {
		t.Errorf("disabled: err = %v", err)
	}
	if ok, _ := OCRAvailable(); ok {
		if _, err := OCRImage(context.Background(), pngHeader(10, 10), &OCRLimits{Languages: "eng+xx_nope"}); !errors.Is(err, ErrToolMissing) {
			t.Errorf("missing language: err = %v", err)
		}
		if _, err := OCRImage(context.Background(), pngHeader(10, 10), &OCRLimits{Languages: "eng -c x=1"}); err == nil {
			t.Errorf("languages with spaces accepted")
		}
	}
	t.Setenv("PATH", t.TempDir())
	ok, why := OCRAvailable()
	if ok || !strings.Contains(why, "install tesseract-ocr") {
		t.Errorf("OCRAvailable() = %v, %q", ok, why)
	}
	if l := (*OCRLimits)(nil).WithDefaults(); *l.Enabled {
		t.Errorf("Enabled defaults to on without tesseract")
	}
	on := true
	for _, f := range []func(context.Context, []byte, *OCRLimits) (OCRResult, error){OCRPDF, OCRImage} {
		if _, err := f(context.Background(), []byte("%PDF-1.4"), &OCRLimits{Enabled: &on}); !errors.Is(err, ErrOCRUnavailable) ||
			err.Error() == "" || !strings.Contains(err.Error(), "install tesseract-ocr") {
			t.Errorf("err = %v, want ErrOCRUnavailable", err)
		}
	}
}

func TestOCRLimitsWithDefaults(t *testing.T) {
	l := (*OCRLimits)(nil).WithDefaults()
	if l.MaxPagesPerAttachment != 30 || l.MaxPagesPerMessage != 60 || l.PageTimeout != time.Minute ||
		l.Timeout != 5*time.Minute || l.DPI != 200 || l.MaxPixels != 40_000_000 || l.Parallel != runtime.NumCPU() {
		t.Errorf("defaults: %+v", l)
	}
	if ok, _ := OCRAvailable(); ok {
		info := tesseractInfo()
		want := "eng"
		if info.langs["cym"] {
			want = "eng+cym"
		}
		if l.Languages != want || !*l.Enabled {
			t.Errorf("languages %q enabled %v, want %q on", l.Languages, *l.Enabled, want)
		}
	}
}

func TestNeedsOCR(t *testing.T) {
	letter := "Dear Member of Public,\nI have reviewed our records and can advise the following:\n5.   12.\n10.  £125,000 per annum.\n"
	for _, c := range []struct {
		name string
		text string
		want bool
	}{
		{"empty", "", true},
		{"only form feeds", "\f\f\f", true},
		{"white space and form feeds", "  \n\f \n\f", true},
		{"a page number on each page", "Page 1\f Page 2\f Page 3\f", true},
		{"a typed letter", letter + "\f" + letter + "\f", false},
		{"a letter with a blank last page", letter + "\f\f", false},
		{"a typed cover page and three scanned pages", letter + letter + "\f\f\f\f", true},
		{"PDF's output (blank lines for page breaks)", letter + "\n\n" + letter, false},
		{"a stamp only", "SCANNED 17/06/2024", true},
	} {
		if got := NeedsOCR(c.text); got != c.want {
			t.Errorf("%s: NeedsOCR = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestParseTSV(t *testing.T) {
	tsv := "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n" +
		"1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t\n" +
		"5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t90\t5.\n" +
		"5\t1\t1\t1\t1\t2\t0\t0\t1\t1\t80\t12.\n" +
		"5\t1\t1\t1\t2\t1\t0\t0\t1\t1\t70\t6.\n" +
		"5\t1\t1\t1\t2\t2\t0\t0\t1\t1\t-1\t\n" +
		"5\t1\t2\t1\t1\t1\t0\t0\t1\t1\t60\tYours\n" +
		"5\t1\t2\t1\t1\t2\t0\t0\t1\t1\t0\t\n"
	o := parseTSV([]byte(tsv))
	if o.text != "5. 12.\n6.\n\nYours" || o.words != 4 || o.confSum != 300 {
		t.Errorf("got %q, %d words, conf sum %v", o.text, o.words, o.confSum)
	}
}

// A scanned table comes out laid out as pdftotext -layout writes a text
// PDF: cells at their columns, a wrapped cell under its first words, a
// row's cells on one line even where tesseract read them as two, a blank
// line where the page leaves space, specks dropped.
func TestParseTSVLaysOutColumns(t *testing.T) {
	// Characters 10 px wide and 20 high, lines 30 px apart, rows 60; the
	// answer column at 600 px from the margin, 60 characters.
	var b strings.Builder
	b.WriteString("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n")
	word := func(block, line, left, top int, text string, conf float64) {
		fmt.Fprintf(&b, "5\t1\t%d\t1\t%d\t1\t%d\t%d\t%d\t20\t%v\t%s\n", block, line, left, top, 10*len([]rune(text)), conf, text)
	}
	word(1, 1, 100, 100, "Dear", 95)
	word(1, 1, 150, 100, "Requester,", 95)
	word(1, 2, 100, 130, "Please", 95)
	word(1, 2, 170, 130, "see", 95)
	word(1, 2, 210, 130, "below.", 95)
	// Row 1: label, question cell (wrapping), answer cell; a 2x2 speck.
	word(2, 1, 100, 190, "1", 96)
	word(2, 1, 160, 190, "The", 96)
	word(2, 1, 200, 190, "service", 96)
	word(2, 1, 700, 190, "Fenland", 96)
	word(2, 1, 780, 190, "Clinic", 96)
	fmt.Fprintf(&b, "5\t1\t2\t1\t1\t9\t%d\t%d\t2\t2\t67\t|\n", 900, 195)
	word(2, 2, 161, 220, "commissioned", 96)
	// Row 2: tesseract read the answer cell as a line of its own, before
	// the question's.
	word(3, 1, 702, 281, "Nil", 96)
	word(3, 2, 99, 280, "2", 96)
	word(3, 2, 160, 280, "Self-referrals", 96)
	word(3, 2, 500, 282, "7", 29) // a speck between the columns
	word(3, 2, 560, 280, "x", 96)
	word(3, 3, 100, 310, "Yours", 96)
	o := parseTSV([]byte(b.String()))
	want := "Dear Requester,\n" +
		"Please see below.\n" +
		"\n" +
		"1     The service" + strings.Repeat(" ", 43) + "Fenland Clinic\n" +
		"      commissioned\n" +
		"\n" +
		"2     Self-referrals" + strings.Repeat(" ", 26) + "x" + strings.Repeat(" ", 13) + "Nil\n" +
		"Yours"
	if o.text != want {
		t.Errorf("got\n%s\nwant\n%s", o.text, want)
	}
	if o.words != 16 {
		t.Errorf("%d words counted, want 16 (the specks dropped)", o.words)
	}
}

func TestTrimSpeckMarks(t *testing.T) {
	for in, want := range map[string]string{
		"_Borsetshire": "Borsetshire", ".None": "None", "|Total": "Total", "—_Borsetshire": "Borsetshire", "-based": "-based",
		"‘Yours": "‘Yours", "“quoted": "“quoted", ".5": ".5", "...": "...", "Nil.": "Nil.", "_": "_",
	} {
		if got := trimSpeckMarks(in); got != want {
			t.Errorf("trimSpeckMarks(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadTIFFHostile(t *testing.T) {
	for name, data := range map[string][]byte{
		"header only":             []byte("II*\x00"),
		"IFD outside the file":    []byte("II*\x00\xff\xff\x00\x00"),
		"IFD before the header":   []byte("II*\x00\x02\x00\x00\x00"),
		"IFD count past the end":  []byte("II*\x00\x08\x00\x00\x00\xff\xff"),
		"a page without its size": append([]byte("II*\x00\x08\x00\x00\x00\x00\x00"), 0, 0, 0, 0),
	} {
		if _, err := readTIFF(data); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// An IFD chain that loops back to itself ends at the loop.
	g := &image.Gray{Rect: image.Rect(0, 0, 4, 4), Pix: make([]byte, 16), Stride: 4}
	tif := grayTIFF([]*image.Gray{g})
	ifd := int(tif[4]) | int(tif[5])<<8
	next := ifd + 2 + 12*int(tif[ifd])
	copy(tif[next:], tif[4:8])
	tf, err := readTIFF(tif)
	if err != nil || len(tf.pages) != 1 {
		t.Errorf("looping TIFF: %v", err)
	}
}

// TestOCRChildrenAreBounded watches this process's tesseract children:
// never more than Parallel at once, none left afterwards.
func TestOCRChildrenAreBounded(t *testing.T) {
	needTesseract(t)
	var mu sync.Mutex
	peak, cur := 0, 0
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			n := countChildren("tesseract")
			mu.Lock()
			cur = n
			peak = max(peak, cur)
			mu.Unlock()
		}
	}()
	_, err := OCRPDF(context.Background(), jpegPDF(t, [][]byte{letterScans(t)[0], letterScans(t)[1], letterScans(t)[0]}, 595, 842), &OCRLimits{Parallel: 2, Languages: "eng"})
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if peak > 2 {
		t.Errorf("%d tesseract processes at once, want at most 2", peak)
	}
	if n := countChildren("tesseract"); n != 0 {
		t.Errorf("%d tesseract processes left after OCRPDF returned", n)
	}
}

// countChildren counts this process's children whose command is name.
func countChildren(name string) int {
	self := os.Getpid()
	entries, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range entries {
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(stat)
		i, j := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if i < 0 || j < i || s[i+1:j] != name {
			continue
		}
		f := strings.Fields(s[j+1:])
		if len(f) > 2 && f[0] != "Z" && f[2] == strconv.Itoa(self) {
			n++
		}
	}
	return n
}

// BenchmarkOCRPage: seconds per scanned page of the letter (200 dpi,
// skewed, blurred, speckled), reading a 4-page scan with one process at a
// time and with one per core.
func BenchmarkOCRPage(b *testing.B) {
	needTesseract(b)
	scans := letterScans(b)
	data := jpegPDF(b, [][]byte{scans[0], scans[1], scans[0], scans[1]}, 595, 842)
	const pages = 4
	for _, par := range []int{1, runtime.NumCPU()} {
		b.Run("parallel="+strconv.Itoa(par), func(b *testing.B) {
			var before syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &before)
			b.ReportAllocs()
			for b.Loop() {
				res, err := OCRPDF(context.Background(), data, &OCRLimits{Parallel: par})
				if err != nil || res.Pages != pages {
					b.Fatalf("pages %d, err %v", res.Pages, err)
				}
			}
			var ru syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru)
			n := float64(b.N * pages)
			b.ReportMetric(b.Elapsed().Seconds()/n, "s/page")
			cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
			b.ReportMetric(cpu.Seconds()/n, "child-cpu-s/page")
			b.ReportMetric(float64(ru.Maxrss)/1024, "child-maxRSS-MiB")
		})
	}
}

func FuzzReadTIFF(f *testing.F) {
	g := &image.Gray{Rect: image.Rect(0, 0, 4, 4), Pix: make([]byte, 16), Stride: 4}
	f.Add(grayTIFF([]*image.Gray{g, g}))
	f.Add([]byte("MM\x00*\x00\x00\x00\x08\x00\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tf, err := readTIFF(data)
		if err != nil {
			return
		}
		for i := range tf.pages {
			b, err := io.ReadAll(tf.page(i))
			if err != nil || len(b) != len(data) {
				t.Fatalf("page %d: %d bytes, %v", i, len(b), err)
			}
		}
	})
}

func TestOCRPDFHostile(t *testing.T) {
	needTesseract(t)
	for _, c := range []struct {
		fixture string
		wantErr error // nil: read without error
	}{
		{"encrypted-user-password.pdf", ErrEncrypted},
		{"encrypted-empty-password.pdf", nil},
		{"page-loop.pdf", nil},
		{"truncated.pdf", ErrCorrupt}, // no poppler tool can open it
		{"image-only.pdf", nil},
	} {
		start := time.Now()
		res, err := OCRPDF(context.Background(), readFixture(t, c.fixture), &OCRLimits{PageTimeout: 20 * time.Second})
		t.Logf("%s: %v, pages %d, skipped %q, err %v", c.fixture, time.Since(start), res.Pages, res.Skipped, err)
		if c.wantErr == nil && err != nil || c.wantErr != nil && !errors.Is(err, c.wantErr) {
			t.Errorf("%s: err = %v, want %v", c.fixture, err, c.wantErr)
		}
	}
	// A scan cut short: poppler rebuilds what it can, or it is ErrCorrupt.
	scan := letterScanPDF(t)
	res, err := OCRPDF(context.Background(), scan[:len(scan)*6/10], nil)
	t.Logf("truncated scan: pages %d, skipped %q, err %v, %d characters", res.Pages, res.Skipped, err, len(res.Text))
	if err != nil && !errors.Is(err, ErrCorrupt) {
		t.Errorf("truncated scan: err = %v", err)
	}
	if _, err := OCRPDF(context.Background(), []byte("%PDF-1.4 nothing else"), nil); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a PDF header only: err = %v, want ErrCorrupt", err)
	}
}

func TestLooksWelsh(t *testing.T) {
	welsh := "Annwyl Ymgeisydd, Cais am wybodaeth o dan Ddeddf Rhyddid Gwybodaeth 2000. Diolch am eich cais. Mae'r ymateb i bob cwestiwn isod."
	english := "Dear Requester, Thank you for your request under the Freedom of Information Act 2000. Our response to each question is below; a copy is attached."
	for _, c := range []struct {
		text string
		want bool
	}{{welsh, true}, {english, false}, {english + " " + english + " Heddlu", false}, {"", false}} {
		o := pageOut{text: c.text, words: len(strings.Fields(c.text)), confSum: 95 * float64(len(strings.Fields(c.text)))}
		if got := looksWelsh(o); got != c.want {
			t.Errorf("looksWelsh(%.40q...) = %v, want %v", c.text, got, c.want)
		}
	}
}

// A Welsh letter is read again in Welsh; an English one, read in English
// alone, keeps its "0" (eng+cym reads "O").
func TestOCRReadsEachPageInItsLanguage(t *testing.T) {
	if ok, why := OCRAvailable(); !ok {
		t.Skip(why)
	}
	l := (*OCRLimits)(nil).WithDefaults()
	if l.Languages != "eng+cym" {
		t.Skip("tesseract-ocr-cym is not installed: nothing to choose between")
	}
	page := func(body string) []byte {
		html := `<html><head><meta charset="utf-8"><style>@page { size: A4; margin: 25mm }
body { margin: 0; font-family: "Liberation Sans", sans-serif; font-size: 11pt; line-height: 1.35 }
p { margin: 0 0 8pt }</style></head><body>` + body + `</body></html>`
		pdf, err := scantest.PrintHTML(context.Background(), html)
		if errors.Is(err, scantest.ErrNoChromium) {
			t.Skip(err)
		}
		if err != nil {
			t.Fatal(err)
		}
		scan, err := scantest.ScanPDF(context.Background(), pdf, scantest.Scan{Rotate: 1, Blur: true})
		if err != nil {
			t.Fatal(err)
		}
		return scan
	}
	for _, c := range []struct {
		name, body string
		want       []string
	}{{
		name: "Welsh",
		body: `<p>Swyddfa Comisiynydd Heddlu a Throseddu Dyfed-Powys</p><p>Ein cyfeirnod: FOI-DP-0412</p><p>Annwyl Ymgeisydd,</p>
<p>Cais am wybodaeth o dan Ddeddf Rhyddid Gwybodaeth 2000. Diolch am eich cais. Mae'r ymateb i bob cwestiwn isod.</p>
<p>1. Gwasanaeth Stelcio Dyfed-Powys</p><p>2. Dim</p><p>4. Nid yw'r wybodaeth yn cael ei chadw gan y Comisiynydd.</p>
<p>5. Heddlu Dyfed-Powys a'r Gwasanaeth Prawf</p><p>Yn gywir,</p><p>Swyddfa'r Comisiynydd</p>`,
		want: []string{"Heddlu Dyfed-Powys a'r Gwasanaeth Prawf", "Rhyddid Gwybodaeth", "Nid yw'r wybodaeth"},
	}, {
		name: "English",
		body: `<p>Ashdown Office of the Police and Crime Commissioner</p><p>Our reference: ASH-FOI-0077</p><p>Dear Requester,</p>
<p>Please see our response below.</p><p>1. Ashdown Stalking Clinic</p><p>2. Three</p><p>3. 18</p><p>4. 0 (no individuals have yet completed the service)</p>
<p>5. Police, Ashdown Probation Delivery Unit</p><p>6. Ministry of Justice and the OPCC</p><p>7. £75,000 per annum</p><p>Yours sincerely,</p><p>Ashdown OPCC</p>`,
		want: []string{"4. 0 (no individuals", "Ashdown Probation Delivery Unit"},
	}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res, err := OCRPDF(context.Background(), page(c.body), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(res.Text, w) {
					t.Errorf("%q not read; the page reads:\n%s", w, res.Text)
				}
			}
		})
	}
}

// Dots of up to 6 pixels alone go; a cluster of more, and pixels touching
// it, stay; a light pixel inside a dark block is filled.
func TestDespecklePGM(t *testing.T) {
	const w, h = 12, 8
	rows := []string{
		"............",
		".#.......##.",
		"...#.....##.",
		"..##..####..",
		"..........#.",
		".###........",
		".#o#.......#",
		".###.......#",
	}
	pgm := []byte(fmt.Sprintf("P5\n%d %d\n255\n", w, h))
	for _, r := range rows {
		for _, c := range r {
			switch c {
			case '#':
				pgm = append(pgm, 20)
			case 'o':
				pgm = append(pgm, 250)
			default:
				pgm = append(pgm, 240)
			}
		}
	}
	despecklePGM(pgm)
	px := pgm[len(pgm)-w*h:]
	var got []string
	for y := range h {
		var b strings.Builder
		for x := range w {
			if px[y*w+x] < 128 {
				b.WriteByte('#')
			} else {
				b.WriteByte('.')
			}
		}
		got = append(got, b.String())
	}
	wantRows := []string{
		"............",
		".........##.",
		".........##.",
		"......####..",
		"..........#.",
		".###........",
		".###........",
		".###........",
	}
	if strings.Join(got, "\n") != strings.Join(wantRows, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantRows, "\n"))
	}
}

// A JPEG or PNG page is read as a despeckled grey PGM, as a PDF page is;
// one Go cannot decode whole (truncated), or over the size it decodes, goes
// to tesseract as it came.
func TestDespeckledImage(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 40, 30))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	g.Pix[10*40+10] = 0        // a dot of dust
	for y := 20; y < 26; y++ { // a stroke
		for x := 5; x < 30; x++ {
			g.Pix[y*40+x] = 0
		}
	}
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, g); err != nil {
		t.Fatal(err)
	}
	out := despeckledImage(pngBuf.Bytes(), 40*30)
	w, h, ok := pgmSize(out)
	if !ok || w != 40 || h != 30 {
		t.Fatalf("not a 40x30 PGM: %q", out[:min(len(out), 20)])
	}
	px := out[len(out)-40*30:]
	if px[10*40+10] < 128 {
		t.Error("the dot of dust is still there")
	}
	if px[22*40+15] >= 128 {
		t.Error("the stroke is gone")
	}
	truncated := blankJPEG(t, 64, 64)
	truncated = truncated[:len(truncated)/2]
	if got := despeckledImage(truncated, 64*64); !bytes.Equal(got, truncated) {
		t.Error("a truncated JPEG was not passed on as it came")
	}
	if got := despeckledImage(pngBuf.Bytes(), despeckleMaxPixels+1); !bytes.Equal(got, pngBuf.Bytes()) {
		t.Error("an image over the decoding limit was not passed on as it came")
	}
}
