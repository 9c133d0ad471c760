package parser

import (
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// campaignWords are words of the campaigns whose replies the parser was
// read against (perpetrator programmes, drones, agency staff, fly-tipping
// and others). What one campaign needs its file says (questions, aliases):
// a rule of the parser that knew them would read those replies well and
// others badly.
var campaignWords = []string{
	"referral", "referred", "perpetrator", "opcc", "police and crime", "domestic abuse",
	"stalking", "victim", "drone", "agency staff", "agency nurse", "fly-tip", "flytip",
	"pothole", "consultant", "interpret", "body-worn", "bodyworn", "school transport",
	"fire prevention", "smoke alarm",
}

// TestNoCampaignWordsInRules reads every string of the parser's code (its
// patterns and word lists; comments may give examples) and fails on a
// campaign's word.
func TestNoCampaignWordsInRules(t *testing.T) {
	var files []string
	for _, dir := range []string{".", "extract"} {
		m, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	fset := gotoken.NewFileSet()
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		n++
		ast.Inspect(file, func(node ast.Node) bool {
			lit, ok := node.(*ast.BasicLit)
			if !ok || lit.Kind != gotoken.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			lower := strings.ToLower(s)
			for _, w := range campaignWords {
				if strings.Contains(lower, w) {
					t.Errorf("%s: the string %s holds %q, a word of one campaign", fset.Position(lit.Pos()), shorten(lit.Value, 80), w)
				}
			}
			return true
		})
	}
	if n < 10 {
		t.Fatalf("read %d files of code; the test looks in the wrong place", n)
	}
}
