package sync

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A malformed answer to the snapshot's reads (the owned-entity search or
// the datasource listing) fails the run's snapshot, and nothing is deleted:
// a page read as empty would make every owned entity look stale.
func TestSnapshotMalformedAnswerDeletesNothing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, route, body, want string
	}{
		{"search not an object", "/v1/blueprints/team/entities/search", `[]`, "want a JSON object"},
		{"search entities not an array", "/v1/blueprints/team/entities/search", `{"ok":true,"entities":{"identifier":"t001"}}`, "entities is not an array"},
		{"search entities missing", "/v1/blueprints/team/entities/search", `{"ok":true}`, "no entities"},
		{"search entity without identifier", "/v1/blueprints/team/entities/search", `{"ok":true,"entities":[{"identifier":"t001"},{"blueprint":"team","title":"T"}]}`, "entities[1] has no identifier"},
		{"search entity not an object", "/v1/blueprints/team/entities/search", `{"ok":true,"entities":["t001"]}`, "entities[0] is a string"},
		{"search bad JSON", "/v1/blueprints/team/entities/search", `{"ok":true,"entities":[{"identifier":"t001",`, "unexpected end of JSON input"},
		{"search number out of range", "/v1/blueprints/team/entities/search", `{"ok":true,"entities":[{"identifier":"t001","x":1e999}]}`, "out of range"},
		{"listing not an object", "/v1/blueprints/entities/datasource-entities", `"x"`, "want a JSON object"},
		{"listing entities not an array", "/v1/blueprints/entities/datasource-entities", `{"ok":true,"entities":7}`, "entities is not an array"},
		{"listing entity without identifier", "/v1/blueprints/entities/datasource-entities", `{"ok":true,"entities":[{"blueprint":"team"}]}`, "entities[0] has no identifier"},
		{"listing entity without blueprint", "/v1/blueprints/entities/datasource-entities", `{"ok":true,"entities":[{"identifier":"t001"}]}`, "entities[0] has no blueprint"},
		{"listing bad JSON", "/v1/blueprints/entities/datasource-entities", `{"ok":true,"entities":[}`, "invalid character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			m := fmt.Sprintf(teamMapping, 1.0)
			w.src.items["team"] = teams(seq("t", 4)...)
			w.run(m, nil)
			w.wrap = func(r *http.Request, next http.RoundTripper) (*http.Response, error) {
				resp, err := next.RoundTrip(r)
				if err == nil && r.URL.Path == tc.route {
					resp.Body.Close()
					resp.Body = io.NopCloser(strings.NewReader(tc.body))
					resp.ContentLength = int64(len(tc.body))
					resp.Header.Set("Content-Length", fmt.Sprint(len(tc.body)))
				}
				return resp, err
			}
			w.src.items["team"] = teams("t001")
			res := w.run(m, nil)
			if diff := cmp.Diff(seq("t", 4), w.ids("team")); diff != "" {
				t.Fatalf("teams (-want +got):\n%s", diff)
			}
			if res.Status == StatusCompleted || res.Deletion.Deleted != 0 {
				t.Fatalf("status %s deletion %+v", res.Status, res.Deletion)
			}
			if got := strings.Join(res.Errors, "\n"); !strings.Contains(got, "decoding the answer") || !strings.Contains(got, tc.want) {
				t.Errorf("errors %q do not say %q", got, tc.want)
			}
		})
	}
}
