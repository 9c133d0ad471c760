package main

import (
	"context"
	"fmt"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/worker"
)

// cmdVersion prints the version, the commit it was built from and the
// parser's version (stored with every Reply: `foiwatch reprocess` after an
// upgrade that raised it).
func cmdVersion(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "version")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	b := worker.BuildInfo()
	fmt.Fprintf(e.stdout, "foiwatch %s\n", b.Version)
	commit := b.ShortCommit()
	if b.Time != "" {
		commit += " (" + b.Time + ")"
	}
	fmt.Fprintf(e.stdout, "commit %s\n", commit)
	fmt.Fprintf(e.stdout, "parser version %d\n", parser.Version)
	fmt.Fprintf(e.stdout, "built with %s\n", b.GoVersion)
	return nil
}
