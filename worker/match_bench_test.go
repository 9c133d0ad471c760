package worker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/foiwatch/foiwatch/parser"
)

// BenchmarkMatch is Matcher.Find for a reply from an authority asked by
// two campaigns, at 400 and 2,000 requests: the cost per reply must not
// grow with the number of requests (issue 19).
//
//	go test ./worker -run '^$' -bench BenchmarkMatch
func BenchmarkMatch(b *testing.B) {
	for _, n := range []int{400, 2000} {
		b.Run(fmt.Sprintf("requests=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			var globs []string
			for ci, id := range []string{"alpha", "beta"} {
				var s strings.Builder
				fmt.Fprintf(&s, "id = %q\ntitle = \"Bench\"\n[[questions]]\nkey = \"budget\"\nnumber = 1\ntype = \"money\"\ntext = \"Budget inclusive of running costs\"\n", id)
				for k := ci; k < n; k += 2 {
					fmt.Fprintf(&s, "[[requests]]\nid = \"r%04d\"\nauthority = \"Authority %04d\"\nemail = \"foi@authority%04d.example.gov.uk\"\nsent_at = 2024-01-02T10:00:00Z\nmessage_id = \"<req-%s-%04d@requests.example.org>\"\n",
						k/2, k/2, k/2, id, k/2)
				}
				p := filepath.Join(dir, id+".toml")
				if err := os.WriteFile(p, []byte(s.String()), 0o600); err != nil {
					b.Fatal(err)
				}
				globs = append(globs, p)
			}
			cs, err := LoadCampaigns(globs)
			if err != nil {
				b.Fatal(err)
			}
			// Not threaded, from an authority both campaigns asked: every
			// rule down to the domain's is tried.
			raw := fmt.Sprintf("From: FOI Team <foi@authority%04d.example.gov.uk>\r\nTo: researcher@requests.example.org\r\n"+
				"Date: Wed, 3 Jan 2024 09:00:00 +0000\r\nMessage-ID: <gen-1@authority.example.gov.uk>\r\nSubject: Your FOI request\r\n"+
				"Content-Type: text/plain; charset=utf-8\r\n\r\nI can advise the following: 1. 12.\r\n", n/4)
			msg, err := parser.Read(context.Background(), []byte(raw), nil)
			if err != nil {
				b.Fatal(err)
			}
			m := &Matcher{Campaigns: cs}
			b.ResetTimer()
			for range b.N {
				if res := m.Find(msg, ""); res.Target != nil || len(res.Candidates) != 2 {
					b.Fatalf("Find = %+v, want two candidates", res)
				}
			}
		})
	}
}
