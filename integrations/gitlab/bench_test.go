package gitlab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/integrations/gitlab/gitlabtest"
)

// generated builds one group "bench" of nProjects projects with nMRs open
// merge requests each, in GitLab's shape; merge requests are listed per
// project too, so the fake serves the group listing from one key.
func generated(nProjects, nMRs int) gitlabtest.Fixtures {
	f := gitlabtest.Fixtures{}
	put := func(k string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		f[k] = b
	}
	put("/groups", []any{map[string]any{"id": 1, "full_path": "bench", "name": "bench", "parent_id": nil}})
	projects := make([]any, nProjects)
	var mrs []any
	for i := range projects {
		path := fmt.Sprintf("bench/p-%04d", i)
		projects[i] = map[string]any{"id": 1000 + i, "path": fmt.Sprintf("p-%04d", i), "path_with_namespace": path, "default_branch": "main", "archived": false}
		for j := range nMRs {
			mrs = append(mrs, map[string]any{"id": i*1000 + j, "iid": j + 1, "project_id": 1000 + i, "state": "opened", "title": "MR",
				"references": map[string]any{"full": fmt.Sprintf("%s!%d", path, j+1)}, "created_at": "2025-06-01T10:00:00Z"})
		}
	}
	put("/projects", projects)
	put("/groups/1/merge_requests?state=opened", mrs)
	return f
}

// BenchmarkMergeRequests lists 2,000 projects and 40,000 open merge
// requests (20 a project) from a fake GitLab answering each request after
// 20 ms, with the default concurrency (10 requests in flight). Group
// listings carry every project's merge requests, so the request count is
// the pages: 20 of projects (keyset, one after another), 400 of merge
// requests (past 10,000 items GitLab sends no x-total-pages, so windows of
// 20 pages are fetched until the last: at most 19 asked past it), 1 of
// groups. floor-ms is requests × 20 ms ÷ 10. Run with:
//
//	go test ./integrations/gitlab -run '^$' -bench MergeRequests -benchtime 1x
func BenchmarkMergeRequests(b *testing.B) {
	const projects, mrs = 2000, 20
	fake := gitlabtest.New(generated(projects, mrs), gitlabtest.Options{Token: testToken, Latency: 20 * time.Millisecond})
	srv := httptest.NewServer(fake)
	b.Cleanup(srv.Close)
	for b.Loop() {
		src, err := NewSource(Config{Host: srv.URL, Token: testToken})
		if err != nil {
			b.Fatal(err)
		}
		count := func(kind string) int64 {
			var n atomic.Int64
			err := src.Resync(context.Background(), integrations.Request{Kind: kind}, func(page []integrations.Item) error {
				n.Add(int64(len(page)))
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			return n.Load()
		}
		if n := count("project"); n != projects {
			b.Fatalf("%d projects, want %d", n, projects)
		}
		if n := count("merge-request"); n != projects*mrs {
			b.Fatalf("%d merge requests, want %d", n, projects*mrs)
		}
		b.ReportMetric(float64(src.Requests()), "gitlab-requests/op")
		b.ReportMetric(float64(src.MaxInFlight()), "max-in-flight")
		b.ReportMetric(float64(src.Requests()*20/defaultConcurrency), "floor-ms")
	}
}

// BenchmarkProjectsPerProjectKind fans a per-project kind (pipelines) out
// over 2,000 projects: one listing page per project, 10 in flight.
func BenchmarkProjectsPerProjectKind(b *testing.B) {
	const projects = 2000
	f := generated(projects, 0)
	for i := range projects {
		f[fmt.Sprintf("/projects/%d/pipelines", 1000+i)] = json.RawMessage(fmt.Sprintf(`[{"id":%d,"status":"success","ref":"main"}]`, i))
	}
	fake := gitlabtest.New(f, gitlabtest.Options{Token: testToken, Latency: 20 * time.Millisecond})
	srv := httptest.NewServer(fake)
	b.Cleanup(srv.Close)
	for b.Loop() {
		src, err := NewSource(Config{Host: srv.URL, Token: testToken})
		if err != nil {
			b.Fatal(err)
		}
		var n atomic.Int64
		err = src.Resync(context.Background(), integrations.Request{Kind: "pipeline"}, func(page []integrations.Item) error {
			n.Add(int64(len(page)))
			return nil
		})
		if err != nil || n.Load() != projects {
			b.Fatalf("%d pipelines, err %v", n.Load(), err)
		}
		b.ReportMetric(float64(src.Requests()), "gitlab-requests/op")
		b.ReportMetric(float64(src.MaxInFlight()), "max-in-flight")
	}
}
