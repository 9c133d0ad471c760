package extract

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// outlookList is how Outlook (Word as the mail editor) writes a numbered
// list: no <ol>, the label in a span the browser is told to ignore.
const outlookList = `<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>
<style><!-- p.MsoNormal {margin:0cm;} --></style>
<!--[if gte mso 9]><xml><o:OfficeDocumentSettings><o:AllowPNG/></o:OfficeDocumentSettings></xml><![endif]-->
</head><body lang=EN-GB><div class=WordSection1>
<p class=MsoNormal>Dear Sir,<o:p></o:p></p>
<p class=MsoNormal><o:p>&nbsp;</o:p></p>
<p class=MsoListParagraph style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'><![if !supportLists]><span style='mso-list:Ignore'>4.<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp; </span></span><![endif]>None, police referrals only.<o:p></o:p></p>
<p class=MsoListParagraph style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'><!--[if !supportLists]--><span style='mso-list:Ignore'>5.<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp; </span></span><!--[endif]-->12.<o:p></o:p></p>
<p class=MsoNormal>Yours faithfully<o:p></o:p></p>
</div></body></html>`

func TestHTML(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"paragraphs are separated by a blank line",
			"<p>First  paragraph\n spread\tover lines.</p><p>Second.</p>",
			"First paragraph spread over lines.\n\nSecond."},
		{"divs and br give line breaks",
			"<div>Our ref: 00019-23</div><div>Date: 24/8/23<br>Name:</div>",
			"Our ref: 00019-23\nDate: 24/8/23\nName:"},
		{"two br make a blank line",
			"line one<br><br>line two",
			"line one\n\nline two"},
		{"ordered list items get their numbers",
			"<ol><li>The Jenkins Centre</li><li>11</li></ol>",
			"1. The Jenkins Centre\n2. 11"},
		{"ordered list honours start and value",
			`<ol start="5"><li>12.</li><li>11.</li><li value="10">£125,000 per annum.</li></ol>`,
			"5. 12.\n6. 11.\n10. £125,000 per annum."},
		{"ordered list honours type",
			`<ol type="a"><li>one</li><li>two</li></ol><ol type="I" start="4"><li>four</li></ol>`,
			"a. one\nb. two\n\nIV. four"},
		{"unordered list items get a dash",
			"<ul><li>Police</li><li>Early Help</li></ul>",
			"- Police\n- Early Help"},
		{"nested lists are indented",
			"<ol><li>Organisations<ul><li>Police</li><li>Vitamins</li></ul></li><li>Budget</li></ol>",
			"1. Organisations\n  - Police\n  - Vitamins\n2. Budget"},
		{"an empty list item keeps its number",
			"<ol><li>a</li><li></li><li>c</li></ol>",
			"1. a\n2.\n3. c"},
		{"a layout table's one cell keeps its lines and the table inside it",
			"<table><tr><td><p>Dear Researcher,</p><p>Our response:</p><table><tr><th>Question</th><th>Response</th></tr><tr><td>1. Claims</td><td>412</td></tr></table><p>Yours sincerely</p></td></tr></table>",
			"Dear Researcher,\n\nOur response:\n\nQuestion | Response\n1. Claims | 412\n\nYours sincerely"},
		{"a one-cell row inside a data cell stays in its cell",
			"<table><tr><td>2. Paid</td><td><table><tr><td>57</td></tr></table></td></tr></table>",
			"2. Paid | 57"},
		{"table rows are lines with cells joined",
			"<table><tr><th>Year</th><th>Referred</th></tr><tr><td>2022/23</td><td><p>127</p></td></tr></table>",
			"Year | Referred\n2022/23 | 127"},
		{"a list in a table cell keeps a line per item",
			"<table><tr><td>Q5</td><td><ul><li>TASER 7</li><li>TASER X2</li></ul>We released the models.</td></tr></table>",
			"Q5 | - TASER 7" + CellBreak + "- TASER X2" + CellBreak + "We released the models."},
		{"empty table cells keep their place",
			"<table><tr><td>a</td><td></td><td>c</td></tr></table>",
			"a | | c"},
		{"scripts styles head and title are dropped",
			"<html><head><title>Secret title</title><style>p{color:red}</style></head><body><script>alert('x')</script><p>Visible</p><noscript>no</noscript></body></html>",
			"Visible"},
		{"hidden preview text is dropped",
			`<body><span style="display: none; mso-hide: all">preview</span><p>Body</p></body>`,
			"Body"},
		{"entities are decoded and nbsp is a space",
			"<p>&pound;125,000&nbsp;per&#160;annum &amp; more &lt;3&gt;</p>",
			"£125,000 per annum & more <3>"},
		{"text is NFKC normalised",
			"<p>Self-re\ufb01erred: \uff11\uff12</p>",
			"Self-refierred: 12"},
		{"link text that hides its address is followed by it",
			`<p>See <a href="https://pcc.police.uk/funding">Previous Funding</a> and <a href="https://pcc.police.uk">https://pcc.police.uk</a>.</p>`,
			"See Previous Funding (https://pcc.police.uk/funding) and https://pcc.police.uk."},
		{"mailto links show the address",
			`<p>Email <a href="mailto:OPCC@leics.police.uk">the office</a></p>`,
			"Email the office (OPCC@leics.police.uk)"},
		{"pre keeps its spacing",
			"<pre>Year   Count\n2023   127</pre>",
			"Year   Count\n2023   127"},
		{"headings are paragraphs",
			"<h1>Response</h1>Text after",
			"Response\n\nText after"},
		{"Outlook list paragraphs keep their labels",
			outlookList,
			"Dear Sir,\n\n4. None, police referrals only.\n5. 12.\nYours faithfully"},
		{"plain text without tags",
			"just words",
			"just words"},
		{"empty input", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := HTML(strings.NewReader(tt.in), nil)
			if err != nil {
				t.Fatalf("HTML: %v", err)
			}
			if got != tt.want {
				t.Errorf("HTML(%q)\n got: %q\nwant: %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestHTMLDeepNestingFallsBackToTokenizer(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"10,000 divs", strings.Repeat("<div>", 10000) + "deep text" + strings.Repeat("</div>", 10000) + "<p>after</p>",
			[]string{"deep text", "after"}},
		{"10,000 unclosed divs", "<p>before</p>" + strings.Repeat("<div>x", 10000),
			[]string{"before", "x"}},
		{"10,000 nested ordered lists", strings.Repeat("<ol><li>", 10000) + "item" + strings.Repeat("</li></ol>", 10000),
			[]string{"1. item"}},
		{"10,000 nested tables", strings.Repeat("<table><tr><td>", 10000) + "cell" + strings.Repeat("</td></tr></table>", 10000),
			[]string{"cell"}},
		{"deep list then a script", strings.Repeat("<ul><li>", 600) + "<script>var x;</script><ol start=3><li>three</li></ol>",
			[]string{"3. three"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			got, err := HTML(strings.NewReader(tt.in), nil)
			if err != nil {
				t.Fatalf("HTML: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%.300q", w, got)
				}
			}
			if strings.Contains(got, "var x") {
				t.Errorf("script text leaked: %.300q", got)
			}
			// Indentation is capped: no line grows with the depth.
			for line := range strings.SplitSeq(got, "\n") {
				if len(line) > 200 {
					t.Errorf("line of %d bytes: nesting leaked into the layout", len(line))
					break
				}
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestHTMLLimits(t *testing.T) {
	t.Run("input over MaxInput is refused", func(t *testing.T) {
		_, err := HTML(strings.NewReader(strings.Repeat("a", 101)), &Limits{MaxInput: 100})
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
	})
	t.Run("output over MaxOutput is cut and reported", func(t *testing.T) {
		in := strings.Repeat("<p>£125,000 per annum.</p>", 1000)
		got, err := HTML(strings.NewReader(in), &Limits{MaxOutput: 50})
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("err = %v, want ErrTruncated", err)
		}
		if n := len([]rune(got)); n != 50 {
			t.Errorf("got %d characters, want 50", n)
		}
		if !strings.HasPrefix(got, "£125,000 per annum.") {
			t.Errorf("text so far not kept: %q", got)
		}
	})
	t.Run("huge output in the tokenizer path is bounded", func(t *testing.T) {
		in := strings.Repeat("<div>", 600) + strings.Repeat("word ", 200000)
		got, err := HTML(strings.NewReader(in), &Limits{MaxOutput: 1000})
		if !errors.Is(err, ErrTruncated) || len([]rune(got)) != 1000 {
			t.Fatalf("got %d characters, err %v", len([]rune(got)), err)
		}
	})
}
