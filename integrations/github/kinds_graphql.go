package github

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ---- includeSAMLEmail ----

// samlEmails maps each login of an organisation to the e-mail (nameId)
// of its SAML identity, read once a run. An organisation without SAML
// single sign-on has none.
func (s *Source) samlEmails(ctx context.Context, sc scope) (map[string]string, error) {
	return s.saml.do(ctx, strings.ToLower(sc.login), func() (map[string]string, error) {
		out := map[string]string{}
		cursor := ""
		for {
			var data struct {
				Organization *struct {
					SAML *struct {
						Identities struct {
							Edges []struct {
								Node struct {
									SAMLIdentity *struct {
										NameID string `json:"nameId"`
									} `json:"samlIdentity"`
									User *struct {
										Login string `json:"login"`
									} `json:"user"`
								} `json:"node"`
							} `json:"edges"`
							PageInfo pageInfo `json:"pageInfo"`
						} `json:"externalIdentities"`
					} `json:"samlIdentityProvider"`
				} `json:"organization"`
			}
			vars := map[string]any{"org": sc.login, "after": nil}
			if cursor != "" {
				vars["after"] = cursor
			}
			const q = `query($org: String!, $after: String) { organization(login: $org) { samlIdentityProvider { externalIdentities(first: 100, after: $after) { edges { node { samlIdentity { nameId } user { login } } } pageInfo { hasNextPage endCursor } } } } }`
			if err := s.c.graphQL(ctx, sc.cred, q, vars, 0, &data); err != nil {
				return nil, fmt.Errorf("organisation %q: SAML identities: %w", sc.login, s.refusal(err))
			}
			if data.Organization == nil {
				return nil, fmt.Errorf("organisation %q: SAML identities: GitHub's GraphQL API returned no organisation", sc.login)
			}
			if data.Organization.SAML == nil {
				return out, nil // no SAML single sign-on
			}
			ids := data.Organization.SAML.Identities
			for _, e := range ids.Edges {
				if e.Node.User != nil && e.Node.SAMLIdentity != nil {
					out[e.Node.User.Login] = e.Node.SAMLIdentity.NameID
				}
			}
			if !ids.PageInfo.HasNextPage || ids.PageInfo.EndCursor == "" {
				return out, nil
			}
			cursor = ids.PageInfo.EndCursor
		}
	})
}

// setSAMLEmails sets __SAMLEmail on each user node: the SAML identity's
// e-mail, or null.
func (s *Source) setSAMLEmails(ctx context.Context, sc scope, nodes []map[string]any) error {
	emails, err := s.samlEmails(ctx, sc)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		login, _ := n["login"].(string)
		if e, ok := emails[login]; ok {
			n["__SAMLEmail"] = e
		} else {
			n["__SAMLEmail"] = nil
		}
	}
	return nil
}

// ---- pull-request, api: graphql ----

// prFields asks GraphQL for a pull request under the REST listing's names
// where one exists (aliases), so mappings written for the REST items work
// on both; the rest is normalised as Ocean normalises its GraphQL items.
const prFields = `id: databaseId node_id: id number title body state
  html_url: url created_at: createdAt updated_at: updatedAt closed_at: closedAt merged_at: mergedAt
  draft: isDraft locked author_association: authorAssociation mergeStateStatus mergeable
  headRefName headRefOid baseRefName baseRefOid headRepository { name } baseRepository { name }
  user: author { login }
  assignees(first: 25) { nodes { login } }
  reviewRequests(first: 25) { nodes { requestedReviewer { __typename ... on User { login } ... on Team { name slug } } } }
  labels(first: 25) { nodes { name } }
  comments { totalCount } reviewThreads { totalCount }`

const prCommitsPlain = ` commits { totalCount }`

// The first commit of a pull request is the first of its commits, which
// GitHub lists oldest first.
const prCommitsFirst = ` commits(first: 1) { totalCount nodes { commit { oid committedDate authoredDate message url author { name email date user { login } } committer { name email date } } } }`

func pullRequestsGraphQL(ctx context.Context, s *Source, r *request, sc scope, repo map[string]any, out *repoEmitter) error {
	fields := prFields + prCommitsPlain
	if r.prFirstCommit {
		fields = prFields + prCommitsFirst
	}
	query := `query($org: String!, $repo: String!, $states: [PullRequestState!], $first: Int!, $after: String) { repository(owner: $org, name: $repo) { pullRequests(states: $states, first: $first, after: $after, orderBy: {field: UPDATED_AT, direction: DESC}) { nodes { ` + fields + ` } pageInfo { hasNextPage endCursor } } } }`
	name, _ := repo["name"].(string)
	for _, state := range r.prStates {
		states := []string{"OPEN"}
		var window func([]map[string]any) ([]map[string]any, bool)
		if state == "closed" {
			states = []string{"CLOSED", "MERGED"}
			window = closedWindow(r)
		}
		cursor := ""
		for {
			var data struct {
				Repository *struct {
					PullRequests struct {
						Nodes    []map[string]any `json:"nodes"`
						PageInfo pageInfo         `json:"pageInfo"`
					} `json:"pullRequests"`
				} `json:"repository"`
			}
			vars := map[string]any{"org": sc.login, "repo": name, "states": states, "first": 25, "after": nil}
			if cursor != "" {
				vars["after"] = cursor
			}
			if err := s.c.graphQL(ctx, sc.cred, query, vars, 0, &data); err != nil {
				return fmt.Errorf("pull requests (GraphQL): %w", err)
			}
			if data.Repository == nil {
				return errors.New("pull requests (GraphQL): GitHub's GraphQL API returned no repository")
			}
			prs := data.Repository.PullRequests
			items := make([]map[string]any, 0, len(prs.Nodes))
			for _, n := range prs.Nodes {
				items = append(items, normalizePR(n, r.prFirstCommit))
			}
			more := prs.PageInfo.HasNextPage && prs.PageInfo.EndCursor != ""
			if window != nil && len(items) > 0 {
				var goOn bool
				items, goOn = window(items)
				more = more && goOn
			}
			if err := out.send(items); err != nil {
				return err
			}
			if !more {
				break
			}
			cursor = prs.PageInfo.EndCursor
		}
	}
	return nil
}

// normalizePR turns a GraphQL pull request into the REST listing's shape
// as Ocean does: connections become lists, counts numbers, enums lower
// case; head and base are rebuilt as REST's objects.
func normalizePR(n map[string]any, firstCommit bool) map[string]any {
	nodes := func(k string) []any {
		c, _ := n[k].(map[string]any)
		l, _ := c["nodes"].([]any)
		if l == nil {
			l = []any{}
		}
		return l
	}
	count := func(k string) any {
		c, _ := n[k].(map[string]any)
		return c["totalCount"]
	}
	lower := func(k string) any {
		if s, ok := n[k].(string); ok {
			return strings.ToLower(s)
		}
		return nil
	}
	out := make(map[string]any, len(n)+4)
	for k, v := range n {
		out[k] = v
	}
	out["assignees"] = nodes("assignees")
	out["labels"] = nodes("labels")
	reqs := nodes("reviewRequests")
	out["reviewRequests"] = reqs
	reviewers := []any{}
	for _, x := range reqs {
		m, _ := x.(map[string]any)
		rv, _ := m["requestedReviewer"].(map[string]any)
		switch rv["__typename"] {
		case "User":
			reviewers = append(reviewers, map[string]any{"login": rv["login"], "type": "User"})
		case "Team":
			reviewers = append(reviewers, map[string]any{"name": rv["name"], "slug": rv["slug"], "type": "Team"})
		}
	}
	out["requested_reviewers"] = reviewers
	out["comments"] = count("comments")
	out["review_comments"] = count("reviewThreads")
	out["commits"] = count("commits")
	out["state"] = lower("state")
	out["mergeable_state"] = lower("mergeStateStatus")
	out["mergeable"] = n["mergeable"] == "MERGEABLE"
	out["head"] = map[string]any{"ref": n["headRefName"], "sha": n["headRefOid"], "repo": n["headRepository"]}
	out["base"] = map[string]any{"ref": n["baseRefName"], "sha": n["baseRefOid"], "repo": n["baseRepository"]}
	if firstCommit {
		if cs := nodes("commits"); len(cs) > 0 {
			c, _ := cs[0].(map[string]any)
			out["firstCommit"], _ = c["commit"].(map[string]any)
		}
	}
	return out
}

// closedWindow is Ocean's closed pull request window over pages sorted by
// updated_at, newest first: keep those in the window (updated_at, or
// closed_at with closedSinceDate), stop at the cap or once a page ends
// before the window.
func closedWindow(r *request) func(items []map[string]any) ([]map[string]any, bool) {
	taken := 0
	return func(items []map[string]any) ([]map[string]any, bool) {
		var keep []map[string]any
		for _, it := range items {
			field := "updated_at"
			if r.prClosedAt {
				field = "closed_at"
			}
			if t, ok := timeField(it, field); !ok || t.Before(r.prSince) {
				continue
			}
			if r.prMax > 0 && taken >= r.prMax {
				break
			}
			keep = append(keep, it)
			taken++
		}
		last, ok := timeField(items[len(items)-1], "updated_at")
		return keep, !(r.prMax > 0 && taken >= r.prMax) && ok && !last.Before(r.prSince)
	}
}
