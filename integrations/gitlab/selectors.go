package gitlab

import (
	"strings"

	"github.com/tide-sync/tide/integrations"
)

// selectorFields describes kindKeys, the keys parseRequest reads, for
// `tide list` and for `tide validate` without a token: each key's meaning,
// and its default where parseRequest sets one.
func selectorFields() map[string][]integrations.SelectorField {
	about := map[string]integrations.SelectorField{
		"includeOnlyActiveProjects": {Usage: "true: active projects only, false: archived ones only; default: every project"},
		"includeOnlyActiveGroups":   {Usage: "true: active groups only, false: inactive ones only; default: every group"},
		"includeLanguages":          {Default: "false", Usage: "add each project's languages (__languages)"},
		"searchQueries":             {Usage: "a list of {name, scope (default blobs), query}: whether a code search finds it (__searchQueries)"},
		"includedFiles":             {Usage: "file paths on the default branch whose content is added as __includedFiles"},
		"includeBotMembers":         {Default: "false", Usage: "keep bot members"},
		"includeInheritedMembers":   {Default: "false", Usage: "add the members inherited from parent groups"},
		"issueType":                 {Usage: "issue, incident, test_case or task; default: every type"},
		"labels":                    {Usage: "issues with these labels only (comma-separated)"},
		"nonArchived":               {Default: "true", Usage: "leave out the issues of archived projects"},
		"state":                     {Usage: "opened or closed; default: every state"},
		"states":                    {Default: "[opened]", Usage: "opened, closed and/or merged"},
		"updatedAfter":              {Usage: "updated in the last N days; default: every one"},
		"apiQueryParams":            {Usage: "extra query parameters of the listing (object): " + strings.Join(pipelineParams, ", ")},
		"pipelineQueryParams":       {Usage: "query parameters of the pipeline listing the jobs come from (object): " + strings.Join(pipelineParams, ", ")},
		"regex":                     {Usage: "branches whose name matches this RE2 expression (with defaultBranchOnly: false)"},
		"search":                    {Usage: "branches whose name contains this text (with defaultBranchOnly: false)"},
		"defaultBranchOnly":         {Default: "true", Usage: "the default branch only"},
		"files":                     {Usage: "required: {path: PATH_OR_GLOB, repos: [project paths], skipParsing}"},
		"folders":                   {Usage: "required: a list of {path: PATH_OR_GLOB, repos: [{name, branch}]}"},
	}
	byKind := map[string]map[string]integrations.SelectorField{
		"merge-request": {"updatedAfter": {Default: "90", Usage: "updated in the last N days"}},
		"deployment":    {"apiQueryParams": {Usage: "extra query parameters of the listing (object): " + strings.Join(deploymentParams, ", ")}},
	}
	out := make(map[string][]integrations.SelectorField, len(kindKeys))
	for kind, keys := range kindKeys {
		fields := make([]integrations.SelectorField, 0, len(keys))
		for _, k := range keys {
			f, ok := byKind[kind][k]
			if !ok {
				f = about[k]
			}
			f.Name = k
			fields = append(fields, f)
		}
		out[kind] = fields
	}
	return out
}
