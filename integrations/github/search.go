package github

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"strings"

	"github.com/tide-sync/tide/integrations"
)

// searchCap is how many results GitHub's search API serves for one query:
// pages past it are refused, whatever total_count says.
const searchCap = 1000

// reposFor lists an account's repositories for a block: the search API
// when the selector has repoSearch.query (Ocean), else the account's
// listing. Either is fetched once a run and shared.
func (s *Source) reposFor(ctx context.Context, sc scope, r *request) ([]map[string]any, error) {
	if r.repoQuery == "" {
		repos, _, err := s.repositories(ctx, sc, r.repoType, nil)
		return repos, err
	}
	key := strings.ToLower(sc.login) + "\x00" + r.repoType + "\x00" + r.repoQuery
	return s.searched.do(ctx, key, func() ([]map[string]any, error) {
		repos, err := s.searchRepositories(ctx, sc, r.repoType, r.repoQuery)
		if err != nil {
			return nil, fmt.Errorf("repoSearch.query %q in %q: %w", r.repoQuery, sc.login, err)
		}
		return repos, nil
	})
}

// repoPages calls fn with an account's repositories (as reposFor selects
// them) a page at a time: as they are listed when this block is the first
// of the run to ask for them, else from the run's shared list, in pages of
// pageSize.
func (s *Source) repoPages(ctx context.Context, sc scope, r *request, fn func(page []map[string]any) error) error {
	var repos []map[string]any
	var err error
	if r.repoQuery == "" {
		var streamed bool
		repos, streamed, err = s.repositories(ctx, sc, r.repoType, fn)
		if streamed || err != nil {
			return err
		}
	} else if repos, err = s.reposFor(ctx, sc, r); err != nil {
		return err
	}
	for start := 0; start < len(repos); start += pageSize {
		if err := fn(repos[start:min(start+pageSize, len(repos)):min(start+pageSize, len(repos))]); err != nil {
			return err
		}
	}
	return nil
}

// searchRepositories runs GET /search/repositories for one account. The
// search API serves at most 1,000 results a query and may answer with
// incomplete_results when it timed out: both are an incomplete listing,
// which fails the block (the engine would delete what was not listed).
func (s *Source) searchRepositories(ctx context.Context, sc scope, repoType, query string) ([]map[string]any, error) {
	qual := "org:"
	if sc.user {
		qual = "user:"
	}
	q := qual + sc.login + " " + query
	if repoType == "public" || repoType == "private" {
		q += " is:" + repoType
	}
	var out []map[string]any
	for page := 1; ; page++ {
		var body struct {
			TotalCount        int              `json:"total_count"`
			IncompleteResults bool             `json:"incomplete_results"`
			Items             []map[string]any `json:"items"`
		}
		v := url.Values{"q": {q}, "per_page": {"100"}, "page": {strconv.Itoa(page)}}
		if err := s.c.getJSON(ctx, sc.cred, "/search/repositories", v, &body); err != nil {
			return nil, fmt.Errorf("page %d: %w", page, s.refusal(err))
		}
		switch {
		case body.TotalCount > searchCap:
			return nil, fmt.Errorf("%w: the search finds %d repositories and GitHub serves the first %d only: narrow the query (e.g. add topic:, language: or archived:false) so every repository is listed", integrations.ErrIncomplete, body.TotalCount, searchCap)
		case body.IncompleteResults:
			return nil, fmt.Errorf("%w: GitHub's search timed out and answered with incomplete results (incomplete_results: true); the listing cannot be trusted", integrations.ErrIncomplete)
		}
		for _, it := range body.Items {
			// Search items carry a score the listings lack.
			it = maps.Clone(it)
			delete(it, "score")
			out = append(out, it)
		}
		if len(out) >= body.TotalCount {
			return out, nil
		}
		if len(body.Items) == 0 {
			return nil, fmt.Errorf("%w: search page %d is empty after %d of %d repositories", integrations.ErrIncomplete, page, len(out), body.TotalCount)
		}
	}
}

// authUser reads the token's own account once a run (GET /user).
func (s *Source) authUser(ctx context.Context) (scope, error) {
	s.userOnce.Do(func() {
		var item map[string]any
		if err := s.c.getJSON(ctx, s.pat, "/user", nil, &item); err != nil {
			s.userErr = fmt.Errorf("reading the token's own account (includeAuthenticatedUser): %w", s.refusal(err))
			return
		}
		login, _ := item["login"].(string)
		s.userVal = scope{cred: s.pat, login: login, user: true, self: true, item: item}
	})
	return s.userVal, s.userErr
}
