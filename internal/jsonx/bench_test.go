package jsonx_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/integrations/synthetic"
	"github.com/tide-sync/tide/internal/jsonx"
)

// benchPage is one page of 100 generated service items (~1 KB each).
func benchPage(b *testing.B) []byte {
	b.Helper()
	var page []integrations.Item
	err := synthetic.NewSource(synthetic.Options{Count: 100, PageSize: 100}).Resync(context.Background(), integrations.Request{Kind: "service"},
		func(p []integrations.Item) error { page = p; return nil })
	if err != nil {
		b.Fatal(err)
	}
	data, err := json.Marshal(page)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkDecodePage decodes a 100-item page: jsonx, and encoding/json for
// comparison.
func BenchmarkDecodePage(b *testing.B) {
	data := benchPage(b)
	b.Run("jsonx", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jsonx.DecodeItems(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			var items []integrations.Item
			if err := json.Unmarshal(data, &items); err != nil {
				b.Fatal(err)
			}
		}
	})
}
