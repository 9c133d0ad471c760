package extract

// Telling a file's format from its first bytes (Sniff), never from its
// name or the type its mail part declares.

import (
	"archive/zip"
	"bytes"
	"strings"
	"unicode/utf8"
)

// pdfJunkAllowance is how far into a file "%PDF-" may start: Acrobat and
// poppler accept up to 1024 bytes of junk before the header (mail gateways
// and some scanners prepend some).
const pdfJunkAllowance = 1024

// Sniff tells a file's format from its first bytes, never from its name
// (authorities send "reply.pdf" that is a Word file, and scans named .doc).
// A zip holding word/document.xml is FormatDOCX, one holding
// xl/workbook.xml FormatXLSX; another zip is FormatZIP.
// Valid UTF-8 without NUL bytes that does not look like HTML is FormatText.
func Sniff(data []byte) Format {
	switch {
	case len(data) == 0:
		return FormatUnknown
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return FormatJPEG
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return FormatPNG
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return FormatTIFF
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		switch {
		case zipHolds(data, "word/document.xml"):
			return FormatDOCX
		case zipHolds(data, "xl/workbook.xml"):
			return FormatXLSX
		}
		return FormatZIP
	}
	head := data
	if len(head) > pdfJunkAllowance+5 {
		head = head[:pdfJunkAllowance+5]
	}
	if bytes.Contains(head, []byte("%PDF-")) {
		return FormatPDF
	}
	if looksHTML(data) {
		return FormatHTML
	}
	if bytes.IndexByte(data, 0) < 0 && utf8.Valid(data) {
		return FormatText
	}
	return FormatUnknown
}

// zipHolds reports whether the zip in data has a part of the given name
// (word/document.xml for Word, xl/workbook.xml for Excel). When the bytes
// are not a whole zip (Sniff may be given only the start of a file), it
// looks for the name in the local file headers instead.
func zipHolds(data []byte, part string) bool {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if zr != nil && (err == nil || err == zip.ErrInsecurePath) {
		for _, f := range zr.File {
			if strings.EqualFold(f.Name, part) {
				return true
			}
		}
		return false
	}
	return bytes.Contains(data, []byte(part))
}

// htmlPrefixes are the patterns of the WHATWG MIME Sniffing standard
// (section 7.1, "identifying a resource with an unknown MIME type"): each
// must be followed by a space or '>' so "<bold" is not "<b".
var htmlPrefixes = []string{
	"<!doctype html", "<html", "<head", "<script", "<iframe", "<h1", "<div",
	"<font", "<table", "<a", "<style", "<title", "<b", "<body", "<br", "<p", "<!--",
	// Not in the standard, but how Outlook and mail clients start a part.
	"<meta", "<span", "<o:p",
}

func looksHTML(data []byte) bool {
	s := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	s = bytes.TrimLeft(s, " \t\r\n\f")
	head := strings.ToLower(string(s[:min(len(s), 1024)]))
	if strings.HasPrefix(head, "<?xml") {
		// An XML declaration starts XHTML only when html follows.
		return strings.Contains(head, "<html")
	}
	for _, p := range htmlPrefixes {
		if !strings.HasPrefix(head, p) {
			continue
		}
		if len(head) == len(p) || p == "<!--" {
			return true
		}
		switch head[len(p)] {
		case ' ', '>', '\t', '\n', '\r', '\f', '/':
			return true
		}
	}
	return false
}
