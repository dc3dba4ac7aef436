package vendortest

import (
	"errors"
	"strings"
	"testing"

	"github.com/tide-sync/tide/integrations"
)

// WantCredentialsError fails t unless err wraps integrations.ErrCredentials
// (fatal), names each of want and does not show token (which must not be
// empty): a refusal must say what to check without leaking the credential.
func WantCredentialsError(t testing.TB, err error, token string, want ...string) {
	t.Helper()
	if !errors.Is(err, integrations.ErrCredentials) {
		t.Fatalf("err = %v, want a credentials error", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("the error shows the token: %v", err)
	}
}
