package local

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func seeded(t *testing.T) *Server {
	t.Helper()
	s := New(Options{})
	if err := s.AddBlueprint(map[string]any{"identifier": "svc", "title": "Service", "schema": map[string]any{"properties": map[string]any{"n": map[string]any{"type": "number"}}}}); err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"b", "a+b", "x:y@z", "dir/file", "c"} {
		if err := s.PutEntity("svc", map[string]any{"identifier": id, "properties": map[string]any{"n": float64(i)}}, "port-ocean/t/1/it/exporter"); err != nil {
			t.Fatal(err)
		}
	}
	s.PutIntegration(map[string]any{"installationId": "it", "config": map[string]any{"resources": []any{}}})
	return s
}

func TestSaveLoadRoundTrip(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	var a, b bytes.Buffer
	if err := s.Save(&a); err != nil {
		t.Fatal(err)
	}
	s.Save(&b)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two saves of one state differ")
	}
	path := filepath.Join(t.TempDir(), "sub", "catalog.json")
	if err := s.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	back := New(Options{})
	if err := back.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s.Entities("svc"), back.Entities("svc")); diff != "" {
		t.Fatalf("entities after load (-want +got):\n%s", diff)
	}
	if back.Datasource("svc", "a+b") != "port-ocean/t/1/it/exporter" {
		t.Fatalf("datasource lost: %q", back.Datasource("svc", "a+b"))
	}
	if _, ok := back.Integration("it"); !ok {
		t.Fatal("integration lost")
	}
	var c bytes.Buffer
	back.Save(&c)
	if !bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Fatal("save after load differs")
	}
	empty := New(Options{})
	if err := empty.LoadFile(filepath.Join(t.TempDir(), "missing.json")); err != nil || empty.Len() != 0 {
		t.Fatalf("missing file: %v, %d entities", err, empty.Len())
	}
}

// Identifiers with + : @ and an escaped / route correctly.
func TestEscapedIdentifiers(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	hc := s.Client()
	tok := token_(t, hc)
	for _, id := range []string{"a+b", "x:y@z", "dir/file"} {
		req, _ := http.NewRequest(http.MethodGet, "http://fake/v1/blueprints/svc/entities/"+url.PathEscape(id), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Entity map[string]any `json:"entity"`
		}
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != 200 || out.Entity["identifier"] != id {
			t.Errorf("%q: %d %v", id, resp.StatusCode, out.Entity)
		}
	}
}

func token_(t *testing.T, hc *http.Client) string {
	t.Helper()
	resp, err := hc.Post("http://fake/v1/auth/access_token", "application/json", strings.NewReader(`{"clientId":"a","clientSecret":"b"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ AccessToken string }
	json.NewDecoder(resp.Body).Decode(&out)
	if out.AccessToken == "" {
		t.Fatal(fmt.Sprint("no token: ", resp.StatusCode))
	}
	return out.AccessToken
}
