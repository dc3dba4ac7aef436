package jira

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/integrations/jira/jiratest"
)

// A collection that changes between two page reads shifts the startAt
// window: a record that still exists is skipped. The listing is then an
// incomplete one (nothing is deleted on its account), never a shorter list.
func TestListingShiftedBetweenPagesIsIncomplete(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		kind   string
		path   string                       // the listing changed after its first page
		change func(fix *jiratest.Fixtures) // applied after that page
		fault  *jiratest.Fault
		want   string
	}{
		{name: "a project deleted (isLast and total)", kind: "project", path: "/rest/api/3/project/search",
			change: func(fix *jiratest.Fixtures) { fix.Projects = fix.Projects[1:] },
			want:   `kind "project": incomplete listing: /rest/api/3/project/search: the collection changed while it was listed (it counted 3 items, then 2 on page 2); run again`},
		{name: "a worklog deleted (total only)", kind: "worklog", path: "/rest/api/3/issue/PAY-812/worklog",
			change: func(fix *jiratest.Fixtures) { fix.Worklogs["PAY-812"] = fix.Worklogs["PAY-812"][1:] },
			want:   "the collection changed while it was listed (it counted 3 items, then 2 on page 2)"},
		{name: "a board inserted", kind: "board", path: "/rest/agile/1.0/board",
			change: func(fix *jiratest.Fixtures) {
				fix.Boards = append([]map[string]any{{"id": 99.0, "name": "New", "type": "scrum", "location": map[string]any{"projectKey": "PAY"}}}, fix.Boards...)
			},
			want: "the collection changed while it was listed (it counted 3 items, then 4 on page 2)"},
		{name: "a page repeating an item, total unchanged", kind: "project",
			fault: &jiratest.Fault{Path: "/rest/api/3/project/search", Skip: 1, Status: 200, Body: `{"startAt":2,"maxResults":2,"total":3,"isLast":true,"values":[{"id":"10002","key":"OPS","name":"Operations"}]}`},
			want:  "the collection changed while it was listed (it counted 3 items and 2 distinct ones were listed)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, jiratest.Options{}, Config{})
			if tc.fault != nil {
				e.fake.Fail(*tc.fault)
			}
			if tc.change != nil {
				n := 0
				e.fake.AfterAnswer(func(fix *jiratest.Fixtures, r jiratest.Request) {
					if r.Path == tc.path {
						if n++; n == 1 {
							tc.change(fix)
						}
					}
				})
			}
			items, err := e.resync(tc.kind, nil)
			if !errors.Is(err, integrations.ErrIncomplete) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v (%d items), want ErrIncomplete with %q", err, len(items), tc.want)
			}
		})
	}
}

// The guard does not fire on a collection that holds still.
func TestListingUnchangedPasses(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jiratest.Options{}, Config{})
	e.fake.AfterAnswer(func(*jiratest.Fixtures, jiratest.Request) {})
	items, err := e.resync("project", nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"OPS", "PAY", "WEB"}, ids(items, "key")); diff != "" {
		t.Errorf("projects (-want +got):\n%s", diff)
	}
}
