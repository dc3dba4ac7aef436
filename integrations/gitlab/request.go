package gitlab

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/jsonx"
)

// request is a resource block's selector and the mapping's top-level keys,
// checked and typed.
type request struct {
	kind string

	minAccessLevel int    // 0: no min_access_level filter
	groupSearch    string // the mapping's search.group: GitLab's search on group listings
	projectSearch  string // the mapping's search.project: GitLab's search on project listings
	activeProjects *bool  // includeOnlyActiveProjects; nil: no filter
	activeGroups   *bool  // includeOnlyActiveGroups; nil: no filter

	// project
	languages     bool
	searchQueries []searchQuery
	includedFiles []string

	// members
	bots      bool
	inherited bool

	// issue
	issueType    string
	labels       string
	nonArchived  bool
	issueState   string
	updatedAfter *time.Time // issue and merge-request

	// merge-request
	states []string

	// pipeline, job, deployment
	apiQuery      url.Values
	pipelineQuery url.Values

	// branch
	defaultBranchOnly bool
	branchRegex       string
	branchSearch      string

	// file
	files []fileSpec
	// folder
	folders []folderSpec
}

type searchQuery struct {
	name, scope, query string
}

type fileSpec struct {
	path        string // a path or a glob (*, **, ?)
	repos       []string
	skipParsing bool
}

type folderSpec struct {
	path  string
	repos []folderRepo
}

type folderRepo struct {
	name, branch string
}

// Ocean's access levels: Guest, Reporter, Developer, Maintainer, Owner (and
// Planner, 15, since GitLab 17.7).
var accessLevels = []int{5, 10, 15, 20, 30, 40, 50}

// kindKeys lists each kind's selector keys (Ocean gitlab-v2's).
var kindKeys = map[string][]string{
	"project":              {"includeOnlyActiveProjects", "includeLanguages", "searchQueries", "includedFiles"},
	"group":                {"includeOnlyActiveGroups"},
	"group-with-members":   {"includeOnlyActiveGroups", "includeBotMembers", "includeInheritedMembers"},
	"member":               {"includeOnlyActiveGroups", "includeBotMembers", "includeInheritedMembers"},
	"project-with-members": {"includeOnlyActiveProjects", "includeBotMembers", "includeInheritedMembers"},
	"issue":                {"includeOnlyActiveGroups", "issueType", "labels", "nonArchived", "state", "updatedAfter"},
	"merge-request":        {"includeOnlyActiveGroups", "states", "updatedAfter"},
	"pipeline":             {"includeOnlyActiveProjects", "apiQueryParams"},
	"job":                  {"includeOnlyActiveProjects", "pipelineQueryParams"},
	"tag":                  {"includeOnlyActiveProjects"},
	"release":              {"includeOnlyActiveProjects"},
	"branch":               {"includeOnlyActiveProjects", "regex", "search", "defaultBranchOnly"},
	"deployment":           {"includeOnlyActiveProjects", "apiQueryParams"},
	"environment":          {"includeOnlyActiveProjects"},
	"file":                 {"includeOnlyActiveGroups", "includeOnlyActiveProjects", "files", "includedFiles"},
	"folder":               {"folders"},
}

var pipelineParams = []string{"name", "scope", "status", "source", "ref", "sha", "yaml_errors", "username", "updated_after", "updated_before", "created_after", "created_before", "order_by", "sort"}

var deploymentParams = []string{"environment", "status", "updatedAfter", "updatedBefore", "finishedAfter", "finishedBefore"}

func parseRequest(req integrations.Request, now time.Time) (*request, error) {
	r := &request{kind: req.Kind, minAccessLevel: 30, nonArchived: true, states: []string{"opened"}, defaultBranchOnly: true}
	if err := r.parseConfig(req.Config); err != nil {
		return nil, err
	}
	allowed, ok := kindKeys[req.Kind]
	if !ok {
		return nil, fmt.Errorf("kind %q: %w (the gitlab integration offers: %s)", req.Kind, integrations.ErrUnknownKind, strings.Join(kinds, ", "))
	}
	keys := make([]string, 0, len(req.Selector))
	for k := range req.Selector {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	updatedAfterDays := -1
	if req.Kind == "merge-request" {
		updatedAfterDays = 90
	}
	for _, k := range keys {
		v := req.Selector[k]
		where := "selector." + k
		if !slices.Contains(allowed, k) {
			return nil, fmt.Errorf("%s: kind %q has no such selector key (it has: %s)", where, req.Kind, strings.Join(allowed, ", "))
		}
		var err error
		switch k {
		case "includeOnlyActiveProjects":
			r.activeProjects, err = optBool(where, v)
		case "includeOnlyActiveGroups":
			r.activeGroups, err = optBool(where, v)
		case "includeLanguages":
			r.languages, err = boolish(where, v)
		case "includeBotMembers":
			r.bots, err = boolish(where, v)
		case "includeInheritedMembers":
			r.inherited, err = boolish(where, v)
		case "nonArchived":
			r.nonArchived, err = boolish(where, v)
		case "defaultBranchOnly":
			r.defaultBranchOnly, err = boolish(where, v)
		case "includedFiles":
			r.includedFiles, err = strList(where, v)
		case "searchQueries":
			r.searchQueries, err = parseSearchQueries(where, v)
		case "issueType":
			r.issueType, err = oneOf(where, v, "issue", "incident", "test_case", "task")
		case "state":
			r.issueState, err = oneOf(where, v, "opened", "closed")
		case "labels":
			r.labels, err = str(where, v)
		case "states":
			var ss []string
			if ss, err = strList(where, v); err == nil {
				for i, s := range ss {
					if _, err = oneOf(fmt.Sprintf("%s[%d]", where, i), s, "opened", "closed", "merged"); err != nil {
						break
					}
				}
				r.states = ss
			}
		case "updatedAfter":
			updatedAfterDays, err = days(where, v)
		case "apiQueryParams":
			params := pipelineParams
			if req.Kind == "deployment" {
				params = deploymentParams
			}
			r.apiQuery, err = queryParams(where, v, params)
		case "pipelineQueryParams":
			r.pipelineQuery, err = queryParams(where, v, pipelineParams)
		case "regex":
			if r.branchRegex, err = str(where, v); err == nil {
				if _, rerr := regexp.Compile(r.branchRegex); rerr != nil {
					return nil, fmt.Errorf("%s: %q is no regular expression (RE2): %v", where, r.branchRegex, rerr)
				}
			}
		case "search":
			r.branchSearch, err = str(where, v)
		case "files":
			r.files, err = parseFiles(where, v)
		case "folders":
			r.folders, err = parseFolders(where, v)
		}
		if err != nil {
			return nil, err
		}
	}
	if updatedAfterDays >= 0 {
		t := now.Add(-time.Duration(updatedAfterDays) * 24 * time.Hour).UTC()
		r.updatedAfter = &t
	}
	if req.Kind == "file" && len(r.files) == 0 {
		return nil, fmt.Errorf("selector.files: kind \"file\" needs files: {path: PATH_OR_GLOB}")
	}
	if req.Kind == "folder" && len(r.folders) == 0 {
		return nil, fmt.Errorf("selector.folders: kind \"folder\" needs folders: [{path: PATH_OR_GLOB}]")
	}
	return r, nil
}

// parseConfig reads the mapping's top-level keys: visibility
// ({useMinAccessLevel: true, minAccessLevel: 30} by default) and search
// ({group, project}: the scope Port's GitLab documentation describes, sent
// as GitLab's search parameter on group and project listings, so every
// group-based kind — group, members, issues, merge requests, files — or
// project-based kind follows it).
func (r *request) parseConfig(cfg map[string]any) error {
	if raw, ok := cfg["search"]; ok && raw != nil {
		m, ok := raw.(map[string]any)
		if !ok {
			return fmt.Errorf("search: want an object {group, project}, got %s", jsonx.TypeName(raw))
		}
		if err := strFields("search", m, "search has group, project", map[string]*string{"group": &r.groupSearch, "project": &r.projectSearch}); err != nil {
			return err
		}
		r.groupSearch, r.projectSearch = strings.TrimSpace(r.groupSearch), strings.TrimSpace(r.projectSearch)
	}
	raw, ok := cfg["visibility"]
	if !ok || raw == nil {
		return nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return fmt.Errorf("visibility: want an object {useMinAccessLevel, minAccessLevel}, got %s", jsonx.TypeName(raw))
	}
	use := true
	for k, v := range m {
		switch k {
		case "useMinAccessLevel":
			b, err := boolish("visibility.useMinAccessLevel", v)
			if err != nil {
				return err
			}
			use = b
		case "minAccessLevel":
			f, ok := v.(float64)
			if !ok || !slices.Contains(accessLevels, int(f)) || f != float64(int(f)) {
				return fmt.Errorf("visibility.minAccessLevel: %v: want one of 10 (Guest), 15 (Planner), 20 (Reporter), 30 (Developer), 40 (Maintainer), 50 (Owner)", v)
			}
			r.minAccessLevel = int(f)
		default:
			return fmt.Errorf("visibility.%s: unknown key (visibility has useMinAccessLevel, minAccessLevel)", k)
		}
	}
	if !use {
		r.minAccessLevel = 0
	}
	return nil
}

// boolish reads a boolean, or the strings "true"/"false" Ocean's own
// default mapping writes (includeLanguages: 'true').
func boolish(where string, v any) (bool, error) {
	switch t := v.(type) {
	case bool:
		return t, nil
	case string:
		if b, err := strconv.ParseBool(strings.TrimSpace(t)); err == nil {
			return b, nil
		}
	}
	return false, fmt.Errorf("%s: want true or false, got %s %v", where, jsonx.TypeName(v), v)
}

func optBool(where string, v any) (*bool, error) {
	if v == nil {
		return nil, nil
	}
	b, err := boolish(where, v)
	if err != nil {
		return nil, err
	}
	return &b, nil
}

func str(where string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s: want a string, got %s", where, jsonx.TypeName(v))
	}
	return s, nil
}

func oneOf(where string, v any, choices ...string) (string, error) {
	s, err := str(where, v)
	if err != nil {
		return "", err
	}
	if !slices.Contains(choices, s) {
		return "", fmt.Errorf("%s: %q is not one of %s", where, s, strings.Join(choices, ", "))
	}
	return s, nil
}

func strList(where string, v any) ([]string, error) {
	if s, ok := v.(string); ok {
		return []string{s}, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: want a list of strings, got %s", where, jsonx.TypeName(v))
	}
	out := make([]string, 0, len(l))
	for i, x := range l {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("%s[%d]: want a string, got %s", where, i, jsonx.TypeName(x))
		}
		out = append(out, s)
	}
	return out, nil
}

// strFields reads an object of string fields into fields, by key; a key
// not in fields is an error naming the keys there are (has).
func strFields(where string, m map[string]any, has string, fields map[string]*string) error {
	for k, v := range m {
		s, err := str(where+"."+k, v)
		if err != nil {
			return err
		}
		dst, ok := fields[k]
		if !ok {
			return fmt.Errorf("%s.%s: unknown key (%s)", where, k, has)
		}
		*dst = s
	}
	return nil
}

func days(where string, v any) (int, error) {
	f, ok := v.(float64)
	if !ok || f < 0 || f != float64(int(f)) {
		return 0, fmt.Errorf("%s: want a whole number of days, got %s %v", where, jsonx.TypeName(v), v)
	}
	return int(f), nil
}

func parseSearchQueries(where string, v any) ([]searchQuery, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: want a list of {name, scope, query}, got %s", where, jsonx.TypeName(v))
	}
	var out []searchQuery
	for i, x := range l {
		m, ok := x.(map[string]any)
		w := fmt.Sprintf("%s[%d]", where, i)
		if !ok {
			return nil, fmt.Errorf("%s: want {name, scope, query}, got %s", w, jsonx.TypeName(x))
		}
		sq := searchQuery{scope: "blobs"}
		if err := strFields(w, m, "a search query has name, scope, query", map[string]*string{"name": &sq.name, "scope": &sq.scope, "query": &sq.query}); err != nil {
			return nil, err
		}
		if sq.name == "" || sq.query == "" {
			return nil, fmt.Errorf("%s: name and query are required", w)
		}
		out = append(out, sq)
	}
	return out, nil
}

func queryParams(where string, v any, allowed []string) (url.Values, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: want an object, got %s", where, jsonx.TypeName(v))
	}
	q := url.Values{}
	for k, val := range m {
		if !slices.Contains(allowed, k) {
			return nil, fmt.Errorf("%s.%s: unknown parameter (allowed: %s)", where, k, strings.Join(allowed, ", "))
		}
		switch t := val.(type) {
		case string:
			q.Set(k, t)
		case bool:
			q.Set(k, strconv.FormatBool(t))
		case float64:
			q.Set(k, strconv.FormatFloat(t, 'f', -1, 64))
		default:
			return nil, fmt.Errorf("%s.%s: want a string, number or boolean, got %s", where, k, jsonx.TypeName(val))
		}
	}
	return q, nil
}

func parseFiles(where string, v any) ([]fileSpec, error) {
	list, isList := v.([]any) // a list, or one {path, ...}
	if !isList {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: want {path, repos, skipParsing}, got %s", where, jsonx.TypeName(v))
		}
		list = []any{m}
	}
	var out []fileSpec
	for i, x := range list {
		w := where
		if isList {
			w = fmt.Sprintf("%s[%d]", where, i)
		}
		m, ok := x.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: want {path, repos, skipParsing}, got %s", w, jsonx.TypeName(x))
		}
		var fs fileSpec
		for k, val := range m {
			var err error
			switch k {
			case "path":
				fs.path, err = str(w+".path", val)
				if err == nil {
					if _, perr := path.Match(strings.ReplaceAll(fs.path, "**", "*"), ""); perr != nil {
						err = fmt.Errorf("%s.path: %q is no valid glob", w, fs.path)
					}
				}
			case "repos":
				fs.repos, err = strList(w+".repos", val)
			case "skipParsing":
				fs.skipParsing, err = boolish(w+".skipParsing", val)
			case "searchStrategy":
				// Ocean chooses how to find the files (group search,
				// project search, repository tree); tide always reads the
				// repository tree, which finds every match.
				_, err = oneOf(w+".searchStrategy", val, "groupSearch", "projectSearch", "repositoryTree")
			default:
				err = fmt.Errorf("%s.%s: unknown key (files has path, repos, skipParsing, searchStrategy)", w, k)
			}
			if err != nil {
				return nil, err
			}
		}
		if fs.path == "" {
			return nil, fmt.Errorf("%s.path is required", w)
		}
		out = append(out, fs)
	}
	return out, nil
}

func parseFolders(where string, v any) ([]folderSpec, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: want a list of {path, repos}, got %s", where, jsonx.TypeName(v))
	}
	var out []folderSpec
	for i, x := range l {
		w := fmt.Sprintf("%s[%d]", where, i)
		m, ok := x.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: want {path, repos}, got %s", w, jsonx.TypeName(x))
		}
		var fs folderSpec
		for k, val := range m {
			switch k {
			case "path":
				s, err := str(w+".path", val)
				if err != nil {
					return nil, err
				}
				if _, perr := path.Match(s, ""); perr != nil {
					return nil, fmt.Errorf("%s.path: %q is no valid glob", w, s)
				}
				fs.path = s
			case "repos":
				rl, ok := val.([]any)
				if !ok {
					return nil, fmt.Errorf("%s.repos: want a list of {name, branch}, got %s", w, jsonx.TypeName(val))
				}
				for j, rv := range rl {
					rw := fmt.Sprintf("%s.repos[%d]", w, j)
					switch t := rv.(type) {
					case string:
						fs.repos = append(fs.repos, folderRepo{name: t})
					case map[string]any:
						var fr folderRepo
						if err := strFields(rw, t, "a repo has name, branch", map[string]*string{"name": &fr.name, "branch": &fr.branch}); err != nil {
							return nil, err
						}
						if fr.name == "" {
							return nil, fmt.Errorf("%s.name is required", rw)
						}
						fs.repos = append(fs.repos, fr)
					default:
						return nil, fmt.Errorf("%s: want {name, branch}, got %s", rw, jsonx.TypeName(rv))
					}
				}
			default:
				return nil, fmt.Errorf("%s.%s: unknown key (a folder has path, repos)", w, k)
			}
		}
		if fs.path == "" {
			return nil, fmt.Errorf("%s.path is required", w)
		}
		out = append(out, fs)
	}
	return out, nil
}
