package local

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/sync/port/catalog"
)

// newSeeded is a local target holding testdata/blueprints.json (service
// relates to team, which comes after it in the file) and team "platform".
func newSeeded(t *testing.T) (*Server, *client) {
	t.Helper()
	b, err := os.ReadFile("testdata/blueprints.json")
	if err != nil {
		t.Fatal(err)
	}
	var bps []map[string]any
	if err := json.Unmarshal(b, &bps); err != nil {
		t.Fatal(err)
	}
	s := New(Options{ClientID: "id", ClientSecret: "secret"})
	if err := s.Seed(bps); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	c := &client{t: t, hc: s.Client()}
	c.token = c.login()
	if code, body := c.do(http.MethodPost, "/v1/blueprints/team/entities?upsert=true", `{"identifier":"platform","title":"Platform"}`); code != http.StatusCreated {
		t.Fatalf("seeding team: %d %s", code, body)
	}
	return s, c
}

type client struct {
	t     *testing.T
	hc    *http.Client
	token string
}

func (c *client) login() string {
	code, body := c.do(http.MethodPost, "/v1/auth/access_token", `{"clientId":"id","clientSecret":"secret"}`)
	var out struct{ AccessToken string }
	json.Unmarshal(body, &out)
	if code != http.StatusOK || out.AccessToken == "" {
		c.t.Fatalf("token: %d %s", code, body)
	}
	return out.AccessToken
}

// do sends one request and returns the status and body.
func (c *client) do(method, path, body string) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, "http://local.tide"+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, b
}

type portError struct {
	Status  int
	OK      bool   `json:"ok"`
	Error   string `json:"error"`
	Message string `json:"message"`
}

// The local target refuses what Port refuses, with Port's status and error
// envelope, and writes nothing.
func TestRejectsWithPortErrors(t *testing.T) {
	t.Parallel()
	const good = `{"identifier":"pay","properties":{"owner":"a@example.com"},"relations":{"team":"platform"}}`
	tests := []struct {
		name, path, body string
		want             portError
		wantMsg          string
	}{
		{
			name: "null required property",
			path: "/v1/blueprints/service/entities?upsert=true",
			body: `{"identifier":"pay","properties":{"owner":null},"relations":{"team":"platform"}}`,
			want: portError{Status: 422, Error: "missing_required_property"}, wantMsg: "properties.owner",
		},
		{
			name: "absent required property",
			path: "/v1/blueprints/service/entities?upsert=true",
			body: `{"identifier":"pay","relations":{"team":"platform"}}`,
			want: portError{Status: 422, Error: "missing_required_property"}, wantMsg: "properties.owner",
		},
		{
			name: "null required relation",
			path: "/v1/blueprints/service/entities?upsert=true",
			body: `{"identifier":"pay","properties":{"owner":"a@example.com"},"relations":{"team":null}}`,
			want: portError{Status: 422, Error: "missing_required_relation"}, wantMsg: "relations.team",
		},
		{
			name: "bad format email",
			path: "/v1/blueprints/service/entities?upsert=true",
			body: `{"identifier":"pay","properties":{"owner":"not-an-email"},"relations":{"team":"platform"}}`,
			want: portError{Status: 422, Error: "invalid_property_value"}, wantMsg: `"not-an-email" is not an email address`,
		},
		{
			name: "related entity missing, create_missing_related_entities off",
			path: "/v1/blueprints/service/entities?upsert=true&create_missing_related_entities=false",
			body: `{"identifier":"pay","properties":{"owner":"a@example.com"},"relations":{"team":"ghosts"}}`,
			want: portError{Status: 404, Error: "not_found"}, wantMsg: `related entity "ghosts" of blueprint "team" was not found`,
		},
		{
			name: "blueprint relating to a missing blueprint",
			path: "/v1/blueprints",
			body: `{"identifier":"deployment","title":"Deployment","schema":{"properties":{}},"relations":{"env":{"target":"environment","many":false,"required":false}}}`,
			want: portError{Status: 404, Error: "not_found"}, wantMsg: `target blueprint "environment" was not found`,
		},
		{
			name: "bulk: the entity's error, by index",
			path: "/v1/blueprints/service/entities/bulk?upsert=true",
			body: `{"entities":[{"identifier":"pay","properties":{"owner":null},"relations":{"team":"platform"}}]}`,
			want: portError{Status: 207, OK: true},
		},
		{
			name: "unknown property",
			path: "/v1/blueprints/service/entities?upsert=true",
			body: `{"identifier":"pay","properties":{"owner":"a@example.com","colour":"red"},"relations":{"team":"platform"}}`,
			want: portError{Status: 422, Error: "unknown_property"}, wantMsg: "properties.colour",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, c := newSeeded(t)
			before := snapshotBytes(t, s)
			code, body := c.do(http.MethodPost, tt.path, tt.body)
			var got portError
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("%d %s: %v", code, body, err)
			}
			got.Status = code
			msg := got.Message
			got.Message = ""
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("answer (-want +got):\n%s\nbody: %s", diff, body)
			}
			if !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message %q does not say %q", msg, tt.wantMsg)
			}
			if after := snapshotBytes(t, s); !bytes.Equal(before, after) {
				t.Errorf("a refused write changed the catalog")
			}
			// The same write with the fault removed succeeds: the case
			// tests the one rule, not a broken fixture.
			if strings.Contains(tt.path, "/entities?") {
				if code, body := c.do(http.MethodPost, tt.path, good); code != http.StatusCreated {
					t.Fatalf("good write: %d %s", code, body)
				}
			}
		})
	}
}

// A 207 names the failing entity with Port's per-entity error shape.
func TestBulkEntityError(t *testing.T) {
	t.Parallel()
	_, c := newSeeded(t)
	code, body := c.do(http.MethodPost, "/v1/blueprints/service/entities/bulk?upsert=true&create_missing_related_entities=false",
		`{"entities":[
			{"identifier":"ok","properties":{"owner":"a@example.com"},"relations":{"team":"platform"}},
			{"identifier":"bad","properties":{"owner":"a@example.com"},"relations":{"team":"nobody"}}]}`)
	var got struct {
		Entities []map[string]any
		Errors   []map[string]any
	}
	json.Unmarshal(body, &got)
	if code != http.StatusMultiStatus || len(got.Entities) != 1 || len(got.Errors) != 1 {
		t.Fatalf("%d %s", code, body)
	}
	e := got.Errors[0]
	want := map[string]any{"index": 1.0, "identifier": "bad", "statusCode": 404.0, "error": "not_found"}
	delete(e, "message")
	if diff := cmp.Diff(want, e); diff != "" {
		t.Fatalf("error (-want +got):\n%s", diff)
	}
}

// With create_missing_related_entities, a missing related entity is
// created as a stub instead.
func TestCreateMissingRelatedEntities(t *testing.T) {
	t.Parallel()
	s, c := newSeeded(t)
	code, body := c.do(http.MethodPost, "/v1/blueprints/service/entities?upsert=true&create_missing_related_entities=true",
		`{"identifier":"pay","properties":{"owner":"a@example.com"},"relations":{"team":"ghosts"}}`)
	if code != http.StatusCreated {
		t.Fatalf("%d %s", code, body)
	}
	if _, ok := s.Entity("team", "ghosts"); !ok {
		t.Fatal("no stub team")
	}
}

// A merging upsert of an existing entity may leave a required property
// out (the stored value stays) but not set it to null.
func TestMergeKeepsRequired(t *testing.T) {
	t.Parallel()
	s, c := newSeeded(t)
	if code, body := c.do(http.MethodPost, "/v1/blueprints/service/entities?upsert=true",
		`{"identifier":"pay","properties":{"owner":"a@example.com"},"relations":{"team":"platform"}}`); code != http.StatusCreated {
		t.Fatalf("%d %s", code, body)
	}
	if code, body := c.do(http.MethodPost, "/v1/blueprints/service/entities?upsert=true&merge=true",
		`{"identifier":"pay","properties":{"language":"go"}}`); code != http.StatusOK {
		t.Fatalf("merge without the required property: %d %s", code, body)
	}
	e, _ := s.Entity("service", "pay")
	want := map[string]any{"owner": "a@example.com", "language": "go"}
	if diff := cmp.Diff(want, e["properties"]); diff != "" {
		t.Fatalf("properties (-want +got):\n%s", diff)
	}
	if code, body := c.do(http.MethodPost, "/v1/blueprints/service/entities?upsert=true&merge=true",
		`{"identifier":"pay","properties":{"owner":null}}`); code != http.StatusUnprocessableEntity {
		t.Fatalf("merge nulling the required property: %d %s", code, body)
	}
	// Replacing (no merge) needs the whole entity.
	if code, body := c.do(http.MethodPost, "/v1/blueprints/service/entities?upsert=true",
		`{"identifier":"pay","properties":{"language":"go"},"relations":{"team":"platform"}}`); code != http.StatusUnprocessableEntity {
		t.Fatalf("replace without the required property: %d %s", code, body)
	}
}

// A blueprint PATCH adding a relation to a missing blueprint is refused
// like a create.
func TestBlueprintPatchTargets(t *testing.T) {
	t.Parallel()
	s, c := newSeeded(t)
	code, body := c.do(http.MethodPatch, "/v1/blueprints/team", `{"relations":{"parent":{"target":"org","many":false,"required":false}}}`)
	if code != http.StatusNotFound || !strings.Contains(string(body), `"not_found"`) {
		t.Fatalf("%d %s", code, body)
	}
	bp, _ := s.Blueprint("team")
	if len(bp["relations"].(map[string]any)) != 0 {
		t.Fatal("a refused patch changed the blueprint")
	}
	code, body = c.do(http.MethodPatch, "/v1/blueprints/team", `{"relations":{"parent":{"target":"team","many":false,"required":false}}}`)
	if code != http.StatusOK {
		t.Fatalf("self relation: %d %s", code, body)
	}
}

// Seed takes blueprints relating to each other in any order, skips the
// ones present, and refuses a relation to a blueprint in neither.
func TestSeed(t *testing.T) {
	t.Parallel()
	s := New(Options{})
	svc := map[string]any{"identifier": "service", "title": "Service", "relations": map[string]any{"team": map[string]any{"target": "team"}}}
	team := map[string]any{"identifier": "team", "title": "Team"}
	if err := s.Seed([]map[string]any{svc, team}); err != nil {
		t.Fatal(err)
	}
	if err := s.Seed([]map[string]any{svc, team}); err != nil {
		t.Fatalf("seeding again: %v", err)
	}
	if diff := cmp.Diff([]string{"service", "team"}, s.Blueprints()); diff != "" {
		t.Fatal(diff)
	}
	lone := map[string]any{"identifier": "deploy", "title": "Deploy", "relations": map[string]any{"env": map[string]any{"target": "env"}}}
	err := s.Seed([]map[string]any{lone})
	var vs catalog.Violations
	if !errors.As(err, &vs) || vs.Code() != "not_found" || !strings.Contains(err.Error(), `blueprint "deploy"`) {
		t.Fatalf("err = %v", err)
	}
	if err := s.AddBlueprint(lone); err == nil {
		t.Fatal("AddBlueprint took a relation to a missing blueprint")
	}
	bad := map[string]any{"identifier": "x", "title": "X", "schema": map[string]any{"properties": map[string]any{"p": map[string]any{"type": "integer"}}}}
	if err := s.Seed([]map[string]any{bad}); err == nil || !strings.Contains(err.Error(), "schema.properties.p.type") {
		t.Fatalf("bad property type: %v", err)
	}
}

// A catalog file written before the model (tide's quickstart, saved by the
// earlier fake) loads, and saves back byte for byte.
func TestLoadsEarlierCatalog(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/catalog-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{})
	if err := s.Load(bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	if s.Len() != 16 || len(s.Entities("service")) != 9 {
		t.Fatalf("%d entities, %d services", s.Len(), len(s.Entities("service")))
	}
	if !bytes.Equal(b, snapshotBytes(t, s)) {
		t.Fatal("save after load differs from the file")
	}
}

// A catalog file with a blueprint Port would refuse is an error naming it.
func TestLoadRefusesBadBlueprint(t *testing.T) {
	t.Parallel()
	err := New(Options{}).Load(strings.NewReader(`{"version":1,"blueprints":[{"identifier":"a b","title":"T"}],"integrations":[],"entities":[]}`))
	if err == nil || !strings.Contains(err.Error(), `blueprint 0 (a b)`) {
		t.Fatalf("err = %v", err)
	}
}

func snapshotBytes(t *testing.T, s *Server) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := s.Save(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// project is the oracle of projection: the map holding the include paths
// of an entity (all of it when none), as the fake built before it encoded
// answers in place.
func project(data map[string]any, include []string) map[string]any {
	if len(include) == 0 {
		return data
	}
	out := make(map[string]any, len(include))
	for _, p := range include {
		top, sub, nested := strings.Cut(p, ".")
		v, ok := data[top]
		if !ok {
			continue
		}
		if !nested {
			out[top] = v
			continue
		}
		m, _ := v.(map[string]any)
		sv, ok := m[sub]
		if !ok {
			continue
		}
		dst, _ := out[top].(map[string]any)
		if dst == nil {
			dst = map[string]any{}
			out[top] = dst
		}
		dst[sub] = sv
	}
	return out
}

// The search answer's entities are encoded straight from the store through
// a projection; they must be the bytes encoding/json gives for project's
// map (the answer tide decodes).
func TestProjectionEncodesLikeProject(t *testing.T) {
	t.Parallel()
	data := map[string]any{
		"identifier": "svc-1", "blueprint": "service", "title": "Svc <1>", "team": []any{"a", "b"}, "icon": nil,
		"properties": map[string]any{"lang": "go", "tier": 2.0, "tags": []any{"x", map[string]any{"k": "v"}}, "a.b": true, "empty": nil},
		"relations":  map[string]any{"team": "t1", "deps": []any{"s2", "s3"}},
		"createdAt":  "2026-01-01T00:00:00.000Z",
	}
	for _, include := range [][]string{
		nil,
		{"identifier"},
		{"identifier", "title", "properties.lang", "properties.tier", "relations"},
		{"properties.tier", "identifier", "properties.lang", "properties.tier"},
		{"relations.team", "relations"},
		{"relations", "relations.team"},
		{"properties.missing", "identifier"},
		{"title.sub", "identifier"},
		{"properties.a.b", "properties.empty", "icon", "team"},
		{"nothere"},
	} {
		want, err := json.Marshal(project(data, include))
		if err != nil {
			t.Fatal(err)
		}
		got, err := newProjection(include).append(nil, data)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("include %q:\n got %s\nwant %s", include, got, want)
		}
	}
}

// Both search routes answer {"entities": [...], "next"?, "ok": true} with
// each entity's include paths, as encoding/json encodes the projected maps.
func TestSearchAnswers(t *testing.T) {
	t.Parallel()
	s, c := newSeeded(t)
	for _, id := range []string{"core", "web"} {
		if code, body := c.do(http.MethodPost, "/v1/blueprints/team/entities?upsert=true", `{"identifier":"`+id+`","title":"T <`+id+`>"}`); code != http.StatusCreated {
			t.Fatalf("seeding %s: %d %s", id, code, body)
		}
	}
	data := func(id string) map[string]any {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.stores["team"].byID[id].data
	}
	want := func(next string, include []string, ids ...string) string {
		ents := []any{}
		for _, id := range ids {
			ents = append(ents, project(data(id), include))
		}
		m := map[string]any{"ok": true, "entities": ents}
		if next != "" {
			m["next"] = next
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	code, body := c.do(http.MethodPost, "/v1/blueprints/team/entities/search", `{"limit":2,"include":["identifier","title"]}`)
	if got := string(body); code != http.StatusOK || got != want(encodeCursor("platform"), []string{"identifier", "title"}, "core", "platform") {
		t.Errorf("page 1: %d %s", code, got)
	}
	code, body = c.do(http.MethodPost, "/v1/blueprints/team/entities/search", `{"limit":2,"from":"`+encodeCursor("platform")+`"}`)
	if got := string(body); code != http.StatusOK || got != want("", nil, "web") {
		t.Errorf("page 2: %d %s", code, got)
	}
	code, body = c.do(http.MethodPost, "/v1/entities/search?include=identifier,title", `{"combinator":"and","rules":[{"property":"$blueprint","operator":"=","value":"team"}]}`)
	if got := string(body); code != http.StatusOK || got != want("", []string{"identifier", "title"}, "core", "platform", "web") {
		t.Errorf("global: %d %s", code, got)
	}
}
