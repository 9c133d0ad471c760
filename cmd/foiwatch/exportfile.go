package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// exportFile is where `export -o FILE` writes. An export holds the
// authorities' replies, so the file is made readable by its owner only
// (0600), whatever the umask, also when it replaces an older export; run
// chmod to share it. It is written beside FILE under a temporary name and
// renamed onto FILE once complete, so a failed export never leaves a
// truncated file in place of the last good one. A FILE that exists and is
// not a regular file (/dev/stdout, a pipe) is written to directly.
type exportFile struct {
	f    *os.File
	path string // the final name; "" when written in place
	done bool   // committed or aborted
}

func createExport(path string) (*exportFile, error) {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		return &exportFile{f: f}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("export to %s: %w", path, err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("export to %s: %w", path, err)
	}
	return &exportFile{f: f, path: path}, nil
}

func (e *exportFile) Write(p []byte) (int, error) { return e.f.Write(p) }

// commit makes the export FILE.
func (e *exportFile) commit() error {
	if e.done {
		return nil
	}
	if err := e.f.Sync(); err != nil && e.path != "" {
		e.abort()
		return fmt.Errorf("export to %s: %w", e.path, err)
	}
	if err := e.f.Close(); err != nil {
		e.abort()
		return err
	}
	e.done = true
	if e.path == "" {
		return nil
	}
	if err := os.Rename(e.f.Name(), e.path); err != nil {
		os.Remove(e.f.Name())
		return fmt.Errorf("export to %s: %w", e.path, err)
	}
	return nil
}

// abort drops a partial export; FILE stays as it was. Safe after commit.
func (e *exportFile) abort() {
	if e.done {
		return
	}
	e.done = true
	e.f.Close()
	if e.path != "" {
		os.Remove(e.f.Name())
	}
}

var _ io.Writer = (*exportFile)(nil)
