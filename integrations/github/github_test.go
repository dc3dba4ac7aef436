package github

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/integrations/github/githubtest"
	"github.com/tide-sync/tide/internal/httpx"
)

const testToken = "ghp_TESTtoken0123456789SECRET"

func fixtures(t testing.TB) githubtest.Fixtures {
	t.Helper()
	f, err := githubtest.LoadFixtures("testdata/api.json")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// fakeClock is the shared client's clock in tests: it records the waits
// the client asked for and moves its time by them, never sleeping.
type fakeClock struct {
	mu  gosync.Mutex
	now time.Time
	d   []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.d = append(c.d, d)
	if d > 0 {
		c.now = c.now.Add(d)
	}
	c.mu.Unlock()
	return ctx.Err()
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) all() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.d...)
}

type env struct {
	fake  *githubtest.Server
	src   *Source
	waits *fakeClock
	logs  *bytes.Buffer
}

// newEnv serves the fixtures with pages of maxPerPage and builds a Source
// on them; cfg's Host and Logger are filled in.
func newEnv(t *testing.T, maxPerPage int, opts githubtest.Options, cfg Config) *env {
	t.Helper()
	opts.MaxPerPage = maxPerPage
	// The fake clock starts at the wall clock's time (the fixtures' dates
	// are relative to it) and then moves only by the waits asked for.
	w := &fakeClock{now: time.Now()}
	opts.Now = w.Now
	fake := githubtest.New(fixtures(t), opts)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	logs := &bytes.Buffer{}
	cfg.Host = srv.URL
	cfg.Logger = slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	src, err := NewSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	o := src.c.hxOpts
	o.Clock, o.BaseDelay = w, time.Millisecond
	src.c.setOptions(o)
	return &env{fake: fake, src: src, waits: w, logs: logs}
}

type lockedWriter struct {
	mu gosync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func patEnv(t *testing.T, maxPerPage int) *env {
	return newEnv(t, maxPerPage, githubtest.Options{Token: testToken}, Config{Token: testToken, Organization: "acme-corp"})
}

func resync(t *testing.T, src *Source, kind string, sel, cfg map[string]any) ([]map[string]any, error) {
	t.Helper()
	var mu gosync.Mutex
	var out []map[string]any
	err := src.Resync(context.Background(), integrations.Request{Kind: kind, Selector: sel, Config: cfg}, func(page []integrations.Item) error {
		mu.Lock()
		defer mu.Unlock()
		for _, it := range page {
			if err := jsonTyped(it); err != nil {
				t.Errorf("kind %s: an item holds %v; the mapping's JQ takes JSON's types only", kind, err)
			}
		}
		out = append(out, page...)
		return nil
	})
	return out, err
}

// jsonTyped reports a value encoding/json would not decode into any.
func jsonTyped(v any) error {
	switch t := v.(type) {
	case nil, bool, float64, string:
		return nil
	case map[string]any:
		for _, x := range t {
			if err := jsonTyped(x); err != nil {
				return err
			}
		}
		return nil
	case []any:
		for _, x := range t {
			if err := jsonTyped(x); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("a %T", v)
}

// keys renders each item as "repo/field" (or just field), sorted.
func keys(items []map[string]any, field string) []string {
	out := []string{}
	for _, it := range items {
		k := fmt.Sprint(it[field])
		if v, ok := it[field].(float64); ok {
			k = strconv.FormatInt(int64(v), 10)
		}
		if r, ok := it["__repository"].(string); ok {
			k = r + "/" + k
		}
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Every kind against fixture pages of two items, so each listing spans
// several pages.
func TestKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind  string
		sel   map[string]any
		cfg   map[string]any
		field string
		want  []string
	}{
		{kind: "organization", field: "login", want: []string{"acme-corp"}},
		{kind: "repository", field: "name", want: []string{"docs", "ledger", "payments-api", "web-app"}},
		{kind: "repository", cfg: map[string]any{"repositoryType": "private"}, field: "name", want: []string{"ledger", "payments-api"}},
		{kind: "pull-request", field: "number", want: []string{"payments-api/126", "payments-api/127", "payments-api/128", "web-app/12"}},
		{kind: "pull-request", sel: map[string]any{"states": []any{"closed"}}, field: "number", want: []string{"payments-api/125"}},
		{kind: "pull-request", sel: map[string]any{"states": []any{"closed"}, "closedSinceDate": "2019-01-01"}, field: "number", want: []string{"payments-api/125", "payments-api/90"}},
		{kind: "pull-request", sel: map[string]any{"states": []any{"open", "closed"}, "maxResults": 0.0, "since": 100000.0}, field: "number", want: []string{"payments-api/125", "payments-api/126", "payments-api/127", "payments-api/128", "payments-api/90", "web-app/12"}},
		{kind: "issue", field: "number", want: []string{"payments-api/57", "payments-api/58"}},
		{kind: "issue", sel: map[string]any{"labels": []any{"bug"}, "state": "all"}, field: "number", want: []string{"payments-api/40", "payments-api/57"}},
		{kind: "issue", sel: map[string]any{"includePullRequests": true}, field: "number", want: []string{"payments-api/128", "payments-api/57", "payments-api/58"}},
		{kind: "team", field: "slug", want: []string{"empty", "payments", "platform"}},
		{kind: "user", field: "login", want: []string{"user0", "user1", "user2", "user3", "user4", "user5", "user6"}},
		{kind: "workflow", field: "name", want: []string{"payments-api/CI", "payments-api/Release"}},
		{kind: "workflow-run", field: "run_number", want: []string{"payments-api/309", "payments-api/310", "payments-api/311"}},
		{kind: "workflow-run", sel: map[string]any{"statuses": []any{"success"}}, field: "run_number", want: []string{"payments-api/311"}},
		{kind: "workflow-run", sel: map[string]any{"maxResults": 2.0}, field: "run_number", want: []string{"payments-api/310", "payments-api/311"}},
		{kind: "release", field: "tag_name", want: []string{"payments-api/v1.2.0"}},
		{kind: "tag", field: "name", want: []string{"payments-api/v1.1.0", "payments-api/v1.2.0"}},
		{kind: "branch", field: "name", want: []string{"payments-api/feat/128", "payments-api/main", "payments-api/release"}},
		{kind: "branch", sel: map[string]any{"defaultBranchOnly": true}, field: "name", want: []string{"payments-api/main"}},
		{kind: "environment", field: "name", want: []string{"payments-api/production", "payments-api/staging"}},
		{kind: "deployment", field: "environment", want: []string{"payments-api/production", "payments-api/production"}},
		{kind: "deployment-status", field: "state", want: []string{"payments-api/in_progress", "payments-api/success", "payments-api/success"}},
		{kind: "collaborator", field: "login", want: []string{"payments-api/jdoe"}},
		{kind: "dependabot-alert", field: "number", want: []string{"payments-api/1", "payments-api/3", "web-app/4"}},
		{kind: "dependabot-alert", sel: map[string]any{"states": []any{"open", "fixed"}}, field: "number", want: []string{"payments-api/1", "payments-api/2", "payments-api/3", "web-app/4"}},
		{kind: "code-scanning-alerts", field: "number", want: []string{"payments-api/4"}},
		{kind: "secret-scanning-alerts", field: "number", want: []string{"payments-api/2"}},
		{kind: "file", sel: map[string]any{"files": []any{map[string]any{"path": "**/port.yml"}}}, field: "__path", want: []string{"payments-api/port.yml", "payments-api/services/worker/port.yml", "web-app/port.yml"}},
		{kind: "file", sel: map[string]any{"files": []any{map[string]any{"path": "port.yml", "repos": []any{"web-app"}}}}, field: "__path", want: []string{"web-app/port.yml"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %v %v", tt.kind, tt.sel, tt.cfg), func(t *testing.T) {
			t.Parallel()
			e := patEnv(t, 2)
			items, err := resync(t, e.src, tt.kind, tt.sel, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, keys(items, tt.field)); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			for _, it := range items {
				if _, ok := it["__repository"]; ok && it["__organization"] != "acme-corp" {
					t.Errorf("item %v lacks __organization", it["__repository"])
				}
			}
		})
	}
}

func TestEnrichment(t *testing.T) {
	t.Parallel()
	e := patEnv(t, 2)
	repos, err := resync(t, e.src, "repository", map[string]any{
		"includedFiles":     []any{"README.md", "CODEOWNERS"},
		"includedRelations": map[string]any{"teams": true, "collaborators": map[string]any{"affiliation": "direct"}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]map[string]any{}
	for _, r := range repos {
		byName[r["name"].(string)] = r
	}
	got := byName["payments-api"]["__includedFiles"]
	want := map[string]any{"README.md": "# payments-api\nHandles card payments.", "CODEOWNERS": "* @acme-corp/payments"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("payments-api __includedFiles (-want +got):\n%s", diff)
	}
	if got := byName["web-app"]["__includedFiles"].(map[string]any); got["CODEOWNERS"] != nil || got["README.md"] != "# web-app" {
		t.Errorf("web-app __includedFiles = %v, want a README and a null CODEOWNERS", got)
	}
	if teams := byName["payments-api"]["__teams"].([]any); len(teams) != 1 || teams[0].(map[string]any)["slug"] != "payments" {
		t.Errorf("__teams = %v", teams)
	}
	if cs := byName["payments-api"]["__collaborators"].([]any); len(cs) != 1 || cs[0].(map[string]any)["login"] != "jdoe" {
		t.Errorf("__collaborators = %v", cs)
	}
	if q := e.fake.Count("GET /repos/acme-corp/payments-api/collaborators"); q != 1 {
		t.Errorf("collaborators fetched %d times", q)
	}

	// The repository list is shared by the kinds of a run, and the copies
	// the repository kind enriched do not leak into another kind's view.
	if _, err := resync(t, e.src, "pull-request", nil, nil); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.Count("GET /orgs/acme-corp/repos"); n != 2 { // 4 repos, 2 a page
		t.Errorf("repositories listed with %d requests, want 2 (once a run)", n)
	}

	teams, err := resync(t, e.src, "team", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	members := map[string]int{}
	for _, tm := range teams {
		members[tm["slug"].(string)] = len(tm["__members"].([]any))
		if tm["databaseId"] == nil || tm["members"] == nil {
			t.Errorf("team %v lacks GraphQL keys", tm["slug"])
		}
	}
	if diff := cmp.Diff(map[string]int{"payments": 2, "platform": 130, "empty": 0}, members); diff != "" {
		t.Errorf("team members (-want +got):\n%s", diff)
	}

	branches, err := resync(t, e.src, "branch", map[string]any{"protectionRules": true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range branches {
		rules := b["__protection_rules"]
		if (b["name"] == "main") != (rules != nil) {
			t.Errorf("branch %v protection rules = %v", b["name"], rules)
		}
	}

	files, err := resync(t, e.src, "file", map[string]any{"files": []any{map[string]any{"path": "services/**/port.yml"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 {
		t.Fatalf("files = %v", files)
	}
	wantContent := map[string]any{"identifier": "payments-worker", "tier": 2.0}
	if diff := cmp.Diff(wantContent, files[0]["content"]); diff != "" {
		t.Errorf("parsed port.yml (-want +got):\n%s", diff)
	}
	if files[0]["branch"] != "main" || files[0]["repository"].(map[string]any)["name"] != "payments-api" {
		t.Errorf("file item = %v", files[0])
	}
}

// GraphQL pages follow cursors: 7 members at 2 a page is 4 queries; a team
// of 130 members at 2 a page is one batched query then 64 more.
func TestGraphQLCursors(t *testing.T) {
	t.Parallel()
	e := patEnv(t, 2)
	users, err := resync(t, e.src, "user", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 7 || e.fake.Count("POST graphql") != 4 {
		t.Fatalf("%d users in %d GraphQL queries, want 7 in 4", len(users), e.fake.Count("POST graphql"))
	}
	e2 := patEnv(t, 100)
	teams, err := resync(t, e2.src, "team", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Three teams in one aliased query; platform's 130 members need one more page.
	if n := e2.fake.Count("POST graphql"); n != 2 || len(teams) != 3 {
		t.Fatalf("%d teams in %d GraphQL queries, want 3 in 2", len(teams), n)
	}
}

func TestPaginationFollowsLink(t *testing.T) {
	t.Parallel()
	e := patEnv(t, 1)
	repos, err := resync(t, e.src, "repository", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != 4 || e.fake.Count("GET /orgs/acme-corp/repos") != 4 {
		t.Fatalf("%d repositories in %d pages, want 4 in 4", len(repos), e.fake.Count("GET /orgs/acme-corp/repos"))
	}
}

func TestAllOrganizationsOfToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 100, githubtest.Options{Token: testToken}, Config{Token: testToken})
	orgs, err := resync(t, e.src, "organization", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"acme-corp", "acme-labs"}, keys(orgs, "login")); diff != "" {
		t.Errorf("orgs (-want +got):\n%s", diff)
	}
	prs, err := resync(t, e.src, "pull-request", nil, map[string]any{"organizations": []any{"acme-labs"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"sandbox/3"}, keys(prs, "number")); diff != "" || prs[0]["__organization"] != "acme-labs" {
		t.Errorf("acme-labs PRs (-want +got):\n%s", diff)
	}
	if n := e.fake.Count("GET /orgs/acme-corp/repos"); n != 0 {
		t.Errorf("the organizations allow-list still listed acme-corp's repositories")
	}
}

func testKey(t testing.TB) (*rsa.PrivateKey, string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return key, string(p)
}

func TestAppAuth(t *testing.T) {
	t.Parallel()
	key, pemText := testKey(t)
	opts := githubtest.Options{AppID: "123456", AppKey: &key.PublicKey, Installations: []githubtest.Installation{
		{ID: 11, Account: "acme-corp", Type: "Organization"},
		{ID: 12, Account: "acme-old", Type: "Organization", Suspended: true},
		{ID: 13, Account: "acme-labs", Type: "Organization"},
	}}
	// The key arrives base64-encoded, as one-line CI secrets hold it.
	b64 := base64.StdEncoding.EncodeToString([]byte(pemText))
	e := newEnv(t, 100, opts, Config{AppID: "123456", AppPrivateKey: b64})
	repos, err := resync(t, e.src, "repository", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"docs", "ledger", "payments-api", "sandbox", "web-app"}, keys(repos, "name")); diff != "" {
		t.Errorf("repositories (-want +got):\n%s", diff)
	}
	if _, err := resync(t, e.src, "pull-request", nil, nil); err != nil {
		t.Fatal(err)
	}
	// One token a live installation, cached across kinds; none for the
	// suspended one.
	for id, want := range map[int64]int{11: 1, 12: 0, 13: 1} {
		if got := e.fake.Count(fmt.Sprintf("POST /app/installations/%d/access_tokens", id)); got != want {
			t.Errorf("installation %d: %d token requests, want %d", id, got, want)
		}
	}

	// Tokens are re-minted before they expire: 56 minutes into an hour's
	// token is within the margin.
	e.waits.advance(56 * time.Minute)
	if _, err := resync(t, e.src, "pull-request", nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := e.fake.Count("POST /app/installations/11/access_tokens"); got != 2 {
		t.Errorf("near expiry: %d token requests, want 2", got)
	}
	assertNoSecret(t, e.logs.String(), githubtest.InstallationToken(11), pemText, b64)

	// Pinned to one organisation: only its installation.
	e2 := newEnv(t, 100, opts, Config{AppID: "123456", AppPrivateKey: pemText, Organization: "acme-labs"})
	orgs, err := resync(t, e2.src, "organization", nil, nil)
	if err != nil || len(orgs) != 1 || orgs[0]["login"] != "acme-labs" {
		t.Fatalf("pinned orgs = %v, %v", orgs, err)
	}
	e3 := newEnv(t, 100, opts, Config{AppID: "123456", AppPrivateKey: pemText, Organization: "acme-old"})
	if _, err := resync(t, e3.src, "organization", nil, nil); !errors.Is(err, integrations.ErrCredentials) {
		t.Fatalf("pinned to a suspended installation: err = %v, want ErrCredentials", err)
	}

	// A wrong key is refused as an auth error.
	other, otherPEM := testKey(t)
	_ = other
	e4 := newEnv(t, 100, opts, Config{AppID: "123456", AppPrivateKey: otherPEM})
	_, err = resync(t, e4.src, "organization", nil, nil)
	if !errors.Is(err, integrations.ErrCredentials) || !strings.Contains(err.Error(), "--github-app-private-key") {
		t.Fatalf("wrong App key: err = %v, want ErrCredentials naming --github-app-private-key", err)
	}
	assertNoSecret(t, err.Error()+e4.logs.String(), otherPEM)
}

func assertNoSecret(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		probe := s
		if len(probe) > 64 {
			probe = strings.TrimSpace(probe)[40:80] // a slice of the key's body
		}
		if strings.Contains(text, probe) {
			t.Errorf("a secret appears in the output:\n%s", text)
		}
	}
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	// The reset is a second past the fake clock's start, which moves only
	// by the waits the client asks for: the wait is exact, never racing
	// the wall clock.
	start := time.Unix(1_750_000_000, 0)
	reset := strconv.FormatInt(start.Add(time.Second).Unix(), 10)
	tests := []struct {
		name     string
		fault    githubtest.Fault
		wantWait func(time.Duration) bool
	}{
		{"secondary 403 with retry-after", githubtest.Fault{Status: 403, Header: map[string]string{"Retry-After": "1"}, Body: `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`},
			func(d time.Duration) bool { return d == time.Second }},
		{"secondary 429", githubtest.Fault{Status: 429, Header: map[string]string{"Retry-After": "2"}, Body: `{"message":"rate limited"}`},
			func(d time.Duration) bool { return d == 2*time.Second }},
		{"secondary 403 naming no time waits a minute", githubtest.Fault{Status: 403, Body: `{"message":"You have exceeded a secondary rate limit."}`},
			func(d time.Duration) bool { return d == time.Minute }},
		{"primary exhausted, reset a second away", githubtest.Fault{Status: 403, Header: map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Limit": "5000", "X-Ratelimit-Reset": reset}, Body: `{"message":"API rate limit exceeded for user ID 1."}`},
			func(d time.Duration) bool { return d == 2*time.Second }}, // a second past the reset
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := patEnv(t, 100)
			e.waits.now = start
			tt.fault.Path, tt.fault.Times = "/repos/acme-corp/payments-api/pulls", 1
			e.fake.Fail(tt.fault)
			prs, err := resync(t, e.src, "pull-request", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(prs) != 4 || e.fake.Count("GET /repos/acme-corp/payments-api/pulls") != 2 {
				t.Fatalf("%d PRs, %d requests; want 4 after one retry", len(prs), e.fake.Count("GET /repos/acme-corp/payments-api/pulls"))
			}
			ws := e.waits.all()
			ok := false
			for _, w := range ws {
				ok = ok || tt.wantWait(w)
			}
			if !ok {
				t.Errorf("waits = %v", ws)
			}
		})
	}
}

// A spent quota seen on a success makes the next request wait for the reset.
func TestPrimaryLimitPacing(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_750_000_000, 0)
	h := http.Header{}
	h.Set("X-Ratelimit-Limit", "5000")
	h.Set("X-Ratelimit-Reset", strconv.FormatInt(now.Add(10*time.Second).Unix(), 10))
	log := slog.New(slog.DiscardHandler)
	for _, tt := range []struct {
		remaining string
		want      time.Duration
	}{
		{"4000", 0},
		{"100", 10 * time.Second / 101},              // under 5%: spread over the window
		{"0", 10*time.Second + 100*time.Millisecond}, // spent: until the reset
	} {
		h.Set("X-Ratelimit-Remaining", tt.remaining)
		w := &fakeClock{now: now}
		b := &rateBook{clock: w, m: map[string]*quota{}}
		b.update("token", h)
		if err := b.wait(context.Background(), "token", log); err != nil {
			t.Fatal(err)
		}
		var got time.Duration
		for _, d := range w.all() {
			got += d
		}
		if got != tt.want {
			t.Errorf("remaining %s: waited %v, want %v", tt.remaining, got, tt.want)
		}
	}
}

func TestServerErrors(t *testing.T) {
	t.Parallel()
	t.Run("a 5xx page succeeds on retry", func(t *testing.T) {
		t.Parallel()
		e := patEnv(t, 100)
		e.fake.Fail(githubtest.Fault{Path: "/orgs/acme-corp/repos", Status: 502, Times: 1, Body: `{"message":"Server Error"}`})
		repos, err := resync(t, e.src, "repository", nil, nil)
		if err != nil || len(repos) != 4 {
			t.Fatalf("%d repos, err %v", len(repos), err)
		}
	})
	t.Run("a page that keeps failing is asked for in halves", func(t *testing.T) {
		t.Parallel()
		e := patEnv(t, 100)
		e.fake.Fail(githubtest.Fault{Path: "/orgs/acme-corp/repos", Query: "per_page=100", Status: 502, Body: `{"message":"Server Error"}`})
		repos, err := resync(t, e.src, "repository", nil, nil)
		if err != nil || len(repos) != 4 {
			t.Fatalf("%d repos, err %v", len(repos), err)
		}
		if n := e.fake.Count("GET /orgs/acme-corp/repos"); n != tries5xxBeforeHalving+1 {
			t.Errorf("%d requests, want %d at 100 then one at 50", n, tries5xxBeforeHalving+1)
		}
	})
	t.Run("a 5xx that never ends fails", func(t *testing.T) {
		t.Parallel()
		e := patEnv(t, 100)
		e.fake.Fail(githubtest.Fault{Path: "/orgs/acme-corp/repos", Status: 503, Body: `{"message":"Unavailable"}`})
		if _, err := resync(t, e.src, "repository", nil, nil); err == nil || !strings.Contains(err.Error(), "503") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("halving keeps the offset", func(t *testing.T) {
		t.Parallel()
		got := halvePage("https://x/y?page=3&per_page=100")
		if got != "https://x/y?page=5&per_page=50" {
			t.Errorf("halvePage = %s", got)
		}
	})
}

// Refusals are errors, never empty results, so no deletes follow.
func TestRefusalsAreErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		kind  string
		fault githubtest.Fault
		want  string
		auth  bool
	}{
		{"401 on the organisation", "organization", githubtest.Fault{Path: "/users/acme-corp", Status: 401, Body: `{"message":"Bad credentials"}`}, "401", true},
		{"403 on the repository listing", "repository", githubtest.Fault{Path: "/orgs/acme-corp/repos", Status: 403, Body: `{"message":"Resource not accessible by personal access token"}`}, "403", false},
		{"404 on the repository listing", "pull-request", githubtest.Fault{Path: "/orgs/acme-corp/repos", Status: 404, Body: `{"message":"Not Found"}`}, "404", false},
		{"404 on the team listing", "team", githubtest.Fault{Path: "/orgs/acme-corp/teams", Status: 404, Body: `{"message":"Not Found"}`}, "404", false},
		{"401 on one repository stops the block", "pull-request", githubtest.Fault{Path: "/repos/acme-corp/web-app/pulls", Status: 401, Body: `{"message":"Bad credentials"}`}, "401", true},
		{"GraphQL error", "user", githubtest.Fault{Path: "/graphql", Status: 200, Body: `{"data":null,"errors":[{"type":"FORBIDDEN","message":"Resource not accessible"}]}`}, "FORBIDDEN", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := patEnv(t, 100)
			e.fake.Fail(tt.fault)
			_, err := resync(t, e.src, tt.kind, nil, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one naming %s", err, tt.want)
			}
			if errors.Is(err, integrations.ErrCredentials) != tt.auth {
				t.Errorf("errors.Is(err, ErrCredentials) = %v, want %v", !tt.auth, tt.auth)
			}
			assertNoSecret(t, err.Error()+e.logs.String(), testToken)
		})
	}
}

// A plain file path a repository lacks is "no files"; on a named branch that
// does not exist it is an error, so a typo cannot delete the block's
// entities.
func TestFileOnMissingBranch(t *testing.T) {
	t.Parallel()
	e := patEnv(t, 100)
	sel := func(repo any) map[string]any {
		return map[string]any{"files": []any{map[string]any{"path": "catalog-info.yaml", "repos": []any{repo}}}}
	}
	items, err := resync(t, e.src, "file", sel("payments-api"), nil)
	if err != nil || len(items) != 0 {
		t.Fatalf("missing file on the default branch: items %v, err %v; want none and no error", items, err)
	}
	_, err = resync(t, e.src, "file", sel(map[string]any{"name": "payments-api", "branch": "mian"}), nil)
	if err == nil || !strings.Contains(err.Error(), `branch "mian" does not exist`) {
		t.Fatalf("err = %v, want the missing branch named", err)
	}
}

// A 403 on one repository's alerts fails the block, and the other
// repositories' alerts still arrive.
func TestOneRepositoryRefused(t *testing.T) {
	t.Parallel()
	e := patEnv(t, 100)
	e.fake.Fail(githubtest.Fault{Path: "/repos/acme-corp/payments-api/dependabot/alerts", Status: 403, Body: `{"message":"Dependabot alerts are disabled for this repository."}`})
	items, err := resync(t, e.src, "dependabot-alert", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "acme-corp/payments-api") || !strings.Contains(err.Error(), "403") {
		t.Fatalf("err = %v", err)
	}
	if diff := cmp.Diff([]string{"web-app/4"}, keys(items, "number")); diff != "" {
		t.Errorf("items of the other repositories (-want +got):\n%s", diff)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	_, pemText := testKey(t)
	tests := []struct {
		name   string
		values integrations.Values
		want   string
	}{
		{"no credentials", nil, "--github-token"},
		{"app id without key", integrations.Values{"github-app-id": {"1"}}, "--github-app-private-key"},
		{"key without app id", integrations.Values{"github-app-private-key": {pemText}}, "--github-app-id"},
		{"non-numeric app id", integrations.Values{"github-app-id": {"my-app"}, "github-app-private-key": {pemText}}, "numeric"},
		{"bad key", integrations.Values{"github-app-id": {"1"}, "github-app-private-key": {"-----BEGIN RSA PRIVATE KEY-----\nnot-a-key-SECRETBODY\n-----END RSA PRIVATE KEY-----"}}, "--github-app-private-key"},
		{"bad host", integrations.Values{"github-token": {testToken}, "github-host": {"api.github.com"}}, "--github-host"},
		{"bad concurrency", integrations.Values{"github-token": {testToken}, "github-concurrency": {"0"}}, "--github-concurrency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Definition().New(integrations.Settings{Values: tt.values})
			if !errors.Is(err, integrations.ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrConfig naming %s", err, tt.want)
			}
			assertNoSecret(t, err.Error(), testToken, pemText, "SECRETBODY")
		})
	}
}

// In GitHub Actions the workflow's own token is pinned to the repository's
// owner, and GITHUB_API_URL points at the Enterprise Server.
func TestActionsDefaults(t *testing.T) {
	t.Parallel()
	getenv := func(k string) string {
		return map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_TOKEN": testToken, "GITHUB_REPOSITORY_OWNER": "acme-corp"}[k]
	}
	cfg, err := configFrom(integrations.Values{"github-token": {testToken}}, getenv)
	if err != nil || cfg.Organization != "acme-corp" {
		t.Fatalf("cfg.Organization = %q, err %v", cfg.Organization, err)
	}
	if got := graphqlURL("https://ghe.acme.io/api/v3"); got != "https://ghe.acme.io/api/graphql" {
		t.Errorf("GHES GraphQL URL = %s", got)
	}
	if got := graphqlURL("https://api.github.com"); got != "https://api.github.com/graphql" {
		t.Errorf("GraphQL URL = %s", got)
	}
}

func TestSelectorErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind string
		sel  map[string]any
		cfg  map[string]any
		want string
	}{
		{"pull-request", map[string]any{"states": []any{"opened"}}, nil, `selector.states[0]: "opened" is not one of closed, open`},
		{"pull-request", map[string]any{"since": "60"}, nil, "selector.since: want a whole number"},
		{"pull-request", map[string]any{"closedSinceDate": "yesterday"}, nil, "selector.closedSinceDate"},
		{"repository", nil, map[string]any{"repositoryType": "internal"}, "mapping.repositoryType"},
		{"repository", map[string]any{"includedFiles": "README.md", "include": []any{"teams"}, "includedRelations": map[string]any{}}, nil, "mutually exclusive"},
		{"issue", map[string]any{"labels": []any{1.0}}, nil, "selector.labels[0]"},
		{"dependabot-alert", map[string]any{"severity": []any{"severe"}}, nil, "selector.severity[0]"},
		{"file", nil, nil, "selector.files is required"},
		{"file", map[string]any{"files": []any{map[string]any{"path": "[a"}}}, nil, "selector.files[0].path"},
		{"organization", nil, map[string]any{"organizations": "acme"}, ""},
	}
	e := patEnv(t, 100)
	for _, tt := range tests {
		err := e.src.ValidateRequest(integrations.Request{Kind: tt.kind, Selector: tt.sel, Config: tt.cfg})
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s %v: err = %v", tt.kind, tt.sel, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s %v: err = %v, want %q", tt.kind, tt.sel, err, tt.want)
		}
	}
	if e.fake.Requests() != 0 {
		t.Errorf("validation made %d requests", e.fake.Requests())
	}
}

// Requests in flight never exceed --github-concurrency, across blocks.
func TestConcurrencyBound(t *testing.T) {
	t.Parallel()
	fake := githubtest.New(generated(60, 3), githubtest.Options{Token: testToken, Latency: 2 * time.Millisecond})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	src, err := NewSource(Config{Host: srv.URL, Token: testToken, Organization: "bench-org", Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	var g gosync.WaitGroup
	for _, kind := range []string{"pull-request", "issue", "release"} {
		g.Add(1)
		go func() {
			defer g.Done()
			if _, err := resync(t, src, kind, nil, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	g.Wait()
	if m := fake.MaxInFlight(); m > 4 || m < 2 {
		t.Errorf("max in flight = %d, want 2..4", m)
	}
}

// The same exhausted quota, waited out for real: the reset is a second
// away, and the request then succeeds.
func TestPrimaryLimitRealWait(t *testing.T) {
	t.Parallel()
	e := patEnv(t, 100)
	o := e.src.c.hxOpts
	o.Clock = httpx.RealClock{}
	e.src.c.setOptions(o)
	reset := time.Now().Add(time.Second)
	e.fake.Fail(githubtest.Fault{Path: "/orgs/acme-corp/repos", Times: 1, Status: 403,
		Header: map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Limit": "5000", "X-Ratelimit-Reset": strconv.FormatInt(reset.Unix(), 10)},
		Body:   `{"message":"API rate limit exceeded for user ID 1."}`})
	repos, err := resync(t, e.src, "repository", nil, nil)
	if err != nil || len(repos) != 4 {
		t.Fatalf("%d repos, err %v", len(repos), err)
	}
	if time.Now().Before(time.Unix(reset.Unix(), 0)) {
		t.Error("the retry came before the reset")
	}
	if !strings.Contains(e.logs.String(), "rate limit") {
		t.Error("the wait was not logged")
	}
}

// Parsed files have the file integration's shapes: dates as written,
// numbers as float64, several YAML documents as a list.
func TestParseContent(t *testing.T) {
	t.Parallel()
	got, err := parseContent("svc/port.yml", "name: api\nsince: 2024-01-02\nreplicas: 3\n")
	want := map[string]any{"name": "api", "since": "2024-01-02", "replicas": 3.0}
	if err != nil || !cmp.Equal(got, want) {
		t.Errorf("one document = %#v, %v; want %#v", got, err, want)
	}
	got, err = parseContent("a.yaml", "a: 1\n---\nb: 2\n")
	if err != nil || !cmp.Equal(got, []any{map[string]any{"a": 1.0}, map[string]any{"b": 2.0}}) {
		t.Errorf("two documents = %#v, %v", got, err)
	}
	if _, err := parseContent("a.yaml", "a: 1\na: 2\n"); err == nil || !strings.Contains(err.Error(), "not valid YAML") {
		t.Errorf("duplicate key: err = %v", err)
	}
	if got, err := parseContent("README.md", "# hi"); err != nil || got != "# hi" {
		t.Errorf("text file = %#v, %v", got, err)
	}
}

// eachRepo: a 404 before a repository's task emitted anything is "this
// repository has none" (Ocean's reading of a feature that is off); a 404
// after it emitted some of the repository's items is an incomplete
// listing, whatever request answered it.
func TestEachRepo404(t *testing.T) {
	t.Parallel()
	notFound := &APIError{API: "github", Method: http.MethodGet, Path: "/repos/acme-corp/x/things", Status: http.StatusNotFound, Message: "Not Found"}
	tests := []struct {
		name        string
		sendFirst   bool
		wantErr     error
		wantEmitted int
	}{
		{name: "a 404 on the first request is none", sendFirst: false, wantErr: nil, wantEmitted: 0},
		{name: "a 404 after items were emitted fails the block", sendFirst: true, wantErr: integrations.ErrIncomplete, wantEmitted: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := patEnv(t, 100)
			r, err := parseRequest(integrations.Request{Kind: "tag"}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			emitted := 0
			em := &emitter{emit: func(page []integrations.Item) error { emitted += len(page); return nil }}
			err = e.src.eachRepo(context.Background(), r, em, func(_ context.Context, _ scope, repo map[string]any, out *repoEmitter) error {
				if out.repo != "payments-api" {
					return nil
				}
				if tt.sendFirst {
					if err := out.send([]map[string]any{{"name": "v1"}}); err != nil {
						return err
					}
				}
				return fmt.Errorf("page 1: %w", notFound)
			})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "acme-corp/payments-api") {
				t.Errorf("err = %v, want one naming the repository", err)
			}
			if emitted != tt.wantEmitted {
				t.Errorf("emitted %d items, want %d", emitted, tt.wantEmitted)
			}
		})
	}
}

// The repository listing is shared by every block of a run and handed to
// its first reader page by page: a reader that stops leaves no partial
// list behind (the next caller lists again, in full), and a slow reader
// does not hold up the other blocks waiting for the whole list.
func TestRepositoriesStreamed(t *testing.T) {
	t.Parallel()
	names := func(repos []map[string]any) []string { return keys(repos, "name") }
	all := []string{"docs", "ledger", "payments-api", "web-app"}

	t.Run("a reader that stops drops the list", func(t *testing.T) {
		t.Parallel()
		e := patEnv(t, 1)
		scs, err := e.src.scopes(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		stop := errors.New("enough")
		var read []string
		_, streamed, err := e.src.repositories(t.Context(), scs[0], "all", func(page []map[string]any) error {
			read = append(read, names(page)...)
			return stop
		})
		if !errors.Is(err, stop) || !streamed || len(read) != 1 {
			t.Fatalf("err = %v, streamed %v, read %v; want the reader's error after one page", err, streamed, read)
		}
		repos, streamed, err := e.src.repositories(t.Context(), scs[0], "all", nil)
		if err != nil || !streamed {
			t.Fatalf("the next caller: err = %v, streamed %v; want a listing of its own", err, streamed)
		}
		if diff := cmp.Diff(all, names(repos)); diff != "" {
			t.Errorf("the next caller's repositories (-want +got):\n%s", diff)
		}
	})

	t.Run("a slow reader holds up no other block", func(t *testing.T) {
		t.Parallel()
		e := patEnv(t, 1)
		scs, err := e.src.scopes(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		full := make(chan []map[string]any, 1)
		first := true
		var read []string
		_, _, err = e.src.repositories(t.Context(), scs[0], "all", func(page []map[string]any) error {
			read = append(read, names(page)...)
			if !first {
				return nil
			}
			first = false
			// Another block asks for the list while this reader is still
			// on the first page: it gets the whole list without this
			// reader going on.
			go func() {
				repos, _, err := e.src.repositories(t.Context(), scs[0], "all", nil)
				if err != nil {
					t.Error(err)
				}
				full <- repos
			}()
			select {
			case repos := <-full:
				if diff := cmp.Diff(all, names(repos)); diff != "" {
					t.Errorf("the other block's repositories (-want +got):\n%s", diff)
				}
			case <-time.After(time.Minute):
				t.Error("the other block still waits for the list: the listing waits for its first reader")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(read)
		if diff := cmp.Diff(all, read); diff != "" {
			t.Errorf("the reader's repositories (-want +got):\n%s", diff)
		}
		if n := e.fake.Count("GET /orgs/acme-corp/repos"); n != 4 {
			t.Errorf("%d listing requests, want 4 (one listing, pages of one)", n)
		}
	})
}
