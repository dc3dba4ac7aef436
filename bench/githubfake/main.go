// Command githubfake serves the in-memory GitHub (githubtest) on a loopback
// port for the load benchmark: one organisation, bench-org, whose
// repositories hold 100 open pull requests each, so that tide syncs it
// through the real GitHub integration as its own process.
//
//	githubfake -latency 5ms
//
// It prints its base URL on the first line of stdout and serves, besides
// GitHub's REST API (token "bench-token"):
//
//	POST /_bench/config?n=N&change=C&remove=R  N pull requests, C% changed, R% gone
//	GET  /_bench/stats                         requests served and this process's CPU
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/tide-sync/tide/bench/benchproc"
	"github.com/tide-sync/tide/integrations/github/githubtest"
)

// Token is the token the fake accepts.
const Token = "bench-token"

// PerRepo is the number of pull requests per repository (one page).
const PerRepo = 100

// Repos is the number of repositories for n pull requests.
func Repos(n int) int { return max(1, (n+PerRepo-1)/PerRepo) }

// fixtures builds bench-org with n pull requests: pull request k is
// changed when (k+7)%100 < change and left out when (k+50)%100 < remove,
// the synthetic catalog's rule.
func fixtures(n, change, remove int) (githubtest.Fixtures, error) {
	f := githubtest.Fixtures{}
	put := func(k string, v any) error {
		b, err := json.Marshal(v)
		f[k] = b
		return err
	}
	org := map[string]any{"login": "bench-org", "id": 1, "type": "Organization", "node_id": "O_1",
		"url": "https://api.github.com/orgs/bench-org", "description": "the load benchmark's organisation"}
	if err := put("/users/bench-org", org); err != nil {
		return nil, err
	}
	if err := put("/orgs/bench-org", org); err != nil {
		return nil, err
	}
	repos := make([]any, Repos(n))
	for i := range repos {
		name := fmt.Sprintf("repo-%05d", i)
		repos[i] = map[string]any{"id": 1000 + i, "node_id": fmt.Sprintf("R_%d", i), "name": name, "full_name": "bench-org/" + name,
			"private": i%2 == 0, "owner": map[string]any{"login": "bench-org", "type": "Organization"}, "default_branch": "main",
			"html_url": "https://github.com/bench-org/" + name, "description": "Repository " + name, "language": "Go"}
		var prs []any
		for j := range PerRepo {
			k := i*PerRepo + j
			if k >= n {
				break
			}
			if (k+50)%100 < remove {
				continue
			}
			title, updated := fmt.Sprintf("Change %d of %s", j+1, name), "2025-06-02T10:00:00Z"
			if (k+7)%100 < change {
				title, updated = title+" (rebased)", "2025-06-03T10:00:00Z"
			}
			prs = append(prs, map[string]any{"id": 5_000_000 + k, "node_id": fmt.Sprintf("PR_%d", k), "number": j + 1, "state": "open", "title": title,
				"body": "Fixes the thing described in the issue; adds tests and updates the docs.",
				"user": map[string]any{"login": fmt.Sprintf("dev-%d", k%37), "id": k % 37}, "created_at": "2025-06-01T10:00:00Z", "updated_at": updated,
				"closed_at": nil, "merged_at": nil, "draft": false,
				"assignees":           []any{map[string]any{"login": fmt.Sprintf("dev-%d", (k+1)%37)}},
				"requested_reviewers": []any{map[string]any{"login": fmt.Sprintf("dev-%d", (k+2)%37)}, map[string]any{"login": fmt.Sprintf("dev-%d", (k+3)%37)}},
				"labels":              []any{map[string]any{"name": "backend", "color": "ededed"}},
				"html_url":            fmt.Sprintf("https://github.com/bench-org/%s/pull/%d", name, j+1),
				"head":                map[string]any{"ref": fmt.Sprintf("feature-%d", j), "sha": fmt.Sprintf("%040d", k), "repo": map[string]any{"name": name}},
				"base":                map[string]any{"ref": "main", "repo": map[string]any{"name": name}}})
		}
		if prs == nil {
			prs = []any{}
		}
		if err := put("/repos/bench-org/"+name+"/pulls", prs); err != nil {
			return nil, err
		}
	}
	return f, put("/orgs/bench-org/repos", repos)
}

// Stats is the answer of /_bench/stats.
type Stats struct {
	Requests int64 `json:"requests"`
	CPUMS    int64 `json:"cpuMS"`
}

type server struct {
	latency time.Duration
	mu      sync.RWMutex
	fake    *githubtest.Server
}

func (s *server) configure(n, change, remove int) error {
	fix, err := fixtures(n, change, remove)
	if err != nil {
		return err
	}
	fake := githubtest.New(fix, githubtest.Options{Token: Token, Latency: s.latency})
	s.mu.Lock()
	s.fake = fake
	s.mu.Unlock()
	return nil
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	fake := s.fake
	s.mu.RUnlock()
	switch r.URL.Path {
	case "/_bench/stats":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(Stats{Requests: fake.Requests(), CPUMS: benchproc.CPUMS()})
		return
	case "/_bench/config":
		var v [3]int
		for i, name := range []string{"n", "change", "remove"} {
			n, err := strconv.Atoi(r.URL.Query().Get(name))
			if err != nil || n < 0 {
				http.Error(w, name+": want a whole number", http.StatusBadRequest)
				return
			}
			v[i] = n
		}
		if err := s.configure(v[0], v[1], v[2]); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
		return
	}
	fake.ServeHTTP(w, r)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	latency := flag.Duration("latency", 0, "added to every GitHub request")
	flag.Parse()
	s := &server{latency: *latency}
	if err := s.configure(0, 0, 0); err != nil {
		log.Fatal(err)
	}
	if err := benchproc.Serve(*addr, &http.Server{Handler: s}); err != nil {
		log.Fatal(err)
	}
}
