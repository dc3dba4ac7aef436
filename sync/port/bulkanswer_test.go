package port

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// bulkAnswers are answer bodies of every shape the decoder must read as
// json.Unmarshal does; fast marks the ones its narrow path must take.
var bulkAnswers = []struct {
	name, body string
	fast       bool
}{
	{"all written", `{"ok":true,"entities":[{"index":0,"identifier":"a","created":true},{"index":1,"identifier":"b","created":false}],"errors":[]}`, true},
	{"partial", `{"ok":true,"entities":[{"index":0,"identifier":"a","created":true,"additionalData":{"x":[1,2.5e-3,{"y":null}],"z":"q\"\\\u00e9"}}],"errors":[{"index":1,"identifier":"b","statusCode":404,"error":"not_found","message":"no"}]}`, true},
	{"white space", " {\n\t\"entities\" : [ { \"index\" : 0 , \"identifier\" : \"a\" , \"created\" : true } ] ,\r\n \"errors\" : [ ] } \n", true},
	{"unicode identifier", `{"entities":[{"index":0,"identifier":"ünïcode-日本","created":true}]}`, true},
	{"negative and zero index", `{"entities":[{"index":-1,"identifier":"a"},{"index":0,"identifier":"b"}]}`, true},
	{"fields in another order", `{"errors":[{"message":"m","error":"e","statusCode":422,"identifier":"x","index":0}],"ok":false,"entities":[]}`, true},
	{"empty object", `{}`, true},
	{"escaped message", `{"errors":[{"index":0,"identifier":"a","statusCode":404,"error":"not_found","message":"Related entity \"ns-x\" was not found"}]}`, false},
	{"escaped key", `{"entities":[{"\u0069ndex":1,"identifier":"a"}]}`, false},
	{"key in another case", `{"entities":[{"Index":1,"IDENTIFIER":"a","Created":true}]}`, false},
	{"list key in another case", `{"Entities":[{"index":0,"identifier":"a"}]}`, false},
	{"key folding to a field", `{"errors":[{"index":0,"ſtatusCode":500}]}`, false},
	{"duplicate field", `{"entities":[{"index":0,"index":1,"identifier":"a"}]}`, false},
	{"duplicate list", `{"entities":[{"index":0,"identifier":"a","created":true}],"entities":[{"index":1}]}`, false},
	{"null lists", `{"ok":true,"entities":null,"errors":null}`, false},
	{"null field", `{"entities":[{"index":0,"identifier":null,"created":null}]}`, false},
	{"null element", `{"entities":[null,{"index":1,"identifier":"b"}]}`, false},
	{"null answer", `null`, false},
	{"float index", `{"entities":[{"index":1.0,"identifier":"a"}]}`, false},
	{"exponent index", `{"entities":[{"index":1e0,"identifier":"a"}]}`, false},
	{"huge index", `{"entities":[{"index":12345678901234567890,"identifier":"a"}]}`, false},
	{"leading zero", `{"entities":[{"index":01,"identifier":"a"}]}`, false},
	{"string index", `{"entities":[{"index":"1","identifier":"a"}]}`, false},
	{"number identifier", `{"entities":[{"index":0,"identifier":7}]}`, false},
	{"invalid UTF-8", "{\"entities\":[{\"index\":0,\"identifier\":\"a\xffb\"}]}", false},
	{"control character", "{\"entities\":[{\"index\":0,\"identifier\":\"a\tb\"}]}", false},
	{"bad escape skipped", `{"entities":[{"index":0,"identifier":"a","additionalData":"\x"}]}`, false},
	{"trailing garbage", `{"entities":[]} x`, false},
	{"truncated", `{"entities":[{"index":0,"identifier":"a"`, false},
	{"trailing comma", `{"entities":[{"index":0},]}`, false},
	{"not an object", `[{"index":0}]`, false},
	{"empty body", ``, false},
	{"deep additional data", `{"entities":[{"index":0,"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}]}`, true},
	{"too deep", `{"entities":[{"index":0,"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}]}`, false},
	{"number beyond float64 skipped", `{"ok":1e400,"entities":[{"index":0,"identifier":"a"}]}`, false},
	{"bad number skipped", `{"ok":-,"entities":[]}`, false},
	{"literal run-on", `{"entities":[{"index":0,"created":truex}]}`, false},
}

// TestDecodeBulkAnswerMatchesUnmarshal reads every answer shape both
// ways: the result and the error must be json.Unmarshal's, and the
// common shapes must take the narrow path (or it would not pay).
func TestDecodeBulkAnswerMatchesUnmarshal(t *testing.T) {
	t.Parallel()
	for _, tc := range bulkAnswers {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkBulkAnswer(t, []byte(tc.body))
			if _, fast := scanBulkAnswer([]byte(tc.body), 2); fast != tc.fast {
				t.Errorf("narrow path taken: %v, want %v", fast, tc.fast)
			}
		})
	}
}

func checkBulkAnswer(t *testing.T, raw []byte) {
	t.Helper()
	var want bulkAnswer
	wantErr := json.Unmarshal(raw, &want)
	got, err := decodeBulkAnswer(raw, 2)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) {
		t.Fatalf("error %v, json.Unmarshal says %v", err, wantErr)
	}
	if wantErr != nil {
		return // joinBulk reports the error, whatever was decoded
	}
	// An empty list and a missing one are joined alike.
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b []bulkEntity) bool { return cmp.Equal(norm(a), norm(b)) }),
		cmp.Comparer(func(a, b []bulkError) bool { return cmp.Equal(norm(a), norm(b)) })); diff != "" {
		t.Fatalf("answer (-json.Unmarshal +got):\n%s", diff)
	}
}

func norm[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func FuzzDecodeBulkAnswer(f *testing.F) {
	for _, tc := range bulkAnswers {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkBulkAnswer(t, raw)
	})
}

// TestJoinBulk joins answers to the request's entities: each result in
// its input's place, a per-entity error as an *APIError, a search
// identifier that matched nothing said so, an index out of range ignored,
// an entity without an entry failed, and an unreadable answer failing
// the whole request.
func TestJoinBulk(t *testing.T) {
	t.Parallel()
	const path = "/v1/blueprints/svc/entities/bulk"
	type res struct {
		ID      string
		Created bool
		Err     string
		Status  int
	}
	noResult := func(k int) res {
		return res{Err: fmt.Sprintf("port: POST %s: no result for entity %d of the request", path, k)}
	}
	cases := []struct {
		name, body string
		want       []res // for request entities 0..2, placed at inputs 4, 1, 7
	}{
		{"all written", `{"ok":true,"entities":[{"index":2,"identifier":"c","created":false},{"index":0,"identifier":"a","created":true},{"index":1,"identifier":"b","created":true}],"errors":[]}`,
			[]res{{ID: "a", Created: true}, {ID: "b", Created: true}, {ID: "c"}}},
		{"partial", `{"ok":true,"entities":[{"index":0,"identifier":"a","created":true,"additionalData":{}}],"errors":[{"index":1,"identifier":"b","statusCode":422,"error":"invalid","message":"bad \"tier\""},{"index":2,"identifier":"unknown","statusCode":404,"error":"not_found","message":"none"}]}`,
			[]res{{ID: "a", Created: true},
				{Err: `port: POST ` + path + `: 422 invalid: bad "tier"`, Status: 422},
				{Err: `port: POST ` + path + `: 404 not_found: the search identifier matched no entity: none`, Status: 404}}},
		{"index out of range and a missing entry", `{"entities":[{"index":0,"identifier":"a","created":true},{"index":3,"identifier":"x"},{"index":-1,"identifier":"y"}],"errors":[{"index":9,"statusCode":500}]}`,
			[]res{{ID: "a", Created: true}, noResult(1), noResult(2)}},
		{"nothing answered", `{"ok":true}`, []res{noResult(0), noResult(1), noResult(2)}},
		{"key in another case", `{"Entities":[{"Index":1,"Identifier":"b","Created":true}]}`, []res{noResult(0), {ID: "b", Created: true}, noResult(2)}},
		{"unreadable", `{"entities":[{"index":"0"}]}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			idx := []int{4, 1, 7}
			results := make([]UpsertResult, 8)
			joinBulk(results, idx, []byte(tc.body), path)
			var got []res
			for _, i := range idx {
				r := results[i]
				g := res{ID: r.Identifier, Created: r.Created}
				if r.Err != nil {
					g.Err = r.Err.Error()
					var ae *APIError
					if errors.As(r.Err, &ae) {
						g.Status = ae.Status
					}
				}
				got = append(got, g)
			}
			if tc.want == nil { // the whole request failed on the answer
				for k, g := range got {
					if !strings.Contains(g.Err, "decoding the answer") {
						t.Errorf("entity %d: %+v, want the decoding error", k, g)
					}
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			for _, i := range []int{0, 2, 3, 5, 6} {
				if results[i] != (UpsertResult{}) {
					t.Errorf("input %d not in the request was touched: %+v", i, results[i])
				}
			}
		})
	}
}
