package parser

import "github.com/foiwatch/foiwatch/parser/extract"

// Limits bound the work Read and Parse do on one message. A limit that is hit
// becomes a warning in the result, never an error or a panic.
type Limits struct {
	MaxMessage int64 // bytes of raw message read; default 64 MiB
	MaxParts   int   // MIME parts walked; default 1000
	MaxDepth   int   // nesting of multiparts and forwarded messages; default 20
	MaxText    int   // characters of text kept from the body and all attachments; default 4 MiB
	Extract    extract.Limits
	// OCR bounds the reading of scanned PDFs and images; its
	// MaxPagesPerMessage is shared by all attachments of one message.
	OCR extract.OCRLimits
}

// Defaults of Limits.
const (
	DefaultMaxMessage = 64 << 20
	DefaultMaxParts   = 1000
	DefaultMaxDepth   = 20
	DefaultMaxText    = 4 << 20
)

// WithDefaults returns a copy of l with every zero or negative field set to its
// default. It may be called on a nil *Limits. Extract is passed on as it is:
// package extract applies its own defaults.
func (l *Limits) WithDefaults() Limits {
	var out Limits
	if l != nil {
		out = *l
	}
	if out.MaxMessage <= 0 {
		out.MaxMessage = DefaultMaxMessage
	}
	if out.MaxParts <= 0 {
		out.MaxParts = DefaultMaxParts
	}
	if out.MaxDepth <= 0 {
		out.MaxDepth = DefaultMaxDepth
	}
	if out.MaxText <= 0 {
		out.MaxText = DefaultMaxText
	}
	return out
}
