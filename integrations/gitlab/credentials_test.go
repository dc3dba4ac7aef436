package gitlab

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/integrations/gitlab/gitlabtest"
	"github.com/tide-sync/tide/internal/httpx/httpxtest"
	"github.com/tide-sync/tide/internal/vendortest"
)

// CheckCredentials sends one GET /user: a 401, or a 403 there, is a
// credentials error naming the flag; anything else is left for the blocks.
func TestCheckCredentials(t *testing.T) {
	t.Parallel()
	const wrong = "glpat-WRONGcheckTOKEN0123"
	tests := []struct {
		name     string
		token    string
		fault    *gitlabtest.Fault
		want     []string // in the error; none: no error
		requests int
	}{
		{name: "accepted", token: testToken, requests: 1},
		{name: "401", token: wrong, requests: 1,
			want: []string{"401", "--gitlab-token (TIDE_GITLAB_TOKEN or GITLAB_TOKEN)"}},
		{name: "expired", token: testToken, requests: 1,
			fault: &gitlabtest.Fault{Path: "/user", Status: 401, Body: `{"error":"invalid_token","error_description":"Token is expired. You can either do re-authorization or token refresh."}`},
			want:  []string{"401", "Token is expired", "--gitlab-token"}},
		{name: "403 without read_api", token: testToken, requests: 1,
			fault: &gitlabtest.Fault{Path: "/user", Status: 403, Body: `{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the access token.","scope":"api read_api read_user"}`},
			want:  []string{"403", "first request of the run", "--gitlab-token"}},
		{name: "a server error", token: testToken, requests: 2,
			fault: &gitlabtest.Fault{Path: "/user", Status: 500, Body: `{"message":"500 Internal Server Error"}`, Times: 1}},
		{name: "no such route", token: testToken, requests: 1,
			fault: &gitlabtest.Fault{Path: "/user", Status: 404, Body: `{"message":"404 Not Found"}`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fix, err := gitlabtest.LoadFixtures("testdata/api.json")
			if err != nil {
				t.Fatal(err)
			}
			fake := gitlabtest.New(fix, gitlabtest.Options{Token: testToken})
			if tc.fault != nil {
				fake.Fail(*tc.fault)
			}
			srv := httptest.NewServer(fake)
			t.Cleanup(srv.Close)
			src, err := NewSource(Config{Host: srv.URL, Token: tc.token, Concurrency: 2, Clock: httpxtest.NewClock(time.Now())})
			if err != nil {
				t.Fatal(err)
			}
			err = src.CheckCredentials(context.Background(), []integrations.Request{{Kind: "project"}})
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("err = %v, want none (left for the blocks)", err)
				}
			} else {
				vendortest.WantCredentialsError(t, err, tc.token, tc.want...)
			}
			got := []int{fake.Count("/user"), int(fake.Requests())}
			if diff := cmp.Diff(slices.Repeat([]int{tc.requests}, 2), got); diff != "" {
				t.Errorf("GET /user and all requests (-want +got):\n%s", diff)
			}
		})
	}
}
