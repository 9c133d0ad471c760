package parser

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the parser's output")

func testQuestions(t testing.TB) []Question {
	t.Helper()
	var c struct {
		Questions []Question `toml:"questions"`
	}
	if _, err := toml.DecodeFile("testdata/campaign.toml", &c); err != nil {
		t.Fatal(err)
	}
	return c.Questions
}

// TestGolden parses every testdata/*.eml and compares the Reply with
// testdata/NAME.golden.json; -update rewrites the golden files.
func TestGolden(t *testing.T) {
	qs := testQuestions(t)
	files, _ := filepath.Glob("testdata/*.eml")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".eml")
		t.Run(name, func(t *testing.T) {
			if strings.HasPrefix(name, "pdf-") {
				if _, err := exec.LookPath("pdftotext"); err != nil {
					t.Skip("pdftotext is not installed")
				}
			}
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			parse := Parse
			if strings.HasPrefix(name, "ocr-") {
				parse = parseAsScanned
			}
			r, err := parse(context.Background(), raw, &Asked{Questions: qs}, nil)
			if err != nil {
				t.Fatal(err)
			}
			r.File = "testdata/" + name + ".eml"
			got, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := "testdata/" + name + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./parser -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("reply differs from %s (run go test ./parser -update after checking):\n%s", golden, diffLines(string(want), string(got)))
			}
		})
	}
}

// parseAsScanned is Parse for the fixtures testdata/ocr-*.eml: the text of
// each of their attachments is what tesseract gives for a scan, noise and
// all, and is taken as read by OCR (confidence 81.5), so that the rules
// for scanned text are tested without tesseract.
func parseAsScanned(ctx context.Context, raw []byte, asked *Asked, lim *Limits) (*Reply, error) {
	m, err := Read(ctx, raw, lim)
	if err != nil {
		return nil, err
	}
	for i := range m.attTexts {
		m.attTexts[i].ocr, m.attTexts[i].conf = true, 81.5
	}
	for i := range m.Attachments {
		if m.Attachments[i].TextChars > 0 {
			m.Attachments[i].OCR, m.Attachments[i].OCRConfidence = true, 81.5
		}
	}
	r := m.Reply(asked)
	sum := sha256.Sum256(raw)
	r.SHA256 = hex.EncodeToString(sum[:])
	return r, nil
}

func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			b.WriteString("- " + a + "\n+ " + c + "\n")
		}
	}
	return b.String()
}

// Reference gives what Reply gives, for every fixture, scans included.
func TestReferenceIsReplysReference(t *testing.T) {
	qs := testQuestions(t)
	files, _ := filepath.Glob("testdata/*.eml")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := Read(context.Background(), raw, nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		ref := msg.Reference()
		if r := msg.Reply(&Asked{Questions: qs}); r.Reference != ref {
			t.Errorf("%s: Reference %q, Reply's %q", f, ref, r.Reference)
		}
		if r := msg.Reply(nil); r.Reference != ref {
			t.Errorf("%s: Reference %q, Reply(nil)'s %q", f, ref, r.Reference)
		}
	}
}
