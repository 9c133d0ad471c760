package parser

import (
	"bytes"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// htmlToText is this package's own HTML to text conversion, used only when
// package extract fails on a part. It streams tokens (no tree, so no limit on
// nesting), keeps the numbers of <ol> items, writes table cells separated by
// " | " and each block on its own line.
func htmlToText(data []byte, maxOut int) string {
	z := html.NewTokenizer(bytes.NewReader(data))
	var b strings.Builder
	type list struct {
		ordered bool
		n       int
	}
	var lists []list
	skip := 0
	cellInRow := 0
	newline := func() {
		s := b.String()
		if len(s) > 0 && !strings.HasSuffix(s, "\n") {
			b.WriteByte('\n')
		}
	}
	for steps := 0; steps < 10_000_000 && b.Len() < maxOut; steps++ {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			if skip > 0 {
				continue
			}
			t := strings.Join(strings.Fields(string(z.Text())), " ")
			if t == "" {
				if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") && !strings.HasSuffix(b.String(), " ") {
					b.WriteByte(' ')
				}
				continue
			}
			s := b.String()
			if len(s) > 0 && !strings.HasSuffix(s, "\n") && !strings.HasSuffix(s, " ") && startsWithSpace(z.Raw()) {
				b.WriteByte(' ')
			}
			b.WriteString(t)
			if endsWithSpace(z.Raw()) {
				b.WriteByte(' ')
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			tag := string(name)
			start := tt != html.EndTagToken
			switch tag {
			case "script", "style", "head", "title":
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
			case "br":
				b.WriteByte('\n')
			case "ol", "ul":
				newline()
				if tt == html.StartTagToken {
					lists = append(lists, list{ordered: tag == "ol"})
				} else if tt == html.EndTagToken && len(lists) > 0 {
					lists = lists[:len(lists)-1]
				}
			case "li":
				newline()
				if start && len(lists) > 0 {
					l := &lists[len(lists)-1]
					l.n++
					if l.ordered {
						b.WriteString(strconv.Itoa(l.n) + ". ")
					} else {
						b.WriteString("- ")
					}
				}
			case "tr":
				newline()
				cellInRow = 0
			case "td", "th":
				if start {
					if cellInRow > 0 {
						b.WriteString(" | ")
					}
					cellInRow++
				}
			case "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre", "hr", "section", "article", "header", "footer", "dt", "dd":
				newline()
				if tag == "p" && !start {
					b.WriteByte('\n')
				}
			}
		}
	}
	return b.String()
}

func startsWithSpace(raw []byte) bool {
	return len(raw) > 0 && (raw[0] == ' ' || raw[0] == '\n' || raw[0] == '\t' || raw[0] == '\r')
}

func endsWithSpace(raw []byte) bool {
	n := len(raw)
	return n > 0 && (raw[n-1] == ' ' || raw[n-1] == '\n' || raw[n-1] == '\t' || raw[n-1] == '\r')
}
