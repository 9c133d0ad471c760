package extract

// The external programs extraction runs (Tools), and the error that says
// one is not installed (ToolMissingError).

import (
	"errors"
	"fmt"
	"os/exec"
	"syscall"
)

// Tool is an external program this package runs.
type Tool struct {
	Name    string // the program, as looked up on $PATH
	Package string // the Debian package that installs it
	For     string // what is not read without it, in the plural ("PDF attachments")
	OCR     bool   // needed only to read scans (OCR)
}

// Tools are every program extraction runs. pdftotext reads text PDFs; the
// others read scans (pdfinfo counts a scanned PDF's pages, pdftoppm renders
// them, tesseract reads the images).
var Tools = []Tool{
	{Name: "pdftotext", Package: "poppler-utils", For: "PDF attachments"},
	{Name: "pdfinfo", Package: "poppler-utils", For: "scanned PDFs", OCR: true},
	{Name: "pdftoppm", Package: "poppler-utils", For: "scanned PDFs", OCR: true},
	{Name: "tesseract", Package: "tesseract-ocr", For: "scans and photographed letters", OCR: true},
}

// ToolMissingError says that a program extraction needs is not installed
// (not found on $PATH). errors.Is(err, ErrToolMissing) holds for it. Its
// text is a sentence for an operator: "pdftotext is not installed
// (apt-get install poppler-utils)".
type ToolMissingError struct {
	Tool Tool
	Err  error // from exec.LookPath or exec.Cmd.Start
}

func (e *ToolMissingError) Error() string {
	return fmt.Sprintf("%s is not installed (apt-get install %s)", e.Tool.Name, e.Tool.Package)
}

// Is makes errors.Is(err, ErrToolMissing) true.
func (e *ToolMissingError) Is(target error) bool { return target == ErrToolMissing }

func (e *ToolMissingError) Unwrap() error { return e.Err }

// toolMissing is the *ToolMissingError of the program named name.
func toolMissing(name string, err error) *ToolMissingError {
	for _, t := range Tools {
		if t.Name == name {
			return &ToolMissingError{Tool: t, Err: err}
		}
	}
	return &ToolMissingError{Tool: Tool{Name: name, Package: name}, Err: err}
}

// MissingTools looks up every program of Tools on $PATH, as the extractors
// will, and returns one *ToolMissingError for each that is not there. A
// daemon calls it at start to say what it cannot read; it costs a few
// stat calls, so it may be called again (a health check) to see a program
// installed since.
func MissingTools() []*ToolMissingError {
	var out []*ToolMissingError
	for _, t := range Tools {
		if _, err := exec.LookPath(t.Name); err != nil {
			out = append(out, &ToolMissingError{Tool: t, Err: err})
		}
	}
	return out
}

// isNotFound tells a program that could not be started because it is not
// there (it vanished between the lookup and the start).
func isNotFound(err error) bool {
	return errors.Is(err, exec.ErrNotFound) || errors.Is(err, syscall.ENOENT)
}
