package extract

// Reading the pages of a TIFF without decoding them: its chain of image
// directories (IFDs) walked with loop detection (readTIFF), and each page
// handed to tesseract as a TIFF of its own (tiffFile.page).

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

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
