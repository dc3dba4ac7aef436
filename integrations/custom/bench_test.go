package custom

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/tide-sync/tide/integrations"
)

// BenchmarkResync10k fetches 10,000 records in 20 cursor pages of 500 from
// an in-process server (pages pre-encoded, so the client side is measured):
// request building, JSON decoding, data_path and cursor handling.
func BenchmarkResync10k(b *testing.B) {
	const n, size = 10_000, 500
	pages := map[string][]byte{}
	for from := 0; from < n; from += size {
		var data []map[string]any
		for i := from; i < from+size; i++ {
			data = append(data, map[string]any{
				"id": fmt.Sprintf("svc-%05d", i), "name": fmt.Sprintf("Service %d", i), "tier": "gold",
				"owner": map[string]any{"team": "payments", "email": "pay@example.com"}, "tags": []string{"a", "b"},
			})
		}
		var next any
		if from+size < n {
			next = strconv.Itoa(from + size)
		}
		body, _ := json.Marshal(map[string]any{"data": data, "meta": map[string]any{"next": next}})
		key := ""
		if from > 0 {
			key = strconv.Itoa(from)
		}
		pages[key] = body
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(pages[r.URL.Query().Get("cursor")])
	}))
	defer srv.Close()
	src, err := New(integrations.Settings{Values: integrations.Values{
		"custom-base-url":        {srv.URL},
		"custom-pagination-type": {"cursor"},
		"custom-cursor-path":     {"meta.next"},
		"custom-page-size":       {strconv.Itoa(size)},
		"custom-auth-type":       {"bearer_token"},
		"custom-api-token":       {"bench-token"},
	}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		got := 0
		err := src.Resync(context.Background(), integrations.Request{Kind: "/services"}, func(page []integrations.Item) error {
			got += len(page)
			return nil
		})
		if err != nil || got != n {
			b.Fatalf("got %d, err %v", got, err)
		}
	}
}
