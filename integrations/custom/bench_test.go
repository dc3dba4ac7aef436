package custom

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/integrations/synthetic"
	"github.com/tide-sync/tide/internal/jsonx"
	"github.com/tide-sync/tide/sync/mapping"
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

// BenchmarkDecodeProjected decodes one bench/source page (100 synthetic
// service records of about 1 KB under .data, with its meta) whole and
// cut to the footprint of the load benchmark's mapping
// (bench/load/mappings/custom-page.yml), and to a narrow one.
func BenchmarkDecodeProjected(b *testing.B) {
	var recs []integrations.Item
	err := synthetic.NewSource(synthetic.Options{Count: 100, PageSize: 100}).Resync(context.Background(), integrations.Request{Kind: "service"},
		func(p []integrations.Item) error { recs = p; return nil })
	if err != nil {
		b.Fatal(err)
	}
	page, err := json.Marshal(map[string]any{"data": recs, "meta": map[string]any{"page": 1, "per_page": 100, "total": 50000}})
	if err != nil {
		b.Fatal(err)
	}
	cfgText, err := os.ReadFile("../../bench/load/mappings/custom-page.yml")
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := mapping.Parse(cfgText)
	if err != nil {
		b.Fatal(err)
	}
	m, err := mapping.Compile(cfg, mapping.Options{})
	if err != nil {
		b.Fatal(err)
	}
	proj := m.Blocks[1].Footprint().Union(&jsonx.Projection{Keys: map[string]*jsonx.Projection{"__path": nil, "id": nil}})
	if proj == nil {
		b.Fatal("the services block has no footprint")
	}
	b.Logf("footprint %s", proj)
	// A mapping reading a tenth of each record, as a GitHub repository's
	// (about 90 keys) usually is.
	narrow := &jsonx.Projection{Keys: map[string]*jsonx.Projection{"id": nil, "name": nil, "owner": {Keys: map[string]*jsonx.Projection{"team": nil}}}}
	for _, bc := range []struct {
		name string
		proj *jsonx.Projection
	}{{"whole", nil}, {"projected", proj}, {"narrow", narrow}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(page)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decodeBody(page, []string{"data"}, bc.proj); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
