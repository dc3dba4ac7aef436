package port

import (
	"strings"
	"testing"
)

// TestReviewBulkAnswerDepth: json.Unmarshal counts the answer's object,
// the entities (errors) array and the entry toward its 10,000-level limit;
// the narrow path must count them too, or an answer json.Unmarshal refuses
// is read as written.
func TestReviewBulkAnswerDepth(t *testing.T) {
	nest := func(k int) string { return strings.Repeat("[", k) + strings.Repeat("]", k) }
	for _, k := range []int{9996, 9997, 9998, 9999, 10000, 10001} {
		for _, body := range []string{
			`{"entities":[{"index":0,"identifier":"a","x":` + nest(k) + `}]}`,
			`{"errors":[{"index":0,"identifier":"a","x":` + nest(k) + `}]}`,
			`{"x":` + nest(k) + `,"entities":[{"index":0,"identifier":"a"}]}`,
		} {
			checkBulkAnswer(t, []byte(body))
		}
	}
	// Within the limit the narrow path still reads it.
	if _, fast := scanBulkAnswer([]byte(`{"entities":[{"index":0,"x":`+nest(9997)+`}]}`), 1); !fast {
		t.Error("narrow path not taken at 10,000 levels")
	}
}
