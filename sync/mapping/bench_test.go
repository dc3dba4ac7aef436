package mapping

import (
	"context"
	"encoding/json"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// benchConfig is a realistic 10-field mapping: identifier, title, a constant
// blueprint, six properties (one nested path, one `| tostring`) and one
// relation.
const benchConfig = `
resources:
  - kind: repository
    selector:
      query: 'true'
    port:
      entity:
        mappings:
          identifier: .name
          title: .full_name
          blueprint: '"service"'
          properties:
            url: .html_url
            description: .description
            language: .language
            defaultBranch: .default_branch
            owner: .owner.login
            stars: .stargazers_count | tostring
          relations:
            team: .owner.login + "-team"
`

// benchItemJSON is a ~1 KB GitHub-repository-like item.
const benchItemJSON = `{
  "id": 123456789, "node_id": "R_kgDOExample", "name": "payments-api", "full_name": "acme/payments-api",
  "private": true, "description": "Handles card payments, refunds and payouts for the storefront.",
  "html_url": "https://github.com/acme/payments-api", "fork": false, "language": "Go",
  "default_branch": "main", "stargazers_count": 42, "watchers_count": 42, "forks_count": 3,
  "open_issues_count": 7, "archived": false, "disabled": false, "visibility": "private",
  "topics": ["payments", "api", "go"], "size": 20480,
  "created_at": "2021-03-04T10:11:12Z", "updated_at": "2024-05-06T07:08:09Z", "pushed_at": "2024-05-06T07:08:09Z",
  "owner": {"login": "acme", "id": 987654, "type": "Organization", "site_admin": false,
    "html_url": "https://github.com/acme", "avatar_url": "https://avatars.githubusercontent.com/u/987654?v=4"},
  "license": {"key": "mit", "name": "MIT License", "spdx_id": "MIT"},
  "permissions": {"admin": true, "maintain": true, "push": true, "triage": true, "pull": true},
  "__languages": {"Go": 81234, "Makefile": 1200, "Dockerfile": 600},
  "homepage": "https://payments.acme.example", "has_issues": true, "has_wiki": false, "has_pages": false
}`

func benchBlock(t testing.TB) *Block {
	t.Helper()
	return compileYAML(t, benchConfig, Options{}).Blocks[0]
}

func benchItem(t testing.TB) map[string]any { t.Helper(); return item(t, benchItemJSON) }

func TestBenchMapping(t *testing.T) {
	t.Parallel()
	outs, err := process(t, benchBlock(t), benchItem(t))
	if err != nil {
		t.Fatal(err)
	}
	want := &Entity{
		Identifier: "payments-api", Blueprint: "service", Title: "acme/payments-api",
		Has: HasTitle | HasProperties | HasRelations,
		Properties: map[string]any{
			"url": "https://github.com/acme/payments-api", "description": "Handles card payments, refunds and payouts for the storefront.",
			"language": "Go", "defaultBranch": "main", "owner": "acme", "stars": "42",
		},
		Relations: map[string]any{"team": "acme-team"},
	}
	if diff := cmp.Diff([]Outcome{{Entity: want}}, outs); diff != "" {
		t.Errorf("outcome (-want +got):\n%s", diff)
	}
}

// TestProcessConcurrent runs one block from several goroutines; run with
// -race.
func TestProcessConcurrent(t *testing.T) {
	t.Parallel()
	m := compileYAML(t, `
resources:
  - kind: k
    selector: {query: .n % 3 != 0}
    port:
      itemsToParse: .children
      entity:
        mappings:
          identifier: .item.id
          blueprint: '"b"'
          title: .name + "/" + .item.id
          properties:
            n: .n
            computed: .n * 2
            missing: .nope
`, Options{})
	b := m.Blocks[0]
	const workers, perWorker = 8, 200
	var wg sync.WaitGroup
	results := make([][2]int, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				it := map[string]any{"name": "p", "n": float64(i), "children": []any{
					map[string]any{"id": "a"}, map[string]any{"id": "b"},
				}}
				err := b.Process(context.Background(), it, func(o Outcome) {
					switch {
					case o.Filtered:
						results[w][0]++
					case o.Entity != nil:
						if o.Entity.Properties["computed"] != float64(i)*2 || len(o.Misconfigured) != 1 {
							t.Errorf("bad outcome %+v", o)
						}
						results[w][1]++
					}
				})
				if err != nil {
					t.Error(err)
				}
				if _, ok := it["children"]; !ok {
					t.Error("item modified")
				}
			}
		}()
	}
	wg.Wait()
	// Per worker: 200 parents, 67 of them (n%3==0) filtered, 2 children each.
	for w, r := range results {
		if r != [2]int{134, 266} {
			t.Errorf("worker %d: filtered, mapped = %v, want [134 266]", w, r)
		}
	}
}

func BenchmarkProcess(b *testing.B) {
	blk := benchBlock(b)
	it := benchItem(b)
	mapped := 0
	emit := func(o Outcome) {
		if o.Entity != nil {
			mapped++
		}
	}
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		if err := blk.Process(context.Background(), it, emit); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(mapped)/time.Since(start).Seconds(), "items/s")
}

// BenchmarkProcessParallel measures throughput with every core mapping.
func BenchmarkProcessParallel(b *testing.B) {
	blk := benchBlock(b)
	data := []byte(benchItemJSON)
	b.ReportAllocs()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var it map[string]any
		if err := json.Unmarshal(data, &it); err != nil {
			b.Error(err)
			return
		}
		for pb.Next() {
			if err := blk.Process(context.Background(), it, func(Outcome) {}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "items/s")
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
}
