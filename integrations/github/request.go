package github

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/jsonx"
)

// request is a resource block's selector and the mapping's top-level keys,
// parsed and checked.
type request struct {
	kind string

	// Mapping top level (Ocean: repositoryType, organizations,
	// includeAuthenticatedUser).
	repoType      string
	organizations []string
	includeUser   bool

	// repoSearch.query: repositories come from the search API
	// (org:LOGIN QUERY) instead of the organisation's listing.
	repoQuery string

	// repository
	includedFiles    []string
	teams            bool
	collaborators    string // affiliation; "" = not included
	sbom             bool
	customProperties bool
	pages            bool

	// collaborator
	affiliation string

	// user, team
	samlEmail bool

	// pull-request
	prGraphQL     bool
	prFirstCommit bool
	prStates      []string
	prSince       time.Time // closed PRs updated since
	prClosedAt    bool      // filter closed PRs on closed_at (closedSinceDate given)
	prMax         int       // closed PRs per repository; 0 = no cap

	// issue
	issueState  string
	labels      []string
	includePRs  bool
	teamMembers bool

	// workflow-run
	runStatuses []string
	runSince    time.Time
	runMax      int

	// branch
	detailed          bool
	defaultBranchOnly bool
	protectionRules   bool
	branchNames       []string

	// deployment, deployment-status
	task, environment string
	deployFirstCommit bool

	// environment
	includeVariables bool

	// alerts
	alertStates []string
	severity    []string
	ecosystems  []string
	hideSecret  bool

	// file
	files           []fileSpec
	validationCheck bool

	// folder
	folders []folderSpec
}

// folderSpec is one entry of the folder kind's selector.folders.
type folderSpec struct {
	path         string
	organization string
	repos        []repoBranch // empty: every repository, default branch
}

// fileSpec is one entry of the file kind's selector.files.
type fileSpec struct {
	path         string
	organization string
	repos        []repoBranch // empty: every repository, default branch
	skipParsing  bool
}

type repoBranch struct{ name, branch string }

// specBranch says whether a file or folder spec's repository list wants
// repo (an empty list wants every repository) and on which branch: the
// one the list names, else the repository's default branch.
func specBranch(repos []repoBranch, repo map[string]any) (branch string, wanted bool) {
	name, _ := repo["name"].(string)
	branch, _ = repo["default_branch"].(string)
	if len(repos) == 0 {
		return branch, true
	}
	for _, rb := range repos {
		if strings.EqualFold(rb.name, name) {
			wanted = true
			if rb.branch != "" {
				branch = rb.branch
			}
		}
	}
	return branch, wanted
}

// Selector field defaults follow Ocean's GitHub integration
// (integrations/github in port-labs/ocean) unless noted.
const (
	defaultPRSinceDays = 60  // Ocean: closed PRs of the last 60 days
	defaultPRMax       = 100 // Ocean: at most 100 closed PRs per repository
	defaultRunMax      = 100 // Ocean: at most 100 runs per workflow (per status)
)

// SelectorKeys lists the selector keys kind reads, for the engine's check of
// mapping keys: a key of another kind's is reported as ignored, a near miss
// of one of these is an error. They are the names of selectorFields, the
// one table `tide list` and `tide validate` read too.
func (s *Source) SelectorKeys(kind string) []string {
	fields := selectorFields()[kind]
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.Name
	}
	return keys
}

// states reads a list-valued state selector under its name (states) or the
// older spelling (state) that Ocean's GitHub integration read before it: a
// pull-request's state then also took "all".
func states(sel fields, def []string, allowed ...string) ([]string, error) {
	_, plural := sel.m["states"]
	if _, single := sel.m["state"]; single {
		if plural {
			return nil, fmt.Errorf("selector: state and states are the same setting (state is Ocean's older spelling); keep states")
		}
		list, err := sel.strings("state")
		if err == nil && len(list) == 1 && list[0] == "all" && slices.Contains(allowed, "closed") && !slices.Contains(allowed, "all") {
			return []string{"open", "closed"}, nil
		}
		return sel.enums("state", def, allowed...)
	}
	return sel.enums("states", def, allowed...)
}

// parseRequest reads req; every error names the field at fault.
func parseRequest(req integrations.Request, now time.Time) (*request, error) {
	r := &request{kind: req.Kind, repoType: "all", hideSecret: true, teamMembers: true}
	cfg := fields{where: "mapping", m: req.Config}
	sel := fields{where: "selector", m: req.Selector}
	var err error
	if r.repoType, err = cfg.enum("repositoryType", "all", "all", "public", "private"); err != nil {
		return nil, err
	}
	if r.organizations, err = cfg.strings("organizations"); err != nil {
		return nil, err
	}
	if r.includeUser, err = cfg.bool("includeAuthenticatedUser", false); err != nil {
		return nil, err
	}
	if r.repoQuery, err = parseRepoSearch(sel); err != nil {
		return nil, err
	}
	switch req.Kind {
	case "repository":
		if r.includedFiles, err = sel.strings("includedFiles"); err != nil {
			return nil, err
		}
		if err := r.parseRelations(sel); err != nil {
			return nil, err
		}
	case "collaborator":
		if r.affiliation, err = sel.enum("affiliation", "all", "all", "direct", "outside"); err != nil {
			return nil, err
		}
	case "user":
		if r.samlEmail, err = sel.bool("includeSAMLEmail", false); err != nil {
			return nil, err
		}
	case "environment":
		if r.includeVariables, err = sel.bool("includeVariables", false); err != nil {
			return nil, err
		}
	case "folder":
		if r.folders, err = parseFolders(sel); err != nil {
			return nil, err
		}
	case "pull-request":
		api, err := sel.enum("api", "rest", "rest", "graphql")
		if err != nil {
			return nil, err
		}
		r.prGraphQL = api == "graphql"
		if r.prFirstCommit, err = sel.bool("enrichWithFirstCommit", false); err != nil {
			return nil, err
		}
		if r.prFirstCommit && !r.prGraphQL {
			return nil, fmt.Errorf("selector.enrichWithFirstCommit needs selector.api: graphql (Ocean reads the first commit from the GraphQL answer)")
		}
		if r.prStates, err = states(sel, []string{"open"}, "open", "closed"); err != nil {
			return nil, err
		}
		days, err := sel.int("since", defaultPRSinceDays)
		if err != nil {
			return nil, err
		}
		r.prSince = now.AddDate(0, 0, -days)
		r.prMax = defaultPRMax
		if d, ok, err := sel.date("closedSinceDate"); err != nil {
			return nil, err
		} else if ok {
			// Ocean: closedSinceDate overrides since, filters on closed_at
			// and lifts the default cap.
			r.prSince, r.prClosedAt, r.prMax = d, true, 0
		}
		if _, given := sel.m["maxResults"]; given {
			if r.prMax, err = sel.int("maxResults", defaultPRMax); err != nil {
				return nil, err
			}
		}
	case "issue":
		if r.issueState, err = sel.enum("state", "open", "open", "closed", "all"); err != nil {
			return nil, err
		}
		if r.labels, err = sel.strings("labels"); err != nil {
			return nil, err
		}
		if r.includePRs, err = sel.bool("includePullRequests", false); err != nil {
			return nil, err
		}
	case "team":
		if r.teamMembers, err = sel.bool("members", true); err != nil {
			return nil, err
		}
		if r.samlEmail, err = sel.bool("includeSAMLEmail", false); err != nil {
			return nil, err
		}
	case "workflow-run":
		if r.runStatuses, err = sel.enums("statuses", nil, "completed", "action_required", "cancelled", "failure", "neutral", "skipped", "stale", "success", "timed_out", "in_progress", "queued", "requested", "waiting", "pending"); err != nil {
			return nil, err
		}
		if _, given := sel.m["since"]; given {
			days, err := sel.int("since", 0)
			if err != nil {
				return nil, err
			}
			r.runSince = now.AddDate(0, 0, -days)
		}
		if d, ok, err := sel.date("sinceDate"); err != nil {
			return nil, err
		} else if ok {
			r.runSince = d
		}
		if r.runMax, err = sel.int("maxResults", defaultRunMax); err != nil {
			return nil, err
		}
	case "branch":
		if r.detailed, err = sel.bool("detailed", false); err != nil {
			return nil, err
		}
		if r.defaultBranchOnly, err = sel.bool("defaultBranchOnly", false); err != nil {
			return nil, err
		}
		if r.protectionRules, err = sel.bool("protectionRules", false); err != nil {
			return nil, err
		}
		if !r.protectionRules {
			// Port's documentation spells it protection_rules in one example.
			if r.protectionRules, err = sel.bool("protection_rules", false); err != nil {
				return nil, err
			}
		}
		if r.branchNames, err = sel.strings("branchNames"); err != nil {
			return nil, err
		}
	case "deployment", "deployment-status":
		if r.task, err = sel.string("task"); err != nil {
			return nil, err
		}
		if r.environment, err = sel.string("environment"); err != nil {
			return nil, err
		}
		if req.Kind == "deployment" {
			if r.deployFirstCommit, err = sel.bool("enrichWithFirstCommit", false); err != nil {
				return nil, err
			}
		}
	case "dependabot-alert":
		if r.alertStates, err = states(sel, []string{"open"}, "auto_dismissed", "dismissed", "fixed", "open"); err != nil {
			return nil, err
		}
		if r.severity, err = sel.enums("severity", nil, "low", "medium", "high", "critical"); err != nil {
			return nil, err
		}
		if r.ecosystems, err = sel.strings("ecosystems"); err != nil {
			return nil, err
		}
	case "code-scanning-alerts":
		st, err := sel.enum("state", "open", "open", "closed", "dismissed", "fixed")
		if err != nil {
			return nil, err
		}
		r.alertStates = []string{st}
		if r.severity, err = sel.enums("severity", nil, "critical", "high", "medium", "low", "warning", "note", "error"); err != nil {
			return nil, err
		}
	case "secret-scanning-alerts":
		st, err := sel.enum("state", "open", "open", "resolved", "all")
		if err != nil {
			return nil, err
		}
		if st != "all" {
			r.alertStates = []string{st}
		}
		if r.hideSecret, err = sel.bool("hideSecret", true); err != nil {
			return nil, err
		}
	case "file":
		if r.files, err = parseFiles(sel); err != nil {
			return nil, err
		}
		// Ocean's validationCheck validates files changed in pull requests
		// (a check run on each PR event): a webhook feature with nothing to
		// do in a one-shot sync. Accepted so Ocean mappings load.
		if r.validationCheck, err = sel.bool("validationCheck", false); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// parseRelations reads includedRelations (or Ocean's legacy include list).
func (r *request) parseRelations(sel fields) error {
	rel, hasRel := sel.m["includedRelations"]
	legacy, hasLegacy := sel.m["include"]
	if hasRel && hasLegacy {
		return fmt.Errorf("selector: includedRelations and include are mutually exclusive (include is Ocean's older form); keep includedRelations")
	}
	if hasLegacy {
		names, err := sel.enums("include", nil, "collaborators", "teams", "sbom")
		if err != nil {
			return err
		}
		for _, n := range names {
			switch n {
			case "teams":
				r.teams = true
			case "collaborators":
				r.collaborators = "all"
			case "sbom":
				r.sbom = true
			}
		}
		_ = legacy
		return nil
	}
	if !hasRel || rel == nil {
		return nil
	}
	m, ok := rel.(map[string]any)
	if !ok {
		return fmt.Errorf("selector.includedRelations: want an object like {teams: true, collaborators: {affiliation: all}}, got %s", jsonx.TypeName(rel))
	}
	f := fields{where: "selector.includedRelations", m: m}
	var err error
	if r.teams, err = f.bool("teams", false); err != nil {
		return err
	}
	if r.sbom, err = f.bool("sbom", false); err != nil {
		return err
	}
	if r.customProperties, err = f.bool("customProperties", false); err != nil {
		return err
	}
	if r.pages, err = f.bool("pages", false); err != nil {
		return err
	}
	switch c := m["collaborators"].(type) {
	case nil:
	case bool:
		if c {
			r.collaborators = "all"
		}
	case map[string]any:
		cf := fields{where: "selector.includedRelations.collaborators", m: c}
		if r.collaborators, err = cf.enum("affiliation", "all", "all", "direct", "outside"); err != nil {
			return err
		}
	default:
		return fmt.Errorf("selector.includedRelations.collaborators: want true or {affiliation: all|direct|outside}, got %s", jsonx.TypeName(c))
	}
	return nil
}

// parseRepoSearch reads repoSearch: {query: ...}, the search API's
// qualifiers (e.g. "topic:payments archived:false").
func parseRepoSearch(sel fields) (string, error) {
	raw, ok := sel.m["repoSearch"]
	if !ok || raw == nil {
		return "", nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return "", fmt.Errorf("selector.repoSearch: want {query: 'topic:x'}, got %s", jsonx.TypeName(raw))
	}
	q, err := fields{where: "selector.repoSearch", m: m}.string("query")
	if err != nil {
		return "", err
	}
	if q == "" {
		return "", fmt.Errorf("selector.repoSearch.query is required: GitHub search qualifiers like 'topic:payments'")
	}
	for _, w := range strings.Fields(q) {
		if k, _, ok := strings.Cut(strings.ToLower(w), ":"); ok && (k == "org" || k == "user") {
			return "", fmt.Errorf("selector.repoSearch.query %q: leave out %s: (the organisation is added per account synced)", q, k)
		}
	}
	return q, nil
}

func parseFolders(sel fields) ([]folderSpec, error) {
	raw, ok := sel.m["folders"]
	if !ok || raw == nil {
		return nil, fmt.Errorf("selector.folders is required for kind folder: a list like [{path: 'apps/*'}]")
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("selector.folders: want a list of {path, organization, repos}, got %s", jsonx.TypeName(raw))
	}
	var out []folderSpec
	for i, x := range list {
		where := fmt.Sprintf("selector.folders[%d]", i)
		t, ok := x.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: want {path: GLOB, ...}, got %s", where, jsonx.TypeName(x))
		}
		f := fields{where: where, m: t}
		var spec folderSpec
		var err error
		if spec.path, err = f.string("path"); err != nil {
			return nil, err
		}
		if spec.organization, err = f.string("organization"); err != nil {
			return nil, err
		}
		if spec.repos, err = parseRepos(where, t["repos"]); err != nil {
			return nil, err
		}
		spec.path = strings.Trim(spec.path, "/")
		if spec.path != "" && !validGlob(spec.path) {
			return nil, fmt.Errorf("%s.path: %q is not a valid glob", where, spec.path)
		}
		out = append(out, spec)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("selector.folders is empty: name at least one {path: GLOB}")
	}
	return out, nil
}

func parseFiles(sel fields) ([]fileSpec, error) {
	raw, ok := sel.m["files"]
	if !ok || raw == nil {
		return nil, fmt.Errorf("selector.files is required for kind file: a list like [{path: '**/port.yml'}]")
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("selector.files: want a list of {path, organization, repos}, got %s", jsonx.TypeName(raw))
	}
	var out []fileSpec
	for i, x := range list {
		where := fmt.Sprintf("selector.files[%d]", i)
		var spec fileSpec
		switch t := x.(type) {
		case string:
			spec.path = t
		case map[string]any:
			f := fields{where: where, m: t}
			var err error
			if spec.path, err = f.string("path"); err != nil {
				return nil, err
			}
			if spec.organization, err = f.string("organization"); err != nil {
				return nil, err
			}
			if spec.skipParsing, err = f.bool("skipParsing", false); err != nil {
				return nil, err
			}
			if spec.repos, err = parseRepos(where, t["repos"]); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%s: want {path: GLOB, ...}, got %s", where, jsonx.TypeName(x))
		}
		spec.path = strings.TrimPrefix(strings.TrimSpace(spec.path), "/")
		if spec.path == "" {
			return nil, fmt.Errorf("%s.path is required: a glob like '**/port.yml'", where)
		}
		if !validGlob(spec.path) {
			return nil, fmt.Errorf("%s.path: %q is not a valid glob", where, spec.path)
		}
		out = append(out, spec)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("selector.files is empty: name at least one {path: GLOB}")
	}
	return out, nil
}

func parseRepos(where string, raw any) ([]repoBranch, error) {
	if raw == nil {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("%s.repos: want a list of repository names or {name, branch}, got %s", where, jsonx.TypeName(raw))
	}
	var out []repoBranch
	for j, x := range list {
		switch t := x.(type) {
		case string:
			out = append(out, repoBranch{name: t})
		case map[string]any:
			f := fields{where: fmt.Sprintf("%s.repos[%d]", where, j), m: t}
			name, err := f.string("name")
			if err != nil {
				return nil, err
			}
			if name == "" {
				return nil, fmt.Errorf("%s.repos[%d].name is required", where, j)
			}
			branch, err := f.string("branch")
			if err != nil {
				return nil, err
			}
			out = append(out, repoBranch{name: name, branch: branch})
		default:
			return nil, fmt.Errorf("%s.repos[%d]: want a name or {name, branch}, got %s", where, j, jsonx.TypeName(x))
		}
	}
	return out, nil
}

// fields reads typed values from a selector or the mapping's top level.
type fields struct {
	where string
	m     map[string]any
}

func (f fields) string(k string) (string, error) {
	v, ok := f.m[k]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s.%s: want a string, got %s", f.where, k, jsonx.TypeName(v))
	}
	return strings.TrimSpace(s), nil
}

func (f fields) bool(k string, def bool) (bool, error) {
	v, ok := f.m[k]
	if !ok || v == nil {
		return def, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("%s.%s: want true or false, got %s", f.where, k, jsonx.TypeName(v))
	}
	return b, nil
}

func (f fields) int(k string, def int) (int, error) {
	v, ok := f.m[k]
	if !ok || v == nil {
		return def, nil
	}
	var n float64
	switch t := v.(type) {
	case int:
		n = float64(t)
	case int64:
		n = float64(t)
	case float64:
		n = t
	default:
		return 0, fmt.Errorf("%s.%s: want a whole number, got %s", f.where, k, jsonx.TypeName(v))
	}
	if n != math.Trunc(n) || n < 0 || n > 1e7 {
		return 0, fmt.Errorf("%s.%s: want a whole number ≥ 0, got %v", f.where, k, v)
	}
	return int(n), nil
}

func (f fields) date(k string) (time.Time, bool, error) {
	s, err := f.string(k)
	if err != nil || s == "" {
		return time.Time{}, false, err
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("%s.%s: %q is not a date; want ISO 8601 like 2025-01-31 or 2025-01-31T00:00:00Z", f.where, k, s)
}

func (f fields) strings(k string) ([]string, error) {
	v, ok := f.m[k]
	if !ok || v == nil {
		return nil, nil
	}
	switch t := v.(type) {
	case string:
		return []string{t}, nil
	case []string:
		return t, nil
	case []any:
		out := make([]string, 0, len(t))
		for i, x := range t {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("%s.%s[%d]: want a string, got %s", f.where, k, i, jsonx.TypeName(x))
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s.%s: want a list of strings, got %s", f.where, k, jsonx.TypeName(v))
}

func (f fields) enum(k, def string, allowed ...string) (string, error) {
	s, err := f.string(k)
	if err != nil {
		return "", err
	}
	if s == "" {
		return def, nil
	}
	for _, a := range allowed {
		if strings.EqualFold(a, s) {
			return a, nil
		}
	}
	return "", fmt.Errorf("%s.%s: %q is not one of %s", f.where, k, s, strings.Join(allowed, ", "))
}

func (f fields) enums(k string, def []string, allowed ...string) ([]string, error) {
	list, err := f.strings(k)
	if err != nil {
		return nil, err
	}
	if list == nil {
		return def, nil
	}
	seen := map[string]bool{}
	var out []string
	for i, s := range list {
		ok := false
		for _, a := range allowed {
			if strings.EqualFold(a, strings.TrimSpace(s)) {
				if !seen[a] {
					seen[a] = true
					out = append(out, a)
				}
				ok = true
				break
			}
		}
		if !ok {
			sorted := append([]string(nil), allowed...)
			sort.Strings(sorted)
			return nil, fmt.Errorf("%s.%s[%d]: %q is not one of %s", f.where, k, i, s, strings.Join(sorted, ", "))
		}
	}
	return out, nil
}

// selectorFields lists what parseRequest reads of each kind's selector
// besides query: for `tide list`, for `tide validate` without credentials
// (Definition.Selectors) and for the engine's check of a run's mapping
// (SelectorKeys). Older spellings Ocean's GitHub integration or Port's
// GitHub docs use are fields of their own, so all three accept them.
func selectorFields() map[string][]integrations.SelectorField {
	f := func(name, def, usage string) integrations.SelectorField {
		return integrations.SelectorField{Name: name, Default: def, Usage: usage}
	}
	out := map[string][]integrations.SelectorField{
		"repository": {
			f("includedFiles", "", "file paths whose content is added as __includedFiles"),
			f("includedRelations", "", "{teams: true, collaborators: true|{affiliation: all|direct|outside}, sbom: true, customProperties: true, pages: true}"),
			f("include", "", "Ocean's older form of includedRelations: a list of collaborators, teams, sbom"),
		},
		"pull-request": {
			f("states", "[open]", "open and/or closed"),
			f("state", "", "Ocean's older spelling of states (also takes all)"),
			f("since", fmt.Sprint(defaultPRSinceDays), "closed pull requests of the last N days"),
			f("closedSinceDate", "", "closed since this date (wins over since; lifts the cap)"),
			f("maxResults", fmt.Sprint(defaultPRMax), "closed pull requests per repository at most"),
			f("api", "rest", "rest or graphql"),
			f("enrichWithFirstCommit", "false", "with api: graphql, add the first commit as firstCommit"),
		},
		"issue": {
			f("state", "open", "open, closed or all"),
			f("labels", "", "issues with these labels only"),
			f("includePullRequests", "false", "keep the pull requests GitHub lists as issues"),
		},
		"team":         {f("members", "true", "add each team's members"), f("includeSAMLEmail", "false", "add each member's SAML e-mail as __SAMLEmail")},
		"user":         {f("includeSAMLEmail", "false", "add the SAML e-mail as __SAMLEmail")},
		"workflow-run": {f("statuses", "", "run statuses to list; default: every status"), f("since", "", "runs of the last N days"), f("sinceDate", "", "runs since this date"), f("maxResults", fmt.Sprint(defaultRunMax), "runs per workflow at most")},
		"branch": {
			f("detailed", "false", "each branch's full answer"),
			f("defaultBranchOnly", "false", "the default branch only"),
			f("protectionRules", "false", "add each branch's protection rules"),
			f("protection_rules", "", "the spelling of protectionRules in one of Port's GitHub docs examples"),
			f("branchNames", "", "these branches only"),
		},
		"environment":       {f("includeVariables", "false", "add each environment's variables as __variables")},
		"deployment":        {f("task", "", "deployments of this task only"), f("environment", "", "deployments to this environment only"), f("enrichWithFirstCommit", "false", "add __firstCommit and __commitCount")},
		"deployment-status": {f("task", "", "statuses of deployments of this task only"), f("environment", "", "statuses of deployments to this environment only")},
		"collaborator":      {f("affiliation", "all", "all, direct or outside")},
		"folder":            {f("folders", "", "required: a list of {path: GLOB, organization, repos: [{name, branch}]}")},
		"dependabot-alert": {
			f("states", "[open]", "auto_dismissed, dismissed, fixed and/or open"),
			f("state", "", "Ocean's older spelling of states"),
			f("severity", "", "low, medium, high and/or critical; default: every severity"),
			f("ecosystems", "", "these package ecosystems only"),
		},
		"code-scanning-alerts": {
			f("state", "open", "open, closed, dismissed or fixed"),
			f("severity", "", "critical, high, medium, low, warning, note and/or error; default: every severity"),
		},
		"secret-scanning-alerts": {f("state", "open", "open, resolved or all"), f("hideSecret", "true", "leave the secret's value out")},
		"file":                   {f("files", "", "required: a list of {path: GLOB, organization, repos: [{name, branch}], skipParsing}"), f("validationCheck", "false", "a pull-request webhook feature: accepted, no effect")},
	}
	for _, k := range kinds {
		if _, ok := out[k]; !ok {
			out[k] = []integrations.SelectorField{}
		}
	}
	for k, fs := range out {
		if repoScoped(k) {
			out[k] = append(fs, f("repoSearch", "", "{query: QUALIFIERS}: the repositories GitHub's search finds (at most 1,000)"))
		}
	}
	return out
}

// repoScoped reports whether kind's items come from the accounts'
// repositories, so Ocean's repoSearch narrows them. Organisations, teams
// and users are read from the organisation itself.
func repoScoped(kind string) bool {
	return kind != "organization" && kind != "team" && kind != "user"
}
