package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations/synthetic"
)

type pageBody struct {
	Data []map[string]any `json:"data"`
	Meta map[string]any   `json:"meta"`
}

func get(t *testing.T, url string) pageBody {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	var b pageBody
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return b
}

// ids lists every item's identifier, walking kind's pages in one style.
func ids(t *testing.T, base, style, kind string) []string {
	t.Helper()
	var out []string
	cursor := ""
	for p := 1; p < 1000; p++ {
		var u string
		switch style {
		case "page":
			u = base + "/page/" + kind + "?per_page=7&page=" + strconv.Itoa(p)
		case "offset":
			u = base + "/offset/" + kind + "?limit=7&offset=" + strconv.Itoa(len(out))
		case "cursor":
			u = base + "/cursor/" + kind + "?limit=7&cursor=" + cursor
		}
		b := get(t, u)
		for _, it := range b.Data {
			id, _ := it["id"].(string)
			if id == "" {
				id, _ = it["slug"].(string)
			}
			out = append(out, id)
		}
		if style == "cursor" {
			next, _ := b.Meta["next_cursor"].(string)
			if next == "" {
				return out
			}
			cursor = next
		} else if len(b.Data) == 0 {
			return out
		}
	}
	t.Fatal("no end of the listing")
	return nil
}

// Every pagination style lists the same items in the same order, the
// generator's; a removed percentage leaves exactly those items out.
func TestStylesListTheCatalog(t *testing.T) {
	t.Parallel()
	s, err := newServer(0, synthetic.Options{Count: 150})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	want := ids(t, srv.URL, "page", "services")
	if len(want) != 150 {
		t.Fatalf("%d services, want 150", len(want))
	}
	for _, style := range []string{"offset", "cursor"} {
		if diff := cmp.Diff(want, ids(t, srv.URL, style, "services")); diff != "" {
			t.Errorf("%s pagination (-page +%s):\n%s", style, style, diff)
		}
	}
	if got := ids(t, srv.URL, "cursor", "teams"); len(got) != synthetic.Teams(150) {
		t.Errorf("%d teams, want %d", len(got), synthetic.Teams(150))
	}

	resp, err := http.Post(srv.URL+"/_bench/config?n=150&change=0&remove=2", "", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("config: %v %v", err, resp.Status)
	}
	resp.Body.Close()
	got := ids(t, srv.URL, "offset", "services")
	var kept []string
	for i, id := range want {
		if (i+50)%100 >= 2 { // synthetic's removal rule: services 50 and 51 go
			kept = append(kept, id)
		}
	}
	if diff := cmp.Diff(kept, got); diff != "" {
		t.Errorf("2%% removed (-want +got):\n%s", diff)
	}
}

func TestBadRequestsAreRefused(t *testing.T) {
	t.Parallel()
	s, err := newServer(0, synthetic.Options{Count: 10})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	for _, path := range []string{"/page/services?page=0", "/cursor/services?cursor=zz", "/nope/services", "/page/users"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Errorf("GET %s: %s, want an error", path, resp.Status)
		}
	}
}
