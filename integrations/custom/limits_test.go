package custom

import (
	"context"
	"net/http"
	"strings"
	"testing"

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
		{name: "over the limit", limit: 4 << 10, wantErr: "response body larger than 4KiB (--max-response-size)"},
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
