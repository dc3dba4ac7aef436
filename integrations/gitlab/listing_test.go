package gitlab

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
)

// answer is one canned GitLab answer: status (0: 200), a JSON body and the
// x-next-page header (empty: the last page).
type answer struct {
	status int
	body   string
	next   string
}

const notFoundBody = `{"message":"404 Not found"}`

// deploymentsPage is a full page (100) of deployments numbered from
// page*1000.
func deploymentsPage(page int) string {
	items := make([]string, perPage)
	for i := range items {
		items[i] = fmt.Sprintf(`{"id":%d,"iid":%d,"ref":"main","status":"success"}`, page*1000+i, i+1)
	}
	return "[" + strings.Join(items, ",") + "]"
}

// A listing is complete or the block fails: a 404 is "nothing there" only
// on the first request of a project's (or group's) task, before anything
// of it was emitted; a 404 on an enrichment, on the sub-listing of an item
// just listed, or after items were emitted, and a 400 on deployments past
// the first page, fail the block (the engine then deletes nothing).
func TestListingNeverShort(t *testing.T) {
	t.Parallel()
	const (
		twoProjects = `[{"id":7,"path_with_namespace":"g/p","default_branch":"main"},{"id":8,"path_with_namespace":"g/q","default_branch":"main"}]`
		oneProject  = `[{"id":7,"path_with_namespace":"g/p","default_branch":"main"}]`
		groups      = `[{"id":3,"full_path":"g","parent_id":null},{"id":4,"full_path":"h","parent_id":null}]`
		member      = `[{"id":50,"username":"ann","name":"Ann","access_level":30,"state":"active"}]`
		file        = `{"file_name":"a.yml","file_path":"a.yml","ref":"main","content":"YTogMQo="}`
	)
	tests := []struct {
		name     string
		kind     string
		selector map[string]any
		routes   map[string]answer // path, or path?page=N
		want     []string          // ids delivered
		wantErr  string            // "" : no error
	}{{
		name: "jobs: 404 on a listed pipeline's jobs after jobs were emitted",
		kind: "job",
		routes: map[string]answer{
			"/projects":                    {body: oneProject},
			"/projects/7/pipelines":        {body: `[{"id":1,"status":"success"},{"id":2,"status":"success"},{"id":3,"status":"success"}]`},
			"/projects/7/pipelines/1/jobs": {body: `[{"id":101,"name":"build"}]`},
			"/projects/7/pipelines/2/jobs": {status: 404, body: notFoundBody},
			"/projects/7/pipelines/3/jobs": {body: `[{"id":301,"name":"build"}]`},
		},
		want:    []string{"101"},
		wantErr: "pipeline 2",
	}, {
		name: "jobs: 404 on the first listed pipeline's jobs, nothing emitted yet",
		kind: "job",
		routes: map[string]answer{
			"/projects":                    {body: oneProject},
			"/projects/7/pipelines":        {body: `[{"id":1,"status":"success"},{"id":3,"status":"success"}]`},
			"/projects/7/pipelines/1/jobs": {status: 404, body: notFoundBody},
			"/projects/7/pipelines/3/jobs": {body: `[{"id":301,"name":"build"}]`},
		},
		wantErr: "pipeline 1",
	}, {
		name: "jobs: pipelines listing 404 (CI off): nothing there",
		kind: "job",
		routes: map[string]answer{
			"/projects":             {body: oneProject},
			"/projects/7/pipelines": {status: 404, body: notFoundBody},
		},
	}, {
		name:     "project: languages 404 fails the block, never drops the project",
		kind:     "project",
		selector: map[string]any{"includeLanguages": true},
		routes: map[string]answer{
			"/projects":             {body: twoProjects},
			"/projects/7/languages": {body: `{"Go":100}`},
			"/projects/8/languages": {status: 404, body: notFoundBody},
		},
		want:    []string{"7"},
		wantErr: "languages",
	}, {
		name: "group-with-members: members 404 fails the block",
		kind: "group-with-members",
		routes: map[string]answer{
			"/groups":           {body: groups},
			"/groups/3/members": {body: member},
			"/groups/4/members": {status: 404, body: notFoundBody},
		},
		want:    []string{"3"},
		wantErr: "members",
	}, {
		name: "member: 404 on a listed group's members fails the block",
		kind: "member",
		routes: map[string]answer{
			"/groups":           {body: groups},
			"/groups/3/members": {body: member},
			"/groups/4/members": {status: 404, body: notFoundBody},
		},
		want:    []string{"50"},
		wantErr: "members",
	}, {
		name: "project-with-members: members 404 fails the block",
		kind: "project-with-members",
		routes: map[string]answer{
			"/projects":           {body: twoProjects},
			"/projects/7/members": {status: 404, body: notFoundBody},
			"/projects/8/members": {body: member},
		},
		want:    []string{"8"},
		wantErr: "members",
	}, {
		name: "deployment: 400 on page 3 after two pages fails the block",
		kind: "deployment",
		routes: map[string]answer{
			"/projects":                      {body: oneProject},
			"/projects/7/deployments?page=1": {body: deploymentsPage(1), next: "2"},
			"/projects/7/deployments?page=2": {body: deploymentsPage(2), next: "3"},
			"/projects/7/deployments?page=3": {status: 400, body: `{"message":"400 Bad request"}`},
		},
		wantErr: "page 3",
	}, {
		name: "deployment: 400 on the first request (filter refused): project skipped",
		kind: "deployment",
		routes: map[string]answer{
			"/projects":                      {body: twoProjects},
			"/projects/7/deployments?page=1": {status: 400, body: `{"message":"400 Bad request"}`},
			"/projects/8/deployments?page=1": {body: `[{"id":9,"iid":1,"ref":"main","status":"success"}]`},
		},
		want: []string{"9"},
	}, {
		name:     "file: tree 404 for the second spec after the first spec's file was emitted",
		kind:     "file",
		selector: map[string]any{"files": []any{map[string]any{"path": "a.yml"}, map[string]any{"path": "**/*.json"}}},
		routes: map[string]answer{
			"/projects":                          {body: oneProject},
			"/projects/7/repository/files/a.yml": {body: file},
			"/projects/7/repository/tree":        {status: 404, body: notFoundBody},
		},
		want:    []string{"a.yml"},
		wantErr: "repository tree",
	}, {
		name:     "file: tree 404 on the first request (no repository): nothing there",
		kind:     "file",
		selector: map[string]any{"files": []any{map[string]any{"path": "**/*.json"}}},
		routes: map[string]answer{
			"/projects":                   {body: oneProject},
			"/projects/7/repository/tree": {status: 404, body: notFoundBody},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p := strings.TrimPrefix(r.URL.Path, "/api/v4")
				a, ok := tt.routes[p+"?page="+r.URL.Query().Get("page")]
				if !ok {
					a, ok = tt.routes[p]
				}
				if !ok {
					a = answer{status: 404, body: notFoundBody}
				}
				w.Header().Set("Content-Type", "application/json")
				if a.status == 0 || a.status == 200 {
					w.Header().Set("X-Next-Page", a.next)
					fmt.Fprint(w, a.body)
					return
				}
				w.WriteHeader(a.status)
				fmt.Fprint(w, a.body)
			}))
			t.Cleanup(srv.Close)
			src, err := NewSource(Config{Host: srv.URL, Token: testToken, Concurrency: 1})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			err = src.Resync(context.Background(), integrations.Request{Kind: tt.kind, Selector: tt.selector}, func(page []integrations.Item) error {
				for _, it := range page {
					id := it["id"]
					if f, ok := it["file"].(map[string]any); ok {
						id = f["file_path"]
					}
					got = append(got, fmt.Sprint(jsonNum(id)))
				}
				return nil
			})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Resync: %v, want no error", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("Resync: no error (delivered %v), want one naming %q: the listing is short", got, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("Resync: %v, want it to name %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), testToken) {
				t.Fatalf("error holds the token: %v", err)
			}
			if tt.wantErr != "" && tt.kind == "deployment" {
				return // the pages before the failing one are delivered; the error is what counts
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("delivered ids (-want +got):\n%s", diff)
			}
		})
	}
}
