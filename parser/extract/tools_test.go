package extract

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// Without pdftotext a PDF is not read, with an error that names the
// program and the package to install, and that the parser can tell apart
// (ErrToolMissing, *ToolMissingError).
func TestMissingToolsAreNamedWithTheirPackage(t *testing.T) {
	letter, err := os.ReadFile("testdata/letter.pdf")
	if err != nil {
		t.Fatal(err)
	}
	real, realErr := exec.LookPath("pdftotext")
	dir := t.TempDir()
	t.Setenv("PATH", dir)
	_, err = PDF(context.Background(), letter, nil)
	var tm *ToolMissingError
	if !errors.As(err, &tm) || !errors.Is(err, ErrToolMissing) || tm.Tool.Name != "pdftotext" {
		t.Fatalf("PDF without pdftotext: %v; want a *ToolMissingError for pdftotext", err)
	}
	if want := "pdftotext is not installed (apt-get install poppler-utils)"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	var names []string
	for _, m := range MissingTools() {
		names = append(names, m.Tool.Name)
	}
	if want := []string{"pdftotext", "pdfinfo", "pdftoppm", "tesseract"}; !slices.Equal(names, want) {
		t.Errorf("MissingTools with an empty PATH = %v, want %v", names, want)
	}

	// pdftotext installed (the real one linked into PATH): it is no
	// longer missing, and the same letter reads.
	if realErr != nil {
		t.Skip("pdftotext is not installed on this machine")
	}
	if err := os.Symlink(real, filepath.Join(dir, "pdftotext")); err != nil {
		t.Fatal(err)
	}
	if m := MissingTools(); len(m) != 3 || m[0].Tool.Name == "pdftotext" {
		t.Errorf("MissingTools with pdftotext installed = %v", m)
	}
	if text, err := PDF(context.Background(), letter, nil); err != nil || text == "" {
		t.Errorf("PDF once pdftotext is installed = %d characters, %v", len(text), err)
	}
}
