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
)

// credential authenticates requests. Each has its own rate-limit quota,
// named by key.
type credential interface {
	// header returns the Authorization value.
	header(ctx context.Context) (string, error)
	// key names the quota the credential spends.
	key() string
	// refreshable reports whether invalidate can yield a new secret.
	refreshable() bool
	// invalidate drops a cached secret after a 401.
	invalidate()
}

// patCredential is a personal access token (or Actions' GITHUB_TOKEN).
type patCredential struct{ token string }

func (p patCredential) header(context.Context) (string, error) { return "Bearer " + p.token, nil }
func (p patCredential) key() string                            { return "token" }
func (p patCredential) refreshable() bool                      { return false }
func (p patCredential) invalidate()                            {}

// appCredential signs the GitHub App's JWTs (RS256, as GitHub requires),
// used only to list installations and mint installation tokens.
type appCredential struct {
	id   string
	pkey *rsa.PrivateKey
	now  func() time.Time

	mu      gosync.Mutex
	signed  string
	expires time.Time
}

// jwtLife is the JWT's lifetime; GitHub refuses more than 10 minutes.
const jwtLife = 9 * time.Minute

func (a *appCredential) header(context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if a.signed != "" && now.Before(a.expires.Add(-time.Minute)) {
		return "Bearer " + a.signed, nil
	}
	// iat a minute in the past absorbs clock drift, as GitHub advises.
	claims := jwt.RegisteredClaims{
		Issuer:    a.id,
		IssuedAt:  jwt.NewNumericDate(now.Add(-60 * time.Second)),
		ExpiresAt: jwt.NewNumericDate(now.Add(jwtLife)),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(a.pkey)
	if err != nil {
		return "", fmt.Errorf("github: signing the App JWT: %w", err)
	}
	a.signed, a.expires = s, now.Add(jwtLife)
	return "Bearer " + s, nil
}

func (a *appCredential) key() string       { return "app" }
func (a *appCredential) refreshable() bool { return true }
func (a *appCredential) invalidate() {
	a.mu.Lock()
	a.signed = ""
	a.mu.Unlock()
}

// installationCredential is an installation access token, minted from the
// App JWT and re-minted before it expires.
type installationCredential struct {
	c   *client
	app *appCredential
	id  int64

	mu      gosync.Mutex
	token   string
	expires time.Time
}

// tokenMargin is how long before expiry an installation token is replaced
// (they live an hour).
const tokenMargin = 5 * time.Minute

func (ic *installationCredential) header(ctx context.Context) (string, error) {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	if ic.token != "" && ic.c.now().Before(ic.expires.Add(-tokenMargin)) {
		return "Bearer " + ic.token, nil
	}
	path := "/app/installations/" + strconv.FormatInt(ic.id, 10) + "/access_tokens"
	resp, err := ic.c.do(ctx, call{method: http.MethodPost, url: ic.c.rest + path, cred: ic.app})
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden || ae.Status == http.StatusNotFound) {
			return "", fmt.Errorf("%w: GitHub refused an installation token for installation %d (check --github-app-id and --github-app-private-key): %v", errAuth, ic.id, err)
		}
		return "", fmt.Errorf("getting an installation token: %w", err)
	}
	var out struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal(resp.body, &out); err != nil || out.Token == "" {
		return "", fmt.Errorf("github: POST %s: the answer holds no token", path)
	}
	if out.ExpiresAt.IsZero() {
		out.ExpiresAt = ic.c.now().Add(time.Hour)
	}
	ic.token, ic.expires = out.Token, out.ExpiresAt
	return "Bearer " + ic.token, nil
}

func (ic *installationCredential) key() string       { return "installation/" + strconv.FormatInt(ic.id, 10) }
func (ic *installationCredential) refreshable() bool { return true }
func (ic *installationCredential) invalidate() {
	ic.mu.Lock()
	ic.token = ""
	ic.mu.Unlock()
}

// errAuth marks GitHub refusing the configured credentials.
var errAuth = errors.New("github authentication failed")

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
