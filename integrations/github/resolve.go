package github

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"strings"
	gosync "sync"

	"github.com/tide-sync/tide/integrations"
)

// filePrefix marks a mapping value that is the content of a file in the
// item's repository (Ocean's file entity processor).
const filePrefix = "file://"

// ValuePrefixes implements integrations.ValueResolver: Ocean's GitHub
// integration resolves file:// values (search:// is GitLab's only).
func (s *Source) ValuePrefixes() []string { return []string{filePrefix} }

// fileTarget says where an item's file:// values are read.
type fileTarget struct {
	org, repo string
	ref       string // "" = the default branch
	dir       string // file:// paths are relative to it ("" = the root)
}

// targetOf finds an item's repository, as Ocean's file entity processor
// does: items of the file kind carry their repository, branch and path
// (values are read next to the file, on its branch), items of the folder
// kind their repository and branch (values are read inside the folder),
// a repository item is its own repository (default branch). Tide also
// resolves values on the other per-repository kinds, through their
// __organization and __repository (default branch); Ocean fails there.
func targetOf(it map[string]any) (fileTarget, bool) {
	owner := func(repo map[string]any) string {
		o, _ := repo["owner"].(map[string]any)
		login, _ := o["login"].(string)
		return login
	}
	str := func(m map[string]any, k string) string { v, _ := m[k].(string); return v }
	if repo, ok := it["repository"].(map[string]any); ok {
		// A file item: {content, repository, branch, metadata, __path}.
		p := str(it, "__path")
		if meta, ok := it["metadata"].(map[string]any); ok && str(meta, "path") != "" {
			p = str(meta, "path")
		}
		dir := path.Dir(p)
		if dir == "." || dir == "/" {
			dir = ""
		}
		return fileTarget{org: owner(repo), repo: str(repo, "name"), ref: str(it, "branch"), dir: dir}, str(repo, "name") != ""
	}
	if repo, ok := it["__repository"].(map[string]any); ok {
		// A folder item: {folder, __repository, __organization, __branch}.
		folder, _ := it["folder"].(map[string]any)
		org := str(it, "__organization")
		if org == "" {
			org = owner(repo)
		}
		return fileTarget{org: org, repo: str(repo, "name"), ref: str(it, "__branch"), dir: str(folder, "path")}, str(repo, "name") != ""
	}
	if name := str(it, "__repository"); name != "" {
		return fileTarget{org: str(it, "__organization"), repo: name}, str(it, "__organization") != ""
	}
	if _, ok := it["default_branch"]; ok {
		// A repository item.
		org := owner(it)
		if org == "" {
			org = str(it, "__organization")
		}
		// The default branch, asked for as such ("" ref), so the other
		// kinds' values for the same repository share the fetch.
		return fileTarget{org: org, repo: str(it, "name")}, str(it, "name") != "" && org != ""
	}
	return fileTarget{}, false
}

// ResolveValues implements integrations.ValueResolver: each file:// value
// of each item is the text of that file, or nil when the file (or the
// branch) does not exist. Each repository, ref and path is fetched once a
// run, concurrently within the client's limits; a file over the contents
// API's 1 MB is read through the blob API.
func (s *Source) ResolveValues(ctx context.Context, req integrations.Request, items []integrations.Item, refs []string) ([]map[string]any, error) {
	for _, ref := range refs {
		if !strings.HasPrefix(ref, filePrefix) || strings.TrimSpace(strings.TrimPrefix(ref, filePrefix)) == "" {
			return nil, fmt.Errorf("%w: mapping value %q: want file://PATH", integrations.ErrConfig, ref)
		}
	}
	// An item with no repository resolves every value to null.
	return integrations.ResolveEach(ctx, s.fanout, items, refs, targetOf,
		func(ctx context.Context, t fileTarget, ref string) (any, error) {
			p := strings.TrimPrefix(strings.TrimPrefix(ref, filePrefix), "/")
			if t.dir != "" {
				p = path.Join(t.dir, p)
			}
			v, err := s.fileValue(ctx, t, p)
			if err != nil {
				return nil, fmt.Errorf("%s for repository %s/%s: %w", ref, t.org, t.repo, err)
			}
			return v, nil
		})
}

// fileValue reads one file once a run.
func (s *Source) fileValue(ctx context.Context, t fileTarget, p string) (any, error) {
	key := strings.ToLower(t.org+"/"+t.repo) + "\x00" + t.ref + "\x00" + p
	return s.files.do(ctx, key, func() (any, error) {
		sc, err := s.scopeFor(ctx, t.org)
		if err != nil {
			return nil, err
		}
		f, err := s.contents(ctx, sc, map[string]any{"name": t.repo}, p, t.ref)
		if isStatus(err, http.StatusNotFound) {
			return nil, nil // Ocean: a file that does not exist is null
		}
		if err != nil {
			return nil, s.refusal(err)
		}
		return f.text, nil
	})
}

// scopeFor returns the synced account login (for its credential).
func (s *Source) scopeFor(ctx context.Context, login string) (scope, error) {
	all, err := s.scopes(ctx)
	if err != nil {
		return scope{}, err
	}
	for _, sc := range all {
		if strings.EqualFold(sc.login, login) {
			return sc, nil
		}
	}
	if s.pat != nil {
		if u, err := s.authUser(ctx); err == nil && strings.EqualFold(u.login, login) {
			return u, nil
		}
		// A repository of an account not listed (a fork's parent): the
		// token may still read it.
		return scope{cred: s.pat, login: login}, nil
	}
	return scope{}, fmt.Errorf("account %q is not among the accounts synced", login)
}

// memo runs each key's function once and shares the result; a failed
// call is not kept, so a later caller tries again.
type memo[T any] struct {
	mu gosync.Mutex
	m  map[string]*memoEntry[T]
}

type memoEntry[T any] struct {
	done chan struct{}
	v    T
	err  error
}

func (m *memo[T]) do(ctx context.Context, key string, fn func() (T, error)) (T, error) {
	m.mu.Lock()
	if m.m == nil {
		m.m = map[string]*memoEntry[T]{}
	}
	e, ok := m.m[key]
	if !ok {
		e = &memoEntry[T]{done: make(chan struct{})}
		m.m[key] = e
	}
	m.mu.Unlock()
	if ok {
		select {
		case <-e.done:
			return e.v, e.err
		case <-ctx.Done():
			var zero T
			return zero, context.Cause(ctx)
		}
	}
	e.v, e.err = fn()
	if e.err != nil {
		m.mu.Lock()
		delete(m.m, key)
		m.mu.Unlock()
	}
	close(e.done)
	return e.v, e.err
}
