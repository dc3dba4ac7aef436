package port

import (
	"encoding/json"
	"fmt"
	"strings"
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

// BenchmarkJoinBulk reads Port's answer to one bulk upsert of 20
// entities (all written) and joins it to the request.
func BenchmarkJoinBulk(b *testing.B) {
	var parts []string
	for i := range MaxBulkEntities {
		parts = append(parts, fmt.Sprintf(`{"index":%d,"identifier":"svc-%07d","created":true,"additionalData":{}}`, i, i))
	}
	raw := []byte(`{"ok":true,"entities":[` + strings.Join(parts, ",") + `],"errors":[]}`)
	idx := make([]int, MaxBulkEntities)
	for i := range idx {
		idx[i] = i
	}
	results := make([]UpsertResult, MaxBulkEntities)
	b.ReportAllocs()
	for b.Loop() {
		joinBulk(results, idx, raw, "/v1/blueprints/benchService/entities/bulk")
		if results[19].Err != nil || results[19].Identifier != "svc-0000019" {
			b.Fatalf("%+v", results[19])
		}
	}
}
