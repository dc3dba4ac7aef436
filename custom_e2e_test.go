package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	tsync "github.com/tide-sync/tide/sync"
	"github.com/tide-sync/tide/sync/port/porttest"
)

const customToken = "api-t0ken-e2e-55aa77"

// serviceRegistry is a fake internal service registry: GET /api/v1/services
// pages with ?cursor=&limit= and answers {"data": [...], "meta": {"next": ...}};
// GET /api/v1/teams answers a plain array. Both want the bearer token.
type serviceRegistry struct {
	n         atomic.Int32
	teamsCode atomic.Int32 // non-zero: /api/v1/teams answers this status
	// echo: that refusal quotes the request's Authorization header, as
	// some APIs' error pages do.
	echo     atomic.Bool
	requests atomic.Int32
}

func (s *serviceRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if r.Header.Get("Authorization") != "Bearer "+customToken {
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/api/v1/services":
		from, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		n := int(s.n.Load())
		to := min(from+limit, n)
		data := make([]map[string]any, 0, to-from)
		for i := from; i < to; i++ {
			data = append(data, map[string]any{
				"id": fmt.Sprintf("svc-%05d", i), "name": fmt.Sprintf("Service %d", i),
				"tier": []string{"gold", "silver", "bronze"}[i%3], "team": fmt.Sprintf("team-%d", i%4),
			})
		}
		var next any
		if to < n {
			next = strconv.Itoa(to)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"data": data, "meta": map[string]any{"next": next, "total": n}})
	case "/api/v1/teams":
		if c := s.teamsCode.Load(); c != 0 {
			if s.echo.Load() {
				http.Error(w, fmt.Sprintf(`{"error":"request refused","request":{"authorization":%q}}`, r.Header.Get("Authorization")), int(c))
				return
			}
			http.Error(w, `{"error":"forbidden"}`, int(c))
			return
		}
		_ = json.NewEncoder(w).Encode([]map[string]any{{"slug": "team-0"}, {"slug": "team-1"}, {"slug": "team-2"}, {"slug": "team-3"}})
	default:
		http.NotFound(w, r)
	}
}

const customMapping = `
resources:
  - kind: /api/v1/teams
    selector:
      query: "true"
    port:
      entity:
        mappings:
          identifier: .slug
          title: .slug
          blueprint: '"registryTeam"'
  - kind: /api/v1/services
    selector:
      query: "true"
      pagination:
        type: cursor
        cursor_path: meta.next
        page_size: 500
    port:
      entity:
        mappings:
          identifier: .id
          title: .name
          blueprint: '"registryService"'
          properties:
            tier: .tier
`

type customHarness struct {
	t       testing.TB
	fake    *porttest.Server
	portURL string
	api     *serviceRegistry
	apiURL  string
	mapping string
}

func newCustomHarness(t testing.TB, n int) *customHarness {
	t.Helper()
	fake := porttest.New(porttest.Options{ClientID: testClientID, ClientSecret: testClientSecret})
	for _, bp := range []map[string]any{
		{"identifier": "registryTeam", "title": "Team", "schema": map[string]any{"properties": map[string]any{}}},
		{"identifier": "registryService", "title": "Service", "schema": map[string]any{"properties": map[string]any{"tier": map[string]any{"type": "string"}}}},
	} {
		if err := fake.AddBlueprint(bp); err != nil {
			t.Fatal(err)
		}
	}
	port := httptest.NewServer(fake)
	t.Cleanup(port.Close)
	reg := &serviceRegistry{}
	reg.n.Store(int32(n))
	api := httptest.NewServer(reg)
	t.Cleanup(api.Close)
	return &customHarness{t: t, fake: fake, portURL: port.URL, api: reg, apiURL: api.URL, mapping: writeMapping(t, customMapping)}
}

func (h *customHarness) sync(extra ...string) (int, string, string, *tsync.Result) {
	h.t.Helper()
	args := append([]string{"sync",
		"--integration", "custom",
		"--custom-base-url", h.apiURL,
		"--custom-auth-type", "bearer_token",
		"--port-url", h.portURL,
		"--mapping", h.mapping,
	}, extra...)
	env := map[string]string{
		"TIDE_PORT_CLIENT_ID":     testClientID,
		"TIDE_PORT_CLIENT_SECRET": testClientSecret,
		"TIDE_CUSTOM_API_TOKEN":   customToken,
	}
	code, stdout, stderr, sum := syncWithSummary(h.t, context.Background(), args, env)
	for _, s := range []string{customToken, testClientSecret} {
		if strings.Contains(stdout+stderr, s) {
			h.t.Errorf("secret %q… printed:\nstdout:\n%s\nstderr:\n%s", s[:4], stdout, stderr)
		}
	}
	return code, stdout, stderr, sum
}

func (h *customHarness) writes() int { return writeCount(h.fake) }

func TestCustomTenThousandRecords(t *testing.T) {
	t.Parallel()
	h := newCustomHarness(t, 10_000)
	code, out, errs, sum := h.sync()
	mustCode(t, code, exitOK, out, errs)
	if n := len(h.fake.Entities("registryService")); n != 10_000 {
		t.Fatalf("Port holds %d services, want 10000", n)
	}
	if n := len(h.fake.Entities("registryTeam")); n != 4 {
		t.Fatalf("Port holds %d teams, want 4", n)
	}
	if sum.Total.Created != 10_004 {
		t.Fatalf("created = %d, want 10004", sum.Total.Created)
	}
	if e, _ := h.fake.Entity("registryService", "svc-09999"); e["title"] != "Service 9999" || e["properties"].(map[string]any)["tier"] != "gold" {
		t.Fatalf("svc-09999 = %v", e)
	}
	// 20 pages of 500, one teams request, and the credentials check's
	// first page of the first block before anything is written.
	if n := h.api.requests.Load(); n != 22 {
		t.Errorf("API requests = %d, want 22", n)
	}

	h.fake.ResetCounts()
	code, out, errs, sum = h.sync()
	mustCode(t, code, exitOK, out, errs)
	if n := h.writes(); n != 0 {
		t.Fatalf("second run made %d write requests, want 0 (%v)", n, h.fake.Counts())
	}
	if sum.Total.Unchanged != 10_004 {
		t.Fatalf("second run total = %+v", sum.Total)
	}
}

// A 403 on one endpoint fails that block only: the other block still syncs,
// nothing is deleted, and the run exits 1.
func TestCustomForbiddenFailsOnlyItsBlock(t *testing.T) {
	t.Parallel()
	h := newCustomHarness(t, 30)
	code, out, errs, _ := h.sync()
	mustCode(t, code, exitOK, out, errs)

	h.api.n.Store(29) // svc-00029 is gone: stale
	h.api.teamsCode.Store(http.StatusForbidden)
	h.fake.ResetCounts()
	code, out, errs, sum := h.sync()
	mustCode(t, code, exitFailed, out, errs)
	var teams, services *tsync.BlockResult
	for _, b := range sum.Blocks {
		switch b.Kind {
		case "/api/v1/teams":
			teams = b
		case "/api/v1/services":
			services = b
		}
	}
	if teams == nil || !strings.Contains(teams.Error, "403") || !strings.Contains(teams.Error, "/api/v1/teams") {
		t.Fatalf("teams block = %+v, want its 403", teams)
	}
	if services == nil || services.Error != "" || services.Fetched != 29 || services.Unchanged != 29 {
		t.Fatalf("services block = %+v, want 29 fetched and unchanged", services)
	}
	if n := h.fake.Count(porttest.RouteBulkDelete) + h.fake.Count(porttest.RouteEntityDelete); n != 0 {
		t.Fatalf("%d delete requests after a failed block", n)
	}
	if len(h.fake.Entities("registryTeam")) != 4 {
		t.Fatal("teams were deleted after their block failed")
	}
	if _, ok := h.fake.Entity("registryService", "svc-00029"); !ok {
		t.Fatal("a stale service was deleted in a failed run")
	}
}

func TestCustomBadParamsExit2(t *testing.T) {
	t.Parallel()
	h := newCustomHarness(t, 5)
	code, out, errs, _ := h.sync("--custom-pagination-type", "pages")
	mustCode(t, code, exitUsage, out, errs)
	if !strings.Contains(errs+out, "--custom-pagination-type") {
		t.Fatalf("error does not name the flag:\n%s%s", out, errs)
	}
	if n := h.writes() + int(h.api.requests.Load()); n != 0 {
		t.Fatalf("%d requests made on bad input", n)
	}
}

// A typo in a block's selector stops the run before any fetch or write.
func TestCustomBadSelectorExits2(t *testing.T) {
	t.Parallel()
	h := newCustomHarness(t, 5)
	bad := strings.Replace(customMapping, "cursor_path: meta.next", "cursor_pth: meta.next", 1)
	if err := os.WriteFile(h.mapping, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs, _ := h.sync()
	mustCode(t, code, exitUsage, out, errs)
	if !strings.Contains(errs+out, `resources[1]`) || !strings.Contains(errs+out, `unknown field "cursor_pth"`) {
		t.Fatalf("error does not name the block and field:\n%s%s", out, errs)
	}
	if n := h.writes() + int(h.api.requests.Load()); n != 0 {
		t.Fatalf("%d requests made on a bad selector", n)
	}
}

// BenchmarkCustomSync10k is the e2e path: 10,000 records in 20 cursor
// pages from a fake API, through tide sync into the Port fake over HTTP.
// "first" creates them all; "unchanged" is a re-run that writes nothing.
func BenchmarkCustomSync10k(b *testing.B) {
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			h := newCustomHarness(b, 10_000)
			b.StartTimer()
			if code, out, errs, _ := h.sync(); code != exitOK {
				b.Fatalf("exit %d\n%s\n%s", code, out, errs)
			}
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		h := newCustomHarness(b, 10_000)
		if code, out, errs, _ := h.sync(); code != exitOK {
			b.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
		for b.Loop() {
			if code, _, _, _ := h.sync(); code != exitOK {
				b.Fatalf("exit %d", code)
			}
		}
	})
}
