package github

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/httpx"
	"github.com/tide-sync/tide/internal/secret"
)

// credential authenticates requests. Each has its own rate-limit quota,
// named by key.
type credential interface {
	// header returns the Authorization value and its generation.
	header(ctx context.Context) (string, uint64, error)
	// key names the quota the credential spends.
	key() string
	// refreshable reports whether invalidate can yield a new secret.
	refreshable() bool
	// invalidate drops the secret of generation gen after a 401 (a newer
	// one, fetched meanwhile by another request, is kept).
	invalidate(gen uint64)
}

// patCredential is a personal access token (or Actions' GITHUB_TOKEN).
type patCredential struct{ token string }

func (p patCredential) header(context.Context) (string, uint64, error) {
	return "Bearer " + p.token, 0, nil
}
func (p patCredential) key() string       { return "token" }
func (p patCredential) refreshable() bool { return false }
func (p patCredential) invalidate(uint64) {}

// appCredential signs the GitHub App's JWTs (RS256, as GitHub requires),
// used only to list installations and mint installation tokens. Signing
// is local and quick, so the lock is held across it; no network call is
// made under it.
type appCredential struct {
	id   string
	pkey *rsa.PrivateKey
	now  func() time.Time

	mu      gosync.Mutex
	signed  string
	expires time.Time
	gen     uint64
}

// jwtLife is the JWT's lifetime; GitHub refuses more than 10 minutes.
const jwtLife = 9 * time.Minute

func (a *appCredential) header(context.Context) (string, uint64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if a.signed != "" && now.Before(a.expires.Add(-time.Minute)) {
		return "Bearer " + a.signed, a.gen, nil
	}
	// iat a minute in the past absorbs clock drift, as GitHub advises.
	claims := jwt.RegisteredClaims{
		Issuer:    a.id,
		IssuedAt:  jwt.NewNumericDate(now.Add(-60 * time.Second)),
		ExpiresAt: jwt.NewNumericDate(now.Add(jwtLife)),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(a.pkey)
	if err != nil {
		return "", 0, fmt.Errorf("github: signing the App JWT: %w", err)
	}
	a.signed, a.expires = s, now.Add(jwtLife)
	a.gen++
	return "Bearer " + s, a.gen, nil
}

func (a *appCredential) key() string       { return "app" }
func (a *appCredential) refreshable() bool { return true }
func (a *appCredential) invalidate(gen uint64) {
	a.mu.Lock()
	if gen == a.gen {
		a.signed = ""
	}
	a.mu.Unlock()
}

// appCheck names what to check when GitHub refuses the App.
const appCheck = "--github-app-id / TIDE_GITHUB_APP_ID and --github-app-private-key / TIDE_GITHUB_APP_PRIVATE_KEY"

// tokenCheck names what to check when GitHub refuses the token.
const tokenCheck = "--github-token / TIDE_GITHUB_TOKEN or GITHUB_TOKEN"

// installationCredential is an installation access token, minted from the
// App JWT and re-minted before it expires. Minting is single-flight and
// holds no lock across the request; each token joins the run's secret set
// the moment it arrives.
type installationCredential struct {
	id  int64
	tok *httpx.Token
}

// tokenMargin is how long before expiry an installation token is replaced
// (they live an hour).
const tokenMargin = 5 * time.Minute

func newInstallationCredential(c *client, app *appCredential, id int64, secrets *secret.Set) *installationCredential {
	ic := &installationCredential{id: id}
	ic.tok = httpx.NewToken(httpx.TokenOptions{
		Margin:  tokenMargin,
		Secrets: secrets,
		Now:     c.now,
		Fetch: func(ctx context.Context) (httpx.Grant, error) {
			path := "/app/installations/" + strconv.FormatInt(id, 10) + "/access_tokens"
			resp, err := c.do(ctx, call{method: http.MethodPost, url: c.rest + path, cred: app})
			if err != nil {
				var ae *APIError
				if errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden || ae.Status == http.StatusNotFound) {
					return httpx.Grant{}, integrations.CredentialsError(appCheck, fmt.Errorf("GitHub refused an installation token for installation %d: %w", id, err))
				}
				return httpx.Grant{}, fmt.Errorf("getting an installation token: %w", err)
			}
			var out struct {
				Token     string    `json:"token"`
				ExpiresAt time.Time `json:"expires_at"`
			}
			if err := json.Unmarshal(resp.body, &out); err != nil || out.Token == "" {
				return httpx.Grant{}, fmt.Errorf("github: POST %s: the answer holds no token", path)
			}
			if out.ExpiresAt.IsZero() {
				out.ExpiresAt = c.now().Add(time.Hour)
			}
			return httpx.Grant{Value: out.Token, Type: "Bearer", Expires: out.ExpiresAt}, nil
		},
	})
	return ic
}

func (ic *installationCredential) header(ctx context.Context) (string, uint64, error) {
	g, gen, err := ic.tok.Get(ctx)
	if err != nil {
		return "", 0, err
	}
	return "Bearer " + g.Value, gen, nil
}

func (ic *installationCredential) key() string       { return "installation/" + strconv.FormatInt(ic.id, 10) }
func (ic *installationCredential) refreshable() bool { return true }
func (ic *installationCredential) invalidate(gen uint64) {
	ic.tok.Invalidate(gen)
}

// parsePrivateKey reads a PEM RSA key (PKCS#1 or PKCS#8), or the same PEM
// base64-encoded (handy for one-line secrets). Errors never quote the key.
func parsePrivateKey(s string) (*rsa.PrivateKey, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "-----BEGIN") {
		dec, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return nil, errors.New("want a PEM private key (-----BEGIN RSA PRIVATE KEY-----) or the same PEM base64-encoded; got neither")
		}
		s = strings.TrimSpace(string(dec))
	}
	// Secrets stores sometimes flatten newlines to "\n".
	s = strings.ReplaceAll(s, `\n`, "\n")
	key, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(s))
	if err != nil {
		return nil, errors.New("not a valid RSA private key in PEM form (the App's .pem file from its settings page)")
	}
	return key, nil
}
