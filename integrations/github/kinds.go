package github

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"golang.org/x/sync/errgroup"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/yamlx"
)

// handler streams one kind's items.
type handler func(ctx context.Context, s *Source, r *request, e *emitter) error

// handlerFor returns the handler of kind, or nil.
func handlerFor(kind string) handler {
	switch kind {
	case "organization":
		return syncOrganizations
	case "repository":
		return syncRepositories
	case "pull-request":
		return perRepo(pullRequests)
	case "issue":
		return perRepo(issues)
	case "team":
		return syncTeams
	case "user":
		return syncUsers
	case "workflow":
		return perRepo(simpleListing("/actions/workflows", "workflows", nil))
	case "workflow-run":
		return perRepo(workflowRuns)
	case "release":
		return perRepo(simpleListing("/releases", "", nil))
	case "tag":
		return perRepo(simpleListing("/tags", "", nil))
	case "branch":
		return perRepo(branches)
	case "environment":
		return perRepo(environments)
	case "deployment":
		return perRepo(deployments)
	case "deployment-status":
		return perRepo(deploymentStatuses)
	case "collaborator":
		return perRepo(collaborators)
	case "folder":
		return syncFolders
	case "dependabot-alert":
		return perRepo(simpleListing("/dependabot/alerts", "", func(r *request) url.Values {
			q := url.Values{}
			setJoined(q, "state", r.alertStates)
			setJoined(q, "severity", r.severity)
			setJoined(q, "ecosystem", r.ecosystems)
			return q
		}))
	case "code-scanning-alerts":
		return perRepo(simpleListing("/code-scanning/alerts", "", func(r *request) url.Values {
			q := url.Values{}
			setJoined(q, "state", r.alertStates)
			setJoined(q, "severity", r.severity)
			return q
		}))
	case "secret-scanning-alerts":
		return perRepo(simpleListing("/secret-scanning/alerts", "", func(r *request) url.Values {
			q := url.Values{}
			setJoined(q, "state", r.alertStates)
			q.Set("hide_secret", strconv.FormatBool(r.hideSecret))
			return q
		}))
	case "file":
		return syncFiles
	}
	return nil
}

func setJoined(q url.Values, k string, vs []string) {
	if len(vs) > 0 {
		q.Set(k, strings.Join(vs, ","))
	}
}

func repoPath(sc scope, repo map[string]any) string {
	name, _ := repo["name"].(string)
	return "/repos/" + url.PathEscape(sc.login) + "/" + url.PathEscape(name)
}

// repoKind fetches one kind's items of one repository.
type repoKind func(ctx context.Context, s *Source, r *request, sc scope, repo map[string]any, out *repoEmitter) error

// perRepo adapts a per-repository fetch to a kind handler.
func perRepo(task repoKind) handler {
	return func(ctx context.Context, s *Source, r *request, e *emitter) error {
		return s.eachRepo(ctx, r, e, func(ctx context.Context, sc scope, repo map[string]any, out *repoEmitter) error {
			return task(ctx, s, r, sc, repo, out)
		})
	}
}

// simpleListing is a kind that is one paginated listing per repository.
func simpleListing(sub, key string, query func(*request) url.Values) repoKind {
	return func(ctx context.Context, s *Source, r *request, sc scope, repo map[string]any, out *repoEmitter) error {
		var q url.Values
		if query != nil {
			q = query(r)
		}
		return s.c.list(ctx, sc.cred, repoPath(sc, repo)+sub, q, listOpts{key: key}, func(items []map[string]any) (bool, error) {
			return true, out.send(items)
		})
	}
}

// ---- organization ----

func syncOrganizations(ctx context.Context, s *Source, r *request, e *emitter) error {
	scs, err := s.orgScopes(ctx, r)
	if err != nil {
		return err
	}
	items := make([]map[string]any, 0, len(scs))
	for _, sc := range scs {
		// A copy: the scope's item is shared by every block of the run.
		items = append(items, maps.Clone(sc.item))
	}
	return e.send(items)
}

// ---- repository ----

func syncRepositories(ctx context.Context, s *Source, r *request, e *emitter) error {
	scs, err := s.orgScopes(ctx, r)
	if err != nil {
		return err
	}
	enrich := len(r.includedFiles) > 0 || r.teams || r.collaborators != "" || r.sbom || r.customProperties || r.pages
	for _, sc := range scs {
		// Each page is enriched and handed on as it is listed, so a reader
		// that stops early (`tide map --live --limit`) stops the listing.
		err := s.repoPages(ctx, sc, r, func(chunk []map[string]any) error {
			page := make([]map[string]any, len(chunk))
			for i, repo := range chunk {
				page[i] = maps.Clone(repo) // shared with other kinds' fetches
				page[i]["__organization"] = sc.login
			}
			if enrich {
				g, gctx := errgroup.WithContext(ctx)
				g.SetLimit(s.fanout)
				for _, it := range page {
					g.Go(func() error { return s.enrichRepository(gctx, r, sc, it) })
				}
				if err := g.Wait(); err != nil {
					return err
				}
			}
			return e.send(page)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// pageSize is how many items a handler emits at once when it builds pages
// itself.
const pageSize = 100

func (s *Source) enrichRepository(ctx context.Context, r *request, sc scope, repo map[string]any) error {
	name, _ := repo["name"].(string)
	where := func(err error) error { return fmt.Errorf("repository %s/%s: %w", sc.login, name, s.refusal(err)) }
	if len(r.includedFiles) > 0 {
		branch, _ := repo["default_branch"].(string)
		files := make(map[string]any, len(r.includedFiles))
		for _, p := range r.includedFiles {
			f, err := s.contents(ctx, sc, repo, p, branch)
			switch {
			case isStatus(err, http.StatusNotFound):
				// Ocean: a file the repository lacks is null.
				files[p] = nil
			case err != nil:
				return where(err)
			default:
				files[p] = f.text
			}
		}
		repo["__includedFiles"] = files
	}
	collect := func(sub string, q url.Values) ([]any, error) {
		out := []any{}
		err := s.c.list(ctx, sc.cred, repoPath(sc, repo)+sub, q, listOpts{}, func(items []map[string]any) (bool, error) {
			for _, it := range items {
				out = append(out, it)
			}
			return true, nil
		})
		if isStatus(err, http.StatusNotFound) {
			return out, nil // as for other per-repository listings
		}
		return out, err
	}
	if r.teams {
		teams, err := collect("/teams", nil)
		if err != nil {
			return where(err)
		}
		repo["__teams"] = teams
	}
	if r.collaborators != "" {
		cs, err := collect("/collaborators", url.Values{"affiliation": {r.collaborators}})
		if err != nil {
			return where(err)
		}
		repo["__collaborators"] = cs
	}
	if err := s.enrichMore(ctx, r, sc, repo); err != nil {
		return where(err)
	}
	return nil
}

func isStatus(err error, status int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == status
}

// fileContent is one file read through the contents API.
type fileContent struct {
	text string
	meta map[string]any
}

// contents reads one file at ref (the default branch when "").
func (s *Source) contents(ctx context.Context, sc scope, repo map[string]any, p, ref string) (*fileContent, error) {
	q := url.Values{}
	if ref != "" {
		q.Set("ref", ref)
	}
	var body map[string]any
	if err := s.c.getJSON(ctx, sc.cred, repoPath(sc, repo)+"/contents/"+escapePath(p), q, &body); err != nil {
		return nil, err
	}
	enc, _ := body["encoding"].(string)
	raw, _ := body["content"].(string)
	if t, _ := body["type"].(string); t != "" && t != "file" {
		return nil, fmt.Errorf("github: %s is a %s, not a file", p, t)
	}
	if enc == "none" && raw == "" {
		// Over the contents API's 1 MB: GitHub sends no content; the blob
		// API serves files up to 100 MB.
		sha, _ := body["sha"].(string)
		if sha == "" {
			return nil, fmt.Errorf("github: %s is too large for the contents API and has no sha to fetch its blob", p)
		}
		var blob struct {
			Content  string `json:"content"`
			Encoding string `json:"encoding"`
		}
		if err := s.c.getJSON(ctx, sc.cred, repoPath(sc, repo)+"/git/blobs/"+url.PathEscape(sha), nil, &blob); err != nil {
			return nil, fmt.Errorf("%s (over 1 MB, read as a blob): %w", p, err)
		}
		raw, enc = blob.Content, blob.Encoding
	}
	text := raw
	if enc == "base64" {
		b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(raw, "\n", ""))
		if err != nil {
			return nil, fmt.Errorf("github: %s: decoding the file: %w", p, err)
		}
		text = string(b)
	}
	delete(body, "content")
	delete(body, "encoding")
	delete(body, "_links")
	return &fileContent{text: text, meta: body}, nil
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// ---- pull-request ----

func pullRequests(ctx context.Context, s *Source, r *request, sc scope, repo map[string]any, out *repoEmitter) error {
	if r.prGraphQL {
		return pullRequestsGraphQL(ctx, s, r, sc, repo, out)
	}
	for i, state := range r.prStates {
		q := url.Values{"state": {state}, "sort": {"updated"}, "direction": {"desc"}}
		fn := func(items []map[string]any) (bool, error) { return true, out.send(items) }
		if state != "open" {
			window := closedWindow(r)
			fn = func(items []map[string]any) (bool, error) {
				keep, more := window(items)
				return more, out.send(keep)
			}
		}
		err := s.c.list(ctx, sc.cred, repoPath(sc, repo)+"/pulls", q, listOpts{}, fn)
		if err != nil && i > 0 {
			// The pulls listing answered for the previous state: a 404 now
			// is the repository changing under us, not "no pull requests".
			return midListing(state+" pull requests", err)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func timeField(it map[string]any, k string) (time.Time, bool) {
	s, _ := it[k].(string)
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

// ---- issue ----

func issues(ctx context.Context, s *Source, r *request, sc scope, repo map[string]any, out *repoEmitter) error {
	q := url.Values{"state": {r.issueState}}
	setJoined(q, "labels", r.labels)
	return s.c.list(ctx, sc.cred, repoPath(sc, repo)+"/issues", q, listOpts{}, func(items []map[string]any) (bool, error) {
		if !r.includePRs {
			// The issues endpoint also lists pull requests; the pull-request
			// kind covers those (Ocean leaves this to the mapping's query).
			kept := items[:0]
			for _, it := range items {
				if _, isPR := it["pull_request"]; !isPR {
					kept = append(kept, it)
				}
			}
			items = kept
		}
		return true, out.send(items)
	})
}

// ---- workflow-run ----

func workflowRuns(ctx context.Context, s *Source, r *request, sc scope, repo map[string]any, out *repoEmitter) error {
	var workflows []map[string]any
	if err := s.c.list(ctx, sc.cred, repoPath(sc, repo)+"/actions/workflows", nil, listOpts{key: "workflows"}, func(items []map[string]any) (bool, error) {
		workflows = append(workflows, items...)
		return true, nil
	}); err != nil {
		return err
	}
	statuses := r.runStatuses
	if len(statuses) == 0 {
		statuses = []string{""}
	}
	for _, wf := range workflows {
		id := jsonID(wf["id"])
		for _, st := range statuses {
			q := url.Values{}
			if st != "" {
				q.Set("status", st)
			}
			if !r.runSince.IsZero() {
				q.Set("created", ">="+r.runSince.UTC().Format(time.RFC3339))
			}
			if r.runMax > 0 && r.runMax < 100 {
				q.Set("per_page", strconv.Itoa(r.runMax))
			}
			taken := 0
			err := s.c.list(ctx, sc.cred, repoPath(sc, repo)+"/actions/workflows/"+id+"/runs", q, listOpts{key: "workflow_runs"}, func(items []map[string]any) (bool, error) {
				if r.runMax > 0 && taken+len(items) > r.runMax {
					items = items[:r.runMax-taken]
				}
				taken += len(items)
				return r.runMax == 0 || taken < r.runMax, out.send(items)
			})
			if err != nil {
				// The workflow was just listed: a 404 on its runs is not
				// "Actions off", which the workflows listing would have said.
				return midListing("workflow "+id+" runs", err)
			}
		}
	}
	return nil
}

// jsonID renders a JSON number id without an exponent.
func jsonID(v any) string {
	switch t := v.(type) {
	case float64:
		return strconv.FormatInt(int64(t), 10)
	case string:
		return url.PathEscape(t)
	}
	return fmt.Sprint(v)
}

// ---- branch ----

func branches(ctx context.Context, s *Source, r *request, sc scope, repo map[string]any, out *repoEmitter) error {
	var list []map[string]any
	names := r.branchNames
	if r.defaultBranchOnly {
		// Ocean: defaultBranchOnly overrides branchNames.
		def, _ := repo["default_branch"].(string)
		names = []string{def}
	}
	if len(names) > 0 {
		for _, n := range names {
			var b map[string]any
			err := s.c.getJSON(ctx, sc.cred, repoPath(sc, repo)+"/branches/"+url.PathEscape(n), nil, &b)
			if isStatus(err, http.StatusNotFound) {
				continue // not in this repository
			}
			if err != nil {
				return err
			}
			list = append(list, b)
		}
	} else {
		if err := s.c.list(ctx, sc.cred, repoPath(sc, repo)+"/branches", nil, listOpts{}, func(items []map[string]any) (bool, error) {
			list = append(list, items...)
			return true, nil
		}); err != nil {
			return err
		}
	}
	if r.detailed && len(names) == 0 {
		// Ocean's detailed: the listing's short form is replaced by the
		// branch's own answer (the full commit, _links, protection).
		for i, b := range list {
			name, _ := b["name"].(string)
			var full map[string]any
			err := s.c.getJSON(ctx, sc.cred, repoPath(sc, repo)+"/branches/"+url.PathEscape(name), nil, &full)
			if err != nil {
				// A 404 here is a branch deleted since the listing: the
				// listing is no longer what GitHub holds, so the block fails
				// rather than sync the short form.
				return midListing(fmt.Sprintf("branch %q", name), err)
			}
			list[i] = full
		}
	}
	for _, b := range list {
		// The repository the branch belongs to, as Port's documented
		// branch mappings read it (.__repository_object.default_branch).
		b["__repository_object"] = repo
	}
	if r.protectionRules {
		for _, b := range list {
			name, _ := b["name"].(string)
			var rules map[string]any
			err := s.c.getJSON(ctx, sc.cred, repoPath(sc, repo)+"/branches/"+url.PathEscape(name)+"/protection", nil, &rules)
			switch {
			case isStatus(err, http.StatusNotFound):
				b["__protection_rules"] = nil // "Branch not protected"
			case err != nil:
				return fmt.Errorf("branch %q protection: %w", name, err)
			default:
				b["__protection_rules"] = rules
			}
		}
	}
	for start := 0; start < len(list); start += pageSize {
		if err := out.send(list[start:min(start+pageSize, len(list))]); err != nil {
			return err
		}
	}
	return nil
}

// ---- team (REST + GraphQL members) ----

// teamsPerQuery is how many teams one GraphQL query asks members of, by
// alias; membersPerPage is each team's first page of members.
const (
	teamsPerQuery  = 25
	membersPerPage = 100
)

func syncTeams(ctx context.Context, s *Source, r *request, e *emitter) error {
	scs, err := s.orgScopes(ctx, r)
	if err != nil {
		return err
	}
	for _, sc := range scs {
		if sc.user {
			continue // user accounts have no teams
		}
		err := s.c.list(ctx, sc.cred, "/orgs/"+url.PathEscape(sc.login)+"/teams", nil, listOpts{}, func(items []map[string]any) (bool, error) {
			for _, it := range items {
				it["__organization"] = sc.login
			}
			if r.teamMembers {
				for start := 0; start < len(items); start += teamsPerQuery {
					if err := s.teamMembers(ctx, r, sc, items[start:min(start+teamsPerQuery, len(items))]); err != nil {
						return false, err
					}
				}
			}
			return true, e.send(items)
		})
		if err != nil {
			return fmt.Errorf("organisation %q: teams: %w", sc.login, s.refusal(err))
		}
	}
	return nil
}

type pageInfo struct {
	HasNextPage bool   `json:"hasNextPage"`
	EndCursor   string `json:"endCursor"`
}

type gqlMembers struct {
	Nodes    []map[string]any `json:"nodes"`
	PageInfo pageInfo         `json:"pageInfo"`
}

type gqlTeam struct {
	DatabaseID          any        `json:"databaseId"`
	NotificationSetting any        `json:"notificationSetting"`
	Privacy             any        `json:"privacy"`
	Members             gqlMembers `json:"members"`
}

const memberFields = `nodes { id login name email isSiteAdmin } pageInfo { hasNextPage endCursor }`

// teamMembers asks GitHub's GraphQL API for the members of up to
// teamsPerQuery teams in one query (one alias per team), then pages on for
// the teams with more members. REST would need a call per team and page.
func (s *Source) teamMembers(ctx context.Context, r *request, sc scope, teams []map[string]any) error {
	var q strings.Builder
	vars := map[string]any{"org": sc.login}
	q.WriteString("query($org: String!")
	for i := range teams {
		fmt.Fprintf(&q, ", $s%d: String!", i)
	}
	q.WriteString(") { organization(login: $org) {")
	for i, t := range teams {
		vars["s"+strconv.Itoa(i)], _ = t["slug"].(string)
		fmt.Fprintf(&q, " t%d: team(slug: $s%d) { databaseId notificationSetting privacy members(first: %d) { %s } }", i, i, membersPerPage, memberFields)
	}
	q.WriteString(" } }")
	var data struct {
		Organization map[string]*gqlTeam `json:"organization"`
	}
	if err := s.c.graphQL(ctx, sc.cred, q.String(), vars, 0, &data); err != nil {
		return fmt.Errorf("team members: %w", err)
	}
	for i, t := range teams {
		gt := data.Organization["t"+strconv.Itoa(i)]
		if gt == nil {
			return fmt.Errorf("team members: GitHub's GraphQL API returned no team %q", vars["s"+strconv.Itoa(i)])
		}
		nodes := gt.Members.Nodes
		cursor, more := gt.Members.PageInfo.EndCursor, gt.Members.PageInfo.HasNextPage
		for more {
			var page struct {
				Organization struct {
					Team struct {
						Members gqlMembers `json:"members"`
					} `json:"team"`
				} `json:"organization"`
			}
			query := `query($org: String!, $slug: String!, $after: String) { organization(login: $org) { team(slug: $slug) { members(first: ` + strconv.Itoa(membersPerPage) + `, after: $after) { ` + memberFields + ` } } } }`
			if err := s.c.graphQL(ctx, sc.cred, query, map[string]any{"org": sc.login, "slug": vars["s"+strconv.Itoa(i)], "after": cursor}, 0, &page); err != nil {
				return fmt.Errorf("team %q members: %w", vars["s"+strconv.Itoa(i)], err)
			}
			m := page.Organization.Team.Members
			nodes = append(nodes, m.Nodes...)
			cursor, more = m.PageInfo.EndCursor, m.PageInfo.HasNextPage && m.PageInfo.EndCursor != ""
		}
		// Items hold only JSON's own types ([]any, not []map[string]any):
		// the mapping's JQ rejects others.
		list := make([]any, len(nodes))
		for j, n := range nodes {
			list[j] = n
		}
		// Ocean merges the GraphQL keys only where REST lacks them.
		setMissing(t, "databaseId", gt.DatabaseID)
		setMissing(t, "notificationSetting", gt.NotificationSetting)
		setMissing(t, "__graphql_privacy", gt.Privacy)
		if r.samlEmail {
			if err := s.setSAMLEmails(ctx, sc, nodes); err != nil {
				return err
			}
		}
		t["members"] = map[string]any{"nodes": list}
		t["__members"] = list
	}
	return nil
}

func setMissing(m map[string]any, k string, v any) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

// ---- user (GraphQL) ----

func syncUsers(ctx context.Context, s *Source, r *request, e *emitter) error {
	scs, err := s.orgScopes(ctx, r)
	if err != nil {
		return err
	}
	for _, sc := range scs {
		if sc.user {
			continue
		}
		first, cursor := 100, ""
		for {
			var data struct {
				Organization *struct {
					MembersWithRole gqlMembers `json:"membersWithRole"`
				} `json:"organization"`
			}
			query := `query($org: String!, $first: Int!, $after: String) { organization(login: $org) { membersWithRole(first: $first, after: $after) { nodes { login id databaseId email name } pageInfo { hasNextPage endCursor } } } }`
			vars := map[string]any{"org": sc.login, "first": first, "after": nil}
			if cursor != "" {
				vars["after"] = cursor
			}
			max5xx := 0
			if first > 25 {
				max5xx = tries5xxBeforeHalving
			}
			err := s.c.graphQL(ctx, sc.cred, query, vars, max5xx, &data)
			var ae *APIError
			if errors.As(err, &ae) && ae.Status >= 500 && first > 25 {
				// Ocean steps GraphQL page sizes down on 5xx, as REST's.
				first = max(first/2, 25)
				continue
			}
			if err != nil {
				return fmt.Errorf("organisation %q: members: %w", sc.login, s.refusal(err))
			}
			if data.Organization == nil {
				return fmt.Errorf("organisation %q: members: GitHub's GraphQL API returned no organisation", sc.login)
			}
			m := data.Organization.MembersWithRole
			for _, n := range m.Nodes {
				n["__organization"] = sc.login
			}
			if r.samlEmail {
				if err := s.setSAMLEmails(ctx, sc, m.Nodes); err != nil {
					return err
				}
			}
			if err := e.send(m.Nodes); err != nil {
				return err
			}
			if !m.PageInfo.HasNextPage || m.PageInfo.EndCursor == "" {
				break
			}
			cursor = m.PageInfo.EndCursor
		}
	}
	return nil
}

// ---- file ----

func validGlob(p string) bool { return doublestar.ValidatePattern(p) }

func syncFiles(ctx context.Context, s *Source, r *request, e *emitter) error {
	for i, spec := range r.files {
		if err := s.syncFileSpec(ctx, r, spec, e); err != nil {
			return fmt.Errorf("selector.files[%d] (%s): %w", i, spec.path, err)
		}
	}
	return nil
}

func (s *Source) syncFileSpec(ctx context.Context, r *request, spec fileSpec, e *emitter) error {
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
		return s.repoFiles(ctx, spec, sc, repo, branch, out)
	})
}

func (s *Source) repoFiles(ctx context.Context, spec fileSpec, sc scope, repo map[string]any, branch string, out *repoEmitter) error {
	if branch == "" {
		return nil // an empty repository
	}
	var paths []string
	if !strings.ContainsAny(spec.path, "*?[{\\") {
		paths = []string{spec.path} // a plain path needs no tree
	} else {
		var tree struct {
			Tree []struct {
				Path string `json:"path"`
				Type string `json:"type"`
			} `json:"tree"`
			Truncated bool `json:"truncated"`
		}
		err := s.c.getJSON(ctx, sc.cred, repoPath(sc, repo)+"/git/trees/"+url.PathEscape(branch), url.Values{"recursive": {"1"}}, &tree)
		if isStatus(err, http.StatusConflict) {
			return nil // "Git Repository is empty."
		}
		if err != nil {
			return err
		}
		if tree.Truncated {
			// Matching a glob against part of the tree would list part of
			// the files, and the rest would be deleted.
			return fmt.Errorf("%w: GitHub truncated the git tree of %s/%s at %s (its limit is 100,000 entries or 7 MB), so %q cannot be matched against every file; use plain file paths (no glob) in selector.files for this repository, or leave it out with selector.files[].repos", integrations.ErrIncomplete, sc.login, out.repo, branch, spec.path)
		}
		for _, t := range tree.Tree {
			if t.Type != "blob" {
				continue
			}
			if ok, _ := doublestar.Match(spec.path, t.Path); ok {
				paths = append(paths, t.Path)
			}
		}
	}
	var items []map[string]any
	for _, p := range paths {
		f, err := s.contents(ctx, sc, repo, p, branch)
		if isStatus(err, http.StatusNotFound) && len(paths) == 1 && paths[0] == spec.path {
			// A plain path this repository lacks, unless the 404 is for a
			// named branch that does not exist: that must fail the block,
			// or a typo in the branch would delete the block's entities.
			if def, _ := repo["default_branch"].(string); branch != def {
				berr := s.c.getJSON(ctx, sc.cred, repoPath(sc, repo)+"/branches/"+escapePath(branch), nil, new(map[string]any))
				if isStatus(berr, http.StatusNotFound) {
					return fmt.Errorf("branch %q does not exist in repository %s", branch, out.repo)
				}
				if berr != nil {
					return berr
				}
			}
			return nil
		}
		if err != nil {
			// A path the tree just listed: a 404 is not "no files here".
			return midListing(fmt.Sprintf("file %q", p), err)
		}
		var content any = f.text
		if !spec.skipParsing {
			if content, err = parseContent(p, f.text); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
		items = append(items, map[string]any{
			"content":    content,
			"repository": repo,
			"branch":     branch,
			"metadata":   f.meta,
			"__path":     p,
		})
	}
	return out.send(items)
}

// parseContent parses JSON and YAML files; other files stay text. A YAML
// file with several documents becomes a list of them.
func parseContent(p, text string) (any, error) {
	switch strings.ToLower(path.Ext(p)) {
	case ".json":
		var v any
		if err := json.Unmarshal([]byte(text), &v); err != nil {
			return nil, fmt.Errorf("not valid JSON: %w", err)
		}
		return v, nil
	case ".yaml", ".yml":
		all, err := yamlx.Decode([]byte(text))
		if err != nil {
			return nil, fmt.Errorf("not valid YAML: %w", err)
		}
		var docs []any
		for _, v := range all {
			if v != nil {
				docs = append(docs, v)
			}
		}
		switch len(docs) {
		case 0:
			return nil, nil
		case 1:
			return docs[0], nil
		}
		return docs, nil
	}
	return text, nil
}
