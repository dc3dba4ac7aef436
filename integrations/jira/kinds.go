package jira

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	gosync "sync"

	"golang.org/x/sync/errgroup"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/httpx"
)

// Ocean's selector defaults.
const (
	defaultIssueJQL   = "(statusCategory != Done) OR (created >= -1w) OR (updated >= -1w)"
	defaultBacklogJQL = "updated >= -1w OR statusCategory != Done"
	defaultWorklogJQL = "updated >= -1w"
	defaultExpand     = "insight"
)

// request is a resource block's selector, parsed and checked.
type request struct {
	kind            string
	expand          string   // project, issue
	jql             string   // issue, backlog, worklog
	fields          []string // issue, backlog
	includeMembers  bool     // team
	boardType       string   // board
	projectKey      string   // board
	sprintStates    []string // sprint; nil: every state
	useSoftwareAPI  bool     // backlog
	epicDone        *bool    // epic; nil: every epic
	worklogQuery    url.Values
	componentSource string
	nameFilter      string
	run             func(ctx context.Context, s *Source, out *emitter) error
}

// selectorKeys lists each kind's selector fields besides query.
var selectorKeys = map[string][]string{
	"project":   {"expand"},
	"issue":     {"jql", "fields", "expand"},
	"user":      nil,
	"team":      {"includeMembers"},
	"release":   nil,
	"board":     {"boardType", "projectKey"},
	"sprint":    {"sprintState"},
	"backlog":   {"jql", "fields", "useSoftwareApi"},
	"epic":      {"status"},
	"worklog":   {"jql", "apiQueryParams"},
	"component": {"componentSource", "nameFilter"},
}

// selectorFields describes selectorKeys for `tide list`, with Ocean's
// defaults.
func selectorFields() map[string][]integrations.SelectorField {
	about := map[string]integrations.SelectorField{
		"expand":          {Usage: "Jira's expand parameter"},
		"jql":             {Usage: "JQL filter"},
		"fields":          {Default: "*all", Usage: "issue fields to fetch (list)"},
		"includeMembers":  {Default: "false", Usage: "add each team's members (__members)"},
		"boardType":       {Usage: "scrum, kanban or simple; default: every type"},
		"projectKey":      {Usage: "boards of this project only"},
		"sprintState":     {Usage: "active, closed and/or future; default: every state"},
		"useSoftwareApi":  {Default: "true", Usage: "read backlogs through Jira Software's agile API"},
		"status":          {Default: "incomplete", Usage: "done and/or incomplete"},
		"apiQueryParams":  {Usage: "extra query parameters of the worklog request (object)"},
		"componentSource": {Default: "jira", Usage: "jira, compass or auto"},
		"nameFilter":      {Usage: "components whose name contains this text"},
	}
	defaults := map[string]map[string]string{
		"project": {"expand": defaultExpand},
		"issue":   {"jql": defaultIssueJQL},
		"backlog": {"jql": defaultBacklogJQL, "fields": ""},
		"worklog": {"jql": defaultWorklogJQL},
	}
	out := map[string][]integrations.SelectorField{}
	for kind, keys := range selectorKeys {
		fields := []integrations.SelectorField{}
		for _, k := range keys {
			f := about[k]
			f.Name = k
			if d, ok := defaults[kind][k]; ok {
				f.Default = d
			}
			fields = append(fields, f)
		}
		out[kind] = fields
	}
	return out
}

// selector reads one block's selector fields, naming the field in errors.
type selector struct {
	kind string
	m    map[string]any
}

func (sl selector) fail(key, format string, args ...any) error {
	return fmt.Errorf("%w: kind %q: selector.%s: %s", integrations.ErrConfig, sl.kind, key, fmt.Sprintf(format, args...))
}

func (sl selector) str(key, def string) (string, error) {
	v, ok := sl.m[key]
	if !ok || v == nil {
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", sl.fail(key, "want a string, got %s", kindOf(v))
	}
	return strings.TrimSpace(s), nil
}

func (sl selector) boolean(key string, def bool) (bool, error) {
	v, ok := sl.m[key]
	if !ok || v == nil {
		return def, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, sl.fail(key, "want true or false, got %s", kindOf(v))
	}
	return b, nil
}

// list reads a list of strings, or one comma-separated string. present is
// false when the key is absent; a null value is present and empty.
func (sl selector) list(key string) (vals []string, present bool, err error) {
	v, ok := sl.m[key]
	if !ok {
		return nil, false, nil
	}
	switch t := v.(type) {
	case nil:
		return nil, true, nil
	case string:
		for _, p := range strings.Split(t, ",") {
			if p = strings.TrimSpace(p); p != "" {
				vals = append(vals, p)
			}
		}
		return vals, true, nil
	case []any:
		for i, x := range t {
			s, ok := x.(string)
			if !ok {
				return nil, true, sl.fail(fmt.Sprintf("%s[%d]", key, i), "want a string, got %s", kindOf(x))
			}
			if s = strings.TrimSpace(s); s != "" {
				vals = append(vals, s)
			}
		}
		return vals, true, nil
	}
	return nil, true, sl.fail(key, "want a list of strings or a comma-separated string, got %s", kindOf(v))
}

func oneOf(sl selector, key string, vals []string, allowed ...string) error {
	for i, v := range vals {
		ok := false
		for _, a := range allowed {
			ok = ok || v == a
		}
		if !ok {
			k := key
			if len(vals) > 1 {
				k = fmt.Sprintf("%s[%d]", key, i)
			}
			return sl.fail(k, "%q: want one of %s", v, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// parse checks req's kind and selector and picks the kind's handler.
func (s *Source) parse(req integrations.Request) (*request, error) {
	known, ok := selectorKeys[req.Kind]
	if !ok {
		return nil, fmt.Errorf("kind %q: %w (the jira integration offers: %s)", req.Kind, integrations.ErrUnknownKind, strings.Join(kinds, ", "))
	}
	sl := selector{kind: req.Kind, m: req.Selector}
	for k := range req.Selector {
		found := false
		for _, kk := range known {
			found = found || k == kk
		}
		if !found {
			hint := "it takes no other fields"
			if len(known) > 0 {
				hint = "known fields: query, " + strings.Join(known, ", ")
			}
			return nil, sl.fail(k, "unknown field (%s)", hint)
		}
	}
	r := &request{kind: req.Kind}
	var err error
	switch req.Kind {
	case "project":
		if r.expand, err = sl.str("expand", defaultExpand); err != nil {
			return nil, err
		}
		r.run = r.project
	case "issue":
		if r.jql, err = sl.str("jql", defaultIssueJQL); err != nil {
			return nil, err
		}
		if r.expand, err = sl.str("expand", ""); err != nil {
			return nil, err
		}
		fields, present, err := sl.list("fields")
		if err != nil {
			return nil, err
		}
		if !present || len(fields) == 0 {
			fields = []string{"*all"}
		}
		r.fields = fields
		r.run = r.issue
	case "user":
		r.run = r.user
	case "team":
		if r.includeMembers, err = sl.boolean("includeMembers", false); err != nil {
			return nil, err
		}
		if s.org == "" {
			// Ocean logs and syncs no team, after which its reconciliation
			// deletes every team: here it is a configuration error.
			return nil, fmt.Errorf("%w: kind \"team\" reads the Atlassian Teams API, which needs %s; set it, or remove the team resource from the mapping", integrations.ErrConfig, orgWhere)
		}
		r.run = r.team
	case "release":
		r.run = r.release
	case "board":
		if r.boardType, err = sl.str("boardType", ""); err != nil {
			return nil, err
		}
		if r.boardType != "" {
			if err := oneOf(sl, "boardType", []string{r.boardType}, "scrum", "kanban", "simple"); err != nil {
				return nil, err
			}
		}
		if r.projectKey, err = sl.str("projectKey", ""); err != nil {
			return nil, err
		}
		r.run = r.board
	case "sprint":
		states, present, err := sl.list("sprintState")
		if err != nil {
			return nil, err
		}
		if !present {
			states = []string{"active"}
		}
		if err := oneOf(sl, "sprintState", states, "active", "closed", "future"); err != nil {
			return nil, err
		}
		r.sprintStates = states
		r.run = r.sprint
	case "backlog":
		if r.jql, err = sl.str("jql", defaultBacklogJQL); err != nil {
			return nil, err
		}
		if r.fields, _, err = sl.list("fields"); err != nil {
			return nil, err
		}
		if r.useSoftwareAPI, err = sl.boolean("useSoftwareApi", true); err != nil {
			return nil, err
		}
		r.run = r.backlog
	case "epic":
		status, present, err := sl.list("status")
		if err != nil {
			return nil, err
		}
		if !present {
			status = []string{"incomplete"}
		}
		if err := oneOf(sl, "status", status, "done", "incomplete"); err != nil {
			return nil, err
		}
		// One status filters; both (or none) is every epic, as in Ocean.
		if len(status) == 1 {
			done := status[0] == "done"
			r.epicDone = &done
		}
		r.run = r.epic
	case "worklog":
		if r.jql, err = sl.str("jql", defaultWorklogJQL); err != nil {
			return nil, err
		}
		if r.worklogQuery, err = worklogParams(sl); err != nil {
			return nil, err
		}
		r.run = r.worklog
	case "component":
		if r.componentSource, err = sl.str("componentSource", "jira"); err != nil {
			return nil, err
		}
		if err := oneOf(sl, "componentSource", []string{r.componentSource}, "jira", "compass", "auto"); err != nil {
			return nil, err
		}
		if r.nameFilter, err = sl.str("nameFilter", ""); err != nil {
			return nil, err
		}
		r.run = r.component
	}
	return r, nil
}

// worklogParams reads apiQueryParams: startedAfter and startedBefore
// (epoch milliseconds) and expand.
func worklogParams(sl selector) (url.Values, error) {
	q := url.Values{}
	v, ok := sl.m["apiQueryParams"]
	if !ok || v == nil {
		return q, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, sl.fail("apiQueryParams", "want an object, got %s", kindOf(v))
	}
	for k, x := range m {
		key := "apiQueryParams." + k
		switch k {
		case "startedAfter", "startedBefore":
			var n int64
			switch t := x.(type) {
			case nil:
				continue
			case float64:
				n = int64(t)
				if float64(n) != t {
					return nil, sl.fail(key, "want whole epoch milliseconds, got %v", t)
				}
			case string:
				var err error
				if n, err = strconv.ParseInt(strings.TrimSpace(t), 10, 64); err != nil {
					return nil, sl.fail(key, "want epoch milliseconds, got %q", t)
				}
			default:
				return nil, sl.fail(key, "want epoch milliseconds, got %s", kindOf(x))
			}
			if n < 0 {
				return nil, sl.fail(key, "want epoch milliseconds, got %d", n)
			}
			q.Set(k, strconv.FormatInt(n, 10))
		case "expand":
			s, ok := x.(string)
			if !ok && x != nil {
				return nil, sl.fail(key, "want a string, got %s", kindOf(x))
			}
			if s != "" {
				q.Set(k, s)
			}
		default:
			return nil, sl.fail(key, "unknown field (known: startedAfter, startedBefore, expand)")
		}
	}
	return q, nil
}

// ---- kinds ----

func (r *request) project(ctx context.Context, s *Source, out *emitter) error {
	q := url.Values{}
	if r.expand != "" {
		q.Set("expand", r.expand)
	}
	return s.offset(ctx, apiBase+"/project/search", q, "values", coreOffset, out.send)
}

// searchIssues pages through POST /search/jql (Ocean marks the POST safe to
// retry, and so does this client: it retries any method).
func (s *Source) searchIssues(ctx context.Context, jql string, fields []string, expand string, fn func([]map[string]any) error) error {
	const path = apiBase + "/search/jql"
	return s.tokens(ctx, path, "issues", func(ctx context.Context, token string) (any, error) {
		body := map[string]any{"jql": jql, "maxResults": pageSize, "fields": fields}
		if expand != "" {
			body["expand"] = expand
		}
		if token != "" {
			body["nextPageToken"] = token
		}
		return s.call(ctx, http.MethodPost, path, nil, body)
	}, fn)
}

func (r *request) issue(ctx context.Context, s *Source, out *emitter) error {
	return s.searchIssues(ctx, r.jql, r.fields, r.expand, out.send)
}

func (r *request) user(ctx context.Context, s *Source, out *emitter) error {
	return s.offset(ctx, apiBase+"/users/search", nil, "", coreOffset, out.send)
}

func (r *request) team(ctx context.Context, s *Source, out *emitter) error {
	path := teamsBase + url.PathEscape(s.org) + "/teams"
	seen := map[string]bool{}
	cursor := ""
	for page := 1; ; page++ {
		q := url.Values{}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		v, err := s.call(ctx, http.MethodGet, path, q, nil)
		if err != nil {
			return pageErr(page, err)
		}
		teams, obj, err := itemsAt(v, "entities", path)
		if err != nil {
			return pageErr(page, err)
		}
		if r.includeMembers {
			err := each(ctx, teams, func(t map[string]any) string { return "team " + str(t["teamId"]) }, func(ctx context.Context, t map[string]any) error {
				members, err := s.members(ctx, str(t["teamId"]))
				t["__members"] = members
				return err
			})
			if err != nil {
				return err
			}
		}
		if err := out.send(teams); err != nil {
			return err
		}
		next, _ := obj["cursor"].(string)
		switch {
		case next == "":
			return nil
		case seen[next]:
			return fmt.Errorf("%w: %s: page %d repeats an earlier cursor", ErrIncomplete, path, page)
		}
		seen[next] = true
		cursor = next
	}
}

// members lists a team's members (POST, Relay-style pageInfo).
func (s *Source) members(ctx context.Context, teamID string) ([]any, error) {
	path := teamsBase + url.PathEscape(s.org) + "/teams/" + url.PathEscape(teamID) + "/members"
	out := []any{}
	after := ""
	for page := 1; ; page++ {
		body := map[string]any{"first": pageSize}
		if after != "" {
			body["after"] = after
		}
		v, err := s.call(ctx, http.MethodPost, path, nil, body)
		if err != nil {
			return nil, pageErr(page, err)
		}
		results, obj, err := itemsAt(v, "results", path)
		if err != nil {
			return nil, pageErr(page, err)
		}
		for _, m := range results {
			out = append(out, m)
		}
		info, _ := obj["pageInfo"].(map[string]any)
		more, _ := info["hasNextPage"].(bool)
		if !more {
			return out, nil
		}
		next, _ := info["endCursor"].(string)
		if next == "" || next == after {
			return nil, fmt.Errorf("%w: %s: page %d says more follow (hasNextPage) but gives no new endCursor", ErrIncomplete, path, page)
		}
		after = next
	}
}

// allProjects lists every project (the parents of releases and components).
func (s *Source) allProjects(ctx context.Context) ([]map[string]any, error) {
	var all []map[string]any
	err := s.offset(ctx, apiBase+"/project/search", nil, "values", coreOffset, func(p []map[string]any) error {
		all = append(all, p...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing projects: %w", err)
	}
	return all, nil
}

func projectName(p map[string]any) string { return "project " + str(p["key"]) }

func (r *request) release(ctx context.Context, s *Source, out *emitter) error {
	projects, err := s.allProjects(ctx)
	if err != nil {
		return err
	}
	return each(ctx, projects, projectName, func(ctx context.Context, p map[string]any) error {
		key := str(p["key"])
		return s.offset(ctx, apiBase+"/project/"+url.PathEscape(key)+"/version", nil, "values", coreOffset, func(vs []map[string]any) error {
			for _, v := range vs {
				v["__projectKey"] = key
			}
			return out.send(vs)
		})
	})
}

func (r *request) component(ctx context.Context, s *Source, out *emitter) error {
	projects, err := s.allProjects(ctx)
	if err != nil {
		return err
	}
	return each(ctx, projects, projectName, func(ctx context.Context, p map[string]any) error {
		q := url.Values{"componentSource": {r.componentSource}}
		if r.nameFilter != "" {
			q.Set("query", r.nameFilter)
		}
		return s.offset(ctx, apiBase+"/project/"+url.PathEscape(str(p["key"]))+"/component", q, "values", coreOffset, func(cs []map[string]any) error {
			for _, c := range cs {
				c["__project"] = p
			}
			return out.send(cs)
		})
	})
}

// boards lists the boards, optionally of one type and project.
func (s *Source) boards(ctx context.Context, boardType, projectKey string, fn func([]map[string]any) error) error {
	q := url.Values{}
	if boardType != "" {
		q.Set("type", boardType)
	}
	if projectKey != "" {
		q.Set("projectKeyOrId", projectKey)
	}
	return s.offset(ctx, agileBase+"/board", q, "values", agileOffset, fn)
}

func (s *Source) allBoards(ctx context.Context) ([]map[string]any, error) {
	var all []map[string]any
	if err := s.boards(ctx, "", "", func(b []map[string]any) error { all = append(all, b...); return nil }); err != nil {
		return nil, fmt.Errorf("listing boards: %w", err)
	}
	return all, nil
}

func boardName(b map[string]any) string { return "board " + str(b["id"]) }

func (r *request) board(ctx context.Context, s *Source, out *emitter) error {
	return s.boards(ctx, r.boardType, r.projectKey, func(bs []map[string]any) error {
		err := each(ctx, bs, boardName, func(ctx context.Context, b map[string]any) error {
			keys := []any{}
			err := s.offset(ctx, agileBase+"/board/"+str(b["id"])+"/project", nil, "values", agileOffset, func(ps []map[string]any) error {
				for _, p := range ps {
					keys = append(keys, p["key"])
				}
				return nil
			})
			b["__projectKeys"] = keys
			return err
		})
		if err != nil {
			return err
		}
		return out.send(bs)
	})
}

func (r *request) sprint(ctx context.Context, s *Source, out *emitter) error {
	boards, err := s.allBoards(ctx)
	if err != nil {
		return err
	}
	q := url.Values{}
	if len(r.sprintStates) > 0 {
		q.Set("state", strings.Join(r.sprintStates, ","))
	}
	// A sprint shows on every board that shares it: one item per sprint.
	var mu gosync.Mutex
	seen := map[string]bool{}
	return each(ctx, boards, boardName, func(ctx context.Context, b map[string]any) error {
		err := s.offset(ctx, agileBase+"/board/"+str(b["id"])+"/sprint", cloneValues(q), "values", agileOffset, func(sp []map[string]any) error {
			fresh := sp[:0:0]
			mu.Lock()
			for _, x := range sp {
				if id := str(x["id"]); !seen[id] {
					seen[id] = true
					fresh = append(fresh, x)
				}
			}
			mu.Unlock()
			return out.send(fresh)
		})
		var se *httpx.StatusError
		if errors.As(err, &se) && se.Status == http.StatusBadRequest && strings.Contains(strings.ToLower(se.Message), "support sprints") {
			// A kanban board: no sprints there (Ocean skips it too).
			s.log.Debug("board without sprints", "board", b["id"])
			return nil
		}
		return err
	})
}

func (r *request) backlog(ctx context.Context, s *Source, out *emitter) error {
	boards, err := s.allBoards(ctx)
	if err != nil {
		return err
	}
	return each(ctx, boards, boardName, func(ctx context.Context, b map[string]any) error {
		id := b["id"]
		send := func(items []map[string]any) error {
			for _, it := range items {
				it["__boardId"] = id
			}
			return out.send(items)
		}
		q := url.Values{}
		if r.jql != "" {
			q.Set("jql", r.jql)
		}
		if len(r.fields) > 0 {
			q.Set("fields", strings.Join(r.fields, ","))
		}
		if !r.useSoftwareAPI {
			// The agile backlog endpoint, which Atlassian deprecates.
			return s.offset(ctx, agileBase+"/board/"+str(id)+"/backlog", q, "issues", agileOffset, send)
		}
		path := softwareBase + "/board/" + str(id) + "/backlog"
		return s.tokens(ctx, path, "issues", func(ctx context.Context, token string) (any, error) {
			pq := cloneValues(q)
			pq.Set("maxResults", strconv.Itoa(pageSize))
			if token != "" {
				pq.Set("nextPageToken", token)
			}
			return s.call(ctx, http.MethodGet, path, pq, nil)
		}, send)
	})
}

func (r *request) epic(ctx context.Context, s *Source, out *emitter) error {
	boards, err := s.allBoards(ctx)
	if err != nil {
		return err
	}
	q := url.Values{}
	if r.epicDone != nil {
		q.Set("done", strconv.FormatBool(*r.epicDone))
	}
	return each(ctx, boards, boardName, func(ctx context.Context, b map[string]any) error {
		id := b["id"]
		return s.offset(ctx, agileBase+"/board/"+str(id)+"/epic", cloneValues(q), "values", agileOffset, func(es []map[string]any) error {
			for _, e := range es {
				e["__boardId"] = id
			}
			return out.send(es)
		})
	})
}

func (r *request) worklog(ctx context.Context, s *Source, out *emitter) error {
	var issues []map[string]any
	err := s.searchIssues(ctx, r.jql, []string{"key"}, "", func(is []map[string]any) error {
		issues = append(issues, is...)
		return nil
	})
	if err != nil {
		return fmt.Errorf("searching issues (jql %q): %w", r.jql, err)
	}
	return each(ctx, issues, func(i map[string]any) string { return "issue " + str(i["key"]) }, func(ctx context.Context, i map[string]any) error {
		key := str(i["key"])
		return s.offset(ctx, apiBase+"/issue/"+url.PathEscape(key)+"/worklog", cloneValues(r.worklogQuery), "worklogs", coreOffset, func(ws []map[string]any) error {
			for _, w := range ws {
				w["__issueKey"] = key
			}
			return out.send(ws)
		})
	})
}

// each runs task for every parent, at most concurrency at once; the first
// error (named after its parent) stops the others and is returned.
func each(ctx context.Context, parents []map[string]any, name func(map[string]any) string, task func(context.Context, map[string]any) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrency)
	for _, p := range parents {
		g.Go(func() error {
			if err := task(ctx, p); err != nil {
				return fmt.Errorf("%s: %w", name(p), err)
			}
			return nil
		})
	}
	return g.Wait()
}

func cloneValues(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// str renders an id or key (Jira sends board ids as numbers, issue ids as
// strings).
func str(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
