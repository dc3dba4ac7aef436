package sync

import (
	"encoding/json"
	"testing"
)

// covers decides whether a blueprint of --blueprints needs an update: Port
// adds empty values and its own fields to what it stores, which is no
// change; a value that differs, or a field Port holds that the file
// dropped, is.
func TestCovers(t *testing.T) {
	t.Parallel()
	file := `{"identifier": "svc", "title": "Service", "schema": {"properties": {"tier": {"type": "string", "enum": ["a", "b"]}}}}`
	tests := []struct {
		name, port string
		want       bool
	}{
		{"as stored by Port", `{"identifier": "svc", "title": "Service", "schema": {"properties": {"tier": {"type": "string", "enum": ["a", "b"]}}, "required": []},
			"mirrorProperties": {}, "relations": {}, "createdAt": "2025-01-01T00:00:00Z", "updatedBy": "x"}`, true},
		{"title changed", `{"identifier": "svc", "title": "Services", "schema": {"properties": {"tier": {"type": "string", "enum": ["a", "b"]}}}}`, false},
		{"enum order", `{"identifier": "svc", "title": "Service", "schema": {"properties": {"tier": {"type": "string", "enum": ["b", "a"]}}}}`, false},
		{"a property the file dropped", `{"identifier": "svc", "title": "Service", "schema": {"properties": {"tier": {"type": "string", "enum": ["a", "b"]}, "old": {"type": "string"}}}}`, false},
		{"a relation the file lacks", `{"identifier": "svc", "title": "Service", "schema": {"properties": {"tier": {"type": "string", "enum": ["a", "b"]}}}, "relations": {"team": {"target": "team"}}}`, false},
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(file), &want); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		var have map[string]any
		if err := json.Unmarshal([]byte(tt.port), &have); err != nil {
			t.Fatal(err)
		}
		if got := covers(want, have, true); got != tt.want {
			t.Errorf("%s: covers = %v, want %v", tt.name, got, tt.want)
		}
	}
}
