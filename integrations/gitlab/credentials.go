package gitlab

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/tide-sync/tide/integrations"
)

// tokenCheck names what to check when GitLab refuses the token.
const tokenCheck = "--gitlab-token (TIDE_GITLAB_TOKEN or GITLAB_TOKEN), its expiry and scopes, and --gitlab-host"

// errAuth marks GitLab rejecting the token (a 401), inside an
// integrations.CredentialsError: the run exits 2, and a fan-out over
// projects stops at the first one.
var errAuth = errors.New("GitLab rejected the token (401)")

// CheckCredentials asks GitLab whose token this is (GET /user) before
// anything is written: one small request per run, which every token that
// can read the API may send (personal, project, group and OAuth tokens
// with read_api, api or read_user). A 401 is a credentials error, and so
// is a 403 there: the token cannot use the REST API at all (it lacks
// read_api) or its user is blocked. Anything else is left for the blocks
// to report.
func (s *Source) CheckCredentials(ctx context.Context, _ []integrations.Request) error {
	me, err := s.c.getObject(ctx, "/user", nil)
	switch {
	case err == nil:
		s.log.Debug("GitLab accepted the token", "username", me["username"], "bot", me["bot"])
	case errors.Is(err, integrations.ErrCredentials):
		return err
	case statusOf(err) == http.StatusForbidden:
		return integrations.CredentialsError(tokenCheck, fmt.Errorf("GitLab refused the first request of the run: %w", err))
	}
	return nil
}
