package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	tsync "github.com/tide-sync/tide/sync"
)

// Every stale entity not deleted is named with its reason: a sample of 50
// in the text and markdown summaries, all of them in the JSON summary.
func TestKeptEntitiesNamed(t *testing.T) {
	t.Parallel()
	res := &tsync.Result{Status: tsync.StatusBlocked, Blocks: []*tsync.BlockResult{}}
	for i := range 60 {
		r := tsync.ReasonBPThreshold
		if i == 0 {
			r = tsync.ReasonRelationTarget
		}
		res.Deletion.Entities = append(res.Deletion.Entities, tsync.KeptEntity{Blueprint: "repo", Identifier: fmt.Sprintf("r%02d", i), Reason: r})
	}
	res.Deletion.State, res.Deletion.Blocked, res.Deletion.Kept = tsync.DeletionBlocked, 59, 1

	var text bytes.Buffer
	Text(&text, res)
	var md bytes.Buffer
	Markdown(&md, Outcome{Result: res, ExitCode: 3})
	for name, out := range map[string]string{"text": text.String(), "markdown": md.String()} {
		for _, want := range []string{"r00", "relation-target", "r49", "blueprint-threshold", "and 10 more"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s summary lacks %q:\n%s", name, want, out)
			}
		}
		if strings.Contains(out, "r50") {
			t.Errorf("%s summary names more than 50", name)
		}
	}

	var js bytes.Buffer
	if err := JSON(&js, res); err != nil {
		t.Fatal(err)
	}
	var back tsync.Result
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(res.Deletion.Entities, back.Deletion.Entities); diff != "" {
		t.Errorf("JSON entities (-want +got):\n%s", diff)
	}
}
