package parser

import (
	"reflect"
	"strings"
	"testing"
)

func TestRepairOCRLabels(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"1. A\n2°. B\n‘3.. C\n“4 D\n5.. E", "1. A\n2. B\n3. C\n4. D\n5. E"},
		{"Question:1 The service\n2 None", "1. The service\n2. None"},
		{"1.. A\n2. . B\n3: C\n4:. D", "1. A\n2. B\n3. C\n4. D"},
		// A row of a scanned table keeps its columns.
		{" 1:.   The service      Clinic\n       of stalking\n 2     Self-referrals   Nil",
			"1.     The service      Clinic\n       of stalking\n2.     Self-referrals   Nil"},
		// Not labels: a decimal, a number alone, a count that does not
		// continue the items, a weak label followed by the wrong number.
		// A digit misread between its neighbours.
		{"3. A\n4. B\n“8.   12.\n6. C", "3. A\n4. B\n5. 12.\n6. C"},
		{"3. A\n4. B\n\n\n“8. 12.\n6. C", "3. A\n4. B\n\n\n“8. 12.\n6. C"},
		{"4. B\n8 people\n6. C", "4. B\n8 people\n6. C"},
		{"1.5 million were spent", "1.5 million were spent"},
		{"1. A\n12.\n2. B", "1. A\n12.\n2. B"},
		{"1. A\n7 people were referred", "1. A\n7 people were referred"},
		{"1. A\n2 people were referred\n2. B", "1. A\n2 people were referred\n2. B"},
		{"17 June 2024\nDear Sir", "17 June 2024\nDear Sir"},
		// A label glued to its numeric answer ("2. 0" read as "2.0") counts
		// only between labels N-1 and N+1; item 1 never (1.5 million).
		{"1. x\n2.0\n3. y\n4.33\n5. z", "1. x\n2. 0\n3. y\n4. 33\n5. z"},
		{"1.5\n2. y", "1.5\n2. y"},
		{"1. x\n2.5 people\n4. z", "1. x\n2.5 people\n4. z"},
	} {
		if got := repairOCRLabels(c.in); got != c.want {
			t.Errorf("repairOCRLabels(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestRejoinURLs(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"at https://host.example.gov.uk/ path", "at https://host.example.gov.uk/path"},
		{"at https: //host.example.org/a/ b-2023.pdf.", "at https://host.example.org/a/b-2023.pdf."},
		{"https://host.example.gov. uk/report", "https://host.example.gov.uk/report"},
		{"at https://www. borsetshire.example.gov.uk/e", "at https://www.borsetshire.example.gov.uk/e"},
		{"see https://example.org/a. Then", "see https://example.org/a. Then"},
		{"https://host.example.org/reports-\n2023.pdf", "https://host.example.org/reports-2023.pdf"},
		// Not split: the next word belongs to the sentence.
		{"see https://host.example.org/ for details", "see https://host.example.org/ for details"},
		{"see https://host.example.org/\nEvaluation", "see https://host.example.org/\nEvaluation"},
		{"see https://host.example.org. Thanks", "see https://host.example.org. Thanks"},
		{"see https://host.example.org/a  b", "see https://host.example.org/a  b"},
		// In a table cell laid out by a scan, the tail under the cell's
		// first words goes back on; one under another column, or a word
		// that goes on into a sentence, does not.
		{"Link      The evaluation is at\n          https://host.example.org/bspp-\n          evaluation\nNext",
			"Link      The evaluation is at\n          https://host.example.org/bspp-evaluation\nNext"},
		{"Link      https://host.example.org/bspp-\nevaluation", "Link      https://host.example.org/bspp-\nevaluation"},
		{"see https://host.example.org/report-\nand more", "see https://host.example.org/report-\nand more"},
		{"see https://host.example.org/report-\nthe list goes on", "see https://host.example.org/report-\nthe list goes on"},
	} {
		if got := rejoinURLs(c.in); got != c.want {
			t.Errorf("rejoinURLs(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestOCRReference(t *testing.T) {
	if got := trustedForm("FOVOPCCN/239", "Freedom of Information Request FOI/OPCCN/239"); got != "FOI/OPCCN/239" {
		t.Errorf("trustedForm = %q", got)
	}
	if got := trustedForm("F0I-2O23-118", "Re: FOI-2023-118"); got != "FOI-2023-118" {
		t.Errorf("trustedForm = %q", got)
	}
	if got := trustedForm("FOI-2023-118", "Re: FOI-2023-119"); got != "FOI-2023-118" {
		t.Errorf("trustedForm took a different reference: %q", got)
	}
	// The subject's reference beats the scan's "Our ref:".
	if ref, fromScan := scanReference("FOI request FOI/OPCCN/239", "Please see attached.", "Please see attached.\n\nOur ref: FOVOPCCN/239"); ref != "FOI/OPCCN/239" || fromScan {
		t.Errorf("scanReference = %q %v", ref, fromScan)
	}
	// The scan says which token is the reference ("Our reference:"), the
	// subject how it is written.
	if ref, fromScan := scanReference("FOI 2023/FOI/0388 response", "Please see attached.", "Please see attached.\n\nOur reference: 2023/FOl/0388"); ref != "2023/FOI/0388" || fromScan {
		t.Errorf("scanReference = %q %v, want the subject's 2023/FOI/0388", ref, fromScan)
	}
	// Only the scan has one.
	if ref, fromScan := scanReference("Your request", "Please see attached.", "Please see attached.\n\nOur ref: 2024/0117"); ref != "2024/0117" || !fromScan {
		t.Errorf("scanReference = %q %v", ref, fromScan)
	}
}

func TestDoubtfulNumber(t *testing.T) {
	for in, want := range map[string]string{"1O": "1O", "l2 people": "l2", "£12S,000": "12S,000", "12.": "", "None": "", "Level 3": "", "referred: B8": "B8", "i1,": "i1,", "1!": "1!", "in 2023": ""} {
		if got := doubtfulNumber(in); got != want {
			t.Errorf("doubtfulNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLayoutTables: a table laid out in columns (a Word table printed to
// PDF, or scanned) becomes one line per row, label and value cells joined
// by " | ", its head and the blank lines between its rows left out; the
// lines of a value cell stay apart (U+2028, shown here as ⏎), for the
// reader to join as a sentence or keep as a list.
func TestLayoutTables(t *testing.T) {
	pad := func(a string, n int, b string) string { return a + strings.Repeat(" ", n-len(a)) + b }
	for _, c := range []struct {
		name     string
		in, want []string
	}{{
		name: "a Word table printed: each row on one line",
		in: []string{
			"Dear Requester,",
			"",
			pad("Question", 42, "Response"),
			"",
			pad("Number of individuals who referred", 42, "None – the programme takes"),
			pad("themselves", 42, "agency referrals only."),
			"",
			pad("Total budget of the service", 42, "£92,000 per annum"),
			"",
			"Yours sincerely,",
		},
		want: []string{
			"Dear Requester,",
			"",
			"Number of individuals who referred themselves | None – the programme takes ⏎ agency referrals only.",
			"Total budget of the service | £92,000 per annum",
			"",
			"Yours sincerely,",
		},
	}, {
		name: "columns a scan moved by a character or two still fit",
		in: []string{
			pad("  Question", 41, "Response"),
			"",
			pad("Link to any evaluation", 43, "The evaluation is at"),
			pad("", 44, "https://example.gov.uk/e"),
		},
		want: []string{
			"Link to any evaluation | The evaluation is at ⏎ https://example.gov.uk/e",
		},
	}, {
		name: "one row alone is no table",
		in:   []string{pad("Our ref: 123", 40, "Date: 4 June 2024"), "", "Dear Sir,"},
		want: []string{pad("Our ref: 123", 40, "Date: 4 June 2024"), "", "Dear Sir,"},
	}, {
		name: "rows whose columns differ are no table",
		in:   []string{pad("Our ref: 123", 40, "Date: 4 June 2024"), "", pad("Tel: 0100", 20, "x")},
		want: []string{pad("Our ref: 123", 40, "Date: 4 June 2024"), "", pad("Tel: 0100", 20, "x")},
	}} {
		t.Run(c.name, func(t *testing.T) {
			if got := tableTexts(c.in); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

// tableTexts is each line of lines after tables are found: a row as its
// label and value cells joined by " | ".
func tableTexts(lines []string) []string {
	var out []string
	for _, t := range tabulate(lines, period{}) {
		out = append(out, strings.ReplaceAll(t.text, cellBreak, " ⏎ "))
	}
	return out
}
