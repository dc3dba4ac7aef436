package catalog

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

// BenchmarkValidate checks the load benchmark's service entities (nine
// properties, a url format, a relation) against their blueprint, as the
// engine does before writing each one.
func BenchmarkValidate(b *testing.B) {
	raw, err := os.ReadFile("../../../integrations/synthetic/resources/blueprints.json")
	if err != nil {
		b.Fatal(err)
	}
	var raws []map[string]any
	if err := json.Unmarshal(raw, &raws); err != nil {
		b.Fatal(err)
	}
	set := Set{}
	for _, r := range raws {
		bp, err := ParseBlueprint(r)
		if err != nil {
			b.Fatal(err)
		}
		set[bp.Identifier] = bp
	}
	ents := make([]Entity, 100)
	for i := range ents {
		ents[i] = Entity{
			Identifier: fmt.Sprintf("svc-%07d", i), Title: fmt.Sprintf("Service %d", i),
			Properties: map[string]any{
				"description": "Service handles one slice of the storefront: it answers its API over gRPC and HTTP.",
				"language":    "go", "lifecycle": "production", "tier": 2.0, "availability": 99.95,
				"url": "https://git.example.com/acme/svc", "topics": []any{"payments", "api", "grpc"},
				"environments": []any{"staging", "production"},
				"labels":       map[string]any{"cost-center": "cc-1", "pci": "false"},
			},
			Relations: map[string]any{"team": fmt.Sprintf("team-%05d", i%7)},
		}
	}
	bp := set["benchService"]
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if vs := bp.Validate(ents[i%len(ents)], set); len(vs) > 0 {
			b.Fatal(vs)
		}
	}
}
