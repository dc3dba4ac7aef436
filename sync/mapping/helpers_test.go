package mapping

import (
	"context"
	"encoding/json"
	"testing"
)

// compileYAML parses and compiles a config, failing the test on error.
func compileYAML(t testing.TB, src string, opts Options) *Mapping {
	t.Helper()
	cfg, err := Parse([]byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	m, err := Compile(cfg, opts)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return m
}

// block builds a one-resource config of kind "test" from a selector query
// and port.entity.mappings, and returns its compiled block.
func block(t testing.TB, query string, mappings map[string]any) *Block {
	t.Helper()
	return blockWithPort(t, query, map[string]any{"entity": map[string]any{"mappings": mappings}})
}

func blockWithPort(t testing.TB, query string, port map[string]any) *Block {
	t.Helper()
	cfg, err := FromMap(map[string]any{"resources": []any{map[string]any{
		"kind":     "test",
		"selector": map[string]any{"query": query},
		"port":     port,
	}}})
	if err != nil {
		t.Fatalf("FromMap: %v", err)
	}
	m, err := Compile(cfg, Options{})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return m.Blocks[0]
}

// process runs the block over items and collects every outcome.
func process(t testing.TB, b *Block, items ...map[string]any) ([]Outcome, error) {
	t.Helper()
	var got []Outcome
	for _, it := range items {
		if err := b.Process(context.Background(), it, func(o Outcome) { got = append(got, o) }); err != nil {
			return got, err
		}
	}
	return got, nil
}

// item decodes a JSON object the way the engine receives items.
func item(t testing.TB, src string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(src), &m); err != nil {
		t.Fatalf("item %s: %v", src, err)
	}
	return m
}
