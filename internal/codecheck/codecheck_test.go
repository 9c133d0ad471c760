package codecheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const root = "../.."

// goFiles calls fn for every production .go file of the module.
func goFiles(t *testing.T, fn func(path string)) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (strings.HasPrefix(n, ".") || n == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			fn(p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A function over 100 lines is hard to change safely; one that stays so
// says why in its doc comment, in words that name the length ("over 100
// lines"), so that a reader knows it was weighed.
func TestNoLongFunctionWithoutAReason(t *testing.T) {
	const limit = 100
	goFiles(t, func(p string) {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			n := fset.Position(fd.Body.End()).Line - fset.Position(fd.Pos()).Line + 1
			if n > limit && (fd.Doc == nil || !strings.Contains(strings.ToLower(fd.Doc.Text()), "over 100 lines")) {
				t.Errorf("%s:%d: %s is %d lines: split it, or say in its doc comment why it is over 100 lines", p, fset.Position(fd.Pos()).Line, fd.Name.Name, n)
			}
		}
	})
}

// README's layout table ("| folder | in charge of |") names every package
// directory, so a reader looking for one finds it.
func TestREADMELayoutNamesEveryPackage(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "| folder | in charge of |")
	if i < 0 {
		t.Fatal("README has no layout table (| folder | in charge of |)")
	}
	table := s[i:]
	if j := strings.Index(table, "\n\n"); j >= 0 {
		table = table[:j]
	}
	named := map[string]bool{}
	for _, m := range regexp.MustCompile("`([a-z][a-z0-9_/]*)/?`").FindAllStringSubmatch(table, -1) {
		named[strings.TrimSuffix(m[1], "/")] = true
	}
	dirs := map[string]bool{}
	goFiles(t, func(p string) {
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		dirs[filepath.ToSlash(rel)] = true
	})
	for d := range dirs {
		if !named[d] {
			t.Errorf("README's layout table does not name %s", d)
		}
	}
	for d := range named {
		if fi, err := os.Stat(filepath.Join(root, d)); err != nil || !fi.IsDir() {
			t.Errorf("README's layout table names %s, which is not a folder", d)
		}
	}
}
