package parser

import (
	"bytes"
	"errors"
	"strings"

	"github.com/emersion/go-message"
	"github.com/foiwatch/foiwatch/parser/extract"
)

// attachment records one attachment and takes its text.
func (r *reader) attachment(e *message.Entity, mediaType, filename string, isAttachment bool) {
	data := r.readAll(e, filename)
	if len(data) == 0 && filename == "" {
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
	format := extract.Sniff(data)
	if mediaType == "application/octet-stream" || mediaType == "application/x-download" || mediaType == "" {
		if t, ok := formatTypes[format]; ok {
			mediaType = t // the declared type says nothing; the bytes do
		}
	}
	a := Attachment{Filename: filename, ContentType: mediaType, Size: len(data)}
	text, err := r.attachmentText(data, format, mediaType)
	if err != nil {
		r.warn("%s", attachmentWarning(name, err))
	}
	text = cleanText(text)
	if text != "" {
		text = r.budget(text)
		a.TextChars = len([]rune(text))
		r.m.attTexts = append(r.m.attTexts, attText{name: name, text: text})
	}
	r.m.Attachments = append(r.m.Attachments, a)
}

// attachmentText takes the text of one attachment by what its first bytes say
// it is (the declared type is often wrong: application/octet-stream).
func (r *reader) attachmentText(data []byte, format extract.Format, mediaType string) (string, error) {
	if len(data) == 0 {
		return "", nil
	}
	lim := &r.lim.Extract
	switch format {
	case extract.FormatPDF:
		return extract.PDF(r.ctx, data, lim)
	case extract.FormatDOCX:
		return extract.DOCX(data, lim)
	case extract.FormatHTML:
		return r.htmlText(data), nil
	case extract.FormatText:
		if strings.HasPrefix(mediaType, "text/") || mediaType == "application/octet-stream" || mediaType == "" {
			return toUTF8(string(data)), nil
		}
		return "", nil
	case extract.FormatJPEG, extract.FormatPNG, extract.FormatTIFF:
		return "", errImage
	}
	return "", nil
}

var errImage = errors.New("image")

var formatTypes = map[extract.Format]string{
	extract.FormatPDF:  "application/pdf",
	extract.FormatDOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	extract.FormatHTML: "text/html",
	extract.FormatJPEG: "image/jpeg",
	extract.FormatPNG:  "image/png",
	extract.FormatTIFF: "image/tiff",
	extract.FormatZIP:  "application/zip",
}

// htmlText converts HTML to text with package extract, falling back to this
// package's own converter when extract fails.
func (r *reader) htmlText(data []byte) string {
	data = []byte(toUTF8(string(data)))
	text, err := extract.HTML(bytes.NewReader(data), &r.lim.Extract)
	if err == nil {
		return text
	}
	if errors.Is(err, extract.ErrTooLarge) || errors.Is(err, extract.ErrTruncated) {
		r.warn("an HTML part was too large: its text was cut short")
		if strings.TrimSpace(text) != "" {
			return text
		}
	}
	return htmlToText(data, r.lim.MaxText)
}

// attachmentWarning words an extraction error for a person.
func attachmentWarning(name string, err error) string {
	switch {
	case errors.Is(err, errImage):
		return "attachment " + name + " is an image: no text was read from it"
	case errors.Is(err, extract.ErrNoTextLayer):
		return "attachment " + name + " has no text layer"
	case errors.Is(err, extract.ErrTooLarge):
		return "attachment " + name + " is too large: its text was not read in full"
	case errors.Is(err, extract.ErrTimeout):
		return "attachment " + name + " took too long to read"
	case errors.Is(err, extract.ErrEncrypted):
		return "attachment " + name + " is encrypted"
	case errors.Is(err, extract.ErrToolMissing):
		return "attachment " + name + " could not be read: the tool to read it is not installed"
	case errors.Is(err, extract.ErrCorrupt):
		return "attachment " + name + " is damaged and could not be read"
	case errors.Is(err, extract.ErrTruncated):
		return "attachment " + name + " is cut short: only part of its text was read"
	}
	return "attachment " + name + " could not be read: " + err.Error()
}
