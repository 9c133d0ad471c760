package extract

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The OCR fixtures in testdata/ocr are written by this file:
//
//	go test ./parser/extract/ -run TestOCRFixtures -update
//
// letter-scan-1.jpg and letter-scan-2.jpg are the two pages of
// testdata/letter.pdf rendered by pdftoppm at 200 dpi, turned by 1 degree,
// blurred and speckled the way a scanner does it (fixed seed), as JPEGs.
// Everything else (the scanned PDF made of them, 300-page scans, noise,
// lying headers, TIFFs) is made at test time from them or from nothing.

// scanDPI is the resolution of the committed scans.
const scanDPI = 200

// scanLetterPage renders page n of testdata/letter.pdf and makes it look
// scanned.
func scanLetterPage(t testing.TB, n int, seed uint64) []byte {
	t.Helper()
	pdftoppm, err := exec.LookPath("pdftoppm")
	if err != nil {
		t.Skip("pdftoppm not installed (apt-get install poppler-utils)")
	}
	page := fmt.Sprint(n)
	out, err := exec.Command(pdftoppm, "-r", fmt.Sprint(scanDPI), "-gray", "-png", "-f", page, "-l", page,
		"-singlefile", filepath.Join("testdata", "letter.pdf")).Output()
	if err != nil {
		t.Fatalf("pdftoppm: %v", err)
	}
	src, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	g := speckle(boxBlur(rotate(toGray(src), 1.0)), seed)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, g, &jpeg.Options{Quality: 60}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func toGray(src image.Image) *image.Gray {
	r := src.Bounds()
	g := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := range r.Dy() {
		for x := range r.Dx() {
			g.Set(x, y, color.GrayModel.Convert(src.At(r.Min.X+x, r.Min.Y+y)))
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

// boxBlur averages each pixel with its 8 neighbours.
func boxBlur(g *image.Gray) *image.Gray {
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

// speckle adds scanner dirt: 0.3% of pixels set dark or light, and some
// specks of 2x2 pixels, from a fixed seed.
func speckle(g *image.Gray, seed uint64) *image.Gray {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	w, h := g.Rect.Dx(), g.Rect.Dy()
	for range w * h * 3 / 1000 {
		x, y := r.IntN(w), r.IntN(h)
		g.Pix[y*g.Stride+x] = uint8(r.IntN(2) * 255)
	}
	for range 400 {
		x, y := r.IntN(w-1), r.IntN(h-1)
		for _, p := range []int{0, 1, g.Stride, g.Stride + 1} {
			g.Pix[y*g.Stride+x+p] = 40
		}
	}
	return g
}

// jpegPDF wraps JPEG pages, each w x h points, into an image-only PDF the
// way a scanner writes it: one DCTDecode image per page, drawn full page.
// Pages that are the same []byte share one image object.
func jpegPDF(t testing.TB, pages [][]byte, w, h float64) []byte {
	t.Helper()
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", ""}
	images := map[*byte]int{}
	var kids []string
	for _, jp := range pages {
		img, ok := images[&jp[0]]
		if !ok {
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(jp))
			if err != nil {
				t.Fatal(err)
			}
			cs := "/DeviceGray"
			if cfg.ColorModel != color.GrayModel {
				cs = "/DeviceRGB"
			}
			objs = append(objs, fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream",
				cfg.Width, cfg.Height, cs, len(jp), jp))
			img = len(objs)
			images[&jp[0]] = img
		}
		pageObj := len(objs) + 1
		kids = append(kids, fmt.Sprintf("%d 0 R", pageObj))
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] /Resources << /XObject << /Im1 %d 0 R >> >> /Contents %d 0 R >>", w, h, img, pageObj+1),
			stream(fmt.Sprintf("q %g 0 0 %g 0 0 cm /Im1 Do Q", w, h)))
	}
	objs[1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages))
	return pdfDoc(objs)
}

// letterScans returns the two committed scanned pages.
func letterScans(t testing.TB) [][]byte {
	return [][]byte{readFixture(t, "ocr/letter-scan-1.jpg"), readFixture(t, "ocr/letter-scan-2.jpg")}
}

// letterScanPDF is the scanned letter as an A4 image-only PDF.
func letterScanPDF(t testing.TB) []byte {
	return jpegPDF(t, letterScans(t), 595, 842)
}

// blankJPEG is a small white JPEG.
func blankJPEG(t testing.TB, w, h int) []byte {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, g, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// noisePNG is w x h pixels of uniform grey noise from a fixed seed.
func noisePNG(t testing.TB, w, h int) []byte {
	r := rand.New(rand.NewPCG(7, 7))
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = uint8(r.UintN(256))
	}
	var b bytes.Buffer
	if err := png.Encode(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngHeader is a PNG whose IHDR claims w x h grey pixels, followed by one
// tiny IDAT and IEND: a decompression bomb's header, without the bomb.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		c := append([]byte(typ), data...)
		b.Write(c)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(c))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit greyscale
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// grayTIFF writes uncompressed 8-bit grey pages as one multi-page TIFF
// (little-endian). A page with nil Pix only claims its size.
func grayTIFF(pages []*image.Gray) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("II*\x00")
	binary.Write(&b, le, uint32(0)) // first IFD, patched below
	prevNext := 4
	for _, g := range pages {
		w, h := g.Rect.Dx(), g.Rect.Dy()
		data := b.Len()
		if g.Pix != nil {
			for y := range h {
				b.Write(g.Pix[y*g.Stride : y*g.Stride+w])
			}
		}
		if b.Len()%2 == 1 {
			b.WriteByte(0)
		}
		ifd := b.Len()
		le.PutUint32(b.Bytes()[prevNext:], uint32(ifd))
		type entry struct {
			tag, typ uint16
			val      uint32
		}
		entries := []entry{
			{256, 4, uint32(w)}, {257, 4, uint32(h)}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1},
			{273, 4, uint32(data)}, {277, 3, 1}, {278, 4, uint32(h)}, {279, 4, uint32(w * h)},
			{282, 5, 0}, {283, 5, 0}, {296, 3, 2},
		}
		rational := ifd + 2 + 12*len(entries) + 4
		binary.Write(&b, le, uint16(len(entries)))
		for _, e := range entries {
			binary.Write(&b, le, e.tag)
			binary.Write(&b, le, e.typ)
			binary.Write(&b, le, uint32(1))
			if e.typ == 5 { // X/YResolution: scanDPI/1, stored after the IFD
				binary.Write(&b, le, uint32(rational))
			} else if e.typ == 3 {
				binary.Write(&b, le, uint16(e.val))
				binary.Write(&b, le, uint16(0))
			} else {
				binary.Write(&b, le, e.val)
			}
		}
		prevNext = b.Len()
		binary.Write(&b, le, uint32(0))
		binary.Write(&b, le, uint32(scanDPI))
		binary.Write(&b, le, uint32(1))
	}
	return b.Bytes()
}

func decodeGray(t testing.TB, jp []byte) *image.Gray {
	img, err := jpeg.Decode(bytes.NewReader(jp))
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := img.(*image.Gray); ok {
		return g
	}
	return toGray(img)
}

func TestOCRFixtures(t *testing.T) {
	dir := filepath.Join("testdata", "ocr")
	names := []string{"letter-scan-1.jpg", "letter-scan-2.jpg"}
	if !*update {
		for _, name := range names {
			if st, err := os.Stat(filepath.Join(dir, name)); err != nil {
				t.Errorf("fixture missing: %v (run with -update)", err)
			} else if st.Size() > 300<<10 {
				t.Errorf("fixture %s is %d bytes: keep committed fixtures under 300 KB", name, st.Size())
			}
		}
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), scanLetterPage(t, i+1, uint64(i+1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
