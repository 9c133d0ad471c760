package extract

// Word documents (.docx): the zip opened within its limits, list numbers
// rebuilt from numbering.xml and styles.xml, and each story (headers,
// body, footers) walked into lines (partWalk). sheet.go reads XLSX with
// the same zip and XML reader (docx.tokens).

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Namespaces of WordprocessingML (transitional and strict), of
// relationships, and of markup compatibility. Elements are matched by local
// name within these, so w:p is never confused with DrawingML's a:p.
const (
	nsW       = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
	nsWStrict = "http://purl.oclc.org/ooxml/wordprocessingml/main"
	nsR       = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	nsRStrict = "http://purl.oclc.org/ooxml/officeDocument/relationships"
	nsMC      = "http://schemas.openxmlformats.org/markup-compatibility/2006"
)

// maxXMLDepth bounds element nesting in a part. encoding/xml keeps a stack
// entry per open element and has no limit of its own on Token; Word nests a
// few dozen deep.
const maxXMLDepth = 2000

// DOCX returns the text of a Word (.docx) file: headers first, then the
// body, then footers (UK letters keep "Our ref" in the header). Each
// paragraph is a line; automatic list numbers are rebuilt from
// word/numbering.xml so a numbered answer reads "5. 12." as Word shows it;
// a table row is a line with cells joined by " | "; tabs stay tabs and
// breaks become line breaks; a hyperlink whose text hides its address is
// followed by the address.
//
// Errors wrap ErrTooLarge (input, entry count, or decompressed size over
// lim), ErrCorrupt (not a zip, no document part, malformed XML, or a DTD,
// which Word never writes: billion-laughs and XXE files land here), or
// ErrTruncated together with the text so far.
func DOCX(data []byte, lim *Limits) (string, error) {
	l := lim.WithDefaults()
	if int64(len(data)) > l.MaxInput {
		return "", fmt.Errorf("%w: docx is larger than %d bytes", ErrTooLarge, l.MaxInput)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
		return "", fmt.Errorf("%w: docx is not a readable zip: %w", ErrCorrupt, err)
	}
	if len(zr.File) > l.MaxZipEntries {
		return "", fmt.Errorf("%w: docx has %d zip entries, more than the limit of %d", ErrTooLarge, len(zr.File), l.MaxZipEntries)
	}
	d := &docx{
		lim:    l,
		files:  make(map[string]*zip.File, len(zr.File)),
		budget: l.MaxUncompressed,
		num:    newNumbering(),
		out:    outText{max: l.maxOutputBytes()},
	}
	for _, f := range zr.File {
		name := strings.ToLower(strings.TrimPrefix(f.Name, "/"))
		if _, dup := d.files[name]; !dup {
			d.files[name] = f
		}
	}
	text, err := d.read()
	if err != nil && !errors.Is(err, errOutputFull) {
		return "", err
	}
	return finish(text, l, d.out.full, "docx")
}

// errOutputFull stops the walk once the output budget is spent.
var errOutputFull = errors.New("extract: output budget spent")

type docx struct {
	kind   string // "docx" or "xlsx", for messages; "" is docx
	lim    Limits
	files  map[string]*zip.File // by lower-case name
	budget int64                // decompressed bytes still allowed, all parts together
	num    *numbering
	styles map[string]styleNum
	out    outText
}

func (d *docx) read() (string, error) {
	main := d.mainPart()
	if d.files[main] == nil {
		return "", fmt.Errorf("%w: docx has no %s (not a Word document?)", ErrCorrupt, main)
	}
	// Numbering and styles only add list labels: a damaged one costs the
	// labels, not the letter. Limits and DTDs still stop everything.
	if err := d.readNumbering("word/numbering.xml"); err != nil && fatal(err) {
		return "", err
	}
	if err := d.readStyles("word/styles.xml"); err != nil && fatal(err) {
		return "", err
	}
	var sections [][]string
	seen := map[string]bool{}
	addParts := func(prefix string) error {
		for _, name := range d.partsLike(prefix) {
			lines, err := d.walkPart(name)
			if err != nil {
				sections = append(sections, lines)
				return err
			}
			// Word often has the same header for the first and the other
			// pages: say it once.
			key := strings.Join(lines, "\n")
			if strings.TrimSpace(key) == "" || seen[key] {
				continue
			}
			seen[key] = true
			sections = append(sections, lines)
		}
		return nil
	}
	if err := addParts("word/header"); err != nil {
		return d.out.String(sections), err
	}
	body, err := d.walkPart(main)
	sections = append(sections, body)
	if err != nil {
		return d.out.String(sections), err
	}
	if err := addParts("word/footer"); err != nil {
		return d.out.String(sections), err
	}
	return d.out.String(sections), nil
}

// fatal: errors that stop the whole document even in an optional part.
func fatal(err error) bool {
	return errors.Is(err, ErrTooLarge) || errors.Is(err, errDTD) || errors.Is(err, errOutputFull)
}

// mainPart is the officeDocument target of _rels/.rels, else the usual name.
func (d *docx) mainPart() string {
	main := "word/document.xml"
	rels, err := d.readRels("_rels/.rels")
	if err != nil {
		return main
	}
	for _, r := range rels {
		if strings.HasSuffix(r.typ, "/officeDocument") && !r.external {
			return strings.ToLower(strings.TrimPrefix(path.Clean("/"+r.target), "/"))
		}
	}
	return main
}

// partsLike lists word/header*.xml (or footer) in numeric order.
func (d *docx) partsLike(prefix string) []string {
	var names []string
	for name := range d.files {
		if strings.HasPrefix(name, prefix) && strings.HasSuffix(name, ".xml") && !strings.Contains(name[len(prefix):], "/") {
			names = append(names, name)
		}
	}
	num := func(s string) int {
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(s, prefix), ".xml"))
		return n
	}
	slices.SortFunc(names, func(a, b string) int {
		if c := num(a) - num(b); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return names
}

var errDTD = errors.New("has a DTD")

// countingReader fails once more than limit bytes come through it: the
// zip header's size is not trusted to bound inflation.
type countingReader struct {
	kind  string
	r     io.Reader
	n     int64
	limit int64
	part  string
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.limit {
		return n, fmt.Errorf("%w: %s part %s decompresses to more than %d bytes (a zip bomb?)", ErrTooLarge, c.kind, c.part, c.limit)
	}
	return n, err
}

// tokens streams the XML tokens of one part to fn, within the size
// budgets. A missing part is not an error: fn is simply never called.
func (d *docx) tokens(name string, fn func(xml.Token) error) error {
	f := d.files[name]
	if f == nil {
		return nil
	}
	kind := d.kind
	if kind == "" {
		kind = "docx"
	}
	limit := min(d.lim.MaxUncompressed, d.budget)
	if f.UncompressedSize64 > uint64(limit) {
		return fmt.Errorf("%w: %s part %s declares %d bytes decompressed, over the %d left in the limit (a zip bomb?)", ErrTooLarge, kind, name, f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("%w: %s part %s: %w", ErrCorrupt, kind, name, err)
	}
	defer rc.Close()
	cr := &countingReader{kind: kind, r: io.LimitReader(rc, limit+1), limit: limit, part: name}
	defer func() { d.budget -= cr.n }()
	dec := xml.NewDecoder(cr)
	dec.Strict = true
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				return err
			}
			return fmt.Errorf("%w: %s part %s is not well-formed XML: %w", ErrCorrupt, kind, name, err)
		}
		switch tok.(type) {
		case xml.Directive:
			return fmt.Errorf("%w: %s part %s %w (<!DOCTYPE/ENTITY>), which Office never writes; refused as a possible XXE or billion-laughs file", ErrCorrupt, kind, name, errDTD)
		case xml.StartElement:
			depth++
			if depth > maxXMLDepth {
				return fmt.Errorf("%w: %s part %s nests elements deeper than %d", ErrCorrupt, kind, name, maxXMLDepth)
			}
		case xml.EndElement:
			depth--
		}
		if err := fn(tok); err != nil {
			return err
		}
	}
}

func isW(n xml.Name) bool { return n.Space == nsW || n.Space == nsWStrict }

// wAttr returns the value of the attribute w:key (or an unqualified key).
func wAttr(e xml.StartElement, key string) (string, bool) {
	for _, a := range e.Attr {
		if a.Name.Local == key && (isW(a.Name) || a.Name.Space == "") {
			return a.Value, true
		}
	}
	return "", false
}

// onOff reads a w:ST_OnOff element such as <w:isLgl/> or <w:isLgl w:val="0"/>.
func onOff(e xml.StartElement) bool {
	v, ok := wAttr(e, "val")
	return !ok || (v != "0" && v != "false" && v != "off")
}

type rel struct {
	id, typ, target string
	external        bool
}

func (d *docx) readRels(name string) ([]rel, error) {
	var rels []rel
	err := d.tokens(name, func(tok xml.Token) error {
		if e, ok := tok.(xml.StartElement); ok && e.Name.Local == "Relationship" {
			var r rel
			for _, a := range e.Attr {
				switch a.Name.Local {
				case "Id":
					r.id = a.Value
				case "Type":
					r.typ = a.Value
				case "Target":
					r.target = a.Value
				case "TargetMode":
					r.external = strings.EqualFold(a.Value, "External")
				}
			}
			rels = append(rels, r)
		}
		return nil
	})
	return rels, err
}

// relsOf is where the relationships of a part live: word/_rels/document.xml.rels.
func relsOf(part string) string {
	return path.Join(path.Dir(part), "_rels", path.Base(part)+".rels")
}

// ---- numbering ----------------------------------------------------------

type numLevel struct {
	start  int
	format string // numFmt: decimal, lowerLetter, ..., bullet, none
	text   string // lvlText: "%1.", "%1.%2", "(%1)"
	isLgl  bool   // show all levels' numbers in decimal
	suff   string // tab (default), space, nothing
}

type numDef struct {
	abstract       string
	startOverrides map[int]int
	lvlOverrides   map[int]*numLevel
}

type counter struct {
	val [9]int
	set [9]bool
}

// numbering is word/numbering.xml plus the running counters, which Word
// keeps per abstract list, except that a w:num with a startOverride starts
// a series of its own.
type numbering struct {
	abstract map[string]*[9]*numLevel
	nums     map[string]*numDef
	counters map[string]*counter
}

func newNumbering() *numbering {
	return &numbering{abstract: map[string]*[9]*numLevel{}, nums: map[string]*numDef{}, counters: map[string]*counter{}}
}

func (d *docx) readNumbering(name string) error {
	n := d.num
	var curAbs *[9]*numLevel
	var curNum *numDef
	var curLvl *numLevel
	overrideLvl := -1
	return d.tokens(name, func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			if !isW(t.Name) {
				return nil
			}
			val, _ := wAttr(t, "val")
			switch t.Name.Local {
			case "abstractNum":
				id, _ := wAttr(t, "abstractNumId")
				curAbs = new([9]*numLevel)
				n.abstract[id] = curAbs
			case "num":
				id, _ := wAttr(t, "numId")
				curNum = &numDef{startOverrides: map[int]int{}, lvlOverrides: map[int]*numLevel{}}
				n.nums[id] = curNum
			case "abstractNumId":
				if curNum != nil {
					curNum.abstract = val
				}
			case "lvlOverride":
				overrideLvl = -1
				if v, ok := wAttr(t, "ilvl"); ok {
					if i, err := strconv.Atoi(v); err == nil && i >= 0 && i < 9 {
						overrideLvl = i
					}
				}
			case "startOverride":
				if curNum != nil && overrideLvl >= 0 {
					if i, err := strconv.Atoi(val); err == nil {
						curNum.startOverrides[overrideLvl] = i
					}
				}
			case "lvl":
				ilvl := -1
				if v, ok := wAttr(t, "ilvl"); ok {
					if i, err := strconv.Atoi(v); err == nil && i >= 0 && i < 9 {
						ilvl = i
					}
				}
				curLvl = nil
				if ilvl < 0 {
					return nil
				}
				curLvl = &numLevel{start: 1, format: "decimal", text: "%" + strconv.Itoa(ilvl+1) + "."}
				if curNum != nil && overrideLvl == ilvl {
					curNum.lvlOverrides[ilvl] = curLvl
				} else if curAbs != nil {
					curAbs[ilvl] = curLvl
				}
			case "start":
				if curLvl != nil {
					if i, err := strconv.Atoi(val); err == nil {
						curLvl.start = i
					}
				}
			case "numFmt":
				if curLvl != nil {
					curLvl.format = val
				}
			case "lvlText":
				if curLvl != nil {
					curLvl.text = val
				}
			case "isLgl":
				if curLvl != nil {
					curLvl.isLgl = onOff(t)
				}
			case "suff":
				if curLvl != nil {
					curLvl.suff = val
				}
			}
		case xml.EndElement:
			if !isW(t.Name) {
				return nil
			}
			switch t.Name.Local {
			case "abstractNum":
				curAbs = nil
			case "num":
				curNum = nil
			case "lvl":
				curLvl = nil
			case "lvlOverride":
				overrideLvl = -1
			}
		}
		return nil
	})
}

func (n *numbering) level(def *numDef, ilvl int) *numLevel {
	if l := def.lvlOverrides[ilvl]; l != nil {
		return l
	}
	if abs := n.abstract[def.abstract]; abs != nil {
		return abs[ilvl]
	}
	return nil
}

// label advances the list (numID, ilvl) by one paragraph and returns the
// label Word shows for it ("5.", "a)", "2.1"), or "" when none.
func (n *numbering) label(numID string, ilvl int) (label, suff string) {
	def := n.nums[numID]
	if def == nil || numID == "0" || ilvl < 0 || ilvl > 8 {
		return "", ""
	}
	lvl := n.level(def, ilvl)
	if lvl == nil {
		return "", ""
	}
	key := "abs:" + def.abstract
	if len(def.startOverrides) > 0 {
		key = "num:" + numID
	}
	c := n.counters[key]
	if c == nil {
		c = &counter{}
		n.counters[key] = c
	}
	startOf := func(i int) int {
		if s, ok := def.startOverrides[i]; ok {
			return s
		}
		if l := n.level(def, i); l != nil {
			return l.start
		}
		return 1
	}
	if c.set[ilvl] {
		c.val[ilvl]++
	} else {
		c.val[ilvl], c.set[ilvl] = startOf(ilvl), true
	}
	for j := ilvl + 1; j < 9; j++ {
		c.set[j] = false // a higher level restarts the levels below it
	}
	switch lvl.format {
	case "bullet":
		return "-", lvl.suff
	case "none":
		if !strings.Contains(lvl.text, "%") {
			return lvl.text, lvl.suff
		}
		return "", lvl.suff
	}
	var b strings.Builder
	t := lvl.text
	for i := 0; i < len(t); i++ {
		if t[i] == '%' && i+1 < len(t) && t[i+1] >= '1' && t[i+1] <= '9' {
			k := int(t[i+1] - '1')
			v := startOf(k)
			if c.set[k] {
				v = c.val[k]
			}
			format := "decimal"
			if l := n.level(def, k); l != nil && !lvl.isLgl {
				format = l.format
			}
			b.WriteString(formatNumber(v, format))
			i++
			continue
		}
		b.WriteByte(t[i])
	}
	return b.String(), lvl.suff
}

// ---- styles (list numbering set on a paragraph style) ---------------------

type styleNum struct {
	basedOn string
	numID   string
	ilvl    int
	hasNum  bool
	hasIlvl bool
}

func (d *docx) readStyles(name string) error {
	d.styles = map[string]styleNum{}
	var id string
	var cur styleNum
	inStyle := false
	return d.tokens(name, func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			if !isW(t.Name) {
				return nil
			}
			val, _ := wAttr(t, "val")
			switch t.Name.Local {
			case "style":
				inStyle = true
				id, _ = wAttr(t, "styleId")
				cur = styleNum{}
			case "basedOn":
				cur.basedOn = val
			case "numId":
				if inStyle {
					cur.numID, cur.hasNum = val, true
				}
			case "ilvl":
				if inStyle {
					if i, err := strconv.Atoi(val); err == nil {
						cur.ilvl, cur.hasIlvl = i, true
					}
				}
			}
		case xml.EndElement:
			if isW(t.Name) && t.Name.Local == "style" {
				d.styles[id] = cur
				inStyle = false
			}
		}
		return nil
	})
}

// styleNumbering follows basedOn (at most 16 steps: a loop must end) to
// the numbering a paragraph style gives.
func (d *docx) styleNumbering(styleID string) (numID string, ilvl int, ok bool) {
	ilvlSet := false
	for range 16 {
		s, found := d.styles[styleID]
		if !found {
			break
		}
		if s.hasIlvl && !ilvlSet {
			ilvl, ilvlSet = s.ilvl, true
		}
		if s.hasNum {
			return s.numID, ilvl, true
		}
		styleID = s.basedOn
	}
	return "", 0, false
}

// ---- document walk --------------------------------------------------------

type frameKind int

const (
	framePara frameKind = iota
	frameTable
	frameCell
)

// frame is an open paragraph, table or cell; finished paragraphs and rows
// go to the frame below them, or become output lines at the bottom.
type frame struct {
	kind    frameKind
	buf     strings.Builder // paragraph or cell text
	cells   []string        // table: cells of the current row
	styleID string          // paragraph
	numID   string
	ilvl    int
	hasNum  bool
	hasIlvl bool
}

type linkFrame struct {
	url   string
	para  *frame
	start int
}

// walkPart returns the lines of one story (body, header or footer).
func (d *docx) walkPart(name string) ([]string, error) {
	w := &partWalk{}
	if rels, err := d.readRels(relsOf(name)); err == nil {
		for _, r := range rels {
			if r.external && strings.HasSuffix(r.typ, "/hyperlink") {
				if w.targets == nil {
					// Made only for a part with links: kept in the walk, it is
					// allocated on the heap.
					w.targets = map[string]string{}
				}
				w.targets[r.id] = r.target
			}
		}
	} else if fatal(err) {
		return nil, err
	}
	err := d.tokens(name, func(tok xml.Token) error { return w.token(d, tok) })
	if errors.Is(err, errOutputFull) {
		// Keep the text of what was still open when the budget ran out.
		for _, f := range w.stack {
			if f.buf.Len() > 0 {
				w.lines = append(w.lines, f.buf.String())
			}
		}
	}
	return w.lines, err
}

// partWalk is the walk of one story's XML: the frames open, the lines
// finished, and where in the markup the walk is. Its methods are given the
// document (d) rather than keep it: kept in the walk, d would go to the
// heap with the lines walkPart returns, one allocation a document more.
type partWalk struct {
	targets map[string]string // the part's hyperlink relationships: id to address
	lines   []string
	stack   []*frame
	links   []linkFrame // hyperlinks open
	inT     int         // inside w:t (text), counted for safety
	inRun   int         // inside w:r: w:tab elsewhere is a tab stop definition
	inPPr   int
	skip    int // inside content that is not shown: moved-from text, fallbacks
}

func (w *partWalk) top(k frameKind) *frame {
	if len(w.stack) > 0 && w.stack[len(w.stack)-1].kind == k {
		return w.stack[len(w.stack)-1]
	}
	return nil
}

func (w *partWalk) para() *frame { return w.top(framePara) }

// deliver hands a finished line to the frame below, or to the output.
func (w *partWalk) deliver(d *docx, line string) error {
	out := &d.out
	if len(w.stack) == 0 {
		out.size += len(line) + 2
		if out.size > out.max {
			out.full = true
			w.lines = append(w.lines, line)
			return errOutputFull
		}
		w.lines = append(w.lines, line)
		return nil
	}
	f := w.stack[len(w.stack)-1]
	switch f.kind {
	case framePara, frameCell:
		sep := byte(' ')
		if f.kind == frameCell {
			// A cell's paragraphs and line breaks stay its own lines (as
			// CellBreak once the cell ends): "Kingsbeck Library" and
			// "Ormsby Library" are two.
			sep = '\n'
			line = strings.TrimSpace(line)
		} else {
			line = strings.TrimSpace(strings.ReplaceAll(line, "\n", " "))
		}
		if line == "" {
			return nil
		}
		if f.buf.Len() > 0 {
			f.buf.WriteByte(sep)
		}
		if f.buf.Len()+len(line) > out.max {
			out.full = true
			return errOutputFull
		}
		f.buf.WriteString(line)
	case frameTable:
		f.cells = append(f.cells, line)
	}
	return nil
}

// appendText adds s to the open paragraph, within the output budget.
func (w *partWalk) appendText(d *docx, s string) error {
	p := w.para()
	if p == nil {
		return nil
	}
	if p.buf.Len()+len(s) > d.out.max {
		p.buf.WriteString(s[:max(0, d.out.max-p.buf.Len())])
		d.out.full = true
		return errOutputFull
	}
	p.buf.WriteString(s)
	return nil
}

// token takes the next token of the part.
func (w *partWalk) token(d *docx, tok xml.Token) error {
	switch t := tok.(type) {
	case xml.StartElement:
		if t.Name.Space == nsMC && t.Name.Local == "Fallback" || w.skip > 0 {
			// mc:Fallback repeats mc:Choice for old readers.
			w.skip++
			return nil
		}
		if isW(t.Name) {
			return w.start(d, t)
		}
	case xml.EndElement:
		if w.skip > 0 {
			w.skip--
			return nil
		}
		if isW(t.Name) {
			return w.end(d, t)
		}
	case xml.CharData:
		if w.inT > 0 && w.skip == 0 {
			return w.appendText(d, string(t))
		}
	}
	return nil
}

// start takes the start of a WordprocessingML element.
func (w *partWalk) start(d *docx, t xml.StartElement) error {
	switch t.Name.Local {
	case "p":
		w.stack = append(w.stack, &frame{kind: framePara})
	case "tbl":
		w.stack = append(w.stack, &frame{kind: frameTable})
	case "tr":
		if f := w.top(frameTable); f != nil {
			f.cells = f.cells[:0]
		}
	case "tc":
		w.stack = append(w.stack, &frame{kind: frameCell})
	case "pPr":
		w.inPPr++
	case "pStyle":
		if p := w.para(); p != nil && w.inPPr > 0 {
			p.styleID, _ = wAttr(t, "val")
		}
	case "numId":
		if p := w.para(); p != nil && w.inPPr > 0 {
			p.numID, _ = wAttr(t, "val")
			p.hasNum = true
		}
	case "ilvl":
		if p := w.para(); p != nil && w.inPPr > 0 {
			v, _ := wAttr(t, "val")
			if i, err := strconv.Atoi(v); err == nil {
				p.ilvl, p.hasIlvl = i, true
			}
		}
	case "r":
		w.inRun++
	case "t":
		w.inT++
	case "tab", "ptab":
		if w.inRun > 0 {
			return w.appendText(d, "\t")
		}
	case "br", "cr":
		if w.inRun > 0 {
			return w.appendText(d, "\n")
		}
	case "noBreakHyphen":
		return w.appendText(d, "-")
	case "moveFrom", "del":
		w.skip++
	case "hyperlink":
		w.startLink(t)
	}
	return nil
}

// end takes the end of a WordprocessingML element.
func (w *partWalk) end(d *docx, t xml.EndElement) error {
	switch t.Name.Local {
	case "p":
		p := w.para()
		if p == nil {
			return nil
		}
		w.stack = w.stack[:len(w.stack)-1]
		return w.deliver(d, d.paragraphLine(p))
	case "tc":
		c := w.top(frameCell)
		if c == nil {
			return nil
		}
		w.stack = w.stack[:len(w.stack)-1]
		if tb := w.top(frameTable); tb != nil {
			// A cell's paragraphs stay apart as CellBreak, on the
			// row's one line.
			tb.cells = append(tb.cells, strings.Trim(strings.ReplaceAll(strings.TrimSpace(c.buf.String()), "\n", CellBreak), CellBreak))
		}
	case "tr":
		tb := w.top(frameTable)
		if tb == nil || len(tb.cells) == 0 {
			return nil
		}
		row := strings.Join(tb.cells, " | ")
		tb.cells = tb.cells[:0]
		// The row goes below the table frame.
		w.stack = w.stack[:len(w.stack)-1]
		err := w.deliver(d, row)
		w.stack = append(w.stack, tb)
		return err
	case "tbl":
		if w.top(frameTable) != nil {
			w.stack = w.stack[:len(w.stack)-1]
		}
	case "pPr":
		w.inPPr--
	case "r":
		w.inRun--
	case "t":
		w.inT--
	case "hyperlink":
		w.endLink()
	}
	return nil
}

// startLink notes where in its paragraph a hyperlink's text starts.
func (w *partWalk) startLink(t xml.StartElement) {
	id := ""
	for _, a := range t.Attr {
		if a.Name.Local == "id" && (a.Name.Space == nsR || a.Name.Space == nsRStrict) {
			id = a.Value
		}
	}
	if p := w.para(); p != nil {
		w.links = append(w.links, linkFrame{url: w.targets[id], para: p, start: p.buf.Len()})
	}
}

// endLink follows a hyperlink's text with its address when the text does
// not show it.
func (w *partWalk) endLink() {
	n := len(w.links)
	if n == 0 {
		return
	}
	l := w.links[n-1]
	w.links = w.links[:n-1]
	if l.url == "" || l.start > l.para.buf.Len() {
		return
	}
	shown := strings.TrimSpace(l.para.buf.String()[l.start:])
	bare := strings.TrimPrefix(l.url, "mailto:")
	if shown != "" && !strings.Contains(shown, strings.TrimRight(bare, "/")) {
		l.para.buf.WriteString(" (" + bare + ")")
	}
}

// paragraphLine is the paragraph's text with its list label, indented two
// spaces per list level.
func (d *docx) paragraphLine(p *frame) string {
	numID, ilvl, has := p.numID, p.ilvl, p.hasNum
	if !has && p.styleID != "" {
		var sIlvl int
		numID, sIlvl, has = d.styleNumbering(p.styleID)
		if !p.hasIlvl {
			ilvl = sIlvl
		}
	}
	text := p.buf.String()
	if !has {
		return text
	}
	label, suff := d.num.label(numID, ilvl)
	if label == "" {
		return text
	}
	sep := " "
	if suff == "nothing" {
		sep = ""
	}
	indent := strings.Repeat("  ", min(max(ilvl, 0), maxIndentLvls))
	return indent + label + sep + strings.TrimLeft(text, " \t")
}

// outText joins the stories with a blank line between them.
type outText struct {
	max  int // bytes
	size int // bytes delivered so far, all stories
	full bool
}

func (o *outText) String(sections [][]string) string {
	var b strings.Builder
	for i, lines := range sections {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(strings.Join(lines, "\n"))
	}
	return b.String()
}
