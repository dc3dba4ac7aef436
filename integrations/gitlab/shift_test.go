package gitlab

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/integrations/gitlab/gitlabtest"
)

// mrKey is the fixture generated(3, 3) serves the open merge requests of
// group 1 from.
const mrKey = mrPath + "?state=opened"

// A merge request deleted or inserted at GitLab between page 1 and page 2
// shifts every later one by a position: one that still exists is skipped
// (or one is read twice). With x-total on the pages (up to 10,000 items)
// the listing is then an incomplete one naming the kind, never a shorter
// list; without it there is nothing to compare and the listing is read as
// served.
func TestListingShiftedBetweenPagesIsIncomplete(t *testing.T) {
	t.Parallel()
	deleteFirst := func(items []map[string]any) []map[string]any { return items[1:] }
	insertFirst := func(items []map[string]any) []map[string]any {
		return append([]map[string]any{{"id": 4242, "iid": 99, "project_id": 1000, "state": "opened", "title": "new"}}, items...)
	}
	unchanged := func(items []map[string]any) []map[string]any { return items }
	tests := []struct {
		name        string
		totalsLimit int // 1: GitLab sends no x-total (a listing past 10,000)
		change      func([]map[string]any) []map[string]any
		want        []string // the ids delivered when the listing passes
		wantErr     string
	}{
		{name: "deleted", change: deleteFirst,
			wantErr: `kind "merge-request": incomplete listing: /groups/1/merge_requests: the collection changed while it was listed (it counted 9 items, then 8 on page 2); run again`},
		{name: "inserted", change: insertFirst,
			wantErr: `kind "merge-request": incomplete listing: /groups/1/merge_requests: the collection changed while it was listed (it counted 9 items, then 10 on page 2); run again`},
		{name: "unchanged", change: unchanged, want: wantMRs},
		{name: "no x-total, unchanged", totalsLimit: 1, change: unchanged, want: wantMRs},
		// Not detectable: the record at the start of page 2 is skipped.
		{name: "no x-total, deleted", totalsLimit: 1, change: deleteFirst, want: []string{"0", "1", "1000", "1001", "1002", "2000", "2001", "2002"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake, src := pagesEnv(t, gitlabtest.Options{TotalsLimit: tc.totalsLimit}, nil)
			fake.AfterPage(func(s *gitlabtest.Server, path string, page int) {
				if path == mrPath && page == 1 {
					s.Set(mrKey, tc.change(s.Get(mrKey)))
				}
			})
			got, err := mrIDs(t, src)
			if tc.wantErr != "" {
				if !errors.Is(err, integrations.ErrIncomplete) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v (%d items), want ErrIncomplete with %q", err, len(got), tc.wantErr)
				}
				if strings.Contains(err.Error(), testToken) {
					t.Errorf("the error shows the token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("merge requests (-want +got):\n%s", diff)
			}
		})
	}
}

// Per-project listings are guarded too, by what tells their items apart:
// tags carry a name and no id; repository tree entries carry the hash of
// their content as id, which two folders of one content share, so they are
// told by path (an id count would call five folders three and fail).
func TestProjectListingShifted(t *testing.T) {
	t.Parallel()
	tagsPath := "/projects/1/repository/tags"
	fix := gitlabtest.Fixtures{}
	put := func(k string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		fix[k] = b
	}
	put("/projects", []any{map[string]any{"id": 1, "path": "api", "path_with_namespace": "acme/api", "default_branch": "main"}})
	var tags, tree []any
	for i := range 5 {
		tags = append(tags, map[string]any{"name": fmt.Sprintf("v1.%d", i), "message": "", "target": "ed899a2f", "protected": false})
		// Five folders of one content (the same .gitkeep in each)
		// share their tree hash.
		tree = append(tree, map[string]any{"id": "3c4e9cd789d88d8d89c1073707c3585e41b0e614", "name": fmt.Sprint("dir", i), "type": "tree", "path": fmt.Sprint("dir", i), "mode": "040000"})
	}
	put(tagsPath, tags)
	put("/projects/1/repository/tree", tree)

	t.Run("tag deleted", func(t *testing.T) {
		t.Parallel()
		fake, src := pagesEnvOf(t, fix, gitlabtest.Options{MaxPerPage: 2}, nil)
		fake.AfterPage(func(s *gitlabtest.Server, path string, page int) {
			if path == tagsPath && page == 1 {
				s.Set(tagsPath, s.Get(tagsPath)[1:])
			}
		})
		_, err := resyncKind(src, "tag", nil)
		want := `kind "tag": incomplete listing: /projects/1/repository/tags: the collection changed while it was listed (it counted 5 items, then 4 on page 2)`
		if !errors.Is(err, integrations.ErrIncomplete) || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want ErrIncomplete with %q", err, want)
		}
	})
	t.Run("tags unchanged", func(t *testing.T) {
		t.Parallel()
		_, src := pagesEnvOf(t, fix, gitlabtest.Options{MaxPerPage: 2}, nil)
		got, err := resyncKind(src, "tag", nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"v1.0", "v1.1", "v1.2", "v1.3", "v1.4"}, fieldStrings(got, "name")); diff != "" {
			t.Errorf("tags (-want +got):\n%s", diff)
		}
	})
	t.Run("folders sharing a hash", func(t *testing.T) {
		t.Parallel()
		_, src := pagesEnvOf(t, fix, gitlabtest.Options{MaxPerPage: 2}, nil)
		got, err := resyncKind(src, "folder", map[string]any{"folders": []any{map[string]any{"path": "/"}}})
		if err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, it := range got {
			paths = append(paths, it["folder"].(map[string]any)["path"].(string))
		}
		if diff := cmp.Diff([]string{"dir0", "dir1", "dir2", "dir3", "dir4"}, paths); diff != "" {
			t.Errorf("folders (-want +got):\n%s", diff)
		}
	})
}

func fieldStrings(items []map[string]any, key string) []string {
	var out []string
	for _, it := range items {
		s, _ := it[key].(string)
		out = append(out, s)
	}
	return out
}
