package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	tsync "github.com/tide-sync/tide/sync"
	"github.com/tide-sync/tide/sync/port/porttest"
)

// vendorHarness is a Port fake and one vendor's fake, driven through run
// with the environment an installation sets. Every run's stdout and stderr
// are kept and checked at cleanup for the harness's secrets.
type vendorHarness struct {
	t       *testing.T
	port    *porttest.Server
	args    []string // after "sync": the integration's flags
	env     map[string]string
	secrets []string
	out     []string
}

// newVendorHarness serves vendor and a Port fake. vendorEnv gives the
// integration's variables from the vendor fake's URL; the Port credentials
// and URL are added to them. Neither secrets nor the Port client secret
// may appear in any output.
func newVendorHarness(t *testing.T, vendor http.Handler, args []string, vendorEnv func(vendorURL string) map[string]string, secrets ...string) *vendorHarness {
	t.Helper()
	vendorSrv := httptest.NewServer(vendor)
	t.Cleanup(vendorSrv.Close)
	port := porttest.New(porttest.Options{ClientID: testClientID, ClientSecret: testClientSecret})
	portSrv := httptest.NewServer(port)
	t.Cleanup(portSrv.Close)
	env := vendorEnv(vendorSrv.URL)
	env["TIDE_PORT_CLIENT_ID"] = testClientID
	env["TIDE_PORT_CLIENT_SECRET"] = testClientSecret
	env["TIDE_PORT_URL"] = portSrv.URL
	h := &vendorHarness{t: t, port: port, args: args, env: env, secrets: append(secrets, testClientSecret)}
	t.Cleanup(func() {
		for _, o := range h.out {
			for _, s := range h.secrets {
				if strings.Contains(o, s) {
					t.Errorf("a secret was printed:\n%s", o)
				}
			}
		}
	})
	return h
}

// sync runs `tide sync` with the integration's flags plus extra.
func (h *vendorHarness) sync(extra ...string) (int, string, string, *tsync.Result) {
	h.t.Helper()
	args := append(append([]string{"sync"}, h.args...), extra...)
	code, stdout, stderr, sum := syncWithSummary(h.t, context.Background(), args, h.env)
	h.out = append(h.out, stdout, stderr)
	return code, stdout, stderr, sum
}

// syncAgainWritesNothing runs `tide sync` again with extra and fails the
// test unless it exits 0, writes nothing to Port and finds unchanged
// entities unchanged.
func (h *vendorHarness) syncAgainWritesNothing(unchanged int, extra ...string) {
	h.t.Helper()
	h.port.ResetCounts()
	code, out, errs, sum := h.sync(extra...)
	mustCode(h.t, code, exitOK, out, errs)
	if n := writeCount(h.port); n != 0 || sum.Total.Unchanged != unchanged {
		h.t.Fatalf("second run: %d writes, total %+v; want none", n, sum.Total)
	}
}

// syncLocal runs `tide sync --integration integration` with env into a
// local target, fails the test unless it exits 0, and returns the catalog
// the run saved.
func (h *vendorHarness) syncLocal(env map[string]string, integration string) *porttest.Server {
	h.t.Helper()
	path := filepath.Join(h.t.TempDir(), "catalog.json")
	code, out, errs := runArgs(h.t, env, "sync", "--integration", integration, "--port-url", "local:"+path)
	h.out = append(h.out, out, errs)
	mustCode(h.t, code, exitOK, out, errs)
	saved := porttest.New(porttest.Options{})
	if err := saved.LoadFile(path); err != nil {
		h.t.Fatal(err)
	}
	return saved
}
