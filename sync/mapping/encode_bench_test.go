package mapping

import "testing"

// BenchmarkAppendJSON encodes one of the load benchmark's service
// entities (nine properties, one of them an object, a relation), as the
// writer does for every entity it queues.
func BenchmarkAppendJSON(b *testing.B) {
	e := &Entity{
		Identifier: "svc-0001234", Title: "Service 1234", Blueprint: "benchService",
		Has: HasTitle | HasProperties | HasRelations,
		Properties: map[string]any{
			"description": "Service handles one slice of the storefront: it answers its API over gRPC and HTTP.",
			"language":    "go", "lifecycle": "production", "tier": 2.0, "availability": 99.95,
			"url": "https://git.example.com/acme/svc", "topics": []any{"payments", "api", "grpc"},
			"environments": []any{"staging", "production"},
			"labels":       map[string]any{"cost-center": "cc-1", "pci": "false"},
		},
		Relations: map[string]any{"team": "team-00001"},
	}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = e.AppendJSON(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
