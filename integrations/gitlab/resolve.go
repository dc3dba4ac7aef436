package gitlab

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/jsonx"
	"github.com/tide-sync/tide/internal/yamlx"
)

const (
	filePrefix   = "file://"
	searchPrefix = "search://"
)

// ValuePrefixes implements integrations.ValueResolver: Ocean gitlab-v2's
// file:// and search:// mapping values.
func (s *Source) ValuePrefixes() []string { return []string{filePrefix, searchPrefix} }

// ResolveValues implements integrations.ValueResolver. The project is the
// item itself (kind project) or its "repo" (kinds file and folder), as in
// Ocean; file:// reads the default branch (a folder item's __branch). Each
// project and value is fetched once a run, concurrently within the
// client's limits. An item with no project resolves to null.
func (s *Source) ResolveValues(ctx context.Context, req integrations.Request, items []integrations.Item, refs []string) ([]map[string]any, error) {
	for _, ref := range refs {
		if strings.HasPrefix(ref, searchPrefix) {
			if _, _, err := parseSearch(ref); err != nil {
				return nil, err
			}
		}
	}
	type target struct {
		p      map[string]any
		branch string
	}
	return integrations.ResolveEach(ctx, s.fanout, items, refs,
		func(it integrations.Item) (target, bool) {
			p, branch := projectOf(it)
			return target{p, branch}, p != nil // no project: every value is null
		},
		func(ctx context.Context, t target, r string) (any, error) {
			v, err := s.resolve(ctx, t.p, t.branch, r)
			if err != nil {
				return nil, fmt.Errorf("%s for project %v: %w", r, t.p["path_with_namespace"], err)
			}
			return v, nil
		})
}

// projectOf returns the item's project and the branch to read.
func projectOf(it map[string]any) (map[string]any, string) {
	p := map[string]any(it)
	if _, ok := it["path_with_namespace"]; !ok {
		repo, ok := it["repo"].(map[string]any)
		if !ok {
			return nil, ""
		}
		p = repo
	}
	ref, _ := it["__branch"].(string)
	if ref == "" {
		ref, _ = p["default_branch"].(string)
	}
	return p, ref
}

func (s *Source) resolve(ctx context.Context, p map[string]any, branch, ref string) (any, error) {
	key := projectPath(p) + "\x00" + branch + "\x00" + ref
	return s.values.do(ctx, key, func() (any, error) {
		switch {
		case strings.HasPrefix(ref, filePrefix):
			fp := strings.TrimPrefix(ref, filePrefix)
			text, err := s.fileText(ctx, p, fp, branch)
			if err != nil || text == nil {
				return nil, err
			}
			return parseByExtension(fp, *text), nil
		case strings.HasPrefix(ref, searchPrefix):
			scope, query, err := parseSearch(ref)
			if err != nil {
				return nil, err
			}
			return s.searchFinds(ctx, p, scope, query)
		}
		return nil, fmt.Errorf("%q: no such prefix", ref)
	})
}

// fileText reads a file's raw text at ref (the default branch when "");
// nil when the file, the branch or the repository does not exist.
func (s *Source) fileText(ctx context.Context, p map[string]any, fp, ref string) (*string, error) {
	if ref == "" {
		ref, _ = p["default_branch"].(string)
	}
	if ref == "" {
		return nil, nil // an empty repository
	}
	resp, err := s.c.get(ctx, "/projects/"+projectPath(p)+"/repository/files/"+url.PathEscape(strings.TrimPrefix(fp, "/"))+"/raw", url.Values{"ref": {ref}})
	if statusOf(err) == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	text := string(resp.Body)
	return &text, nil
}

// parseByExtension parses a JSON or YAML file's content; other files (and
// content that does not parse) stay text.
func parseByExtension(fp, text string) any {
	switch strings.ToLower(path.Ext(fp)) {
	case ".json":
		if v, err := jsonx.Decode([]byte(text)); err == nil {
			return v
		}
	case ".yaml", ".yml":
		if docs, err := yamlx.Decode([]byte(text)); err == nil && len(docs) == 1 {
			return docs[0]
		} else if err == nil && len(docs) > 1 {
			return docs
		}
	}
	return text
}

// parseSearch reads Ocean's "search://scope=blobs&&query=..." (one "&"
// accepted too).
func parseSearch(ref string) (scope, query string, err error) {
	body := strings.TrimSpace(strings.TrimPrefix(ref, searchPrefix))
	sp, qp, ok := strings.Cut(body, "&&")
	if !ok {
		sp, qp, ok = strings.Cut(body, "&query=")
		qp = "query=" + qp
	}
	sp, qp = strings.TrimSpace(sp), strings.TrimSpace(qp)
	if !ok || !strings.HasPrefix(sp, "scope=") || !strings.HasPrefix(qp, "query=") {
		return "", "", fmt.Errorf("%w: mapping value %q: want search://scope=SCOPE&&query=QUERY", integrations.ErrConfig, ref)
	}
	scope, query = strings.TrimSpace(strings.TrimPrefix(sp, "scope=")), strings.TrimSpace(strings.TrimPrefix(qp, "query="))
	if scope == "" || query == "" {
		return "", "", fmt.Errorf("%w: mapping value %q: scope and query must not be empty", integrations.ErrConfig, ref)
	}
	return scope, query, nil
}

// searchFinds reports whether the project's search finds anything.
func (s *Source) searchFinds(ctx context.Context, p map[string]any, scope, query string) (bool, error) {
	q := url.Values{"scope": {scope}, "search": {query}, "per_page": {"1"}}
	ref, _ := p["default_branch"].(string)
	if ref != "" && scope == "blobs" {
		q.Set("ref", ref)
	}
	resp, err := s.c.get(ctx, "/projects/"+projectPath(p)+"/search", q)
	if err != nil {
		return false, err
	}
	v, err := resp.JSON()
	if err != nil {
		return false, err
	}
	arr, ok := v.([]any)
	if !ok {
		return false, fmt.Errorf("project search: want a JSON array, got %s", jsonx.TypeName(v))
	}
	return len(arr) > 0, nil
}
