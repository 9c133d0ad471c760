package parser

import (
	"bytes"
	"errors"
	"math"
	"strings"

	"github.com/emersion/go-message"
	"github.com/foiwatch/foiwatch/parser/extract"
)

// attachment records one attachment and takes its text.
func (r *reader) attachment(e *message.Entity, mediaType, filename string, isAttachment bool) {
	data, size, format := r.readAttachment(e, filename)
	if size == 0 && filename == "" {
		return
	}
	// An inline image with a Content-ID is part of an HTML layout (a logo, a
	// signature), not something the authority sent.
	if strings.HasPrefix(mediaType, "image/") && !isAttachment && e.Header.Get("Content-Id") != "" {
		return
	}
	r.attachIdx++
	name := filename
	if name == "" {
		name = "(unnamed " + mediaType + ")"
	}
	if mediaType == "application/octet-stream" || mediaType == "application/x-download" || mediaType == "" {
		if t, ok := formatTypes[format]; ok {
			mediaType = t // the declared type says nothing; the bytes do
		}
	}
	a := Attachment{Filename: filename, ContentType: mediaType, Size: size}
	text, err := r.attachmentText(data, format, mediaType, filename)
	if needsOCR(format, text, err, size) {
		var res extract.OCRResult
		res, err = r.ocr(data, format)
		if strings.TrimSpace(res.Text) != "" {
			text = res.Text
			a.OCR = true
			a.OCRConfidence = math.Round(res.Confidence*10) / 10
		}
		for _, s := range res.Skipped {
			r.warn("attachment %s: %s", name, s)
		}
		if err != nil {
			err = ocrError{err}
		}
	}
	if err != nil {
		w := attachmentWarning(name, err)
		r.warn("%s", w)
		a.Error = strings.TrimPrefix(w, "attachment "+name+" ")
	}
	text = cleanText(text)
	if text != "" {
		text = r.budget(text)
		a.TextChars = len([]rune(text))
		r.m.attTexts = append(r.m.attTexts, attText{name: name, text: text, ocr: a.OCR, conf: a.OCRConfidence})
	}
	r.m.Attachments = append(r.m.Attachments, a)
}

// attachmentText takes the text of one attachment by what its first bytes say
// it is (the declared type is often wrong: application/octet-stream).
func (r *reader) attachmentText(data []byte, format extract.Format, mediaType, filename string) (string, error) {
	if len(data) == 0 {
		return "", nil
	}
	lim := &r.lim.Extract
	switch format {
	case extract.FormatPDF:
		return extract.PDF(r.ctx, data, lim)
	case extract.FormatDOCX:
		return extract.DOCX(data, lim)
	case extract.FormatXLSX:
		return extract.XLSX(data, lim)
	case extract.FormatHTML:
		return r.htmlText(data), nil
	case extract.FormatText:
		if isCSV(mediaType, filename) {
			return extract.CSV(r.cutText(data), lim)
		}
		if strings.HasPrefix(mediaType, "text/") || mediaType == "application/octet-stream" || mediaType == "" {
			return toUTF8(string(r.cutText(data))), nil
		}
		return "", nil
	}
	return "", nil
}

// isCSV tells a comma-separated file by its declared type or its name (its
// bytes are text like any other).
func isCSV(mediaType, filename string) bool {
	switch strings.ToLower(mediaType) {
	case "text/csv", "application/csv", "text/comma-separated-values", "application/vnd.ms-excel":
		return true
	}
	return strings.HasSuffix(strings.ToLower(filename), ".csv")
}

// minOCRImage is the size below which an image is taken for a logo or an
// icon, not a photographed or scanned page, and is not read.
const minOCRImage = 20 << 10

// needsOCR tells an attachment whose text must be read from images: a PDF
// without a text layer, or an image of some size.
func needsOCR(format extract.Format, text string, err error, size int) bool {
	switch format {
	case extract.FormatPDF:
		return errors.Is(err, extract.ErrNoTextLayer) || (err == nil && extract.NeedsOCR(text))
	case extract.FormatJPEG, extract.FormatPNG, extract.FormatTIFF:
		return size >= minOCRImage
	}
	return false
}

// ocr reads a scan or an image within the message's page budget.
func (r *reader) ocr(data []byte, format extract.Format) (extract.OCRResult, error) {
	lim := r.lim.OCR
	if lim.MaxPagesPerMessage <= 0 {
		lim.MaxPagesPerMessage = extract.DefaultOCRMaxPagesPerMessage
	}
	lim.MaxPagesPerMessage -= r.ocrPages
	if lim.MaxPagesPerMessage <= 0 {
		return extract.OCRResult{}, errOCRBudget
	}
	var res extract.OCRResult
	var err error
	if format == extract.FormatPDF {
		res, err = extract.OCRPDF(r.ctx, data, &lim)
	} else {
		res, err = extract.OCRImage(r.ctx, data, &lim)
	}
	r.ocrPages += res.Pages
	return res, err
}

var errOCRBudget = errors.New("the message's limit of scanned pages was reached")

// ocrError marks an error of OCR, for its wording.
type ocrError struct{ err error }

func (e ocrError) Error() string { return e.err.Error() }
func (e ocrError) Unwrap() error { return e.err }

var formatTypes = map[extract.Format]string{
	extract.FormatPDF:  "application/pdf",
	extract.FormatDOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	extract.FormatXLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	extract.FormatHTML: "text/html",
	extract.FormatJPEG: "image/jpeg",
	extract.FormatPNG:  "image/png",
	extract.FormatTIFF: "image/tiff",
	extract.FormatZIP:  "application/zip",
}

// htmlText converts HTML to text with package extract. A part larger than
// extract reads is read to that size, and says so.
func (r *reader) htmlText(data []byte) string {
	data = []byte(toUTF8(string(data)))
	text, err := extract.HTML(bytes.NewReader(data), &r.lim.Extract)
	if errors.Is(err, extract.ErrTooLarge) {
		max := r.lim.Extract.WithDefaults().MaxInput
		text, err = extract.HTML(bytes.NewReader(data[:min(int64(len(data)), max)]), &r.lim.Extract)
		if err == nil {
			err = extract.ErrTruncated
		}
	}
	if err != nil {
		r.warn("an HTML part of %d bytes was too large: only its first part was read", len(data))
	}
	return text
}

// attachmentWarning words an extraction error for a person.
func attachmentWarning(name string, err error) string {
	var oe ocrError
	if errors.As(err, &oe) {
		switch {
		case errors.Is(err, extract.ErrOCRDisabled):
			return "attachment " + name + " is a scan or an image: OCR is turned off, so no text was read from it"
		case errors.Is(err, extract.ErrOCRUnavailable):
			return "attachment " + name + " is a scan or an image: tesseract-ocr is not installed (apt-get install tesseract-ocr), so no text was read from it; foiwatch reprocess reads it once installed"
		case errors.Is(err, errOCRBudget):
			return "attachment " + name + " was not read by OCR: " + errOCRBudget.Error()
		}
		return "attachment " + name + " is a scan or an image and OCR failed: " + err.Error()
	}
	switch {
	case errors.Is(err, extract.ErrNoTextLayer):
		return "attachment " + name + " has no text layer"
	case errors.Is(err, extract.ErrTooLarge):
		return "attachment " + name + " is too large: its text was not read in full"
	case errors.Is(err, extract.ErrTimeout):
		return "attachment " + name + " took too long to read"
	case errors.Is(err, extract.ErrEncrypted):
		return "attachment " + name + " is encrypted"
	case errors.Is(err, extract.ErrToolMissing):
		var tm *extract.ToolMissingError
		if errors.As(err, &tm) {
			return "attachment " + name + " not read: " + tm.Error() + "; foiwatch reprocess reads it once installed"
		}
		return "attachment " + name + " not read: the program that reads it is not installed; foiwatch reprocess reads it once installed"
	case errors.Is(err, extract.ErrCorrupt):
		return "attachment " + name + " is damaged and could not be read"
	case errors.Is(err, extract.ErrTruncated):
		return "attachment " + name + " is cut short: only part of its text was read"
	}
	return "attachment " + name + " could not be read: " + err.Error()
}
