package extract

import (
	"strings"
	"testing"
)

func TestSniff(t *testing.T) {
	docx := string(buildZip(t, docxParts(para("x"))...))
	zipFile := string(buildZip(t, "readme.txt", "hello"))
	tests := []struct {
		name string
		data string
		want Format
	}{
		{"pdf header", "%PDF-1.7\n...", FormatPDF},
		{"pdf after junk a mail gateway prepended", strings.Repeat("x", 1000) + "%PDF-1.4", FormatPDF},
		{"pdf header too far in is not a pdf", strings.Repeat("\x00", 1100) + "%PDF-1.4", FormatUnknown},
		{"zip with word/document.xml is docx", docx, FormatDOCX},
		{"the start of a docx is still docx", docx[:strings.Index(docx, "word/document.xml")+40], FormatDOCX},
		{"another zip is zip", zipFile, FormatZIP},
		{"jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF", FormatJPEG},
		{"png", "\x89PNG\r\n\x1a\n\x00\x00", FormatPNG},
		{"tiff little-endian", "II*\x00\x08\x00", FormatTIFF},
		{"tiff big-endian", "MM\x00*\x00\x08", FormatTIFF},
		{"html doctype", "<!DOCTYPE html><html>", FormatHTML},
		{"html after BOM and space", "\ufeff\r\n  <HTML><body>", FormatHTML},
		{"html body fragment", "<body><p>hi</p></body>", FormatHTML},
		{"html starting with a comment", "<!-- x --><p>hi", FormatHTML},
		{"xhtml with xml declaration", `<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">`, FormatHTML},
		{"xml that is not html is text", `<?xml version="1.0"?><note/>`, FormatText},
		{"a word starting with b is not html", "<bold claims> are text", FormatText},
		{"plain text", "Dear Sir,\nplease find £125,000 attached.", FormatText},
		{"text with a NUL is unknown", "abc\x00def", FormatUnknown},
		{"invalid UTF-8 is unknown", "caf\xe9", FormatUnknown},
		{"empty is unknown", "", FormatUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sniff([]byte(tt.data)); got != tt.want {
				t.Errorf("Sniff = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLimitsWithDefaults(t *testing.T) {
	var nilLim *Limits
	d := nilLim.WithDefaults()
	want := Limits{MaxInput: 64 << 20, MaxOutput: 2 << 20, Timeout: DefaultTimeout, MaxMemory: 512 << 20, MaxZipEntries: 2000, MaxUncompressed: 64 << 20}
	if d != want {
		t.Errorf("nil.WithDefaults() = %+v, want %+v", d, want)
	}
	got := (&Limits{MaxOutput: 10, MaxInput: -1}).WithDefaults()
	if got.MaxOutput != 10 || got.MaxInput != 64<<20 {
		t.Errorf("WithDefaults kept %d/%d, want 10 and the default", got.MaxOutput, got.MaxInput)
	}
}

func TestFormatNumber(t *testing.T) {
	tests := []struct {
		n      int
		format string
		want   string
	}{
		{5, "decimal", "5"}, {1, "lowerLetter", "a"}, {27, "lowerLetter", "aa"}, {28, "upperLetter", "BB"},
		{4, "lowerRoman", "iv"}, {1994, "upperRoman", "MCMXCIV"}, {7, "decimalZero", "07"},
		{0, "lowerRoman", "0"}, {-3, "decimal", "-3"}, {5000, "upperRoman", "5000"}, {3, "ordinal", "3"},
	}
	for _, tt := range tests {
		if got := formatNumber(tt.n, tt.format); got != tt.want {
			t.Errorf("formatNumber(%d, %q) = %q, want %q", tt.n, tt.format, got, tt.want)
		}
	}
}
