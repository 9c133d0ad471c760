package extract

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"testing"
)

const wNS = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"`

// buildZip writes the parts in the order given (name, content, ...).
func buildZip(t testing.TB, parts ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(parts); i += 2 {
		w, err := zw.Create(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, parts[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// docxParts is a minimal package around a body: content types and
// relationships, plus whatever extra parts the test adds.
func docxParts(body string, extra ...string) []string {
	parts := []string{
		"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>`,
		"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
		"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ` + wNS + `><w:body>` + body + `<w:sectPr/></w:body></w:document>`,
	}
	return append(parts, extra...)
}

func para(text string) string {
	return `<w:p><w:r><w:t xml:space="preserve">` + text + `</w:t></w:r></w:p>`
}

// numPara is a paragraph in list numID at level ilvl, as Word writes it.
func numPara(numID, ilvl int, text string) string {
	return fmt.Sprintf(`<w:p><w:pPr><w:pStyle w:val="ListParagraph"/><w:numPr><w:ilvl w:val="%d"/><w:numId w:val="%d"/></w:numPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:t>%s</w:t></w:r></w:p>`, ilvl, numID, text)
}

// numberingXML: abstract 0 is "1." / "a)" / "i." ; abstract 1 is bullets;
// num 1 and 2 use abstract 0 (2 restarts at 1), num 3 is bullets, num 4
// is abstract 2, "%1.%2" legal style starting at 3.
const numberingXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:numbering ` + wNS + `>
<w:abstractNum w:abstractNumId="0">
 <w:multiLevelType w:val="hybridMultilevel"/>
 <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="720" w:hanging="360"/></w:pPr></w:lvl>
 <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%2)"/></w:lvl>
 <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="lowerRoman"/><w:lvlText w:val="%3."/></w:lvl>
</w:abstractNum>
<w:abstractNum w:abstractNumId="1">
 <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="` + "\uf0b7" + `"/><w:rPr><w:rFonts w:ascii="Symbol" w:hAnsi="Symbol"/></w:rPr></w:lvl>
</w:abstractNum>
<w:abstractNum w:abstractNumId="2">
 <w:lvl w:ilvl="0"><w:start w:val="3"/><w:numFmt w:val="upperRoman"/><w:lvlText w:val="%1."/></w:lvl>
 <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="upperLetter"/><w:isLgl/><w:lvlText w:val="%1.%2"/></w:lvl>
</w:abstractNum>
<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>
<w:num w:numId="2"><w:abstractNumId w:val="0"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>
<w:num w:numId="3"><w:abstractNumId w:val="1"/></w:num>
<w:num w:numId="4"><w:abstractNumId w:val="2"/></w:num>
<w:num w:numId="5"><w:abstractNumId w:val="0"/></w:num>
</w:numbering>`

const stylesXML = `<?xml version="1.0" encoding="UTF-8"?><w:styles ` + wNS + `>
<w:style w:type="paragraph" w:styleId="ListParagraph"><w:name w:val="List Paragraph"/><w:basedOn w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="AnswerBase"><w:pPr><w:numPr><w:numId w:val="4"/></w:numPr></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="Answer"><w:basedOn w:val="AnswerBase"/></w:style>
<w:style w:type="paragraph" w:styleId="LoopA"><w:basedOn w:val="LoopB"/></w:style>
<w:style w:type="paragraph" w:styleId="LoopB"><w:basedOn w:val="LoopA"/></w:style>
</w:styles>`

// letterDOCX is a reply as Word saves it: the reference in the header, the
// answers as an automatic list, a table, a footer.
func letterDOCX(t testing.TB) []byte {
	answers := []string{
		"The Change Hub Perpetrator Behaviour Change Intervention.",
		"None, police referrals only.", "None, police referrals only.", "None, police referrals only.",
		"12.", "11.", "10.", "Police referrals only.",
		"Office of the Police and Crime Commissioner for Norfolk.", "£125,000 per annum.",
	}
	var body strings.Builder
	body.WriteString(para("Dear Member of Public,"))
	body.WriteString(`<w:p/>`)
	body.WriteString(para("I have reviewed our records and can advise the following:"))
	for i, a := range answers {
		body.WriteString(numPara(1, 0, a))
		if i == 7 {
			body.WriteString(numPara(1, 1, "Police"))
			body.WriteString(numPara(1, 1, "Early Help"))
		}
	}
	body.WriteString(`<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr><w:tblGrid><w:gridCol/><w:gridCol/></w:tblGrid>
<w:tr><w:tc><w:p><w:r><w:t>Year</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Referred</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Completed</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:p><w:r><w:t>2022/23</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>127</w:t></w:r></w:p><w:p><w:r><w:t>(all routes)</w:t></w:r></w:p></w:tc><w:tc><w:p/></w:tc></w:tr>
</w:tbl>`)
	body.WriteString(`<w:p><w:r><w:t>Name:</w:t></w:r><w:r><w:tab/><w:t>Leah Smith</w:t></w:r><w:r><w:br/><w:t>Telephone: 01953 424455</w:t></w:r></w:p>`)
	body.WriteString(`<w:p><w:r><w:t xml:space="preserve">See </w:t></w:r><w:hyperlink r:id="rId9"><w:r><w:t>Previous Funding</w:t></w:r></w:hyperlink><w:r><w:t>.</w:t></w:r></w:p>`)
	body.WriteString(`<w:p><w:r><w:t>Kept </w:t></w:r><w:del w:id="1" w:author="x"><w:r><w:delText>deleted </w:delText></w:r></w:del><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>text</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>`)
	body.WriteString(`<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><w:txbxContent><w:p><w:r><w:t>Box text</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>Box text</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>`)
	body.WriteString(para("Yours sincerely"))

	header := `<?xml version="1.0" encoding="UTF-8"?><w:hdr ` + wNS + `>` + para("Our ref: OPCC/FOI/23/064") + para("Date: 17 June 2024") + `</w:hdr>`
	footer := `<?xml version="1.0" encoding="UTF-8"?><w:ftr ` + wNS + `>` + para("Office of the Police and Crime Commissioner for Norfolk, Building 7") + `</w:ftr>`
	rels := `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://pcc.police.uk/funding" TargetMode="External"/>
<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/>
</Relationships>`
	return buildZip(t, docxParts(body.String(),
		"word/_rels/document.xml.rels", rels,
		"word/numbering.xml", numberingXML,
		"word/styles.xml", stylesXML,
		"word/header1.xml", header,
		"word/header2.xml", header, // first-page header, same text
		"word/footer1.xml", footer,
		"word/media/image1.png", "\x89PNG\r\n\x1a\n",
	)...)
}

const letterDOCXWant = `Our ref: OPCC/FOI/23/064
Date: 17 June 2024

Dear Member of Public,

I have reviewed our records and can advise the following:
1. The Change Hub Perpetrator Behaviour Change Intervention.
2. None, police referrals only.
3. None, police referrals only.
4. None, police referrals only.
5. 12.
6. 11.
7. 10.
8. Police referrals only.
  a) Police
  b) Early Help
9. Office of the Police and Crime Commissioner for Norfolk.
10. £125,000 per annum.
Year | Referred | Completed
2022/23 | 127` + CellBreak + `(all routes) |
Name:	Leah Smith
Telephone: 01953 424455
See Previous Funding (https://pcc.police.uk/funding).
Kept text
Box text
Yours sincerely

Office of the Police and Crime Commissioner for Norfolk, Building 7`

func TestDOCXLetter(t *testing.T) {
	got, err := DOCX(letterDOCX(t), nil)
	if err != nil {
		t.Fatalf("DOCX: %v", err)
	}
	if got != letterDOCXWant {
		t.Errorf("DOCX text\n got:\n%s\n\nwant:\n%s", got, letterDOCXWant)
	}
}

func TestDOCXListNumbers(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"numbers continue across other paragraphs",
			numPara(1, 0, "a") + para("between") + numPara(1, 0, "b"),
			"1. a\nbetween\n2. b"},
		{"a num with startOverride restarts the list",
			numPara(1, 0, "a") + numPara(1, 0, "b") + numPara(2, 0, "again"),
			"1. a\n2. b\n1. again"},
		{"nums sharing an abstract list share its counter",
			numPara(1, 0, "a") + numPara(5, 0, "b"),
			"1. a\n2. b"},
		{"a deeper level restarts under each parent",
			numPara(1, 0, "p") + numPara(1, 1, "x") + numPara(1, 1, "y") + numPara(1, 0, "q") + numPara(1, 1, "z") + numPara(1, 2, "deep"),
			"1. p\n  a) x\n  b) y\n2. q\n  a) z\n    i. deep"},
		{"bullets are dashes",
			numPara(3, 0, "Police") + numPara(3, 0, "Vitamins"),
			"- Police\n- Vitamins"},
		{"roman start values and legal numbering",
			numPara(4, 0, "three") + numPara(4, 1, "sub") + numPara(4, 1, "sub2"),
			"III. three\n  3.1 sub\n  3.2 sub2"},
		{"numbering from a paragraph style through basedOn",
			`<w:p><w:pPr><w:pStyle w:val="Answer"/></w:pPr><w:r><w:t>styled</w:t></w:r></w:p>`,
			"III. styled"},
		{"a style loop ends",
			`<w:p><w:pPr><w:pStyle w:val="LoopA"/></w:pPr><w:r><w:t>loop</w:t></w:r></w:p>`,
			"loop"},
		{"numId 0 removes numbering",
			`<w:p><w:pPr><w:pStyle w:val="Answer"/><w:numPr><w:numId w:val="0"/></w:numPr></w:pPr><w:r><w:t>plain</w:t></w:r></w:p>`,
			"plain"},
		{"an unknown numId is plain text",
			numPara(42, 0, "orphan"),
			"orphan"},
		{"an empty numbered paragraph shows its number",
			numPara(1, 0, "a") + numPara(1, 0, "") + numPara(1, 0, "c"),
			"1. a\n2.\n3. c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := buildZip(t, docxParts(tt.body, "word/numbering.xml", numberingXML, "word/styles.xml", stylesXML)...)
			got, err := DOCX(data, nil)
			if err != nil {
				t.Fatalf("DOCX: %v", err)
			}
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestDOCXWithoutNumberingPart(t *testing.T) {
	got, err := DOCX(buildZip(t, docxParts(numPara(1, 0, "text"))...), nil)
	if err != nil || got != "text" {
		t.Fatalf("got %q, %v", got, err)
	}
}

// bombZip has one part that inflates to size bytes of spaces inside a w:t.
func bombZip(t testing.TB, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, `<w:document `+wNS+`><w:body><w:p><w:r><w:t>`)
	chunk := bytes.Repeat([]byte(" "), 1<<20)
	for written := 0; written < size; written += len(chunk) {
		w.Write(chunk)
	}
	io.WriteString(w, `</w:t></w:r></w:p></w:body></w:document>`)
	zw.Close()
	return buf.Bytes()
}

// lyingZip stores a deflated part whose header claims it is tiny.
func lyingZip(t testing.TB, size int) []byte {
	t.Helper()
	content := `<w:document ` + wNS + `><w:body><w:p><w:r><w:t>` + strings.Repeat("A", size) + `</w:t></w:r></w:p></w:body></w:document>`
	var comp bytes.Buffer
	{
		zw := zip.NewWriter(&comp)
		w, _ := zw.Create("x")
		io.WriteString(w, content)
		zw.Close()
	}
	zr, err := zip.NewReader(bytes.NewReader(comp.Bytes()), int64(comp.Len()))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := zr.File[0].OpenRaw()
	if err != nil {
		t.Fatal(err)
	}
	deflated, _ := io.ReadAll(raw)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name: "word/document.xml", Method: zip.Deflate,
		CRC32:              crc32.ChecksumIEEE([]byte(content)),
		CompressedSize64:   uint64(len(deflated)),
		UncompressedSize64: 100, // a lie
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(deflated)
	zw.Close()
	return buf.Bytes()
}

const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<w:document ` + wNS + `><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>`

const xxe = `<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<w:document ` + wNS + `><w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>`

func TestDOCXHostile(t *testing.T) {
	manyEntries := make([]string, 0, 2*2001)
	manyEntries = append(manyEntries, docxParts(para("x"))...)
	for i := len(manyEntries) / 2; i < 2001; i++ {
		manyEntries = append(manyEntries, fmt.Sprintf("word/media/f%d.bin", i), "")
	}
	deep := strings.Repeat("<w:sdt>", maxXMLDepth+10) + strings.Repeat("</w:sdt>", maxXMLDepth+10)

	tests := []struct {
		name    string
		data    func(t testing.TB) []byte
		lim     *Limits
		wantErr error
		wantMsg string
	}{
		{"a zip bomb part over the default limit is ErrTooLarge",
			func(t testing.TB) []byte { return bombZip(t, DefaultMaxUncompressed+(1<<20)) }, nil, ErrTooLarge, "zip bomb"},
		{"a zip bomb part over a small limit is ErrTooLarge",
			func(t testing.TB) []byte { return bombZip(t, 2<<20) }, &Limits{MaxUncompressed: 1 << 20}, ErrTooLarge, "word/document.xml"},
		{"a header that lies about the size does not help a bomb",
			func(t testing.TB) []byte { return lyingZip(t, 2<<20) }, &Limits{MaxUncompressed: 1 << 20}, ErrCorrupt, "word/document.xml"},
		{"too many zip entries is ErrTooLarge",
			func(t testing.TB) []byte { return buildZip(t, manyEntries...) }, nil, ErrTooLarge, "2001 zip entries"},
		{"billion laughs is refused as a DTD",
			func(t testing.TB) []byte {
				return buildZip(t, "word/document.xml", billionLaughs)
			}, nil, ErrCorrupt, "DOCTYPE"},
		{"XXE is refused as a DTD",
			func(t testing.TB) []byte { return buildZip(t, "word/document.xml", xxe) }, nil, ErrCorrupt, "XXE"},
		{"a DTD in numbering.xml is refused too",
			func(t testing.TB) []byte {
				return buildZip(t, docxParts(para("x"), "word/numbering.xml", strings.Replace(billionLaughs, "w:document", "w:numbering", 2))...)
			}, nil, ErrCorrupt, "word/numbering.xml"},
		{"an undeclared entity is ErrCorrupt",
			func(t testing.TB) []byte {
				return buildZip(t, docxParts(para("&nbsp;"))...)
			}, nil, ErrCorrupt, "not well-formed"},
		{"nesting deeper than any Word file is ErrCorrupt",
			func(t testing.TB) []byte { return buildZip(t, docxParts(deep)...) }, nil, ErrCorrupt, "deeper"},
		{"a zip without word/document.xml is ErrCorrupt",
			func(t testing.TB) []byte { return buildZip(t, "content.xml", "<office/>") }, nil, ErrCorrupt, "not a Word document"},
		{"bytes that are not a zip are ErrCorrupt",
			func(t testing.TB) []byte { return []byte("PK\x03\x04 not really") }, nil, ErrCorrupt, "zip"},
		{"input over MaxInput is ErrTooLarge",
			func(t testing.TB) []byte { return letterDOCX(t) }, &Limits{MaxInput: 100}, ErrTooLarge, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DOCX(tt.data(t), tt.lim)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
			if got != "" || strings.Contains(got, "root:") {
				t.Errorf("text returned with a refusal: %.100q", got)
			}
		})
	}
}

func TestDOCXOutputLimit(t *testing.T) {
	got, err := DOCX(letterDOCX(t), &Limits{MaxOutput: 30})
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("err = %v, want ErrTruncated", err)
	}
	if got != "Our ref: OPCC/FOI/23/064\nDate:" {
		t.Errorf("got %q", got)
	}
	// A single huge paragraph stops early instead of being collected whole.
	big := buildZip(t, docxParts(para(strings.Repeat("word ", 200000)))...)
	got, err = DOCX(big, &Limits{MaxOutput: 1000})
	if !errors.Is(err, ErrTruncated) || len([]rune(got)) != 1000 {
		t.Fatalf("got %d characters, %v", len([]rune(got)), err)
	}
}
