package extract

// HTML documents and mail body parts: one bounded text builder
// (textBuilder) driven by x/net/html's tree, or by its tokenizer for a
// document nested too deep for the tree (htmlText).

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// HTML returns the text of an HTML document or mail body part, laid out the
// way a reader sees it: block elements on their own lines, paragraphs
// separated by a blank line, <ol> items numbered ("1. ", honouring start=,
// type= and value=), <ul> items "- ", a table row per line with cells joined
// by " | ", Outlook list labels kept ("1."), the text of a link followed by
// its address when the text does not show it. Scripts, styles, the head and
// elements hidden with display:none are dropped.
//
// The input is read up to lim.MaxInput bytes (more is ErrTooLarge). A
// document nested deeper than x/net/html's tree builder accepts is read with
// the streaming tokenizer instead, with the same rules as far as a stream
// allows.
func HTML(r io.Reader, lim *Limits) (string, error) {
	l := lim.WithDefaults()
	data, err := io.ReadAll(io.LimitReader(r, l.MaxInput+1))
	if err != nil {
		return "", fmt.Errorf("extract: reading html: %w", err)
	}
	if int64(len(data)) > l.MaxInput {
		return "", fmt.Errorf("%w: html is larger than %d bytes", ErrTooLarge, l.MaxInput)
	}
	h := newHTMLText(l.maxOutputBytes())
	if doc, err := html.Parse(bytes.NewReader(data)); err == nil {
		h.tree = true
		h.walk(doc, 0)
	} else {
		// The only error html.Parse gives on an in-memory reader is its
		// refusal of more than 512 open elements.
		h = newHTMLText(l.maxOutputBytes())
		h.stream(data)
	}
	return finish(h.tb.b.String(), l, h.tb.full, "html")
}

// textBuilder collects text with pending line breaks and spaces, so that
// white space is decided only when the next word arrives: runs of spaces
// collapse, blocks never produce more than one blank line, and nothing is
// written past max bytes.
type textBuilder struct {
	b      strings.Builder
	max    int
	full   bool
	breaks int    // line breaks owed before the next word (0, 1 or 2)
	space  bool   // a space owed before the next word
	prefix string // list marker owed at the start of the next line
	atBOL  bool   // nothing written since the last line break
	// cellBreak: a line break owed inside a table cell, written as U+2028
	// (CellBreak) so that the row stays on one line and the cell's own lines
	// stay apart ("Hollis & Barr Ltd<br>Tamar Aerial Systems").
	cellBreak bool
}

// CellBreak separates the lines of one table cell in extracted text.
const CellBreak = "\u2028"

func (t *textBuilder) block(n int) {
	if n > t.breaks {
		t.breaks = n
	}
}

// lineBreak is <br>: it adds a break, so two of them make a blank line.
func (t *textBuilder) lineBreak() {
	if t.breaks < 2 {
		t.breaks++
	}
}

// flush writes the white space and marker owed before new text.
func (t *textBuilder) flush() {
	if t.breaks > 0 {
		if t.b.Len() > 0 {
			t.raw(strings.Repeat("\n", t.breaks))
		}
		t.breaks = 0
		t.space = false
		t.atBOL = true
	}
	// A line break owed inside a cell comes before a list item's mark:
	// "- TASER 7⏎- TASER X2", not "- TASER 7- TASER X2".
	if t.cellBreak {
		if s := t.b.String(); !t.atBOL && s != "" && !strings.HasSuffix(s, "|") && !strings.HasSuffix(s, "| ") && !strings.HasSuffix(s, CellBreak) {
			t.raw(CellBreak)
			t.space = false
		}
		t.cellBreak = false
	}
	if t.prefix != "" {
		if t.space && !t.atBOL && t.b.Len() > 0 && !strings.HasSuffix(t.b.String(), CellBreak) {
			t.raw(" ") // "| - TASER 7": the cell's space, then the mark
		}
		t.raw(t.prefix)
		t.prefix = ""
		t.space = false
		t.atBOL = false
	}
	if t.space {
		if !t.atBOL && t.b.Len() > 0 {
			t.raw(" ")
		}
		t.space = false
	}
}

// word writes s after the white space owed.
func (t *textBuilder) word(s string) {
	if s == "" {
		return
	}
	t.flush()
	t.raw(s)
	t.atBOL = false
}

// raw appends s within the byte budget.
func (t *textBuilder) raw(s string) {
	if t.full {
		return
	}
	if t.b.Len()+len(s) > t.max {
		s = s[:max(0, t.max-t.b.Len())]
		t.full = true
	}
	t.b.WriteString(s)
}

// text writes a run of character data with white space collapsed.
func (t *textBuilder) text(s string) {
	first := true
	for f := range strings.FieldsSeq(s) {
		if first {
			if r := s[0]; isHTMLSpace(r) || strings.HasPrefix(s, "\u00a0") {
				t.space = true
			}
			first = false
		} else {
			t.space = true
		}
		t.word(f)
	}
	if first {
		// Only white space: it still separates the words around it.
		if s != "" {
			t.space = true
		}
		return
	}
	if last := s[len(s)-1]; isHTMLSpace(last) || strings.HasSuffix(s, "\u00a0") {
		t.space = true
	}
}

// preText writes the text of <pre> keeping its spaces and line breaks.
func (t *textBuilder) preText(s string) {
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			t.lineBreak()
		}
		if line != "" {
			t.word(line)
		}
	}
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// Bounds on the state kept for nesting, so that hostile nesting (10,000
// lists) costs constant memory; deeper levels are counted, not stored.
const (
	maxHTMLStack  = 64
	maxIndentLvls = 8
)

type listFrame struct {
	ordered bool
	next    int
	format  string
}

type paraFrame struct {
	mso   bool // Outlook paragraph: lines, not paragraphs
	start int  // output length at its start
}

type anchorFrame struct {
	href  string
	start int
}

// htmlText turns a stream of start tags, end tags and text into text. Both
// the tree walk and the tokenizer fallback drive it.
type htmlText struct {
	tb   textBuilder
	tree bool // driven by the tree walk (balanced tags)

	lists        []listFrame
	listOverflow int
	overflowList listFrame
	tables       []int // cells seen in the current row, per open table
	tableOverflw int
	cellDepth    int
	preDepth     int
	paras        []paraFrame
	anchors      []anchorFrame

	// Tokenizer mode: the name of the element whose content is skipped and
	// how deeply it nests in itself.
	skipName  string
	skipDepth int
}

func newHTMLText(maxBytes int) *htmlText {
	return &htmlText{tb: textBuilder{max: maxBytes, atBOL: true}}
}

// skipped elements: their content is not text a reader sees.
var skipped = map[string]bool{
	"script": true, "style": true, "head": true, "title": true, "template": true,
	"noscript": true, "xml": true, "object": true, "iframe": true, "noembed": true,
	"noframes": true, "svg": true, "math": true, "select": true, "textarea": true,
}

// paragraph elements are separated from what is around them by a blank line.
var paragraph = map[string]bool{
	"p": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"table": true, "blockquote": true, "pre": true, "dl": true, "hr": true,
	"figure": true, "address": true,
}

// lineBlocks are elements that start and end a line.
var lineBlocks = map[string]bool{
	"div": true, "li": true, "tr": true, "dt": true, "dd": true, "section": true,
	"article": true, "header": true, "footer": true, "main": true, "nav": true,
	"aside": true, "center": true, "caption": true, "form": true, "fieldset": true,
	"legend": true, "details": true, "summary": true, "figcaption": true,
	"body": true, "html": true, "ul": true, "ol": true, "thead": true, "tbody": true,
	"tfoot": true, "option": true,
}

func attr(attrs []html.Attribute, key string) string {
	for _, a := range attrs {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// block asks for n line breaks, or a space inside a table cell, where line
// breaks would split the row.
func (h *htmlText) block(n int) {
	if h.cellDepth > 0 {
		h.tb.space = true
		h.tb.cellBreak = true
		return
	}
	h.tb.block(n)
}

// start handles a start tag; it returns false when the element's content
// must be skipped.
func (h *htmlText) start(name string, attrs []html.Attribute) bool {
	if skipped[name] {
		return false
	}
	// Hidden text (Outlook's preview line) is dropped. Only with a tree: in
	// a stream an unclosed hidden div would hide the rest.
	if h.tree && hidden(attrs) {
		return false
	}
	switch name {
	case "br":
		if h.cellDepth > 0 {
			h.tb.space = true
			h.tb.cellBreak = true
		} else {
			h.tb.lineBreak()
		}
	case "p":
		h.startPara(attrs)
	case "ol", "ul":
		h.startList(name == "ol", attrs)
	case "li":
		h.startItem(attrs)
	case "table":
		h.block(2)
		if len(h.tables) >= maxHTMLStack {
			h.tableOverflw++
		} else {
			h.tables = append(h.tables, 0)
		}
	case "tr":
		h.block(1)
		if len(h.tables) > 0 {
			h.tables[len(h.tables)-1] = 0
		}
	case "td", "th":
		h.startCell()
	case "pre":
		h.block(2)
		h.preDepth++
	case "a":
		h.startLink(attrs)
	default:
		if paragraph[name] {
			h.block(2)
		} else if lineBlocks[name] {
			h.block(1)
		}
	}
	return true
}

// hidden tells an element styled not to be shown.
func hidden(attrs []html.Attribute) bool {
	style := strings.ToLower(strings.ReplaceAll(attr(attrs, "style"), " ", ""))
	return strings.Contains(style, "display:none") || strings.Contains(style, "mso-hide:all")
}

// startPara opens a paragraph; Outlook's (class Mso...) are lines, not
// paragraphs.
func (h *htmlText) startPara(attrs []html.Attribute) {
	class := attr(attrs, "class")
	mso := strings.HasPrefix(strings.ToLower(class), "mso")
	if len(h.paras) < maxHTMLStack {
		h.paras = append(h.paras, paraFrame{mso: mso, start: h.tb.b.Len()})
	}
	if mso {
		h.block(1)
	} else {
		h.block(2)
	}
}

// startList opens a list, numbered from start= in the format type= says.
func (h *htmlText) startList(ordered bool, attrs []html.Attribute) {
	if len(h.lists) == 0 && h.listOverflow == 0 {
		h.block(2)
	} else {
		h.block(1)
	}
	f := listFrame{ordered: ordered, next: 1, format: "decimal"}
	if n, err := strconv.Atoi(strings.TrimSpace(attr(attrs, "start"))); err == nil {
		f.next = n
	}
	switch attr(attrs, "type") {
	case "a":
		f.format = "lowerLetter"
	case "A":
		f.format = "upperLetter"
	case "i":
		f.format = "lowerRoman"
	case "I":
		f.format = "upperRoman"
	}
	if len(h.lists) >= maxHTMLStack {
		// Only the innermost of the lists past the cap is remembered.
		h.listOverflow++
		h.overflowList = f
		return
	}
	h.lists = append(h.lists, f)
}

// startItem starts a list item with its number (value= sets it) or "- ",
// indented two spaces per level of lists.
func (h *htmlText) startItem(attrs []html.Attribute) {
	h.block(1)
	marker := "- "
	depth := len(h.lists) + h.listOverflow
	if len(h.lists) > 0 {
		f := &h.lists[len(h.lists)-1]
		if h.listOverflow > 0 {
			f = &h.overflowList
		}
		if n, err := strconv.Atoi(strings.TrimSpace(attr(attrs, "value"))); err == nil {
			f.next = n
		}
		if f.ordered {
			marker = formatNumber(f.next, f.format) + ". "
			f.next++
		}
	}
	h.tb.prefix = strings.Repeat("  ", min(max(depth-1, 0), maxIndentLvls)) + marker
}

// startCell starts a table cell: " | " after the row's cell before it,
// unless it is a cell of a table inside a cell.
func (h *htmlText) startCell() {
	if len(h.tables) > 0 {
		cells := &h.tables[len(h.tables)-1]
		if *cells > 0 && h.cellDepth == 0 {
			h.tb.space = false
			h.tb.cellBreak = false
			h.tb.flush()
			h.tb.raw(" |")
			h.tb.atBOL = false
			h.tb.space = true
		}
		*cells++
	}
	h.cellDepth++
}

// startLink notes where a link's text starts, and its address when it is
// one a reader can follow (http, https, mailto).
func (h *htmlText) startLink(attrs []html.Attribute) {
	href := strings.TrimSpace(attr(attrs, "href"))
	lower := strings.ToLower(href)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "mailto:") {
		href = ""
	}
	if len(h.anchors) < maxHTMLStack {
		h.anchors = append(h.anchors, anchorFrame{href: href, start: h.tb.b.Len()})
	}
}

// end handles an end tag.
func (h *htmlText) end(name string) {
	switch name {
	case "p":
		if n := len(h.paras); n > 0 {
			f := h.paras[n-1]
			h.paras = h.paras[:n-1]
			if f.mso {
				if h.tb.b.Len() == f.start && h.cellDepth == 0 {
					// Outlook writes a blank line as an empty paragraph.
					h.tb.block(2)
				} else {
					h.block(1)
				}
				return
			}
		}
		h.block(2)
	case "ol", "ul":
		if h.listOverflow > 0 {
			h.listOverflow--
		} else if len(h.lists) > 0 {
			h.lists = h.lists[:len(h.lists)-1]
		}
		if len(h.lists) == 0 && h.listOverflow == 0 {
			h.block(2)
		} else {
			h.block(1)
		}
	case "li":
		if p := h.tb.prefix; p != "" {
			// An empty item still shows its number.
			h.tb.prefix = ""
			h.tb.word(strings.TrimRight(p, " "))
		}
		h.block(1)
	case "table":
		if h.tableOverflw > 0 {
			h.tableOverflw--
		} else if len(h.tables) > 0 {
			h.tables = h.tables[:len(h.tables)-1]
		}
		h.block(2)
	case "td", "th":
		if h.cellDepth > 0 {
			h.cellDepth--
		}
		h.tb.space = true
	case "pre":
		if h.preDepth > 0 {
			h.preDepth--
		}
		h.block(2)
	case "a":
		if n := len(h.anchors); n > 0 {
			f := h.anchors[n-1]
			h.anchors = h.anchors[:n-1]
			if f.href == "" || f.start > h.tb.b.Len() {
				return
			}
			// A link whose text hides its address ("click here") gets the
			// address after it: url answers are often only in the href.
			shown := strings.TrimSpace(h.tb.b.String()[f.start:])
			bare := f.href
			if strings.HasPrefix(strings.ToLower(bare), "mailto:") {
				bare = bare[len("mailto:"):]
			}
			if shown != "" && !strings.Contains(shown, strings.TrimRight(bare, "/")) {
				h.tb.space = true
				h.tb.word("(" + bare + ")")
			}
		}
	default:
		if paragraph[name] {
			h.block(2)
		} else if lineBlocks[name] {
			h.block(1)
		}
	}
}

func (h *htmlText) chars(s string) {
	if h.preDepth > 0 {
		h.tb.preText(s)
	} else {
		h.tb.text(s)
	}
}

// walk visits the tree in document order. html.Parse has already refused
// trees deeper than 512, so recursion is bounded; the depth check guards
// against a future parser without that limit.
func (h *htmlText) walk(n *html.Node, depth int) {
	if h.tb.full || depth > 1024 {
		return
	}
	switch n.Type {
	case html.TextNode:
		h.chars(n.Data)
		return
	case html.ElementNode:
		if n.Namespace != "" && n.Namespace != "html" {
			return // svg, math
		}
		if (n.Data == "td" || n.Data == "th") && h.cellDepth == 0 && onlyCellOfRow(n) && !hidden(n.Attr) {
			// A row of one cell is a layout table's (Outlook and case
			// systems wrap a whole letter in one): its content keeps
			// its lines and tables, as a div's would.
			h.block(1)
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				h.walk(c, depth+1)
			}
			h.block(1)
			return
		}
		if !h.start(n.Data, n.Attr) {
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			h.walk(c, depth+1)
		}
		h.end(n.Data)
		return
	case html.DocumentNode:
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			h.walk(c, depth+1)
		}
	}
}

// onlyCellOfRow tells a td or th that is the one cell of its row.
func onlyCellOfRow(n *html.Node) bool {
	if n.Parent == nil || n.Parent.Type != html.ElementNode || n.Parent.Data != "tr" {
		return false
	}
	for c := n.Parent.FirstChild; c != nil; c = c.NextSibling {
		if c != n && c.Type == html.ElementNode && (c.Data == "td" || c.Data == "th") {
			return false
		}
	}
	return true
}

// stream reads data with the tokenizer, keeping no tree. Void elements are
// never waited for; the content of skipped elements is passed over by name,
// counting nested elements of the same name.
func (h *htmlText) stream(data []byte) {
	z := html.NewTokenizer(bytes.NewReader(data))
	var attrs []html.Attribute
	for !h.tb.full {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return // io.EOF, or a bad read of in-memory bytes: either way the end
		case html.TextToken:
			if h.skipName == "" {
				h.chars(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			if h.skipName != "" {
				if tag == h.skipName && tt == html.StartTagToken {
					h.skipDepth++
				}
				continue
			}
			attrs = attrs[:0]
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				attrs = append(attrs, html.Attribute{Key: string(k), Val: string(v)})
			}
			if tag == "head" {
				// An unclosed <head> would hide the document: only its
				// title, style and script are skipped, by their own tags.
				continue
			}
			if !h.start(tag, attrs) {
				if tt == html.StartTagToken && !isVoid(tag) {
					h.skipName, h.skipDepth = tag, 0
				}
				continue
			}
			if tt == html.SelfClosingTagToken || isVoid(tag) {
				h.end(tag)
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if h.skipName != "" {
				if tag == h.skipName {
					if h.skipDepth == 0 {
						h.skipName = ""
					} else {
						h.skipDepth--
					}
				}
				continue
			}
			if isVoid(tag) || tag == "head" {
				continue
			}
			h.end(tag)
		}
	}
}

func isVoid(tag string) bool {
	switch tag {
	case "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr":
		return true
	}
	return false
}
