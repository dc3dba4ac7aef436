package port_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	gosync "sync"
	"sync/atomic"
	"testing"

	"github.com/tide-sync/tide/sync/port"
	"github.com/tide-sync/tide/sync/port/porttest"
)

// Concurrent requests reuse their connections: the default transport keeps
// only two idle per host, so eight writers in flight would open a new
// connection (a TLS handshake against Port) for most requests.
func TestConnectionsReused(t *testing.T) {
	t.Parallel()
	var opened atomic.Int64
	srv := httptest.NewUnstartedServer(porttest.New(porttest.Options{ClientID: "id", ClientSecret: "secret"}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := port.New(port.Config{BaseURL: srv.URL, ClientID: "id", ClientSecret: "secret", IntegrationType: "test", IntegrationID: "it", Version: "t"})
	if err := c.Authenticate(context.Background()); err != nil {
		t.Fatal(err)
	}
	const workers, rounds = 8, 25
	var wg gosync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range rounds {
				if _, err := c.GetBlueprint(context.Background(), "missing"); err == nil {
					t.Error("GetBlueprint(missing): no error")
				}
			}
		})
	}
	wg.Wait()
	if n := opened.Load(); n > workers+1 {
		t.Errorf("%d connections opened for %d requests, %d at a time; want at most %d", n, workers*rounds, workers, workers+1)
	}
}
