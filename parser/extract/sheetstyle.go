package extract

// The number formats of an Excel workbook's cells: a date is stored as a
// day count ("45292" is 1 January 2024) and an amount as a bare number, and
// only the cell's style says which. Read from xl/styles.xml: each cell's
// s attribute is an index into cellXfs, whose numFmtId is a built-in format
// (14-22, 27-36, 45-47, 50-58 are dates) or one of numFmts.

import (
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// cellFormat is how a style shows a number.
type cellFormat int

const (
	fmtNumber cellFormat = iota
	fmtDate              // with a day: "2 January 2024"
	fmtMonth             // month and year only: "January 2024"
	fmtPounds            // "£1,234.50"
)

// readStyles returns the format of each cell style index; nil when the
// workbook has no styles part.
func readStyles(d *docx) ([]cellFormat, error) {
	custom := map[int]string{}
	var xfs []int
	inXfs := false
	err := d.tokens("xl/styles.xml", func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "numFmt":
				var id int
				var code string
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "numFmtId":
						id, _ = strconv.Atoi(a.Value)
					case "formatCode":
						code = a.Value
					}
				}
				custom[id] = code
			case "cellXfs":
				inXfs = true
			case "xf":
				if inXfs {
					id := 0
					for _, a := range t.Attr {
						if a.Name.Local == "numFmtId" {
							id, _ = strconv.Atoi(a.Value)
						}
					}
					xfs = append(xfs, id)
				}
			}
		case xml.EndElement:
			if t.Name.Local == "cellXfs" {
				inXfs = false
			}
		}
		if len(xfs) > 100_000 {
			return fmt.Errorf("%w: xlsx has more than 100,000 cell styles", ErrTooLarge)
		}
		return nil
	})
	out := make([]cellFormat, len(xfs))
	for i, id := range xfs {
		out[i] = formatOf(id, custom[id])
	}
	return out, err
}

// formatOf tells the format a number format id (and its code, for custom
// ones) shows a number in.
func formatOf(id int, code string) cellFormat {
	switch {
	case id >= 14 && id <= 16, id == 22, id >= 27 && id <= 36, id >= 50 && id <= 58:
		return fmtDate
	case id == 17:
		return fmtMonth // "mmm-yy"
	case id == 5, id == 6, id == 7, id == 8:
		return fmtPounds // the locale's currency; a UK authority's is £
	}
	if code == "" {
		return fmtNumber
	}
	// What a code shows, quoted text and [colour]/[$-locale] parts aside.
	var b strings.Builder
	quoted, bracket := false, false
	for _, r := range code {
		switch {
		case r == '"':
			quoted = !quoted
		case quoted:
		case r == '[':
			bracket = true
			if strings.Contains(code, "[$£") {
				b.WriteRune('£')
			}
		case r == ']':
			bracket = false
		case !bracket:
			b.WriteRune(r)
		}
	}
	c := strings.ToLower(b.String())
	if strings.Contains(code, "£") || strings.Contains(c, "£") {
		return fmtPounds
	}
	hasY, hasD := strings.Contains(c, "y"), strings.Contains(c, "d")
	hasM := strings.Contains(c, "m")
	switch {
	case hasY && hasM && hasD:
		return fmtDate
	case hasY && hasM:
		return fmtMonth
	case hasD && hasM:
		return fmtDate
	}
	return fmtNumber
}

// showNumber writes a cell's number v as its format shows it; v as stored
// when it is not a number or the format is a plain one.
func showNumber(v string, f cellFormat) string {
	x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return v
	}
	switch f {
	case fmtDate, fmtMonth:
		if x < 1 || x > 2958465 { // 31 December 9999
			return v
		}
		// Day 1 is 1 January 1900, with Excel's 29 February 1900 (day
		// 60) that never was: from day 61 on, the epoch is 30 December
		// 1899.
		t := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(math.Floor(x)))
		if x < 61 {
			t = t.AddDate(0, 0, 1)
		}
		if f == fmtMonth {
			return t.Format("January 2006")
		}
		return t.Format("2 January 2006")
	case fmtPounds:
		return "£" + groupThousands(strconv.FormatFloat(math.Abs(x), 'f', 2, 64), x < 0)
	}
	return v
}

// groupThousands writes "1234567.50" as "1,234,567.50".
func groupThousands(s string, neg bool) string {
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}
