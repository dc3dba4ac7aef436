package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/integrations/github/githubtest"
)

// generated builds an organisation "bench-org" of nRepos repositories with
// nPRs open pull requests each, in GitHub's shape.
func generated(nRepos, nPRs int) githubtest.Fixtures {
	f := githubtest.Fixtures{}
	put := func(k string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		f[k] = b
	}
	put("/users/bench-org", map[string]any{"login": "bench-org", "id": 1, "type": "Organization"})
	repos := make([]any, nRepos)
	for i := range repos {
		name := fmt.Sprintf("repo-%04d", i)
		repos[i] = map[string]any{"id": 1000 + i, "name": name, "full_name": "bench-org/" + name, "private": i%2 == 0,
			"owner": map[string]any{"login": "bench-org", "type": "Organization"}, "default_branch": "main",
			"html_url": "https://github.com/bench-org/" + name}
		prs := make([]any, nPRs)
		for j := range prs {
			prs[j] = map[string]any{"id": i*1000 + j, "number": j + 1, "state": "open", "title": fmt.Sprintf("PR %d", j),
				"user": map[string]any{"login": "dev"}, "created_at": "2025-06-01T10:00:00Z", "updated_at": "2025-06-02T10:00:00Z",
				"closed_at": nil, "merged_at": nil, "assignees": []any{}, "requested_reviewers": []any{},
				"html_url": fmt.Sprintf("https://github.com/bench-org/%s/pull/%d", name, j+1),
				"head":     map[string]any{"ref": "f", "repo": map[string]any{"name": name}}, "base": map[string]any{"ref": "main"}}
		}
		put("/repos/bench-org/"+name+"/pulls", prs)
	}
	put("/orgs/bench-org/repos", repos)
	return f
}

// BenchmarkPullRequests syncs 2,000 repositories × 20 open pull requests
// from a fake GitHub answering each request after 20 ms, with the default
// concurrency (10 requests in flight). Run it with:
//
//	go test ./integrations/github -run '^$' -bench PullRequests -benchtime 1x
func BenchmarkPullRequests(b *testing.B) {
	const repos, prs = 2000, 20
	fake := githubtest.New(generated(repos, prs), githubtest.Options{Token: testToken, Latency: 20 * time.Millisecond})
	srv := httptest.NewServer(fake)
	b.Cleanup(srv.Close)
	b.ResetTimer()
	for b.Loop() {
		src, err := NewSource(Config{Host: srv.URL, Token: testToken, Organization: "bench-org"})
		if err != nil {
			b.Fatal(err)
		}
		var n atomic.Int64
		err = src.Resync(context.Background(), integrations.Request{Kind: "pull-request"}, func(page []integrations.Item) error {
			n.Add(int64(len(page)))
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if n.Load() != repos*prs {
			b.Fatalf("%d pull requests, want %d", n.Load(), repos*prs)
		}
		b.ReportMetric(float64(src.Requests()), "github-requests/op")
		b.ReportMetric(float64(src.MaxInFlight()), "max-in-flight")
	}
}
