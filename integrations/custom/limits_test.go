package custom

import (
	"context"
	"errors"
	"net/http"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/tide-sync/tide/integrations"
)

// An answer larger than --max-response-size fails the block, naming the
// limit; one within it is read whole.
func TestResponseSizeLimit(t *testing.T) {
	t.Parallel()
	body := `{"data":[` + strings.Repeat(`{"id":"x","pad":"`+strings.Repeat("p", 100)+`"},`, 99) + `{"id":"y"}]}`
	tests := []struct {
		name    string
		limit   int64
		wantN   int
		wantErr string
	}{
		{name: "over the limit", limit: 4 << 10, wantErr: "the answer is larger than the limit (4KiB, --max-response-size)"},
		{name: "within the limit", limit: int64(len(body)), wantN: 100},
		{name: "the default", limit: 0, wantN: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newAPI(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(body)) })
			src, err := New(integrations.Settings{Values: integrations.Values{"custom-base-url": {api.URL}}, MaxResponse: tt.limit})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			err = src.Resync(context.Background(), integrations.Request{Kind: "/things"}, func(page []integrations.Item) error {
				n += len(page)
				return nil
			})
			got := ""
			if err != nil {
				got = err.Error()
			}
			if tt.wantErr == "" && err != nil || !strings.Contains(got, tt.wantErr) {
				t.Fatalf("Resync = %v, want an error containing %q", err, tt.wantErr)
			}
			if n != tt.wantN {
				t.Errorf("%d items, want %d", n, tt.wantN)
			}
		})
	}
}

// The integration's own JQ (data_path, pagination paths, path parameter
// fields) runs under the same budgets and the run's context as the
// mapping's.
func TestJQBudget(t *testing.T) {
	t.Parallel()
	api := newAPI(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"data":[{"id":"a"}]}`)) })
	h := newSource(t, api.URL)
	_, err := h.resync("/things", map[string]any{"data_path": "[range(1e9) | {id: .}]"})
	if err == nil || !strings.Contains(err.Error(), `data_path "[range(1e9) | {id: .}]"`) || !strings.Contains(err.Error(), "per-item budget") {
		t.Fatalf("Resync = %v, want the data_path named and the per-item budget", err)
	}

	// Cancelled once the answer is in, while the expression loops: without
	// the run's context it would run into its 10s budget instead.
	served := make(chan struct{})
	var once gosync.Once
	api2 := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"data":[{"id":"a"}]}`))
		once.Do(func() { close(served) })
	})
	h2 := newSource(t, api2.URL)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-served
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	err = h2.src.Resync(ctx, integrations.Request{Kind: "/things", Selector: map[string]any{"data_path": "last(range(1e15)) | [{id: .}]"}}, func([]integrations.Item) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Resync after cancel = %v, want context.Canceled", err)
	}
}
