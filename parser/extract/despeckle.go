package extract

// Cleaning a page image before tesseract sees it: a scan's salt and pepper
// removed from a grey PGM (despecklePGM), and a JPEG or PNG page made the
// grey PGM a rendered PDF page is (despeckledImage).

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"slices"
	"strconv"
	"strings"
)

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
