// Package scantest is in charge of printing and scanning letters for tests.
//
// Authorities print, sign and scan their replies; foiwatch must read the
// scan as it reads the text original. The tests that check it (parser,
// parser/extract, worker) make their scans with this package, from the
// project's own fixtures: a PDF's pages are rendered by pdftoppm, made to
// look scanned (turned by a degree, blurred, speckled from a fixed seed),
// saved as JPEG and wrapped in an image-only PDF as a scanner writes it. A
// Word letter is first laid out as HTML (DOCXHTML) and printed to PDF by
// chromium (PrintHTML).
//
// It needs pdftoppm (Debian poppler-utils) and, to print HTML, chromium;
// callers skip their test when ErrNoPdftoppm or ErrNoChromium is returned.
//
// Implementation notes:
//   - Scans are deterministic: the same pages, Scan and seed give the same
//     bytes, so committed fixtures made by it can be regenerated and
//     compared. (A PDF printed by chromium carries its creation date; its
//     pages render the same.)
//   - Only the test binaries import it.
package scantest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrNoPdftoppm: poppler-utils is not installed.
var ErrNoPdftoppm = errors.New("scantest: pdftoppm is not installed (apt-get install -y poppler-utils)")

// DPI is the resolution scans are made at unless said otherwise, that of
// a typical office scanner.
const DPI = 200

// Scan says how a page is made to look scanned. The zero value leaves the
// page as rendered.
type Scan struct {
	Rotate float64 // degrees, anticlockwise; a sheet fed slightly askew is about 1
	Blur   bool    // average each pixel with its 8 neighbours: a scanner's soft focus
	Noise  float64 // fraction of pixels set black or white at random, e.g. 0.001
	Specks int     // 2x2 dark specks of dirt on the glass
	Seed   uint64  // of the noise and specks
}

// Letter is the scan the tests use for letters: turned by 1 degree,
// blurred, 0.1% of pixels flipped and 200 specks. (0.3% and 400 specks, as
// parser/extract's committed scans have, garble words of the 10-11 pt
// fixtures beyond what any rule can undo.)
func Letter(seed uint64) Scan {
	return Scan{Rotate: 1, Blur: true, Noise: 0.001, Specks: 200, Seed: seed}
}

// Apply returns a scanned copy of g (g is not changed).
func (s Scan) Apply(g *image.Gray) *image.Gray {
	out := Gray(g)
	if out == g {
		out = &image.Gray{Pix: append([]uint8(nil), g.Pix...), Stride: g.Stride, Rect: g.Rect}
	}
	if s.Rotate != 0 {
		out = rotate(out, s.Rotate)
	}
	if s.Blur {
		out = blur(out)
	}
	if s.Noise > 0 || s.Specks > 0 {
		speckle(out, s)
	}
	return out
}

// Gray returns img as a grey image whose bounds start at (0, 0): img itself
// when it already is one.
func Gray(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok && g.Rect.Min == (image.Point{}) {
		return g
	}
	r := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := range r.Dy() {
		for x := range r.Dx() {
			g.Set(x, y, color.GrayModel.Convert(img.At(r.Min.X+x, r.Min.Y+y)))
		}
	}
	return g
}

// rotate turns g by deg degrees about its centre (bilinear), white outside.
func rotate(g *image.Gray, deg float64) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(g.Rect)
	sin, cos := math.Sincos(deg * math.Pi / 180)
	cx, cy := float64(w)/2, float64(h)/2
	at := func(x, y int) float64 {
		if x < 0 || y < 0 || x >= w || y >= h {
			return 255
		}
		return float64(g.Pix[y*g.Stride+x])
	}
	for y := range h {
		for x := range w {
			// Where (x, y) comes from.
			dx, dy := float64(x)-cx, float64(y)-cy
			sx, sy := cos*dx+sin*dy+cx, -sin*dx+cos*dy+cy
			x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
			fx, fy := sx-float64(x0), sy-float64(y0)
			v := at(x0, y0)*(1-fx)*(1-fy) + at(x0+1, y0)*fx*(1-fy) + at(x0, y0+1)*(1-fx)*fy + at(x0+1, y0+1)*fx*fy
			out.Pix[y*out.Stride+x] = uint8(v + 0.5)
		}
	}
	return out
}

// blur averages each pixel with its 8 neighbours.
func blur(g *image.Gray) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(g.Rect)
	for y := range h {
		for x := range w {
			sum, n := 0, 0
			for yy := max(0, y-1); yy <= min(h-1, y+1); yy++ {
				for xx := max(0, x-1); xx <= min(w-1, x+1); xx++ {
					sum += int(g.Pix[yy*g.Stride+xx])
					n++
				}
			}
			out.Pix[y*out.Stride+x] = uint8(sum / n)
		}
	}
	return out
}

// speckle sets s.Noise of g's pixels black or white and draws s.Specks
// dark 2x2 specks, in place, from s.Seed.
func speckle(g *image.Gray, s Scan) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if w < 2 || h < 2 {
		return
	}
	r := rand.New(rand.NewPCG(s.Seed, 0x5eed))
	for range int(float64(w*h) * s.Noise) {
		x, y := r.IntN(w), r.IntN(h)
		g.Pix[y*g.Stride+x] = uint8(r.IntN(2) * 255)
	}
	for range s.Specks {
		x, y := r.IntN(w-1), r.IntN(h-1)
		for _, p := range []int{0, 1, g.Stride, g.Stride + 1} {
			g.Pix[y*g.Stride+x+p] = 40
		}
	}
}

// Render returns the pages of pdf rendered in grey by pdftoppm at dpi.
func Render(ctx context.Context, pdf []byte, dpi int) ([]*image.Gray, error) {
	exe, err := exec.LookPath("pdftoppm")
	if err != nil {
		return nil, ErrNoPdftoppm
	}
	dir, err := os.MkdirTemp("", "scantest-")
	if err != nil {
		return nil, fmt.Errorf("scantest: render: %w", err)
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		return nil, fmt.Errorf("scantest: render: %w", err)
	}
	// PGM: no compression to spend time on, and image/pgm is read below.
	if out, err := exec.CommandContext(ctx, exe, "-r", fmt.Sprint(dpi), "-gray", in, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("scantest: pdftoppm: %w: %s", err, bytes.TrimSpace(out))
	}
	// pdftoppm pads page numbers to the same width, so the names sort.
	names, _ := filepath.Glob(filepath.Join(dir, "page-*.pgm"))
	if len(names) == 0 {
		return nil, errors.New("scantest: pdftoppm rendered no page")
	}
	var pages []*image.Gray
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("scantest: render: %w", err)
		}
		g, err := decodePGM(data)
		if err != nil {
			return nil, fmt.Errorf("scantest: page %s: %w", filepath.Base(n), err)
		}
		pages = append(pages, g)
	}
	return pages, nil
}

// decodePGM reads a binary 8-bit PGM ("P5 W H 255\n" then the pixels), as
// pdftoppm -gray writes it.
func decodePGM(b []byte) (*image.Gray, error) {
	var w, h, maxv int
	var off int
	fields := 0
	for i := 0; i < len(b) && fields < 4; {
		switch {
		case b[i] == '#':
			for i < len(b) && b[i] != '\n' {
				i++
			}
		case b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t':
			i++
		default:
			j := i
			for j < len(b) && b[j] != ' ' && b[j] != '\n' && b[j] != '\r' && b[j] != '\t' {
				j++
			}
			tok := string(b[i:j])
			switch fields {
			case 0:
				if tok != "P5" {
					return nil, fmt.Errorf("not a binary PGM (%q)", tok)
				}
			case 1:
				fmt.Sscan(tok, &w)
			case 2:
				fmt.Sscan(tok, &h)
			case 3:
				fmt.Sscan(tok, &maxv)
			}
			fields++
			i = j
			off = j + 1 // one white-space byte after the maximum
		}
	}
	if fields < 4 || w <= 0 || h <= 0 || maxv != 255 || off+w*h > len(b) {
		return nil, fmt.Errorf("a PGM of %d x %d (max %d) in %d bytes", w, h, maxv, len(b))
	}
	return &image.Gray{Pix: append([]uint8(nil), b[off:off+w*h]...), Stride: w, Rect: image.Rect(0, 0, w, h)}, nil
}

// JPEG encodes g at quality (1-100; 0 means 85).
func JPEG(g *image.Gray, quality int) ([]byte, error) {
	if quality == 0 {
		quality = 85
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, g, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("scantest: jpeg: %w", err)
	}
	return b.Bytes(), nil
}

// PDF writes a PDF of the given objects, numbered from 1 in order (each
// without its "n 0 obj" and "endobj"; object 1 the catalog), with a correct
// xref table and trailer. A stream's bytes go in its object's string as
// they are.
func PDF(objs []string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// PDFOptions shape ImagePDF's pages. A nil *PDFOptions means DPI pages.
type PDFOptions struct {
	DPI int // the images' resolution, which sizes each page; default DPI (200)
	// Width and Height in points of every page, when the page must not fit
	// its image (a hostile 2000-point page); 0: from the image and DPI.
	Width, Height float64
}

// ImagePDF wraps JPEG pages into an image-only PDF the way a scanner
// writes it: one DCTDecode image per page, drawn over the whole page.
// Pages that are the same slice (the same first byte) share one image
// object, so a 300-page scan of one page stays small.
func ImagePDF(pages [][]byte, opt *PDFOptions) ([]byte, error) {
	var o PDFOptions
	if opt != nil {
		o = *opt
	}
	if o.DPI <= 0 {
		o.DPI = DPI
	}
	if len(pages) == 0 {
		return nil, errors.New("scantest: an image-only PDF needs a page")
	}
	// Objects 1 and 2 are the catalog and the page tree, which lists the
	// pages made below.
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", ""}
	images := map[*byte]int{}
	var kids []string
	for i, jp := range pages {
		if len(jp) == 0 {
			return nil, fmt.Errorf("scantest: page %d is empty", i+1)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(jp))
		if err != nil {
			return nil, fmt.Errorf("scantest: page %d: %w", i+1, err)
		}
		img, ok := images[&jp[0]]
		if !ok {
			cs := "/DeviceGray"
			if cfg.ColorModel != color.GrayModel {
				cs = "/DeviceRGB"
			}
			objs = append(objs, fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream",
				cfg.Width, cfg.Height, cs, len(jp), jp))
			img = len(objs)
			images[&jp[0]] = img
		}
		w, h := o.Width, o.Height
		if w <= 0 || h <= 0 {
			w, h = float64(cfg.Width)*72/float64(o.DPI), float64(cfg.Height)*72/float64(o.DPI)
		}
		content := fmt.Sprintf("q %.2f 0 0 %.2f 0 0 cm /Im Do Q", w, h)
		objs = append(objs, fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
		contents := len(objs)
		objs = append(objs, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im %d 0 R >> >> /Contents %d 0 R >>", w, h, img, contents))
		kids = append(kids, fmt.Sprintf("%d 0 R", len(objs)))
	}
	objs[1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages))
	return PDF(objs), nil
}

// ScanPDF prints and scans pdf: each page rendered at DPI, made to look
// scanned by s (page i with seed s.Seed+i), saved as JPEG at quality 85
// and wrapped in an image-only PDF.
func ScanPDF(ctx context.Context, pdf []byte, s Scan) ([]byte, error) {
	pages, err := Render(ctx, pdf, DPI)
	if err != nil {
		return nil, err
	}
	jpegs := make([][]byte, len(pages))
	for i, g := range pages {
		si := s
		si.Seed += uint64(i)
		if jpegs[i], err = JPEG(si.Apply(g), 85); err != nil {
			return nil, err
		}
	}
	return ImagePDF(jpegs, nil)
}
