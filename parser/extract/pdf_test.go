package extract

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func needPdftotext(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (apt-get install poppler-utils): PDF extraction not tested")
	}
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return data
}

// letterLines are lines of testdata/letter.pdf as a reader sees them.
var letterLines = []string{
	"Our ref: FOI/OPCCN/239",
	"1. The Change Hub Perpetrator Behaviour Change Intervention.",
	"5. 12.",
	"7. 10.",
	"8. Police referrals only.",
	"10. £125,000 per annum.",
	"Yours sincerely",
}

func hasLine(text, want string) bool {
	for line := range strings.SplitSeq(text, "\n") {
		if strings.TrimSpace(line) == want {
			return true
		}
	}
	return false
}

func TestPDF(t *testing.T) {
	needPdftotext(t)
	tests := []struct {
		name    string
		fixture string
		want    []string // lines that must be in the text
		wantErr error
	}{
		{"a Word-style two-page letter keeps numbered answers", "letter.pdf", letterLines, nil},
		{"an empty user password still reads", "encrypted-empty-password.pdf", letterLines, nil},
		{"a user password is ErrEncrypted", "encrypted-user-password.pdf", nil, ErrEncrypted},
		{"an image-only page is ErrNoTextLayer", "image-only.pdf", nil, ErrNoTextLayer},
		{"a truncated file without trailer is ErrCorrupt", "truncated.pdf", nil, ErrCorrupt},
		{"a page tree that contains itself still reads", "page-loop.pdf", []string{"Looped page text"}, nil},
		{"bytes that are not a pdf are ErrCorrupt", "", nil, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte("this is not a pdf at all")
			if tt.fixture != "" {
				data = readFixture(t, tt.fixture)
			}
			got, err := PDF(context.Background(), data, nil)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "extract: ") {
					t.Errorf("error %q lacks the package prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("PDF: %v", err)
			}
			for _, w := range tt.want {
				if !hasLine(got, w) {
					t.Errorf("no line %q in:\n%s", w, got)
				}
			}
			if strings.Contains(got, "\f") {
				t.Errorf("form feed left in text")
			}
		})
	}
}

// A page break is a line of its own, PageBreak, which reads as a blank
// line once trimmed.
func TestPDFPageBreakIsALineOfItsOwn(t *testing.T) {
	needPdftotext(t)
	got, err := PDF(context.Background(), readFixture(t, "letter.pdf"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "7. 10.\n"+PageBreak+"\n8. Police referrals only.") {
		t.Errorf("page break not a line of its own:\n%q", got)
	}
	if strings.TrimSpace(PageBreak) != "" {
		t.Errorf("PageBreak %q is not white space", PageBreak)
	}
	if strings.HasSuffix(got, PageBreak) || strings.HasPrefix(got, PageBreak) {
		t.Errorf("a page break at an end of the text")
	}
}

func TestPDFLimits(t *testing.T) {
	needPdftotext(t)
	letter := readFixture(t, "letter.pdf")

	t.Run("input over MaxInput is refused before running", func(t *testing.T) {
		_, err := PDF(context.Background(), letter, &Limits{MaxInput: 100})
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
	})
	t.Run("output over MaxOutput is cut and reported", func(t *testing.T) {
		got, err := PDF(context.Background(), letter, &Limits{MaxOutput: 40})
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("err = %v, want ErrTruncated", err)
		}
		if n := len([]rune(got)); n != 40 {
			t.Errorf("got %d characters, want 40: %q", n, got)
		}
	})
	t.Run("a timeout kills pdftotext and is ErrTimeout", func(t *testing.T) {
		start := time.Now()
		_, err := PDF(context.Background(), letter, &Limits{Timeout: time.Nanosecond})
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want ErrTimeout wrapping DeadlineExceeded", err)
		}
		if d := time.Since(start); d > waitDelay {
			t.Errorf("took %v to give up", d)
		}
	})
	t.Run("a cancelled context stops it with context.Canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := PDF(ctx, letter, nil)
		if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("a memory cap too small to start is ErrTooLarge", func(t *testing.T) {
		_, err := PDF(context.Background(), letter, &Limits{MaxMemory: 4 << 20})
		if !CapWorks() {
			t.Skip("this system forbids setting a child's memory cap")
		}
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "memory") {
			t.Fatalf("err = %v, want ErrTooLarge about memory", err)
		}
	})
}

// TestPDFTimeoutKillsTheProcessGroup runs a stand-in pdftotext that
// forks a grandchild and hangs: the timeout must end both, and return
// promptly although the grandchild holds stdout open.
func TestPDFTimeoutKillsTheProcessGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "grandchild.pid")
	script := "#!/bin/sh\nsleep 60 &\necho $! > " + pidFile + "\nwait\n"
	if err := os.WriteFile(filepath.Join(dir, "pdftotext"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))

	start := time.Now()
	_, err := PDF(context.Background(), []byte("%PDF-1.4"), &Limits{Timeout: 300 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 300*time.Millisecond+waitDelay {
		t.Errorf("took %v", d)
	}
	pid, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("stand-in did not start its grandchild: %v", err)
	}
	// A killed child lingers as a zombie until its parent (here init)
	// reaps it: look at its state, not only at its existence.
	deadline := time.Now().Add(2 * time.Second)
	for {
		stat, err := os.ReadFile("/proc/" + strings.TrimSpace(string(pid)) + "/stat")
		if err != nil || strings.Contains(string(stat), ") Z ") {
			return // gone, or dead and waiting to be reaped
		}
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %s still running after the timeout: %s", pid, stat)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPDFToolMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := PDF(context.Background(), []byte("%PDF-1.4"), nil)
	if !errors.Is(err, ErrToolMissing) || !strings.Contains(err.Error(), "apt-get install poppler-utils") {
		t.Fatalf("err = %v, want ErrToolMissing naming the package", err)
	}
}

// TestPDFToolThatCannotStart runs stand-in pdftotexts that are on $PATH
// but cannot be started: one whose interpreter is gone reads as the tool
// missing; one that is not a program at all says it could not be started.
func TestPDFToolThatCannotStart(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		check         func(error) bool
	}{
		{"an interpreter that is gone is ErrToolMissing", "#!/nonexistent/sh\n",
			func(err error) bool { return errors.Is(err, ErrToolMissing) }},
		{"a file that is not a program is an error starting it", "\x00\x01\x02\x03 not a program",
			func(err error) bool { return err != nil && strings.Contains(err.Error(), "starting pdftotext") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "pdftotext"), []byte(tc.content), 0o755); err != nil {
				t.Fatal(err)
			}
			t.Setenv("PATH", dir)
			if _, err := PDF(context.Background(), []byte("%PDF-1.4"), nil); !tc.check(err) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

// TestPDFEndlessOutputIsCut runs a stand-in pdftotext that never stops
// writing: the output cap must stop it and return the text so far.
func TestPDFEndlessOutputIsCut(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\nexec yes '10.   £125,000 per annum.'\n"
	if err := os.WriteFile(filepath.Join(dir, "pdftotext"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	start := time.Now()
	got, err := PDF(context.Background(), []byte("%PDF-1.4"), &Limits{MaxOutput: 1000, Timeout: 10 * time.Second})
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("err = %v, want ErrTruncated", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v: the cap did not stop the writer", d)
	}
	if n := len([]rune(got)); n != 1000 || !strings.HasPrefix(got, "10. £125,000 per annum.\n") {
		t.Errorf("got %d characters: %.60q", n, got)
	}
}
