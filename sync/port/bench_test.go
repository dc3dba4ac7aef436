package port

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/tide-sync/tide/sync/mapping"
)

// BenchmarkEncodeBulkRequest encodes one bulk upsert of 20 mapped entities
// with ten fields each: every entity written once (as the writer does when
// it queues it) and the request body assembled.
func BenchmarkEncodeBulkRequest(b *testing.B) {
	ents := make([]*mapping.Entity, MaxBulkEntities)
	for i := range ents {
		ents[i] = &mapping.Entity{
			Identifier: fmt.Sprintf("svc-%07d", i), Title: fmt.Sprintf("Service %d", i), Blueprint: "benchService",
			Has: mapping.HasTitle | mapping.HasProperties | mapping.HasRelations,
			Properties: map[string]any{
				"description": "Service handles one slice of the storefront: it answers its API over gRPC and HTTP.",
				"language":    "go", "lifecycle": "production", "tier": 2.0, "availability": 99.95,
				"url": "https://git.example.com/acme/svc", "topics": []any{"payments", "api", "grpc"},
				"environments": []any{"staging", "production"},
				"labels":       map[string]any{"cost-center": "cc-1", "pci": "false"},
			},
			Relations: map[string]any{"team": "team-00001"},
		}
	}
	b.ReportAllocs()
	var size int
	for b.Loop() {
		raws := make([]json.RawMessage, len(ents))
		for i, e := range ents {
			raw, err := e.MarshalJSON()
			if err != nil {
				b.Fatal(err)
			}
			raws[i] = raw
		}
		batches, tooBig := splitBulk(raws)
		if len(batches) != 1 || len(tooBig) != 0 {
			b.Fatalf("batches %v, too big %v", batches, tooBig)
		}
		size = len(encodeBulk(raws, batches[0]))
	}
	b.ReportMetric(float64(size), "bytes/request")
}
