package pagerduty

import (
	"errors"
	"strings"
	"testing"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/integrations/pagerduty/pagerdutytest"
)

// A collection that changes between two offset page reads shifts the
// window: a record that still exists is skipped. With total=true asked,
// the listing is then an incomplete one, never a shorter list.
func TestListingShiftedBetweenPagesIsIncomplete(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(items []map[string]any) []map[string]any
		want   string // "" the listing passes
	}{
		{name: "a user deleted", change: func(items []map[string]any) []map[string]any { return items[1:] },
			want: `kind "users": incomplete listing: /users: the collection changed while it was listed (it counted 250 items, then 249 on page 2); run again`},
		{name: "a user inserted", change: func(items []map[string]any) []map[string]any {
			return append([]map[string]any{{"id": "PNEW", "type": "user"}}, items...)
		}, want: "(it counted 250 items, then 251 on page 2)"},
		{name: "unchanged", change: func(items []map[string]any) []map[string]any { return items }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, testToken)
			e.pd.Generate("users", "PUSR", 250)
			e.pd.AfterPage(func(s *pagerdutytest.Server, coll string, offset int) {
				if coll == "users" && offset == 0 {
					s.Set("users", tc.change(s.Get("users")))
				}
			})
			items, _, err := e.resync(t, "users", nil)
			if tc.want == "" {
				if err != nil || len(items) != 250 {
					t.Fatalf("err = %v, %d items; want 250 and no error", err, len(items))
				}
				return
			}
			if !errors.Is(err, integrations.ErrIncomplete) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v (%d items), want ErrIncomplete with %q", err, len(items), tc.want)
			}
		})
	}
}
