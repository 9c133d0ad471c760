package worker

import (
	"regexp"
	"testing"
)

// Lease keys name their mailbox readably, are valid bucket keys whatever
// the name, and never shared by two names.
func TestLeaseTokensAreReadableAndDistinct(t *testing.T) {
	valid := regexp.MustCompile(`^[-/_=.a-zA-Z0-9]+$`)
	seen := map[string]string{}
	for name, want := range map[string]string{
		"foi": "foi", "foi-2": "foi-2", "Research Mail": "Research=20Mail", "a.b": "a=2eb", "a=2eb": "a=3d2eb", "": "=", "café": "caf=c3=a9",
	} {
		got := leaseToken(name)
		if got != want || !valid.MatchString("poller."+got) {
			t.Errorf("leaseToken(%q) = %q, want %q (a valid key)", name, got, want)
		}
		if other, ok := seen[got]; ok {
			t.Errorf("%q and %q share the lease %q", name, other, got)
		}
		seen[got] = name
	}
}
