package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/tide-sync/tide/integrations"
)

// ---- collaborator ----

func collaborators(ctx context.Context, s *Source, r *request, sc scope, repo map[string]any, out *repoEmitter) error {
	return s.c.list(ctx, sc.cred, repoPath(sc, repo)+"/collaborators", url.Values{"affiliation": {r.affiliation}}, listOpts{}, func(items []map[string]any) (bool, error) {
		return true, out.send(items)
	})
}

// ---- deployment, deployment-status ----

func deploymentQuery(r *request) url.Values {
	q := url.Values{}
	if r.task != "" {
		q.Set("task", r.task)
	}
	if r.environment != "" {
		q.Set("environment", r.environment)
	}
	return q
}

func deployments(ctx context.Context, s *Source, r *request, sc scope, repo map[string]any, out *repoEmitter) error {
	if !r.deployFirstCommit {
		return simpleListing("/deployments", "", deploymentQuery)(ctx, s, r, sc, repo, out)
	}
	// The first commit of a deployment is the oldest commit between the
	// previous deployment to its environment and it, so the whole listing
	// is read first (as Ocean does).
	var all []map[string]any
	if err := s.c.list(ctx, sc.cred, repoPath(sc, repo)+"/deployments", deploymentQuery(r), listOpts{}, func(items []map[string]any) (bool, error) {
		all = append(all, items...)
		return true, nil
	}); err != nil {
		return err
	}
	byEnv := map[string][]map[string]any{}
	var envs []string
	for _, d := range all {
		env, _ := d["environment"].(string)
		if _, ok := byEnv[env]; !ok {
			envs = append(envs, env)
		}
		byEnv[env] = append(byEnv[env], d)
	}
	for _, env := range envs {
		ds := byEnv[env]
		sort.SliceStable(ds, func(i, j int) bool {
			a, _ := timeField(ds[i], "created_at")
			b, _ := timeField(ds[j], "created_at")
			return a.After(b)
		})
		for i, d := range ds {
			prev := ""
			if i+1 < len(ds) {
				prev, _ = ds[i+1]["sha"].(string)
			}
			if err := s.firstCommit(ctx, sc, repo, d, prev); err != nil {
				return fmt.Errorf("deployment %s: first commit: %w", jsonID(d["id"]), err)
			}
		}
	}
	for start := 0; start < len(all); start += pageSize {
		if err := out.send(all[start:min(start+pageSize, len(all))]); err != nil {
			return err
		}
	}
	return nil
}

// firstCommit sets Ocean's __firstCommit ({...commit, __sha, __timestamp})
// and __commitCount on a deployment: the oldest commit since the previous
// deployment to the same environment (compare API), or the deployed
// commit itself for the first deployment. A commit GitHub no longer has
// (404) leaves the deployment without them, as Ocean does.
func (s *Source) firstCommit(ctx context.Context, sc scope, repo, d map[string]any, prev string) error {
	sha, _ := d["sha"].(string)
	if sha == "" {
		return nil
	}
	if prev != "" && prev != sha {
		var cmp struct {
			TotalCommits int              `json:"total_commits"`
			Commits      []map[string]any `json:"commits"`
		}
		err := s.c.getJSON(ctx, sc.cred, repoPath(sc, repo)+"/compare/"+url.PathEscape(prev)+"..."+url.PathEscape(sha), nil, &cmp)
		if err != nil && !isStatus(err, http.StatusNotFound) {
			return err
		}
		var first map[string]any
		var firstAt time.Time
		for _, c := range cmp.Commits {
			at, ok := committedAt(c)
			if ok && (first == nil || at.Before(firstAt)) {
				first, firstAt = c, at
			}
		}
		if first != nil {
			n := cmp.TotalCommits
			if n == 0 {
				n = len(cmp.Commits)
			}
			setFirstCommit(d, first, float64(n))
			return nil
		}
	}
	var c map[string]any
	err := s.c.getJSON(ctx, sc.cred, repoPath(sc, repo)+"/commits/"+url.PathEscape(sha), nil, &c)
	if isStatus(err, http.StatusNotFound) || isStatus(err, http.StatusUnprocessableEntity) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, ok := committedAt(c); ok {
		setFirstCommit(d, c, 1)
	}
	return nil
}

func committedAt(c map[string]any) (time.Time, bool) {
	commit, _ := c["commit"].(map[string]any)
	committer, _ := commit["committer"].(map[string]any)
	return timeField(committer, "date")
}

func setFirstCommit(d, c map[string]any, count float64) {
	fc := make(map[string]any, len(c)+2)
	for k, v := range c {
		fc[k] = v
	}
	fc["__sha"] = c["sha"]
	commit, _ := c["commit"].(map[string]any)
	committer, _ := commit["committer"].(map[string]any)
	fc["__timestamp"] = committer["date"]
	d["__firstCommit"] = fc
	d["__commitCount"] = count
}

func deploymentStatuses(ctx context.Context, s *Source, r *request, sc scope, repo map[string]any, out *repoEmitter) error {
	var ids []string
	if err := s.c.list(ctx, sc.cred, repoPath(sc, repo)+"/deployments", deploymentQuery(r), listOpts{}, func(items []map[string]any) (bool, error) {
		for _, d := range items {
			ids = append(ids, jsonID(d["id"]))
		}
		return true, nil
	}); err != nil {
		return err
	}
	for _, id := range ids {
		err := s.c.list(ctx, sc.cred, repoPath(sc, repo)+"/deployments/"+id+"/statuses", nil, listOpts{}, func(items []map[string]any) (bool, error) {
			for _, it := range items {
				it["__deployment_id"] = id // Ocean's key, the id as text
			}
			return true, out.send(items)
		})
		if err != nil {
			return midListing("deployment "+id+" statuses", err)
		}
	}
	return nil
}

// midListing wraps the error of a request about something just listed. A
// 404 there is a listing that changed under us, not "the repository has
// none": it must fail the block, so it no longer reads as a 404 (which
// eachRepo takes for a feature that is off).
func midListing(what string, err error) error {
	if isStatus(err, http.StatusNotFound) {
		return fmt.Errorf("%w: %s: not found, though just listed: %v", integrations.ErrIncomplete, what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// ---- environment ----

func environments(ctx context.Context, s *Source, r *request, sc scope, repo map[string]any, out *repoEmitter) error {
	return s.c.list(ctx, sc.cred, repoPath(sc, repo)+"/environments", nil, listOpts{key: "environments"}, func(items []map[string]any) (bool, error) {
		if r.includeVariables {
			for _, env := range items {
				name, _ := env["name"].(string)
				vars := []any{}
				err := s.c.list(ctx, sc.cred, repoPath(sc, repo)+"/environments/"+url.PathEscape(name)+"/variables", nil, listOpts{key: "variables"}, func(vs []map[string]any) (bool, error) {
					for _, v := range vs {
						vars = append(vars, v)
					}
					return true, nil
				})
				if err != nil {
					return false, midListing(fmt.Sprintf("environment %q variables", name), err)
				}
				env["__variables"] = vars
			}
		}
		return true, out.send(items)
	})
}

// ---- repository relations: sbom, custom properties, pages ----

// enrichMore adds the relations includedRelations asks for beyond teams
// and collaborators. A 404 means the feature is off for the repository
// (no dependency graph, no Pages site): null, as Ocean leaves it.
func (s *Source) enrichMore(ctx context.Context, r *request, sc scope, repo map[string]any) error {
	get := func(sub string, out any) (bool, error) {
		err := s.c.getJSON(ctx, sc.cred, repoPath(sc, repo)+sub, nil, out)
		if isStatus(err, http.StatusNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	if r.sbom {
		var body struct {
			SBOM any `json:"sbom"`
		}
		if _, err := get("/dependency-graph/sbom", &body); err != nil {
			return fmt.Errorf("sbom: %w", err)
		}
		repo["__sbom"] = body.SBOM
	}
	if r.customProperties {
		if _, ok := repo["custom_properties"]; !ok {
			// Ocean fetches them only when the listing lacks them.
			var vals []struct {
				Name  string `json:"property_name"`
				Value any    `json:"value"`
			}
			if _, err := get("/properties/values", &vals); err != nil {
				return fmt.Errorf("custom properties: %w", err)
			}
			props := make(map[string]any, len(vals))
			for _, v := range vals {
				props[v.Name] = v.Value
			}
			repo["custom_properties"] = props
		}
	}
	if r.pages {
		var pages map[string]any
		found, err := get("/pages", &pages)
		if err != nil {
			return fmt.Errorf("pages: %w", err)
		}
		if found {
			repo["__pages"] = pages
		} else {
			repo["__pages"] = nil
		}
	}
	return nil
}

// ---- folder ----

func syncFolders(ctx context.Context, s *Source, r *request, e *emitter) error {
	for i, spec := range r.folders {
		if err := s.syncFolderSpec(ctx, r, spec, e); err != nil {
			return fmt.Errorf("selector.folders[%d] (%s): %w", i, spec.path, err)
		}
	}
	return nil
}

func (s *Source) syncFolderSpec(ctx context.Context, r *request, spec folderSpec, e *emitter) error {
	sub := *r
	if spec.organization != "" {
		sub.organizations = []string{spec.organization}
	}
	if err := s.checkNamedRepos(ctx, &sub, spec.repos); err != nil {
		return err
	}
	return s.eachRepo(ctx, &sub, e, func(ctx context.Context, sc scope, repo map[string]any, out *repoEmitter) error {
		branch, wanted := specBranch(spec.repos, repo)
		if !wanted {
			return nil
		}
		name, _ := repo["name"].(string)
		if branch == "" {
			return nil // an empty repository
		}
		// Ocean asks for the whole tree only when the path needs it: a
		// plain top-level name or "*" is matched against the root.
		recursive := spec.path != "" && spec.path != "*" && strings.ContainsAny(spec.path, "*/")
		q := url.Values{}
		if recursive {
			q.Set("recursive", "1")
		}
		var tree struct {
			Tree      []map[string]any `json:"tree"`
			Truncated bool             `json:"truncated"`
		}
		err := s.c.getJSON(ctx, sc.cred, repoPath(sc, repo)+"/git/trees/"+url.PathEscape(branch), q, &tree)
		switch {
		case isStatus(err, http.StatusConflict):
			return nil // "Git Repository is empty."
		case isStatus(err, http.StatusNotFound):
			if def, _ := repo["default_branch"].(string); branch != def {
				// A named branch that does not exist must fail the block,
				// or a typo would delete its entities.
				return errors.New("branch " + branch + " does not exist in repository " + name)
			}
			return err
		case err != nil:
			return err
		case tree.Truncated:
			return fmt.Errorf("%w: GitHub truncated the git tree of %s/%s at %s (100,000 entries or 7 MB), so %q cannot be matched against every folder; use a top-level path (no recursion), or leave the repository out with selector.folders[].repos", integrations.ErrIncomplete, sc.login, name, branch, spec.path)
		}
		var items []map[string]any
		for _, t := range tree.Tree {
			if t["type"] != "tree" {
				continue
			}
			p, _ := t["path"].(string)
			if spec.path != "" && spec.path != "*" {
				if ok, _ := doublestar.Match(spec.path, p); !ok {
					continue
				}
			}
			items = append(items, map[string]any{
				"folder":         t,
				"__repository":   repo,
				"__organization": sc.login,
				"__branch":       branch,
			})
		}
		for start := 0; start < len(items); start += pageSize {
			if err := out.e.send(items[start:min(start+pageSize, len(items))]); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkNamedRepos fails when a repository named in a selector is not
// among the accounts' repositories: a typo would otherwise sync as "none
// there", and the block's entities would be deleted.
func (s *Source) checkNamedRepos(ctx context.Context, r *request, named []repoBranch) error {
	if len(named) == 0 {
		return nil
	}
	scs, err := s.orgScopes(ctx, r)
	if err != nil {
		return err
	}
	for _, rb := range named {
		found := false
		for _, sc := range scs {
			repos, err := s.reposFor(ctx, sc, r)
			if err != nil {
				return err
			}
			for _, repo := range repos {
				if n, _ := repo["name"].(string); strings.EqualFold(n, rb.name) {
					found = true
				}
			}
		}
		if !found {
			return fmt.Errorf("repository %q is not among the organisations' repositories", rb.name)
		}
	}
	return nil
}
