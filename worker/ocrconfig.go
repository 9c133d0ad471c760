package worker

import (
	"fmt"
	"strings"

	"github.com/foiwatch/foiwatch/internal/conf"
	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/parser/extract"
)

// OCRConfig is the [ocr] section: reading scanned letters with tesseract.
type OCRConfig struct {
	// Enabled turns OCR on or off. Default: on when tesseract is installed.
	Enabled *bool `toml:"enabled"`
	// Languages for tesseract, "+"-separated. Default "eng+cym" where both
	// are installed (Welsh authorities answer in both), else "eng". A page
	// is read with the first, and again with all of them when its words
	// look Welsh: reading English with eng+cym misreads it ("O" for "0").
	Languages string `toml:"languages"`
	// MaxPagesPerAttachment read from one scan. Default 30.
	MaxPagesPerAttachment int `toml:"max_pages_per_attachment"`
	// MaxPagesPerMessage read from all the scans of one message. Default 60.
	MaxPagesPerMessage int `toml:"max_pages_per_message"`
	// PageTimeout for rendering and reading one page. Default "60s".
	PageTimeout conf.Duration `toml:"page_timeout"`
	// Timeout for one attachment. Default "5m".
	Timeout conf.Duration `toml:"timeout"`
	// DPI a PDF page is rendered at. Default 200.
	DPI int `toml:"dpi"`
	// Parallel is the number of pages read at once. Default: the number of CPUs.
	Parallel int `toml:"parallel"`
}

// Validate says what is wrong with the [ocr] section.
func (o OCRConfig) Validate() error {
	var bad []string
	if o.MaxPagesPerAttachment < 0 || o.MaxPagesPerMessage < 0 || o.DPI < 0 || o.Parallel < 0 {
		bad = append(bad, "page limits, dpi and parallel cannot be negative")
	}
	if o.DPI != 0 && (o.DPI < 72 || o.DPI > 600) {
		bad = append(bad, fmt.Sprintf("dpi = %d: use 150 to 300 (200 reads letters best)", o.DPI))
	}
	for _, l := range strings.Split(o.Languages, "+") {
		if o.Languages != "" && (l == "" || strings.ContainsAny(l, " -/.")) {
			bad = append(bad, fmt.Sprintf("languages = %q: want tesseract language codes joined by +, e.g. \"eng+cym\"", o.Languages))
			break
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("ocr: %s", strings.Join(bad, "; "))
	}
	return nil
}

// ParserLimits are the parser's limits with the [ocr] settings.
func (c Config) ParserLimits() *parser.Limits {
	l := &parser.Limits{}
	l.OCR = extract.OCRLimits{
		Enabled:               c.OCR.Enabled,
		Languages:             c.OCR.Languages,
		MaxPagesPerAttachment: c.OCR.MaxPagesPerAttachment,
		MaxPagesPerMessage:    c.OCR.MaxPagesPerMessage,
		PageTimeout:           c.OCR.PageTimeout.Duration,
		Timeout:               c.OCR.Timeout.Duration,
		DPI:                   c.OCR.DPI,
		Parallel:              c.OCR.Parallel,
	}
	return l
}
