package main

import (
	"fmt"
	"testing"

	tsync "github.com/tide-sync/tide/sync"
)

// BenchmarkRedactResult: the JSON round trip that scrubs secrets from a
// Result before rendering, on a dry run planning 10k creates and updates.
func BenchmarkRedactResult(b *testing.B) {
	res := &tsync.Result{Status: tsync.StatusCompleted, Plan: &tsync.Plan{}}
	for i := 0; i < 10000; i++ {
		id := fmt.Sprintf("svc-%05d", i)
		res.Plan.Creates = append(res.Plan.Creates, tsync.PlanEntity{Blueprint: "service", Identifier: id})
		res.Plan.Updates = append(res.Plan.Updates, tsync.PlanEntity{Blueprint: "service", Identifier: id,
			Changes: []tsync.FieldChange{{Field: "properties.lifecycle", From: "beta", To: "production"}}})
	}
	secrets := []string{"cid-0123456789", "secret-0123456789abcdef"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := redactResult(res, secrets); err != nil {
			b.Fatal(err)
		}
	}
}
