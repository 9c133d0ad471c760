package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/foiwatch/foiwatch/mailbox/mailtest"
)

// TestCorpusThroughSync reads a folder of replies as a new user would: the
// .eml files appended to a Dovecot mailbox in file-name order, the
// folder's campaign files (*.toml) in the config, one `foiwatch sync`, then
// `foiwatch export --replies`. It runs only when FOIWATCH_CORPUS names the
// folder; the stored Replies are written to FOIWATCH_CORPUS_OUT (default
// corpus-replies.jsonl in the test's temporary folder, which is printed),
// ready for a scorer to compare with the folder's expected.jsonl:
//
//	FOIWATCH_CORPUS=$PWD/../shared/corpus-dev FOIWATCH_CORPUS_OUT=/tmp/out.jsonl \
//	  go test ./cmd/foiwatch -run TestCorpusThroughSync -v
//	python3 ../shared/tools/score_replies.py ../shared/corpus-dev/expected.jsonl /tmp/out.jsonl
func TestCorpusThroughSync(t *testing.T) {
	dir := os.Getenv("FOIWATCH_CORPUS")
	if dir == "" {
		t.Skip("FOIWATCH_CORPUS is not set: no corpus to read")
	}
	if !mailtest.DovecotInstalled() {
		t.Skip("dovecot is not installed (apt-get install -y dovecot-imapd)")
	}
	emls, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	camps, _ := filepath.Glob(filepath.Join(dir, "*.toml"))
	if len(emls) == 0 || len(camps) == 0 {
		t.Fatalf("%s holds %d .eml and %d .toml files: want both", dir, len(emls), len(camps))
	}
	sort.Strings(emls)
	d := mailtest.StartDovecot(t, nil)
	for _, f := range emls {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d.Append(t, "INBOX", raw)
	}
	work := t.TempDir()
	pw := filepath.Join(work, "imap-password")
	if err := os.WriteFile(pw, []byte(d.Password), 0o600); err != nil {
		t.Fatal(err)
	}
	quoted := make([]string, len(camps))
	for i, c := range camps {
		quoted[i] = fmt.Sprintf("%q", c)
	}
	cfg := filepath.Join(work, "foiwatch.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`data_dir = %q
campaigns = [%s]
[http]
listen = ""
[[mailboxes]]
name = "corpus"
address = %q
tls = "none"
username = %q
password_file = %q
idle = false
`, filepath.Join(work, "data"), strings.Join(quoted, ", "), d.Addr(), d.Username, pw)), 0o600); err != nil {
		t.Fatal(err)
	}
	out := os.Getenv("FOIWATCH_CORPUS_OUT")
	if out == "" {
		out = filepath.Join(work, "corpus-replies.jsonl")
	}
	var so, se strings.Builder
	if code := run(context.Background(), []string{"sync", "--config", cfg}, nil, &so, &se); code != 0 {
		t.Fatalf("sync exited %d:\n%s%s", code, so.String(), se.String())
	}
	t.Logf("sync: %s", strings.TrimSpace(so.String()))
	so.Reset()
	se.Reset()
	if code := run(context.Background(), []string{"export", "--config", cfg, "--format", "jsonl", "--replies", "-o", out}, nil, &so, &se); code != 0 {
		t.Fatalf("export exited %d:\n%s%s", code, so.String(), se.String())
	}
	t.Logf("%d messages synced; their Replies are in %s", len(emls), out)
}
