package main

import (
	"bytes"
	"errors"
	"fmt"
	mrand "math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/mailbox/mailtest"
	"github.com/foiwatch/foiwatch/worker/demo"
)

// peakRSSEnv, set to a file name, makes the test binary run the command
// after "--" in its arguments instead of the tests, and write that
// command's peak RSS (bytes) to the file (see measuredCommand).
const peakRSSEnv = "FOIWATCH_TEST_PEAK_RSS_FILE"

// runForPeakRSS is the test binary as measuredCommand starts it.
func runForPeakRSS(file string) int {
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		os.Stderr.WriteString("peak RSS helper: " + err.Error() + "\n")
		return 127
	}
	peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
	if werr := os.WriteFile(file, []byte(strconv.FormatInt(peak, 10)), 0o600); werr != nil {
		os.Stderr.WriteString("peak RSS helper: " + werr.Error() + "\n")
		return 127
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return 0
}

// measuredCommand is exec.Command(name, args...) started through this test
// binary started afresh, and a function giving the command's peak RSS once
// it has run. Measured directly, the peak would be the test process's:
// a child shares its parent's memory until it execs (Go starts it with
// vfork), and Linux counts the peak RSS of that memory in the child's
// (wait4's ru_maxrss), so a command started by a test process that ran the
// package's other tests (over 200 MiB) would seem to use as much. The
// fresh test binary's own peak is a few MiB.
func measuredCommand(t testing.TB, name string, args ...string) (*exec.Cmd, func() int64) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "peak-rss")
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--", name}, args...)...)
	cmd.Env = append(os.Environ(), peakRSSEnv+"="+file)
	return cmd, func() int64 {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("the command's peak RSS was not measured: %v", err)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			t.Fatalf("peak RSS %q: %v", b, err)
		}
		return n
	}
}

// BenchmarkSyncPeakRSS is the peak RSS of `foiwatch sync` (a child process
// measured as its own, so the in-memory IMAP server's copies of the mail,
// held by the benchmark, are not counted) over
//
//   - 10000+25MB-PDF: 10,000 small replies and one with a 25 MB PDF (a
//     letter's page and a 25 MB scan-sized image);
//   - hostile: the hostile corpus (mailtest.Hostile: zip bombs, a PDF
//     claiming 2^31 pages over a 64 MiB deflate bomb, a 50 MB CSV in a
//     68 MiB message, 10,000 parts ...) among the demo samples.
//
// It reports the figure (peakRSS-MiB) and asserts nothing about it:
//
//	go test ./cmd/foiwatch -run '^$' -bench BenchmarkSyncPeakRSS -benchtime 1x
//
// FOIWATCH_BENCH_BIN names another foiwatch binary to measure (one built
// from an older commit, for a before and after in the same run).
func BenchmarkSyncPeakRSS(b *testing.B) {
	if testing.Short() {
		b.Skip("-short: a sync of 10,000 messages")
	}
	bin := os.Getenv("FOIWATCH_BENCH_BIN")
	if bin == "" {
		bin = benchBinary(b, b.TempDir())
	}
	cases := []struct {
		name  string
		msgs  func() [][]byte
		extra string
	}{
		{"10000+25MB-PDF", func() [][]byte {
			msgs := genMessages(10000, 97)
			// Among the others, not last: the sync goes on around it.
			return slices.Insert(msgs, 5000, rssPDFMessage(10000, 97, pdfOfSize(25<<20)))
		}, ""},
		{"hostile", func() [][]byte {
			samples, err := demo.Samples()
			if err != nil {
				b.Fatal(err)
			}
			var msgs [][]byte
			for _, s := range samples[:2] {
				msgs = append(msgs, s.Raw)
			}
			for _, h := range mailtest.Hostile() {
				msgs = append(msgs, h.Raw)
			}
			for _, s := range samples[2:] {
				msgs = append(msgs, s.Raw)
			}
			return msgs
		}, // As in worker/hostile_test.go, max_message_bytes is raised so
			// that the 68 MiB message is fetched and the parser's own
			// limits are what is measured.
			"max_message_bytes = 104857600\n"},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var peak int64
			for range b.N {
				b.StopTimer()
				srv, err := mailtest.NewMemServer("researcher@requests.example.org", "pw-rss")
				if err != nil {
					b.Fatal(err)
				}
				var total int
				for _, m := range tc.msgs() {
					total += len(m)
					if err := srv.Append("INBOX", m); err != nil {
						b.Fatal(err)
					}
				}
				runtime.GC()
				dir := b.TempDir()
				cfg := rssConfig(b, dir, srv.Addr(), srv.Username(), srv.Password(), tc.extra)
				cmd, peakRSS := measuredCommand(b, bin, "sync", "--config", cfg)
				var out, errOut bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &errOut
				b.StartTimer()
				err = cmd.Run()
				b.StopTimer()
				if err != nil {
					b.Fatalf("sync: %v\n%s", err, benchTail(errOut.String(), 2000))
				}
				peak = max(peak, peakRSS())
				b.Logf("%s: %d bytes of mail; sync: %s; peak RSS %s", tc.name, total, strings.TrimSpace(out.String()), benchMiB(peak))
				srv.Close()
			}
			b.ReportMetric(float64(peak)/(1<<20), "peakRSS-MiB")
		})
	}
}

// rssConfig is writeConfig (main_test.go) for a benchmark.
func rssConfig(tb testing.TB, dir, addr, user, pass, extra string) string {
	tb.Helper()
	os.WriteFile(filepath.Join(dir, "campaign.toml"), []byte(demo.CampaignTOML()), 0o600)
	os.WriteFile(filepath.Join(dir, "imap-password"), []byte(pass), 0o600)
	cfg := "data_dir = \"data\"\ncampaigns = [\"campaign.toml\"]\n[http]\nlisten = \"\"\n[[mailboxes]]\nname = \"foi\"\n" +
		"address = \"" + addr + "\"\ntls = \"none\"\nusername = \"" + user + "\"\npassword_file = \"" + filepath.Join(dir, "imap-password") + "\"\nidle = false\n" + extra
	p := filepath.Join(dir, "foiwatch.toml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// pdfOfSize is a one-page PDF letter of about n bytes: a line of text, and
// an image of n bytes of noise (as a scan's would be, incompressible) that
// the page draws.
func pdfOfSize(n int) []byte {
	img := make([]byte, n)
	mrand.New(mrand.NewSource(25)).Read(img)
	side := 1
	for side*side < n {
		side++
	}
	img = img[:side*side]
	text := "BT /F1 12 Tf 72 712 Td (In response to your request, we hold 12 records.) Tj ET\nq 200 0 0 200 72 400 cm /Im1 Do Q\n"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", len(text), text),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>\nstream\n%s\nendstream", side, side, len(img), img),
	}
	return mailtest.BuildPDF(objs, fmt.Sprintf("/Size %d /Root 1 0 R", len(objs)+1))
}

// rssPDFMessage is message i with a PDF letter attached (a scanned-in reply
// as authorities often send).
func rssPDFMessage(i, n int, pdf []byte) []byte {
	k := i % n
	date := time.Date(2024, 1, 3, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute).Format(time.RFC1123Z)
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: FOI Team <foi@authority%03d.example.gov.uk>\r\nTo: researcher@requests.example.org\r\n"+
		"Date: %s\r\nMessage-ID: <gen-%d@authority%03d.example.gov.uk>\r\nIn-Reply-To: <req-%03d@requests.example.org>\r\n"+
		"Subject: RE: FOI request - response letter\r\nMIME-Version: 1.0\r\n", k, date, i, k, k)
	writePDFLetter(&b, i, pdf)
	return b.Bytes()
}
