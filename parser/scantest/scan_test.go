package scantest

import (
	"bytes"
	"context"
	"image"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// page is a white page with a black bar, for tests that need no fonts.
func page(w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	for y := h / 3; y < h/3+h/10; y++ {
		for x := w / 4; x < 3*w/4; x++ {
			g.Pix[y*g.Stride+x] = 0
		}
	}
	return g
}

func TestScanIsDeterministicAndLeavesItsInputAlone(t *testing.T) {
	src := page(200, 300)
	before := append([]uint8(nil), src.Pix...)
	a, b := Letter(7).Apply(src), Letter(7).Apply(src)
	if !bytes.Equal(src.Pix, before) {
		t.Error("Apply changed its input")
	}
	if !bytes.Equal(a.Pix, b.Pix) {
		t.Error("the same seed gave two different scans")
	}
	if c := Letter(8).Apply(src); bytes.Equal(a.Pix, c.Pix) {
		t.Error("another seed gave the same scan")
	}
	if bytes.Equal(a.Pix, src.Pix) {
		t.Error("the scan is the page as it was")
	}
	if z := (Scan{}).Apply(src); !bytes.Equal(z.Pix, src.Pix) {
		t.Error("the zero Scan changed the page")
	}
}

// An image-only PDF made by ImagePDF opens in poppler with the page size
// its images and DPI give, and renders back to the images.
func TestImagePDFRoundTrip(t *testing.T) {
	if _, err := exec.LookPath("pdfinfo"); err != nil {
		t.Skip("poppler-utils is not installed")
	}
	g := page(400, 566) // 2 x 2.83 inches at 200 dpi
	jp, err := JPEG(g, 90)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := ImagePDF([][]byte{jp, jp, jp}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("pdfinfo", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v: %s", err, out)
	}
	if !regexp.MustCompile(`Pages:\s+3\n`).Match(out) || !strings.Contains(string(out), "144 x 203.76 pts") {
		t.Errorf("pdfinfo says:\n%s", out)
	}
	if n := bytes.Count(pdf, []byte("/Subtype /Image")); n != 1 {
		t.Errorf("%d image objects for three pages of one image, want 1", n)
	}
	pages, err := Render(context.Background(), pdf, DPI)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 3 || pages[0].Rect.Dx() != 400 || pages[0].Rect.Dy() != 566 {
		t.Fatalf("rendered %d pages of %v", len(pages), pages[0].Rect)
	}
	// The bar is where it was (JPEG and resampling blur its edge).
	if v := pages[0].GrayAt(200, 566/3+20).Y; v > 60 {
		t.Errorf("the bar came back as grey %d", v)
	}
	if v := pages[0].GrayAt(20, 20).Y; v < 200 {
		t.Errorf("the margin came back as grey %d", v)
	}

	sized, err := ImagePDF([][]byte{jp}, &PDFOptions{Width: 2000, Height: 2000})
	if err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command("pdfinfo", "-")
	cmd.Stdin = bytes.NewReader(sized)
	if out, _ := cmd.CombinedOutput(); !strings.Contains(string(out), "2000 x 2000 pts") {
		t.Errorf("a 2000-point page: pdfinfo says:\n%s", out)
	}
}

func TestBadInputGivesAnError(t *testing.T) {
	if _, err := ImagePDF(nil, nil); err == nil {
		t.Error("ImagePDF of no page: no error")
	}
	if _, err := ImagePDF([][]byte{[]byte("not a jpeg")}, nil); err == nil {
		t.Error("ImagePDF of a page that is not a JPEG: no error")
	}
	for _, b := range []string{"", "P6 1 1 255\n\x00\x00\x00", "P5 10 10 255\n\x00", "P5 2 2 65535\n\x00\x00\x00\x00"} {
		if _, err := decodePGM([]byte(b)); err == nil {
			t.Errorf("decodePGM(%q): no error", b)
		}
	}
	if g, err := decodePGM([]byte("P5\n# comment\n2 1\n255\n\x10\x20")); err != nil || g.Pix[1] != 0x20 {
		t.Errorf("decodePGM of a 2x1 PGM with a comment: %v %v", g, err)
	}
	if _, err := Render(context.Background(), []byte("not a pdf"), DPI); err == nil {
		t.Error("Render of something that is not a PDF: no error")
	}
}
