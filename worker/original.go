package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"strings"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // non-UTF-8 headers and names

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/parser/extract"
)

// The original of a stored message: its headers and attachments, taken
// from the raw bytes kept as received (the source of truth), for
// foiwatch show and raw and the status page's reply view.

// Part is one attachment of a stored message. N numbers them from 1 in the
// order the parser lists a Reply's attachments.
type Part struct {
	N           int
	Filename    string
	ContentType string
	Data        []byte
}

// Name is the part's filename, or a name made from its number and type
// when it has none.
func (p Part) Name() string {
	if p.Filename != "" {
		return p.Filename
	}
	ext := map[string]string{"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "image/tiff": ".tif",
		"message/rfc822": ".eml", "text/plain": ".txt", "text/html": ".html"}[p.ContentType]
	if ext == "" {
		ext = ".bin"
	}
	return fmt.Sprintf("attachment-%d%s", p.N, ext)
}

// HeaderField is one header of a message, its value decoded.
type HeaderField struct{ Key, Value string }

// Original is a stored message as it was received.
type Original struct {
	SHA256 string
	Raw    []byte
	Header []HeaderField
	Parts  []Part
	// Warning says what could not be read of its structure ("" when all).
	Warning string
}

// Original reads the stored raw message sha and lists its headers and
// attachments.
func (d *Daemon) Original(ctx context.Context, sha string) (*Original, error) {
	raw, err := d.Q.GetRaw(ctx, sha)
	if err != nil {
		return nil, err
	}
	return ReadOriginal(sha, raw), nil
}

// showHeaders are the headers foiwatch show and the reply view print, in
// this order.
var showHeaders = []string{"From", "To", "Cc", "Reply-To", "Date", "Subject", "Message-Id", "In-Reply-To", "References", "Delivered-To", "Auto-Submitted"}

// ReadOriginal lists the headers and attachments of raw.
func ReadOriginal(sha string, raw []byte) *Original {
	o := &Original{SHA256: sha, Raw: raw}
	e, err := message.Read(bytes.NewReader(raw))
	if e == nil {
		o.Warning = fmt.Sprintf("the message could not be read as email: %v", err)
		return o
	}
	dec := mime.WordDecoder{CharsetReader: message.CharsetReader}
	for _, k := range showHeaders {
		for _, v := range e.Header.Values(k) {
			if dv, err := dec.DecodeHeader(v); err == nil {
				v = dv
			}
			o.Header = append(o.Header, HeaderField{Key: k, Value: strings.Join(strings.Fields(v), " ")})
		}
	}
	w := walker{o: o, dec: &dec}
	w.walk(e, 0)
	return o
}

type walker struct {
	o     *Original
	dec   *mime.WordDecoder
	parts int
}

// walk follows the parser's rules for what is an attachment (see
// parser/message.go, walk and attachment): the message's own text parts
// are not; inline images with a Content-ID are part of an HTML layout.
func (w *walker) walk(e *message.Entity, depth int) {
	w.parts++
	if w.parts > parser.DefaultMaxParts || depth > parser.DefaultMaxDepth {
		if w.o.Warning == "" {
			w.o.Warning = "the message has more parts, or deeper, than foiwatch reads"
		}
		return
	}
	mediaType, params, err := e.Header.ContentType()
	if err != nil || mediaType == "" {
		mediaType, params = "text/plain", map[string]string{}
	}
	disp, dparams, _ := e.Header.ContentDisposition()
	filename := w.decode(dparams["filename"])
	if filename == "" {
		filename = w.decode(params["name"])
	}
	filename = path.Base(strings.ReplaceAll(filename, `\`, "/"))
	if filename == "." || filename == "/" {
		filename = ""
	}
	isAttachment := strings.EqualFold(disp, "attachment")
	switch {
	case strings.HasPrefix(mediaType, "multipart/"):
		mr := e.MultipartReader()
		if mr == nil {
			return
		}
		for {
			p, err := mr.NextPart()
			if p == nil {
				if err != nil && !errors.Is(err, io.EOF) && w.o.Warning == "" {
					w.o.Warning = fmt.Sprintf("a multipart section could not be read in full: %v", err)
				}
				return
			}
			w.walk(p, depth+1)
		}
	case mediaType == "message/rfc822" || mediaType == "message/global":
		data, _ := io.ReadAll(e.Body)
		if isAttachment || filename != "" {
			w.add(filename, mediaType, data)
		}
		if inner, _ := message.Read(bytes.NewReader(data)); inner != nil {
			w.walk(inner, depth+1)
		}
	case mediaType == "message/delivery-status" || mediaType == "message/global-delivery-status", mediaType == "text/rfc822-headers":
		io.Copy(io.Discard, e.Body)
	case (mediaType == "text/plain" || mediaType == "text/html") && !isAttachment && filename == "":
		io.Copy(io.Discard, e.Body)
	default:
		data, _ := io.ReadAll(e.Body)
		if len(data) == 0 && filename == "" {
			return
		}
		if strings.HasPrefix(mediaType, "image/") && !isAttachment && e.Header.Get("Content-Id") != "" {
			return
		}
		w.add(filename, mediaType, data)
	}
}

func (w *walker) decode(s string) string {
	if d, err := w.dec.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

func (w *walker) add(filename, mediaType string, data []byte) {
	w.o.Parts = append(w.o.Parts, Part{N: len(w.o.Parts) + 1, Filename: filename, ContentType: mediaType, Data: data})
}

// Attachment returns part n (from 1) of the stored message sha.
func (d *Daemon) Attachment(ctx context.Context, sha string, n int) (*Part, error) {
	o, err := d.Original(ctx, sha)
	if err != nil {
		return nil, err
	}
	if n < 1 || n > len(o.Parts) {
		if len(o.Parts) == 0 {
			return nil, fmt.Errorf("message %s has no attachments", short(sha))
		}
		return nil, fmt.Errorf("message %s has %d attachment(s): --attachment takes 1 to %d", short(sha), len(o.Parts), len(o.Parts))
	}
	return &o.Parts[n-1], nil
}

// minOCRImage is the parser's size below which an image is a logo, not a
// page (parser/attach.go).
const minOCRImage = 20 << 10

// PartText is the text of an attachment as the parser reads it: the text
// layer of a PDF, a Word document's text, an HTML page's, a text file; the
// words OCR reads from a scan or a photographed page (ocr true). It takes
// as long as parsing did (OCR: about half a second a page).
func (d *Daemon) PartText(ctx context.Context, p Part) (text string, ocr bool, err error) {
	lim := d.Cfg.ParserLimits().WithDefaults()
	format := extract.Sniff(p.Data)
	switch format {
	case extract.FormatPDF:
		text, err = extract.PDF(ctx, p.Data, &lim.Extract)
		if errors.Is(err, extract.ErrNoTextLayer) || err == nil && extract.NeedsOCR(text) {
			res, oerr := extract.OCRPDF(ctx, p.Data, &lim.OCR)
			return res.Text, true, oerr
		}
	case extract.FormatDOCX:
		text, err = extract.DOCX(p.Data, &lim.Extract)
	case extract.FormatHTML:
		text, err = extract.HTML(bytes.NewReader(p.Data), &lim.Extract)
	case extract.FormatText:
		text = strings.ToValidUTF8(string(p.Data), "\uFFFD")
	case extract.FormatJPEG, extract.FormatPNG, extract.FormatTIFF:
		if len(p.Data) < minOCRImage {
			return "", false, nil
		}
		res, oerr := extract.OCRImage(ctx, p.Data, &lim.OCR)
		return res.Text, true, oerr
	}
	return text, false, err
}

// Body is the readable text of a stored message's own parts, as the
// parser reads it (text/plain preferred, HTML converted to text).
func (d *Daemon) Body(ctx context.Context, raw []byte) (string, error) {
	lim := d.Cfg.ParserLimits()
	off := false
	lim.OCR.Enabled = &off // the attachments' text is PartText's
	msg, err := parser.Read(ctx, raw, lim)
	if err != nil {
		return "", err
	}
	return msg.Body, nil
}

// Raw is the stored raw message sha, exactly as received (foiwatch raw).
func (d *Daemon) Raw(ctx context.Context, sha string) ([]byte, error) { return d.Q.GetRaw(ctx, sha) }
