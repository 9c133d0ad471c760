package worker_test

// Hostile input: a mailbox holding messages built to hurt a mail parser
// (zip bombs, looping PDFs, huge and deeply nested MIME, broken charsets,
// header injection, script, binary junk, nothing at all) among the normal
// demo samples. Every hostile message must end stored with warnings a person
// can read, or in FAILED with a clear error; the normal samples after them
// must be processed as usual; memory must stay bounded. The corpus is built
// at run time: nothing large is committed.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/foiwatch/foiwatch/mailbox/mailtest"
	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/worker"
	"github.com/foiwatch/foiwatch/worker/deadline"
	"github.com/foiwatch/foiwatch/worker/demo"
)

// hostile is one message of the corpus.
type hostile struct {
	name string
	raw  []byte // dropped once appended, so the heap measured is foiwatch's
	sha  string
	// failed, when set, is what the FAILED entry's error must say; else the
	// message must be stored.
	failed string
	// warning, when set, must appear in one of the stored reply's warnings.
	warning string
	// check looks at the stored reply (may be nil).
	check func(t *testing.T, r *parser.Reply)
}

// plainSentence reports what is wrong with w as a warning shown to a
// person: it must be one line of readable text, not a Go value or a stack.
func plainSentence(w string) string {
	switch {
	case len(w) < 10:
		return "too short"
	case len(w) > 600:
		return "longer than 600 bytes"
	case !utf8.ValidString(w):
		return "not valid UTF-8"
	case strings.ContainsFunc(w, func(r rune) bool { return unicode.IsControl(r) }):
		return "holds control characters"
	case !unicode.IsLetter([]rune(w)[0]):
		return "does not start with a word"
	}
	for _, bad := range []string{"%!", "goroutine ", "panic", "internal error", "runtime error", "0x", "<nil>", "&{", "map["} {
		if strings.Contains(w, bad) {
			return "contains " + strconv.Quote(bad)
		}
	}
	return ""
}

// goErrorText finds what a Go library's error looks like inside a
// sentence: "multipart: NextPart: EOF", "htmlindex: invalid encoding name",
// "unexpected EOF".
var goErrorText = regexp.MustCompile(`\b[a-z0-9]+: [A-Za-z]+: |\b(?:htmlindex|multipart|flate|zlib|base64): |unexpected EOF|\bEOF\b`)

// memPeak samples the heap in use until stop is called.
type memPeak struct {
	mu   sync.Mutex
	peak uint64
	done chan struct{}
	wg   sync.WaitGroup
}

func sampleMemory() *memPeak {
	m := &memPeak{done: make(chan struct{})}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			m.mu.Lock()
			m.peak = max(m.peak, ms.HeapInuse)
			m.mu.Unlock()
			select {
			case <-m.done:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *memPeak) now() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.peak
}

func (m *memPeak) stop() uint64 {
	close(m.done)
	m.wg.Wait()
	return m.peak
}

// vmHWM is the process's peak resident set size (bytes), from /proc.
func vmHWM() uint64 { return vmStatus("VmHWM:") }

// vmStatus is a size in /proc/self/status (bytes), 0 when unknown.
func vmStatus(key string) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// resetHWM sets the process's peak RSS to what it holds now and returns
// that (bytes); where it cannot (not Linux), it returns 0 and the peak
// stays the process's.
func resetHWM() uint64 {
	if os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) != nil {
		return 0
	}
	return vmStatus("VmRSS:")
}

// hostileCorpus is mailtest.Hostile with what to check of each stored reply.
func hostileCorpus(t *testing.T) []hostile {
	t.Helper()
	noCRLF := func(t *testing.T, r *parser.Reply) {
		if strings.ContainsAny(r.Subject, "\r\n") {
			t.Errorf("stored subject holds CR or LF: %q", r.Subject)
		}
	}
	oneAttachment := func(name string) func(t *testing.T, r *parser.Reply) {
		return func(t *testing.T, r *parser.Reply) {
			if len(r.Attachments) != 1 {
				t.Errorf("attachments = %+v, want %s", r.Attachments, name)
			}
		}
	}
	checks := map[string]func(t *testing.T, r *parser.Reply){
		"pdf-page-tree-loop": oneAttachment("loop.pdf"),
		"pdf-huge-claims":    oneAttachment("huge.pdf"),
		"charset-invalid-bytes": func(t *testing.T, r *parser.Reply) {
			if !utf8.ValidString(r.Subject) {
				t.Errorf("subject is not valid UTF-8: %q", r.Subject)
			}
			for k, a := range r.Answers {
				if !utf8.ValidString(a.Text) {
					t.Errorf("answer %s is not valid UTF-8: %q", k, a.Text)
				}
			}
		},
		"subject-bare-cr": noCRLF,
		"subject-encoded-crlf": func(t *testing.T, r *parser.Reply) {
			noCRLF(t, r)
			if !strings.Contains(r.Subject, "attacker@evil.example") {
				t.Errorf("subject %q: the decoded words were lost", r.Subject)
			}
		},
		"html-script": func(t *testing.T, r *parser.Reply) {
			for k, a := range r.Answers {
				if strings.Contains(a.Text, "document.cookie") || strings.Contains(a.Text, "alert('answer')") {
					t.Errorf("answer %s holds the text of a <script> element: %q", k, a.Text)
				}
			}
		},
	}
	var out []hostile
	for _, m := range mailtest.Hostile() {
		out = append(out, hostile{name: m.Name, raw: m.Raw, failed: m.Failed, warning: m.Warning, check: checks[m.Name]})
	}
	return out
}

// isFormula reports whether a spreadsheet opening a CSV would take cell
// for a formula: it starts with = + - @ (or a tab or CR) and is not a
// plain number.
func isFormula(cell string) bool {
	if cell == "" || !strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return false
	}
	_, err := strconv.ParseFloat(cell, 64)
	return err != nil
}

func TestHostileInputIsStoredWithWarningsOrFailsClearly(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the hostile-input test (it builds a 70 MB message)")
	}
	ctx := context.Background()
	peer := memPeer(t)
	corpus := hostileCorpus(t)
	samples, err := demo.Samples()
	if err != nil {
		t.Fatal(err)
	}
	// Samples before, between and after the hostile messages. UIDs count
	// from 1 in append order: go-imap's in-memory server does not keep
	// bytes that are not a message (it serves the binary one as "\r\n"), so
	// FAILED entries are found by UID.
	uid := map[string]uint32{}
	n := uint32(0)
	add := func(name string, raw []byte) {
		peer.append(t, raw)
		n++
		uid[name] = n
	}
	var binary []byte
	for i := range corpus {
		corpus[i].sha = sha(corpus[i].raw)
		if corpus[i].name == mailtest.HostileNotEmail {
			binary = corpus[i].raw
		}
	}
	half := len(corpus) / 2
	for _, s := range samples[:2] {
		add(s.Name, s.Raw)
	}
	for i := range corpus[:half] {
		add(corpus[i].name, corpus[i].raw)
		corpus[i].raw = nil
	}
	for _, s := range samples[2:4] {
		add(s.Name, s.Raw)
	}
	for i := range corpus[half:] {
		add(corpus[half+i].name, corpus[half+i].raw)
		corpus[half+i].raw = nil
	}
	for _, s := range samples[4:] {
		add(s.Name, s.Raw)
	}
	runtime.GC()
	d := openDaemon(t, t.TempDir(), peer)
	// The 50 MB attachment makes a message of 68 MiB, over the default
	// max_message_bytes of 64 MiB: raised here, so that the parser's own
	// limits are what this test sees (the poller's is in wrong_test.go).
	d.Cfg.Mailboxes[0].MaxMessageBytes = 100 << 20
	// The binary message exactly as written, not as the test server keeps
	// it: imported straight into the queue.
	if _, err := d.IngestRaw(ctx, binary, "import"); err != nil {
		t.Fatal(err)
	}

	// The peak RSS measured is the sync's: the high-water mark is reset
	// (Linux: clear_refs 5) once the corpus is built and appended, and what
	// the process holds then, the in-memory IMAP server's copies of the
	// corpus above all, is taken off.
	runtime.GC()
	debug.FreeOSMemory()
	baseRSS := resetHWM()
	// The daemon runs under the soft memory limit foiwatch sets for itself
	// (cmd/foiwatch/memlimit.go), on top of what the test holds.
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(int64(baseRSS) + 160<<20))
	mem := sampleMemory()
	var ingestPeak uint64
	var once sync.Once
	d.Proc.BeforeParse = func(context.Context, string) error {
		once.Do(func() { ingestPeak = mem.now() }) // Sync fetches everything before it parses
		return nil
	}
	start := time.Now()
	res, err := d.Sync(ctx)
	took := time.Since(start)
	peak := mem.stop()
	hwm := vmHWM()
	t.Logf("sync of %d hostile and %d normal messages: %+v in %s; peak heap in use %d MiB (%d MiB while fetching and storing, before any parse), peak RSS (VmHWM) %d MiB, %d MiB above the %d MiB held before the sync (the IMAP server's copies, the daemon opened)",
		len(corpus), len(samples), res, took.Round(time.Millisecond), peak>>20, ingestPeak>>20, hwm>>20, (hwm-min(hwm, baseRSS))>>20, baseRSS>>20)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if total := len(corpus) + len(samples); res.Fetched != total || res.Processed != total+1 {
		t.Errorf("sync = %+v; want all %d fetched and %d processed", res, total, total+1)
	}
	const bound = 1 << 30
	if peak > bound || hwm > 2*bound {
		t.Errorf("memory not bounded: peak heap %d MiB, peak RSS %d MiB", peak>>20, hwm>>20)
	}

	failed, err := d.Q.Failed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	failedByUID := map[uint32]string{}
	failedBySHA := map[string]string{}
	for _, f := range failed {
		if f.Envelope.UID != 0 {
			failedByUID[f.Envelope.UID] = f.Error
		} else {
			failedBySHA[f.Envelope.SHA256] = f.Error
		}
	}
	if e, ok := failedBySHA[sha(binary)]; !ok || !strings.Contains(e, "not an email") {
		t.Errorf("the imported binary message: FAILED entry %q (found %v), want one saying it is not an email", e, ok)
	}
	for _, h := range corpus {
		r, rerr := d.Store.Reply(ctx, h.sha)
		if h.failed != "" {
			e, ok := failedByUID[uid[h.name]]
			switch {
			case !ok:
				t.Errorf("%s: not in FAILED (stored: %v)", h.name, rerr == nil)
			case !strings.Contains(e, h.failed):
				t.Errorf("%s: FAILED with %q, want it to say %q", h.name, e, h.failed)
			default:
				t.Logf("%s: FAILED: %s", h.name, e)
			}
			continue
		}
		if e, ok := failedByUID[uid[h.name]]; ok {
			t.Errorf("%s: in FAILED (%s), want it stored with warnings", h.name, e)
			continue
		}
		if rerr != nil {
			t.Errorf("%s: not stored: %v", h.name, rerr)
			continue
		}
		t.Logf("%s: stored as %s/%s kind %s, %d attachment(s), warnings %q", h.name, r.Request, r.Match, r.Kind, len(r.Attachments), r.Warnings)
		if r.Request != "wessex" {
			t.Errorf("%s: matched to %q by %q, want wessex by thread", h.name, r.Request, r.Match)
		}
		for _, w := range r.Warnings {
			if why := plainSentence(w); why != "" {
				t.Errorf("%s: warning %q is not a plain sentence: %s", h.name, w, why)
			}
			if m := goErrorText.FindString(w); m != "" {
				// Readable, but with a Go library's error text in it.
				t.Logf("NOTE %s: warning %q carries library error text %q", h.name, w, m)
			}
		}
		if h.warning != "" && !strings.Contains(strings.Join(r.Warnings, "\n"), h.warning) {
			t.Errorf("%s: no warning mentions %q: %q", h.name, h.warning, r.Warnings)
		}
		if h.check != nil {
			h.check(t, r)
		}
	}
	if len(failed) != 3 {
		t.Errorf("%d messages in FAILED, want 3 (the binary one from IMAP and imported, the empty one)", len(failed))
	}

	// The normal samples are processed exactly as without the hostile ones.
	for _, s := range samples {
		w := wantSamples[s.Name]
		r, err := d.Store.Reply(ctx, sha(s.Raw))
		if err != nil {
			t.Errorf("%s: not stored after the hostile messages: %v", s.Name, err)
			continue
		}
		got := fmt.Sprintf("request=%q match=%q kind=%q reference=%q", r.Request, r.Match, r.Kind, r.Reference)
		exp := fmt.Sprintf("request=%q match=%q kind=%q reference=%q", w.request, w.match, w.kind, w.reference)
		if got != exp {
			t.Errorf("%s:\n got %s\nwant %s", s.Name, got, exp)
		}
		for k, v := range w.answers {
			if c := worker.CellValue(r.Answers[k]); c != v {
				t.Errorf("%s: answer %s = %q, want %q", s.Name, k, c, v)
			}
		}
	}

	// The status page shows the hostile subjects escaped.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Host = "127.0.0.1:8080" // the status page answers only to a loopback name
	d.HTTPHandler().ServeHTTP(rec, req)
	page := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("status page: %d %s", rec.Code, page)
	}
	if !strings.Contains(page, "&lt;script&gt;alert(") {
		t.Errorf("the status page does not show the hostile subject at all (the test would prove nothing)")
	}
	for _, raw := range []string{"<script", "onerror=", "javascript:", "\nBcc:", "\rBcc:"} {
		if strings.Contains(strings.ToLower(page), strings.ToLower(raw)) {
			i := strings.Index(strings.ToLower(page), strings.ToLower(raw))
			t.Errorf("the status page holds %q unescaped: …%s…", raw, page[max(0, i-80):min(len(page), i+80)])
		}
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("status page CSP = %q", csp)
	}

	// Exports: an answer that reads as a spreadsheet formula must not be
	// one in the CSV or the workbook.
	rows, err := d.Rows(ctx, "", deadline.DateOf(demo.Clock))
	if err != nil {
		t.Fatal(err)
	}
	var csvBuf bytes.Buffer
	if err := d.WriteCSV(&csvBuf, rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&csvBuf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	sawFormula := false
	for _, rec := range recs[1:] {
		for _, cell := range rec {
			if strings.Contains(cell, "HYPERLINK") || strings.Contains(cell, "cmd|") {
				sawFormula = true
				t.Logf("CSV export, %s: %q", rec[1], cell)
			}
			if isFormula(cell) {
				t.Errorf("CSV export: cell %q of %s would run as a formula in a spreadsheet", cell, rec[1])
			}
		}
	}
	if !sawFormula {
		t.Errorf("the formula answer is not in the CSV export (the test would prove nothing): %q", recs)
	}
	var xb bytes.Buffer
	if err := d.WriteXLSX(&xb, rows); err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenReader(&xb)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	for _, sheet := range wb.GetSheetList() {
		xrows, _ := wb.GetRows(sheet)
		for i, xr := range xrows {
			for j := range xr {
				cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
				if f, _ := wb.GetCellFormula(sheet, cell); f != "" {
					t.Errorf("xlsx export: %s!%s is a formula: %q", sheet, cell, f)
				}
			}
		}
	}

	// Exports: every stored reply (hostile ones included) as JSON lines,
	// one per line whatever the subject held.
	var buf bytes.Buffer
	if err := d.WriteReplies(ctx, &buf, ""); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "\n"); n != len(corpus)-2+len(samples) {
		t.Errorf("export --replies wrote %d lines, want %d", n, len(corpus)-2+len(samples))
	}
}
