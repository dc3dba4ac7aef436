package mapping

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReferencePrefix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value, want string
	}{
		{"file://README.md", "file://"},
		{"search://scope=blobs&query=filename:port.yml", "search://"},
		{".path_with_namespace", ""},
		{`"file://x"`, ""}, // a JQ string literal
		{".a // .b", ""},
		{"  file://x", ""}, // Ocean matches the prefix at the very start
	}
	for _, tc := range tests {
		if got := ReferencePrefix(tc.value); got != tc.want {
			t.Errorf("ReferencePrefix(%q) = %q, want %q", tc.value, got, tc.want)
		}
	}
}

// file:// and search:// values compile to references the integration
// resolves per item, never to JQ (which would fail to compile them).
func TestReferencesResolvedPerItem(t *testing.T) {
	t.Parallel()
	b := block(t, "true", map[string]any{
		"identifier": ".path",
		"blueprint":  `"service"`,
		"properties": map[string]any{
			"readme":        "file://README.md",
			"hasPortConfig": "search://scope=blobs&query=filename:port.yml",
			"url":           ".web_url",
			"again":         "file://README.md",
		},
	})
	wantRefs := []Reference{
		{Field: "port.entity.mappings.properties.again", Value: "file://README.md", Prefix: "file://"},
		{Field: "port.entity.mappings.properties.hasPortConfig", Value: "search://scope=blobs&query=filename:port.yml", Prefix: "search://"},
		{Field: "port.entity.mappings.properties.readme", Value: "file://README.md", Prefix: "file://"},
	}
	if diff := cmp.Diff(wantRefs, b.References()); diff != "" {
		t.Fatalf("References (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"file://README.md", "search://scope=blobs&query=filename:port.yml"}, Values(b.References())); diff != "" {
		t.Fatalf("Values (-want +got):\n%s", diff)
	}

	tests := []struct {
		name     string
		resolved map[string]any
		wantProp map[string]any
		wantMis  []Misconfig
	}{
		{
			name:     "resolved values are mapped",
			resolved: map[string]any{"file://README.md": "# API", "search://scope=blobs&query=filename:port.yml": true},
			wantProp: map[string]any{"readme": "# API", "again": "# API", "hasPortConfig": true, "url": "https://x"},
		},
		{
			name:     "a missing file is null",
			resolved: map[string]any{"file://README.md": nil, "search://scope=blobs&query=filename:port.yml": false},
			wantProp: map[string]any{"readme": nil, "again": nil, "hasPortConfig": false, "url": "https://x"},
			wantMis: []Misconfig{
				{Field: "properties.again", Expr: "file://README.md"},
				{Field: "properties.readme", Expr: "file://README.md"},
			},
		},
		{
			name:     "an unresolved value is reported and left out of the write",
			resolved: nil,
			wantProp: map[string]any{"url": "https://x"},
			wantMis: []Misconfig{
				{Field: "properties.again", Expr: "file://README.md", Err: "the integration did not resolve this value"},
				{Field: "properties.hasPortConfig", Expr: "search://scope=blobs&query=filename:port.yml", Err: "the integration did not resolve this value"},
				{Field: "properties.readme", Expr: "file://README.md", Err: "the integration did not resolve this value"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []Outcome
			err := b.ProcessResolved(context.Background(), item(t, `{"path":"acme/api","web_url":"https://x"}`), tc.resolved, func(o Outcome) { got = append(got, o) })
			if err != nil || len(got) != 1 || got[0].Entity == nil {
				t.Fatalf("ProcessResolved = %v, %+v", err, got)
			}
			if diff := cmp.Diff(tc.wantProp, got[0].Entity.Properties); diff != "" {
				t.Errorf("properties (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantMis, got[0].Misconfigured); diff != "" {
				t.Errorf("misconfigured (-want +got):\n%s", diff)
			}
		})
	}
}
