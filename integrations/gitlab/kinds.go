package gitlab

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	gosync "sync"

	"golang.org/x/sync/errgroup"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/jsonx"
	"github.com/tide-sync/tide/internal/yamlx"
)

// handler streams one kind.
type handler func(ctx context.Context, s *Source, r *request, e *emitter) error

var handlers = map[string]handler{
	"project":              resyncProjects,
	"group":                resyncGroups,
	"group-with-members":   resyncGroupsWithMembers,
	"member":               resyncMembers,
	"project-with-members": resyncProjectsWithMembers,
	"issue":                resyncIssues,
	"merge-request":        resyncMergeRequests,
	"pipeline":             perProject(pipelines),
	"job":                  perProject(jobs),
	"tag":                  perProject(listUnder("/repository/tags", nil)),
	"release":              perProject(listUnder("/releases", nil)),
	"branch":               perProject(branches),
	"deployment":           perProject(deployments),
	"environment":          perProject(listUnder("/environments", nil)),
	"file":                 perProject(files),
	"folder":               resyncFolders,
}

// emitter serialises emits from concurrent fetches (the engine's Emit is
// not safe for concurrent use) and, when seen is set, yields each id once:
// group-level issue and merge-request listings include every subgroup's.
type emitter struct {
	mu   gosync.Mutex
	emit integrations.Emit
	seen map[string]bool
}

func (e *emitter) send(items []map[string]any) error {
	if len(items) == 0 {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	page := make([]integrations.Item, 0, len(items))
	for _, it := range items {
		if e.seen != nil {
			id := fmt.Sprint(jsonNum(it["id"]))
			if e.seen[id] {
				continue
			}
			e.seen[id] = true
		}
		page = append(page, it)
	}
	if len(page) == 0 {
		return nil
	}
	return e.emit(page)
}

// sendChunks emits items 100 at a time.
func (e *emitter) sendChunks(items []map[string]any) error {
	for len(items) > 0 {
		n := min(len(items), perPage)
		if err := e.send(items[:n]); err != nil {
			return err
		}
		items = items[n:]
	}
	return nil
}

// ---- projects and groups ----

// projects lists the projects in scope once a run per filter and shares
// the list with every per-project kind. Keyset pagination: GitLab's
// recommendation for project listings, which offset pagination serves
// slowly and only up to 50,000.
func (s *Source) projects(ctx context.Context, r *request) ([]map[string]any, error) {
	q := url.Values{}
	if r.minAccessLevel > 0 {
		q.Set("min_access_level", strconv.Itoa(r.minAccessLevel))
	}
	if r.activeProjects != nil {
		q.Set("active", strconv.FormatBool(*r.activeProjects))
	}
	if r.projectSearch != "" {
		q.Set("search", r.projectSearch)
	}
	return s.projectList.do(ctx, q.Encode(), func() ([]map[string]any, error) {
		var out []map[string]any
		err := s.c.listKeyset(ctx, "/projects", q, func(items []map[string]any) error {
			for _, p := range items {
				// Ocean drops projects pending deletion; an archived
				// project is kept unless only active ones are asked for
				// (GitLab filters them then; this holds on instances
				// that predate the active parameter too).
				if p["marked_for_deletion_at"] != nil || p["marked_for_deletion_on"] != nil {
					continue
				}
				if r.activeProjects != nil && *r.activeProjects && p["archived"] == true {
					continue
				}
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("listing projects: %w", err)
		}
		return out, nil
	})
}

// groups lists the groups in scope (subgroups included) once a run per
// filter.
func (s *Source) groups(ctx context.Context, r *request) ([]map[string]any, error) {
	q := url.Values{"all_available": {"true"}}
	if r.minAccessLevel > 0 {
		q.Set("min_access_level", strconv.Itoa(r.minAccessLevel))
	}
	if r.activeGroups != nil {
		q.Set("active", strconv.FormatBool(*r.activeGroups))
	}
	if r.groupSearch != "" {
		q.Set("search", r.groupSearch)
	}
	return s.groupList.do(ctx, q.Encode(), func() ([]map[string]any, error) {
		var out []map[string]any
		// Every kind built on groups shares this listing and its error:
		// it names no kind (Resync names the caller's).
		err := s.c.list(withKind(ctx, ""), "/groups", q, func(items []map[string]any) error {
			for _, g := range items {
				if g["marked_for_deletion_on"] != nil || g["marked_for_deletion_at"] != nil {
					continue
				}
				out = append(out, g)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("listing groups: %w", err)
		}
		return out, nil
	})
}

// rootGroups keeps the groups whose parent is not in the list: a group's
// issue and merge-request listings include its subgroups', so asking the
// roots alone covers every group once (Ocean asks every group and leaves
// the duplicates to Port).
func rootGroups(groups []map[string]any) []map[string]any {
	ids := map[string]bool{}
	for _, g := range groups {
		ids[fmt.Sprint(jsonNum(g["id"]))] = true
	}
	var out []map[string]any
	for _, g := range groups {
		if p := g["parent_id"]; p == nil || !ids[fmt.Sprint(jsonNum(p))] {
			out = append(out, g)
		}
	}
	return out
}

func resyncProjects(ctx context.Context, s *Source, r *request, e *emitter) error {
	projects, err := s.projects(ctx, r)
	if err != nil {
		return err
	}
	if !r.languages && len(r.searchQueries) == 0 && len(r.includedFiles) == 0 {
		return e.sendChunks(projects)
	}
	return s.each(ctx, "project", projects, func(ctx context.Context, p map[string]any) error {
		it, err := s.enrichProject(ctx, r, p)
		if err != nil {
			return err
		}
		return e.send([]map[string]any{it})
	})
}

// enrichProject adds Ocean's __languages, __searchQueries and
// __includedFiles to a copy of p (the project list is shared).
func (s *Source) enrichProject(ctx context.Context, r *request, p map[string]any) (map[string]any, error) {
	it := make(map[string]any, len(p)+3)
	for k, v := range p {
		it[k] = v
	}
	pp := projectPath(p)
	if r.languages {
		langs, err := s.c.getObject(ctx, "/projects/"+pp+"/languages", nil)
		if err != nil {
			return nil, notAbsence(fmt.Errorf("languages: %w", err))
		}
		it["__languages"] = langs
	}
	if len(r.searchQueries) > 0 {
		res := map[string]any{}
		for _, sq := range r.searchQueries {
			found, err := s.searchFinds(ctx, p, sq.scope, sq.query)
			if err != nil {
				return nil, notAbsence(fmt.Errorf("search query %q: %w", sq.name, err))
			}
			res[sq.name] = found
		}
		it["__searchQueries"] = res
	}
	if len(r.includedFiles) > 0 {
		files, err := s.includedFiles(ctx, p, r.includedFiles)
		if err != nil {
			return nil, notAbsence(err)
		}
		it["__includedFiles"] = files
	}
	return it, nil
}

// includedFiles reads each path on the project's default branch: {path:
// text}, a missing file (or an empty repository) null.
func (s *Source) includedFiles(ctx context.Context, p map[string]any, paths []string) (map[string]any, error) {
	out := make(map[string]any, len(paths))
	for _, fp := range paths {
		text, err := s.fileText(ctx, p, fp, "")
		if err != nil {
			return nil, fmt.Errorf("included file %q: %w", fp, err)
		}
		if text == nil {
			out[fp] = nil
		} else {
			out[fp] = *text
		}
	}
	return out, nil
}

func resyncGroups(ctx context.Context, s *Source, r *request, e *emitter) error {
	groups, err := s.groups(ctx, r)
	if err != nil {
		return err
	}
	return e.sendChunks(groups)
}

// members lists a group's or project's members (with inherited ones when
// asked), without bots unless asked.
func (s *Source) members(ctx context.Context, r *request, base string) ([]map[string]any, error) {
	p := base + "/members"
	if r.inherited {
		p += "/all"
	}
	var out []map[string]any
	err := s.c.list(ctx, p, nil, func(items []map[string]any) error {
		for _, m := range items {
			if !r.bots && isBot(m) {
				continue
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// botName matches the usernames GitLab gives project, group and service
// account bots, for members whose answer lacks the bot flag.
var botName = regexp.MustCompile(`^(project|group)_\d+_bot(_[0-9a-f]+)?\d*$|^service_account_`)

func isBot(m map[string]any) bool {
	if b, ok := m["bot"].(bool); ok {
		return b
	}
	name, _ := m["username"].(string)
	return botName.MatchString(name)
}

// reduced is Ocean's __members row.
func reduced(ms []map[string]any) []any {
	out := make([]any, 0, len(ms))
	for _, m := range ms {
		out = append(out, map[string]any{"id": m["id"], "username": m["username"], "name": m["name"], "access_level": m["access_level"], "email": m["email"]})
	}
	return out
}

func resyncGroupsWithMembers(ctx context.Context, s *Source, r *request, e *emitter) error {
	groups, err := s.groups(ctx, r)
	if err != nil {
		return err
	}
	return s.withMembers(ctx, r, e, "group", "/groups/", groups)
}

// withMembers sends each group or project (what, listed under prefix)
// with its members as __members.
func (s *Source) withMembers(ctx context.Context, r *request, e *emitter, what, prefix string, list []map[string]any) error {
	return s.each(ctx, what, list, func(ctx context.Context, x map[string]any) error {
		ms, err := s.members(ctx, r, prefix+projectPath(x))
		if err != nil {
			// An enrichment: a 404 would drop the group or project itself.
			return notAbsence(fmt.Errorf("members: %w", err))
		}
		it := make(map[string]any, len(x)+1)
		for k, v := range x {
			it[k] = v
		}
		it["__members"] = reduced(ms)
		return e.send([]map[string]any{it})
	})
}

// resyncMembers yields each member of every group once (Ocean yields a
// member once per group; the entities are the same).
func resyncMembers(ctx context.Context, s *Source, r *request, e *emitter) error {
	groups, err := s.groups(ctx, r)
	if err != nil {
		return err
	}
	e.seen = map[string]bool{}
	return s.each(ctx, "group", groups, func(ctx context.Context, g map[string]any) error {
		ms, err := s.members(ctx, r, "/groups/"+projectPath(g))
		if err != nil {
			// The group was listed a moment ago: a 404 on its members is
			// not "no members", and would delete them.
			return notAbsence(fmt.Errorf("members: %w", err))
		}
		return e.sendChunks(ms)
	})
}

func resyncProjectsWithMembers(ctx context.Context, s *Source, r *request, e *emitter) error {
	projects, err := s.projects(ctx, r)
	if err != nil {
		return err
	}
	return s.withMembers(ctx, r, e, "project", "/projects/", projects)
}

func resyncIssues(ctx context.Context, s *Source, r *request, e *emitter) error {
	groups, err := s.groups(ctx, r)
	if err != nil {
		return err
	}
	q := url.Values{}
	if r.issueType != "" {
		q.Set("issue_type", r.issueType)
	}
	if r.labels != "" {
		q.Set("labels", r.labels)
	}
	if r.nonArchived {
		q.Set("non_archived", "true")
	}
	if r.issueState != "" {
		q.Set("state", r.issueState)
	}
	if r.updatedAfter != nil {
		q.Set("updated_after", r.updatedAfter.Format("2006-01-02T15:04:05Z"))
	}
	e.seen = map[string]bool{}
	return s.each(ctx, "group", rootGroups(groups), func(ctx context.Context, g map[string]any) error {
		return s.c.list(ctx, "/groups/"+projectPath(g)+"/issues", q, e.send)
	})
}

// resyncMergeRequests asks each state apart, as Ocean does; updatedAfter
// (90 days by default) bounds the closed and merged ones only.
func resyncMergeRequests(ctx context.Context, s *Source, r *request, e *emitter) error {
	groups, err := s.groups(ctx, r)
	if err != nil {
		return err
	}
	e.seen = map[string]bool{}
	roots := rootGroups(groups)
	for _, state := range r.states {
		q := url.Values{"state": {state}}
		if state != "opened" && r.updatedAfter != nil {
			q.Set("updated_after", r.updatedAfter.Format("2006-01-02T15:04:05Z"))
		}
		err := s.each(ctx, "group", roots, func(ctx context.Context, g map[string]any) error {
			return s.c.list(ctx, "/groups/"+projectPath(g)+"/merge_requests", q, e.send)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// ---- per-project kinds ----

// projectTask fetches one project's items of a kind.
type projectTask func(ctx context.Context, s *Source, r *request, p map[string]any, send func([]map[string]any) error) error

func perProject(task projectTask) handler {
	return func(ctx context.Context, s *Source, r *request, e *emitter) error {
		projects, err := s.projects(ctx, r)
		if err != nil {
			return err
		}
		return s.each(ctx, "project", projects, func(ctx context.Context, p map[string]any) error {
			n := 0
			err := task(ctx, s, r, p, func(items []map[string]any) error {
				n += len(items)
				return e.send(items)
			})
			if err != nil && n > 0 {
				// Part of the project's items went out: whatever failed
				// after them, the listing is short.
				return notAbsence(fmt.Errorf("after %d of the project's items were listed: %w", n, err))
			}
			return err
		})
	}
}

// withProject stamps Ocean's __project ({path_with_namespace}) on items.
func withProject(p map[string]any, send func([]map[string]any) error) func([]map[string]any) error {
	ref := map[string]any{"path_with_namespace": p["path_with_namespace"]}
	return func(items []map[string]any) error {
		for _, it := range items {
			it["__project"] = ref
		}
		return send(items)
	}
}

// listUnder lists a per-project path, stamping __project.
func listUnder(sub string, q url.Values) projectTask {
	return func(ctx context.Context, s *Source, r *request, p map[string]any, send func([]map[string]any) error) error {
		return s.c.list(ctx, "/projects/"+projectPath(p)+sub, q, withProject(p, send))
	}
}

// pipelines stamps __project, which the pipeline mapping of Port's GitLab
// documentation relates to the service by.
func pipelines(ctx context.Context, s *Source, r *request, p map[string]any, send func([]map[string]any) error) error {
	return s.c.list(ctx, "/projects/"+projectPath(p)+"/pipelines", r.apiQuery, withProject(p, send))
}

// jobs lists every job of every pipeline. Ocean reads only the first 100
// jobs of a pipeline; tide reads them all (a shorter list would delete
// the rest).
func jobs(ctx context.Context, s *Source, r *request, p map[string]any, send func([]map[string]any) error) error {
	pp := "/projects/" + projectPath(p)
	var ids []string
	err := s.c.list(ctx, pp+"/pipelines", r.pipelineQuery, func(items []map[string]any) error {
		for _, it := range items {
			ids = append(ids, fmt.Sprint(jsonNum(it["id"])))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.c.list(ctx, pp+"/pipelines/"+id+"/jobs", nil, send); err != nil {
			// The pipelines listing just named this pipeline: a 404 on
			// its jobs is no absence of jobs in the project.
			return notAbsence(fmt.Errorf("pipeline %s: %w", id, err))
		}
	}
	return nil
}

func jsonNum(v any) any {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return v
}

// branches reads the default branch only (Ocean's default) or lists the
// branches matching regex or search.
func branches(ctx context.Context, s *Source, r *request, p map[string]any, send func([]map[string]any) error) error {
	pp := "/projects/" + projectPath(p)
	send = withProject(p, send)
	if r.defaultBranchOnly {
		def, _ := p["default_branch"].(string)
		if def == "" {
			return nil // an empty repository has no branch
		}
		b, err := s.c.getObject(ctx, pp+"/repository/branches/"+url.PathEscape(def), nil)
		if err != nil {
			return err
		}
		return send([]map[string]any{b})
	}
	q := url.Values{}
	switch {
	case r.branchRegex != "":
		q.Set("regex", r.branchRegex)
	case r.branchSearch != "":
		q.Set("search", r.branchSearch)
	}
	return s.c.list(ctx, pp+"/repository/branches", q, send)
}

// deployments passes Ocean's apiQueryParams on under GitLab's names; a
// finished-at bound needs status=success and order_by=finished_at.
func deployments(ctx context.Context, s *Source, r *request, p map[string]any, send func([]map[string]any) error) error {
	q := url.Values{}
	names := map[string]string{"environment": "environment", "status": "status", "updatedAfter": "updated_after",
		"updatedBefore": "updated_before", "finishedAfter": "finished_after", "finishedBefore": "finished_before"}
	for k, v := range r.apiQuery {
		q[names[k]] = v
	}
	if q.Has("finished_after") || q.Has("finished_before") {
		q.Set("order_by", "finished_at")
	}
	full := p
	sent := false
	err := s.c.list(ctx, "/projects/"+projectPath(p)+"/deployments", q, func(items []map[string]any) error {
		sent = sent || len(items) > 0
		for _, it := range items {
			it["__project"] = full
		}
		return send(items)
	})
	if statusOf(err) == http.StatusBadRequest && isFirstPage(err) && !sent {
		// Ocean skips a project whose deployments GitLab will not filter
		// as asked (400 on the first request). A 400 on a later page
		// broke a listing GitLab had accepted: an error.
		s.log.Warn("deployments: GitLab refused the filter for a project (400): skipped", "project", p["path_with_namespace"], "err", err)
		return nil
	}
	return err
}

// ---- files and folders ----

// files finds files by path or glob on each project's default branch and
// yields {file: {...GitLab's file object, content parsed}, repo: project}.
func files(ctx context.Context, s *Source, r *request, p map[string]any, send func([]map[string]any) error) error {
	def, _ := p["default_branch"].(string)
	if def == "" || p["empty_repo"] == true {
		return nil
	}
	answered := false // a request of this project's task succeeded
	for _, fs := range r.files {
		if len(fs.repos) > 0 && !matchesRepo(p, fs.repos) {
			continue
		}
		var paths []string
		if hasGlob(fs.path) {
			tree, err := s.tree(ctx, p, def, "")
			if err != nil && answered {
				// The repository answered an earlier request of this
				// task: a 404 now is no absence.
				return notAbsence(err)
			}
			if err != nil {
				return err
			}
			answered = true
			for _, t := range tree {
				fp, _ := t["path"].(string)
				if t["type"] == "blob" && globMatch(fs.path, fp) {
					paths = append(paths, fp)
				}
			}
		} else {
			paths = []string{strings.TrimPrefix(fs.path, "/")}
		}
		var out []map[string]any
		for _, fp := range paths {
			f, err := s.c.getObject(ctx, "/projects/"+projectPath(p)+"/repository/files/"+url.PathEscape(fp), url.Values{"ref": {def}})
			if statusOf(err) == http.StatusNotFound {
				continue // not in this project
			}
			if err != nil {
				return fmt.Errorf("file %q: %w", fp, err)
			}
			answered = true
			if err := decodeFile(f, fs.skipParsing); err != nil {
				return fmt.Errorf("file %q: %w", fp, err)
			}
			it := map[string]any{"file": f, "repo": p}
			if len(r.includedFiles) > 0 {
				inc, err := s.includedFiles(ctx, p, r.includedFiles)
				if err != nil {
					return notAbsence(err)
				}
				it["__includedFiles"] = inc
			}
			out = append(out, it)
		}
		if err := send(out); err != nil {
			return err
		}
	}
	return nil
}

// decodeFile replaces a files-API answer's base64 content with the text,
// parsed as JSON, else YAML (one document, or a list of several), else
// kept as text, as Ocean does.
func decodeFile(f map[string]any, skipParsing bool) error {
	raw, _ := f["content"].(string)
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return fmt.Errorf("content is not base64: %w", err)
	}
	f["content"] = parseContent(b, skipParsing)
	return nil
}

func parseContent(b []byte, skipParsing bool) any {
	text := string(b)
	if skipParsing || strings.TrimSpace(text) == "" {
		return text
	}
	if v, err := jsonx.Decode(b); err == nil {
		return v
	}
	docs, err := yamlx.Decode(b)
	switch {
	case err != nil || len(docs) == 0:
		return text
	case len(docs) == 1:
		return docs[0]
	}
	out := make([]any, len(docs))
	copy(out, docs)
	return out
}

// tree lists a project's repository tree at ref (recursive).
func (s *Source) tree(ctx context.Context, p map[string]any, ref, dir string) ([]map[string]any, error) {
	q := url.Values{"ref": {ref}, "recursive": {"true"}}
	if dir != "" {
		q.Set("path", dir)
	}
	var out []map[string]any
	err := s.c.list(ctx, "/projects/"+projectPath(p)+"/repository/tree", q, func(items []map[string]any) error {
		out = append(out, items...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("repository tree at %q: %w", ref, err)
	}
	return out, nil
}

func matchesRepo(p map[string]any, repos []string) bool {
	name, _ := p["path"].(string)
	full, _ := p["path_with_namespace"].(string)
	return slices.Contains(repos, name) || slices.Contains(repos, full)
}

// resyncFolders yields {folder: tree entry, repo: project, __branch} for
// every directory matching a folder pattern, in the listed repositories
// (their default branch unless named) or, with none listed, in every
// project.
func resyncFolders(ctx context.Context, s *Source, r *request, e *emitter) error {
	projects, err := s.projects(ctx, r)
	if err != nil {
		return err
	}
	type job struct {
		p      map[string]any
		branch string
		spec   folderSpec
	}
	var work []job
	for _, fs := range r.folders {
		if len(fs.repos) == 0 {
			for _, p := range projects {
				if b, _ := p["default_branch"].(string); b != "" {
					work = append(work, job{p, b, fs})
				}
			}
			continue
		}
		for _, fr := range fs.repos {
			var found map[string]any
			for _, p := range projects {
				if matchesRepo(p, []string{fr.name}) {
					found = p
					break
				}
			}
			if found == nil {
				return fmt.Errorf("selector.folders: repository %q is not among the projects the token sees", fr.name)
			}
			b := fr.branch
			if b == "" {
				b, _ = found["default_branch"].(string)
			}
			if b != "" {
				work = append(work, job{found, b, fs})
			}
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.fanout)
	for _, w := range work {
		g.Go(func() error {
			tree, err := s.tree(gctx, w.p, w.branch, "")
			if err != nil {
				return fmt.Errorf("project %v: %w", w.p["path_with_namespace"], err)
			}
			var out []map[string]any
			for _, t := range tree {
				fp, _ := t["path"].(string)
				if t["type"] == "tree" && folderMatch(w.spec.path, fp) {
					out = append(out, map[string]any{"folder": t, "repo": w.p, "__branch": w.branch})
				}
			}
			return e.send(out)
		})
	}
	return g.Wait()
}

func hasGlob(p string) bool { return strings.ContainsAny(p, "*?[") }

// folderMatch says whether the folder at dir is selected by a folder
// pattern: a glob ("*/*/*") matches the folder's path; a plain path names
// a directory whose folders are selected, "/" the repository's root, as
// Port's documentation describes ("apps/" yields the folders in apps).
func folderMatch(pattern, dir string) bool {
	if hasGlob(pattern) {
		return globMatch(pattern, dir)
	}
	parent, _ := path.Split(dir)
	return strings.Trim(parent, "/") == strings.Trim(pattern, "/")
}

// globMatch matches a slash-separated path against a pattern where * and ?
// stay within a segment and ** spans any number of segments.
func globMatch(pattern, name string) bool {
	return matchSegs(strings.Split(strings.Trim(pattern, "/"), "/"), strings.Split(name, "/"))
}

func matchSegs(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(segs); i++ {
				if matchSegs(pat[1:], segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], segs[0]); !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

// ---- fan-out ----

// maxErrors caps the per-project or per-group errors quoted in a block's
// error.
const maxErrors = 3

// each runs task for every project or group, concurrently (the client's
// in-flight bound holds the requests to the concurrency). One failing
// fails the block, so nothing is deleted, but the others still sync;
// a rejected token stops the block at once. A 404 on the first page of a
// task's first listing means the feature is off there (no repository, no
// releases): nothing to sync; a 404 marked notAbsence (an enrichment, a
// sub-listing of an item just listed, or after items were emitted) fails
// the block. A 403 is an error: GitLab refusing a listing says nothing
// about what is in it.
func (s *Source) each(ctx context.Context, what string, list []map[string]any, task func(ctx context.Context, it map[string]any) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu       gosync.Mutex
		failed   []error
		nFailed  int
		notFound int
	)
	g := &errgroup.Group{}
	g.SetLimit(s.fanout)
	for _, it := range list {
		if ctx.Err() != nil {
			break
		}
		name := it["path_with_namespace"]
		if name == nil {
			name = it["full_path"]
		}
		g.Go(func() error {
			err := task(ctx, it)
			switch {
			case err == nil:
			case errors.Is(err, errAuth):
				cancel(err)
			case ctx.Err() != nil:
			case statusOf(err) == http.StatusNotFound && isFirstPage(err) && !errors.As(err, new(*notAbsenceError)):
				mu.Lock()
				notFound++
				mu.Unlock()
				s.log.Debug("not found: nothing to sync there", what, name, "err", err)
			default:
				mu.Lock()
				nFailed++
				if len(failed) < maxErrors {
					failed = append(failed, fmt.Errorf("%s %v: %w", what, name, err))
				}
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	if cause := context.Cause(ctx); cause != nil {
		return cause
	}
	if notFound > 0 {
		s.log.Info(what+"s without this resource (404): synced as having none", "count", notFound)
	}
	if nFailed > 0 {
		return fmt.Errorf("%d %ss failed: %w", nFailed, what, errors.Join(failed...))
	}
	return nil
}

// notAbsenceError marks a failure that cannot mean "nothing there", a 404
// included: one on an enrichment of a listed item (dropping the item would
// delete its entity), on a sub-listing of something just listed (the jobs
// of a listed pipeline), or after part of the task's items were emitted.
// each fails the block on it.
type notAbsenceError struct{ err error }

func (e *notAbsenceError) Error() string { return e.err.Error() }
func (e *notAbsenceError) Unwrap() error { return e.err }

func notAbsence(err error) error {
	if err == nil {
		return nil
	}
	return &notAbsenceError{err: err}
}

// isFirstPage tells a 404 on a listing's first page (the resource is
// absent) from one mid-listing (the listing broke: an error).
func isFirstPage(err error) bool {
	var pe *pageError
	if errors.As(err, &pe) {
		return pe.page == 1
	}
	return true
}
