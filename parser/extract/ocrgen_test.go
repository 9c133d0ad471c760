package extract

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/foiwatch/foiwatch/parser/scantest"
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
const scanDPI = scantest.DPI

// scanLetterPage renders page n of testdata/letter.pdf and makes it look
// scanned: turned by 1 degree, blurred, 0.3% of pixels flipped and 400
// specks (fixed seed), a JPEG at quality 60.
func scanLetterPage(t testing.TB, n int, seed uint64) []byte {
	t.Helper()
	pdf := readFixture(t, "letter.pdf")
	pages, err := scantest.Render(context.Background(), pdf, scanDPI)
	if errors.Is(err, scantest.ErrNoPdftoppm) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if n > len(pages) {
		t.Fatalf("letter.pdf has %d pages, not %d", len(pages), n)
	}
	g := scantest.Scan{Rotate: 1, Blur: true, Noise: 0.003, Specks: 400, Seed: seed}.Apply(pages[n-1])
	jp, err := scantest.JPEG(g, 60)
	if err != nil {
		t.Fatal(err)
	}
	return jp
}

// jpegPDF wraps JPEG pages, each w x h points, into an image-only PDF the
// way a scanner writes it. Pages that are the same []byte share one image.
func jpegPDF(t testing.TB, pages [][]byte, w, h float64) []byte {
	t.Helper()
	pdf, err := scantest.ImagePDF(pages, &scantest.PDFOptions{Width: w, Height: h})
	if err != nil {
		t.Fatal(err)
	}
	return pdf
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
	return scantest.Gray(img)
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
