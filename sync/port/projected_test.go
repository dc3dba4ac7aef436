package port

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// projected is what a test reads back of a projected page.
type projected struct {
	IDs    []string
	Fields [][]string // per entity, per slot; "" when absent
	Rels   [][]string // per entity, "name=value"
	Next   string
}

func readBack(p *ProjectedPage, proj *Projection, next string) projected {
	out := projected{Next: next}
	for i := range p.Len() {
		out.IDs = append(out.IDs, p.Identifier(i))
		var fs []string
		for slot := range proj.Slots() {
			fs = append(fs, string(p.Field(i, slot)))
		}
		out.Fields = append(out.Fields, fs)
		var rs []string
		for _, r := range p.RelationsOf(i) {
			rs = append(rs, r.Name+"="+string(r.Value))
		}
		out.Rels = append(out.Rels, rs)
	}
	return out
}

// A projected page keeps the raw text of the projected fields only, the
// last of a repeated key, and every relation when asked.
func TestDecodeProjectedPage(t *testing.T) {
	t.Parallel()
	proj := &Projection{Title: true, Team: true, Properties: []string{"lang", "é"}, Relations: []string{"owner"}, AllRelations: true}
	for _, tc := range []struct {
		name, raw string
		want      projected
	}{
		{
			name: "fields kept, metadata and unmapped properties skipped",
			raw: `{"ok":true,"next":"c2","entities":[{"identifier":"a","blueprint":"svc","title":"A","icon":"x","createdAt":"2026","$datasource":"port-ocean/x",
				"properties":{"lang": "go" ,"other":{"deep":[1,2,{"x":null}]},"\u00e9":[1, 2]},"relations":{"owner":"t1","deps":["d1","d2"]}}]}`,
			want: projected{IDs: []string{"a"}, Next: "c2",
				Fields: [][]string{{`"A"`, "", "", `"go"`, "[1, 2]", `"t1"`}},
				Rels:   [][]string{{`owner="t1"`, `deps=["d1","d2"]`}}},
		},
		{
			name: "repeated keys: the last wins, a non-object clears",
			raw: `{"entities":[{"identifier":"x","identifier":"b","properties":{"lang":"go"},"properties":{"é":1},
				"relations":{"owner":"t1","owner":null,"deps":"d"},"team":["a"]},{"identifier":"c","properties":{"lang":1},"properties":null}],"next":null}`,
			want: projected{IDs: []string{"b", "c"},
				Fields: [][]string{{"", "", `["a"]`, "", "1", "null"}, {"", "", "", "", "", ""}},
				Rels:   [][]string{{`owner=null`, `deps="d"`}, nil}},
		},
		{
			name: "escaped identifier and keys",
			raw:  `{"entities":[{"\u0069dentifier":"s\u00e9\/1","properties":{"l\u0061ng":"\u0067o"}}],"entities":[{"identifier":"z"}]}`,
			want: projected{IDs: []string{"z"}, Fields: [][]string{{"", "", "", "", "", ""}}, Rels: [][]string{nil}},
		},
		{
			name: "escaped identifier",
			raw:  `{"entities":[{"\u0069dentifier":"s\u00e9\/1","properties":{"l\u0061ng":"\u0067o"}}]}`,
			want: projected{IDs: []string{"sé/1"}, Fields: [][]string{{"", "", "", `"\u0067o"`, "", ""}}, Rels: [][]string{nil}},
		},
		{
			name: "empty page",
			raw:  ` {"ok":true,"entities":[]} `,
			want: projected{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			page, next, err := DecodeProjectedPage([]byte(tc.raw), proj)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, readBack(page, proj, next)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// Malformed answers are errors naming the fault; the old decoder read
// some of them as an empty page or an entity without identifier.
func TestDecodeMalformedPages(t *testing.T) {
	t.Parallel()
	proj := &Projection{Properties: []string{"a"}, AllRelations: true}
	for _, tc := range []struct{ raw, want string }{
		{``, "unexpected end of JSON input"},
		{`[]`, "want a JSON object"},
		{`null`, "want a JSON object"},
		{`{"entities":{}}`, "entities is not an array"},
		{`{"entities":null}`, "entities is not an array"},
		{`{"ok":true}`, "no entities"},
		{`{"entities":[{"blueprint":"svc"}]}`, "entities[0] has no identifier"},
		{`{"entities":[{"identifier":""}]}`, "entities[0] has no identifier"},
		{`{"entities":[{"identifier":"a"},{"identifier":7}]}`, "entities[1] has no identifier"},
		{`{"entities":[{"identifier":"a"},null]}`, "entities[1] is null, not an object"},
		{`{"entities":[{"identifier":"a"}],"next":5}`, "next is a number, not a string"},
		{`{"entities":[{"identifier":"a","properties":{"a":tru}}]}`, "invalid character '}' in literal true"},
		{`{"entities":[{"identifier":"a","x":"\q"}]}`, "in string escape code"},
		{`{"entities":[{"identifier":"a","x":"` + "\x01" + `"}]}`, "in string literal"},
		{`{"entities":[{"identifier":"a","x":01}]}`, "invalid character '1' after object key:value pair"},
		{`{"entities":[{"identifier":"a","x":1e999}]}`, "number 1e999 out of range"},
		{`{"entities":[{"identifier":"a"}]} x`, "after top-level value"},
		{`{"entities":[{"identifier":"a","relations":{"r":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}}]}`, "exceeded max depth"},
	} {
		_, _, err := DecodeProjectedPage([]byte(tc.raw), proj)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.60s: err = %v, want %q", tc.raw, err, tc.want)
		}
	}
}

func TestDecodeDatasourcePage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw      string
		want     []EntityRef
		wantNext any
		err      string
	}{
		{raw: `{"ok":true,"entities":[{"identifier":"a","blueprint":"svc","$datasource":"x"},{"blueprint":"t\u00e9am","\u0069dentifier":"b"}],"next":"k"}`,
			want: []EntityRef{{"a", "svc"}, {"b", "téam"}}, wantNext: "k"},
		{raw: `{"entities":[],"next":12}`, wantNext: 12.0},
		{raw: `{"entities":[]}`},
		{raw: `"x"`, err: "want a JSON object"},
		{raw: `{"entities":7}`, err: "entities is not an array"},
		{raw: `{"next":"k"}`, err: "no entities"},
		{raw: `{"entities":[{"blueprint":"svc"}]}`, err: "entities[0] has no identifier"},
		{raw: `{"entities":[{"identifier":"a","blueprint":null}]}`, err: "entities[0] has no blueprint"},
		{raw: `{"entities":[[]]}`, err: "entities[0] is an array, not an object"},
		{raw: `{"entities":[}`, err: "invalid character '}' looking for beginning of value"},
	} {
		refs, next, err := decodeDatasourcePage([]byte(tc.raw))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err = %v, want %q", tc.raw, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.raw, err)
			continue
		}
		if diff := cmp.Diff(tc.want, refs); diff != "" {
			t.Errorf("%s: refs (-want +got):\n%s", tc.raw, diff)
		}
		if diff := cmp.Diff(tc.wantNext, next); diff != "" {
			t.Errorf("%s: next (-want +got):\n%s", tc.raw, diff)
		}
	}
}

// SearchProjected pages like SearchEntities: the request carries the
// include paths, the next page is fetched ahead, a malformed page stops
// paging with an error naming the request.
func TestSearchProjectedPages(t *testing.T) {
	t.Parallel()
	s, c, _, _ := newStub(t, nil)
	s.next = func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 3 {
			fmt.Fprint(w, `{"ok":true,"entities":[{"title":"no identifier"}],"next":"c3"}`)
			return
		}
		fmt.Fprintf(w, `{"ok":true,"entities":[{"identifier":"p%d","properties":{"n":%d,"skip":{"big":[1,2,3]}}}],"next":"c%d"}`, n, n, n)
	}
	proj := &Projection{Properties: []string{"n"}}
	var got []string
	err := c.SearchProjected(context.Background(), "svc", SearchRequest{Include: []string{"identifier", "properties.n"}}, proj, func(p *ProjectedPage) error {
		for i := range p.Len() {
			got = append(got, p.Identifier(i)+"="+string(p.Field(i, proj.PropertySlot(0))))
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "port: POST /v1/blueprints/svc/entities/search: decoding the answer: entities[0] has no identifier") {
		t.Fatalf("err = %v", err)
	}
	if diff := cmp.Diff([]string{"p1=1", "p2=2"}, got); diff != "" {
		t.Errorf("entities (-want +got):\n%s", diff)
	}
	if !strings.Contains(s.bodies[0], `"include":["identifier","properties.n"]`) || !strings.Contains(s.bodies[1], `"from":"c1"`) {
		t.Errorf("bodies %v", s.bodies)
	}
}
