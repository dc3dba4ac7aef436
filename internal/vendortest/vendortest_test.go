package vendortest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadJSON(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.json"), filepath.Join(dir, "bad.json")
	if err := os.WriteFile(good, []byte(`{"users":[{"id":1}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"users":`), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadJSON[map[string][]map[string]any](good)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]map[string]any{"users": {{"id": 1.0}}}, got); diff != "" {
		t.Errorf("LoadJSON (-want +got):\n%s", diff)
	}
	if _, err := LoadJSON[map[string]any](bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("LoadJSON(bad) = %v, want an error naming %s", err, bad)
	}
	if _, err := LoadJSON[map[string]any](filepath.Join(dir, "none.json")); !os.IsNotExist(err) {
		t.Errorf("LoadJSON(missing) = %v, want not-exist", err)
	}
}

func TestMatchPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"/users", "/users", true},
		{"/users", "/users/1", false},
		{"/users*", "/users/1", true},
		{"/users/*", "/users", false},
		{"*", "/anything", true},
	}
	for _, tt := range tests {
		if got := MatchPath(tt.pattern, tt.path); got != tt.want {
			t.Errorf("MatchPath(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

func TestSpend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		times int
		want  []bool // Spend's answers, one a request
	}{
		{0, []bool{true, true, true}},
		{1, []bool{true, false, false}},
		{2, []bool{true, true, false}},
		{-1, []bool{false, false}},
	}
	for _, tt := range tests {
		times := tt.times
		var got []bool
		for range tt.want {
			got = append(got, Spend(&times))
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Spend from %d (-want +got):\n%s", tt.times, diff)
		}
	}
}

func TestAnswer(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	if !Answer(rec, http.StatusTooManyRequests, map[string]string{"Retry-After": "7"}, `{"error":"slow down"}`) {
		t.Fatal("Answer with a status did not answer")
	}
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "7" || rec.Body.String() != `{"error":"slow down"}` {
		t.Errorf("answered %d %v %q", rec.Code, rec.Header(), rec.Body.String())
	}
	rec = httptest.NewRecorder()
	if Answer(rec, 0, map[string]string{"X-Remaining": "0"}, "ignored") {
		t.Fatal("Answer with status 0 answered")
	}
	if rec.Header().Get("X-Remaining") != "0" || rec.Body.Len() != 0 {
		t.Errorf("status 0: header %v, body %q; want the header only", rec.Header(), rec.Body.String())
	}
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	WriteJSON(rec, http.StatusCreated, map[string]any{"id": 1})
	if rec.Code != http.StatusCreated || rec.Header().Get("Content-Type") != "application/json" || rec.Body.String() != "{\"id\":1}\n" {
		t.Errorf("got %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	rec = httptest.NewRecorder()
	rec.Header().Set("Content-Type", "application/json;charset=UTF-8")
	WriteJSON(rec, http.StatusOK, []int{})
	if got := rec.Header().Get("Content-Type"); got != "application/json;charset=UTF-8" {
		t.Errorf("Content-Type = %q, want the caller's", got)
	}
}

func TestCounter(t *testing.T) {
	t.Parallel()
	var c Counter
	for _, k := range []string{"GET /a", "GET /a", "POST /b"} {
		c.Add(k)
	}
	got := []int{c.Count("GET /a"), c.Count("POST /b"), c.Count("GET /c"), c.Total()}
	if diff := cmp.Diff([]int{2, 1, 0, 3}, got); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}
