package worker

import (
	"runtime"
	"runtime/debug"
)

// Build says which foiwatch this is, from the build information the Go
// toolchain puts in the binary.
type Build struct {
	// Version is the module version ("v1.4.0" when built by go install
	// from a tag, "(devel)" from a checkout).
	Version string
	// Commit is the VCS revision the binary was built from, "" when
	// unknown; Modified is true when the checkout had uncommitted changes;
	// Time is the commit's time (RFC 3339).
	Commit, Time string
	Modified     bool
	// GoVersion is the toolchain's.
	GoVersion string
}

// BuildInfo reads the binary's build information.
func BuildInfo() Build {
	b := Build{Version: "(devel)", GoVersion: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if bi.Main.Version != "" {
		b.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// ShortCommit is the commit's first 12 characters, with "+changes" when
// the checkout was modified; "unknown" without VCS information.
func (b Build) ShortCommit() string {
	c := b.Commit
	if len(c) > 12 {
		c = c[:12]
	}
	if c == "" {
		c = "unknown"
	}
	if b.Modified {
		c += "+changes"
	}
	return c
}
