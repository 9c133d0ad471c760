package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The shipped binary links no test code: not package testing (which also
// registers its -test.* flags on the binary's flag set), not net/http/httptest,
// and none of this module's test harnesses (mailbox/mailtest with its
// Dovecot, parser/scantest). The demo's servers are in mailbox/localmail for
// this. go list reads the build graph without compiling: about a second.
func TestBinaryLinksNoTestCode(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Env = append(os.Environ(), "GOFLAGS=") // the build as shipped: no -tags
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		switch {
		case pkg == "testing", strings.HasPrefix(pkg, "testing/"),
			pkg == "net/http/httptest",
			strings.HasPrefix(pkg, "github.com/foiwatch/foiwatch/") && strings.HasSuffix(pkg, "test"):
			t.Errorf("the foiwatch binary links %s: test code belongs in _test.go files or a package the binary does not import", pkg)
		}
	}
}
