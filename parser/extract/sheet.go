package extract

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// Spreadsheets: many authorities answer with a CSV or an Excel workbook.
// Both become text a row per line, cells joined by " | " as tables are
// everywhere in this package, so the parser reads a spreadsheet's rows as
// it reads an HTML table's. A workbook's sheets follow one another, each
// after a line "Sheet: NAME".
//
// The XLSX reader is the DOCX reader's sibling: archive/zip and streaming
// encoding/xml, with the same limits on entries, on each part's and all
// parts' decompressed size, on nesting and on output, and DTDs refused.
// Formulas are not evaluated (the cached value Excel stored is read);
// numbers are written as stored.

// maxSheetCols bounds the columns read of a row: a row with a cell in
// column XFD is not 16,384 cells of text.
const maxSheetCols = 64

// CSV returns the text of a comma-separated file: a line per row, cells
// joined by " | ". Quoted fields may hold commas and line breaks (a line
// break inside a cell becomes CellBreak).
func CSV(data []byte, lim *Limits) (string, error) {
	l := lim.WithDefaults()
	if int64(len(data)) > l.MaxInput {
		return "", fmt.Errorf("%w: csv is larger than %d bytes", ErrTooLarge, l.MaxInput)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	if bytes.Count(data[:min(len(data), 4096)], []byte(";")) > bytes.Count(data[:min(len(data), 4096)], []byte(",")) {
		r.Comma = ';'
	}
	out := outText{max: l.maxOutputBytes()}
	var lines []string
	size := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && rec == nil {
				continue // a malformed line: the others still read
			}
			if rec == nil {
				return strings.Join(lines, "\n"), fmt.Errorf("%w: csv: %w", ErrCorrupt, err)
			}
		}
		line := sheetRow(rec)
		size += len(line) + 1
		if size > out.max {
			return strings.Join(lines, "\n"), fmt.Errorf("%w: csv has more than %d bytes of text", ErrTruncated, out.max)
		}
		lines = append(lines, line)
	}
	return finish(strings.Join(lines, "\n"), l, false, "csv")
}

// sheetRow writes a row's cells joined by " | ", empty cells kept for
// their place, empty cells at its end dropped.
func sheetRow(cells []string) string {
	for len(cells) > 0 && strings.TrimSpace(cells[len(cells)-1]) == "" {
		cells = cells[:len(cells)-1]
	}
	if len(cells) > maxSheetCols {
		cells = cells[:maxSheetCols]
	}
	parts := make([]string, len(cells))
	for i, c := range cells {
		c = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(c, "\r\n", "\n"), "|", "/"))
		parts[i] = strings.ReplaceAll(c, "\n", CellBreak)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts, " | ")
}

// Namespace of SpreadsheetML (transitional and strict).
const (
	nsS       = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsSStrict = "http://purl.oclc.org/ooxml/spreadsheetml/main"
)

// XLSX returns the text of an Excel (.xlsx) workbook: each sheet in
// workbook order after a line "Sheet: NAME", a line per row with cells
// joined by " | ". Errors are as DOCX's.
func XLSX(data []byte, lim *Limits) (string, error) {
	l := lim.WithDefaults()
	if int64(len(data)) > l.MaxInput {
		return "", fmt.Errorf("%w: xlsx is larger than %d bytes", ErrTooLarge, l.MaxInput)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
		return "", fmt.Errorf("%w: xlsx is not a readable zip: %w", ErrCorrupt, err)
	}
	if len(zr.File) > l.MaxZipEntries {
		return "", fmt.Errorf("%w: xlsx has %d zip entries, more than the limit of %d", ErrTooLarge, len(zr.File), l.MaxZipEntries)
	}
	// The zip and XML limits are docx's: reuse its part reader.
	d := &docx{lim: l, files: make(map[string]*zip.File, len(zr.File)), budget: l.MaxUncompressed, out: outText{max: l.maxOutputBytes()}}
	for _, f := range zr.File {
		name := strings.ToLower(strings.TrimPrefix(f.Name, "/"))
		if _, dup := d.files[name]; !dup {
			d.files[name] = f
		}
	}
	if d.files["xl/workbook.xml"] == nil {
		return "", fmt.Errorf("%w: xlsx has no xl/workbook.xml (not an Excel workbook?)", ErrCorrupt)
	}
	shared, err := readSharedStrings(d)
	if err != nil && fatal(err) {
		return "", err
	}
	sheets, err := workbookSheets(d)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	full := false
	for _, sh := range sheets {
		rows, err := readSheet(d, sh.part, shared, d.out.max-b.Len())
		if len(rows) > 0 {
			if b.Len() > 0 {
				b.WriteString("\n\n")
			}
			b.WriteString("Sheet: " + sh.name + "\n")
			b.WriteString(strings.Join(rows, "\n"))
		}
		if errors.Is(err, errOutputFull) {
			full = true
			break
		}
		if err != nil {
			return b.String(), err
		}
	}
	return finish(b.String(), l, full, "xlsx")
}

type sheetRef struct{ name, part string }

// workbookSheets lists the workbook's sheets in order with their parts.
func workbookSheets(d *docx) ([]sheetRef, error) {
	rels, err := d.readRels("xl/_rels/workbook.xml.rels")
	if err != nil && fatal(err) {
		return nil, err
	}
	target := map[string]string{}
	for _, r := range rels {
		t := r.target
		if !strings.HasPrefix(t, "/") {
			t = path.Join("xl", t)
		}
		target[r.id] = strings.ToLower(strings.TrimPrefix(path.Clean(t), "/"))
	}
	var out []sheetRef
	err = d.tokens("xl/workbook.xml", func(tok xml.Token) error {
		e, ok := tok.(xml.StartElement)
		if !ok || e.Name.Local != "sheet" {
			return nil
		}
		var name, id string
		for _, a := range e.Attr {
			switch {
			case a.Name.Local == "name":
				name = a.Value
			case a.Name.Local == "id" && (a.Name.Space == nsR || a.Name.Space == nsRStrict):
				id = a.Value
			}
		}
		part := target[id]
		if part == "" {
			part = fmt.Sprintf("xl/worksheets/sheet%d.xml", len(out)+1)
		}
		out = append(out, sheetRef{name, part})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 && d.files["xl/worksheets/sheet1.xml"] != nil {
		out = append(out, sheetRef{"Sheet1", "xl/worksheets/sheet1.xml"})
	}
	return out, nil
}

// readSharedStrings reads the workbook's shared strings, each the text of
// its runs.
func readSharedStrings(d *docx) ([]string, error) {
	var out []string
	var cur strings.Builder
	in, inT := false, false
	err := d.tokens("xl/sharedstrings.xml", func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				in = true
				cur.Reset()
			case "t":
				inT = in
			case "rPh":
				inT = false // phonetic guides are not the text
				in = false
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				out = append(out, cur.String())
				in = false
			case "t":
				inT = false
			case "rPh":
				in = true
			}
		case xml.CharData:
			if inT && cur.Len() < 32<<10 {
				cur.Write(t)
			}
		}
		if len(out) > 1_000_000 {
			return fmt.Errorf("%w: xlsx has more than a million shared strings", ErrTooLarge)
		}
		return nil
	})
	return out, err
}

// readSheet reads one sheet's rows as lines, within max bytes of text.
func readSheet(d *docx, part string, shared []string, max int) ([]string, error) {
	var rows []string
	var cells []string
	var val, typ strings.Builder
	col, size := 0, 0
	inV, inIs := false, false
	err := d.tokens(part, func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space != nsS && t.Name.Space != nsSStrict && t.Name.Space != "" {
				return nil
			}
			switch t.Name.Local {
			case "row":
				cells = cells[:0]
			case "c":
				val.Reset()
				typ.Reset()
				col = len(cells)
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "t":
						typ.WriteString(a.Value)
					case "r":
						if c := columnOf(a.Value); c >= 0 {
							col = c
						}
					}
				}
			case "v":
				inV = true
			case "is":
				inIs = true
			case "t":
				if inIs {
					inV = true
				}
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v":
				inV = false
			case "t":
				if inIs {
					inV = false
				}
			case "is":
				inIs = false
			case "c":
				if col >= maxSheetCols {
					return nil
				}
				v := val.String()
				if typ.String() == "s" {
					if i, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && i >= 0 && i < len(shared) {
						v = shared[i]
					}
				} else if typ.String() == "b" {
					v = map[string]string{"1": "TRUE", "0": "FALSE"}[strings.TrimSpace(v)]
				}
				for len(cells) <= col {
					cells = append(cells, "")
				}
				cells[col] = v
			case "row":
				line := sheetRow(cells)
				if strings.TrimSpace(strings.ReplaceAll(line, "|", "")) == "" {
					return nil
				}
				size += len(line) + 1
				if size > max {
					return errOutputFull
				}
				rows = append(rows, line)
			}
		case xml.CharData:
			if inV && val.Len() < 32<<10 {
				val.Write(t)
			}
		}
		return nil
	})
	return rows, err
}

// columnOf is the 0-based column of a cell reference ("C7" is 2), -1 when
// there is none.
func columnOf(ref string) int {
	n := 0
	i := 0
	for ; i < len(ref) && i < 4; i++ {
		c := ref[i]
		if c >= 'a' && c <= 'z' {
			c -= 32
		}
		if c < 'A' || c > 'Z' {
			break
		}
		n = n*26 + int(c-'A'+1)
	}
	if i == 0 {
		return -1
	}
	return n - 1
}
