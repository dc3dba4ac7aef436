package mapping

import (
	"encoding/json"
	"testing"
)

func TestEntityJSON(t *testing.T) {
	t.Parallel()
	query := map[string]any{"combinator": "and", "rules": []any{map[string]any{"property": "p", "operator": "=", "value": "v"}}}
	tests := []struct {
		name string
		e    Entity
		want string
	}{
		{"only required", Entity{Identifier: "x", Blueprint: "b", Title: "ignored", Properties: map[string]any{"p": 1.0}},
			`{"identifier":"x","blueprint":"b"}`},
		{"title null sent", Entity{Identifier: "x", Blueprint: "b", Has: HasTitle},
			`{"identifier":"x","blueprint":"b","title":null}`},
		{"all", Entity{Identifier: "x", Blueprint: "b", Title: "T", Icon: "Github", Team: []any{"a"},
			Properties: map[string]any{"n": 3.0, "s": "<&>"}, Relations: map[string]any{"r": []any{"a", "b"}},
			Has: HasTitle | HasIcon | HasTeam | HasProperties | HasRelations},
			`{"identifier":"x","blueprint":"b","title":"T","icon":"Github","team":["a"],"properties":{"n":3,"s":"\u003c\u0026\u003e"},"relations":{"r":["a","b"]}}`},
		{"mapped but nil maps", Entity{Identifier: "x", Blueprint: "b", Has: HasProperties | HasRelations},
			`{"identifier":"x","blueprint":"b","properties":{},"relations":{}}`},
		{"search identifier", Entity{Identifier: query, Blueprint: "b"},
			`{"identifier":{"combinator":"and","rules":[{"operator":"=","property":"p","value":"v"}]},"blueprint":"b"}`},
	}
	for _, tt := range tests {
		got, err := json.Marshal(tt.e)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if string(got) != tt.want {
			t.Errorf("%s: JSON = %s, want %s", tt.name, got, tt.want)
		}
		// A pointer marshals the same.
		gotPtr, _ := json.Marshal(&tt.e)
		if string(gotPtr) != tt.want {
			t.Errorf("%s: pointer JSON = %s", tt.name, gotPtr)
		}
	}
}

func TestEntityIDAndSearch(t *testing.T) {
	t.Parallel()
	q := map[string]any{"combinator": "and", "rules": []any{}}
	tests := []struct {
		name       string
		e          Entity
		wantID     string
		wantOK     bool
		wantSearch bool
	}{
		{"plain", Entity{Identifier: "x", Relations: map[string]any{"r": "y", "l": []any{"a", "b"}}}, "x", true, false},
		{"search identifier", Entity{Identifier: q}, "", false, true},
		{"search team", Entity{Identifier: "x", Team: q}, "x", true, true},
		{"search relation", Entity{Identifier: "x", Relations: map[string]any{"r": q}}, "x", true, true},
		{"search in relation list", Entity{Identifier: "x", Relations: map[string]any{"r": []any{"a", q}}}, "x", true, true},
		{"null relation", Entity{Identifier: "x", Relations: map[string]any{"r": nil}}, "x", true, false},
	}
	for _, tt := range tests {
		id, ok := tt.e.ID()
		if id != tt.wantID || ok != tt.wantOK {
			t.Errorf("%s: ID() = %q, %v; want %q, %v", tt.name, id, ok, tt.wantID, tt.wantOK)
		}
		if got := tt.e.UsesSearch(); got != tt.wantSearch {
			t.Errorf("%s: UsesSearch() = %v, want %v", tt.name, got, tt.wantSearch)
		}
	}
}

// TestMappedEntityJSON: only the keys a mapping sets reach Port.
func TestMappedEntityJSON(t *testing.T) {
	t.Parallel()
	b := block(t, "true", map[string]any{"identifier": ".id", "blueprint": `"b"`, "properties": map[string]any{"n": ".n"}})
	outs, err := process(t, b, item(t, `{"id":7,"n":1,"title":"t"}`))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(outs[0].Entity)
	if want := `{"identifier":"7","blueprint":"b","properties":{"n":1}}`; string(got) != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
}
