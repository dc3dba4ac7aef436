package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
)

// docRef matches a citation of a repository doc from code or another doc:
// docs/port-api.md, docs/ocean-compatibility.md#deletion-threshold.
var docRef = regexp.MustCompile(`docs/([a-z0-9-]+\.md)(#[a-z0-9_-]+)?`)

// docLink matches a relative markdown link between docs/ files.
var docLink = regexp.MustCompile(`\]\(([a-z0-9-]+\.md)(#[a-z0-9_-]+)?\)`)

// outside names files that are not in the repository; a comment must cite
// docs/ or state the fact instead.
// (The notes' names are written as character classes so that grepping the
// tree for them finds only real citations.)
var outside = regexp.MustCompile(`ocean-semantic[s]|DESIG[N]\.md|DESIG[N] decision|DESIG[N] §|§|(^|[^/])port-ap[i]\.md|\.\./shared`)

// TestDocsCitations fails when a Go file or a markdown file cites a doc
// that does not exist, an anchor the doc lacks, or a file outside the
// repository.
func TestDocsCitations(t *testing.T) {
	t.Parallel()
	anchors := map[string]map[string]bool{}
	entries, err := os.ReadDir("docs")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".md" {
			continue
		}
		b, err := os.ReadFile(filepath.Join("docs", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		anchors[e.Name()] = headingAnchors(string(b))
	}
	check := func(where, doc, anchor string) {
		as, ok := anchors[doc]
		if !ok {
			t.Errorf("%s cites docs/%s, which does not exist", where, doc)
			return
		}
		if anchor != "" && !as[strings.TrimPrefix(anchor, "#")] {
			t.Errorf("%s cites docs/%s%s: no such heading", where, doc, anchor)
		}
	}
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		ext := filepath.Ext(path)
		if ext != ".go" && ext != ".md" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			where := path + ":" + strconv.Itoa(i+1)
			if ext == ".go" && path != "docs_test.go" && outside.MatchString(line) {
				t.Errorf("%s cites a file outside the repository: %s", where, strings.TrimSpace(line))
			}
			for _, m := range docRef.FindAllStringSubmatch(line, -1) {
				check(where, m[1], m[2])
			}
			if filepath.Dir(path) == "docs" {
				for _, m := range docLink.FindAllStringSubmatch(line, -1) {
					check(where, m[1], m[2])
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// headingAnchors returns the anchors GitHub gives the headings of a
// markdown document: lower case, spaces to hyphens, punctuation dropped,
// a repeated anchor numbered.
func headingAnchors(doc string) map[string]bool {
	out := map[string]bool{}
	fenced := false
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			continue
		}
		if fenced || !strings.HasPrefix(line, "#") {
			continue
		}
		text := strings.TrimSpace(strings.TrimLeft(line, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(text) {
			switch {
			case unicode.IsLetter(r), unicode.IsDigit(r), r == '-', r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteByte('-')
			}
		}
		a := b.String()
		for n := 1; out[a]; n++ {
			a = b.String() + "-" + strconv.Itoa(n)
		}
		out[a] = true
	}
	return out
}

// TestHeadingAnchors pins the anchor rule the citations rely on.
func TestHeadingAnchors(t *testing.T) {
	t.Parallel()
	doc := "# Title\n## Ownership: User-Agent and $datasource\n```\n# not a heading\n```\n" +
		"### deleteDependentEntities\n## Scope under --kinds\n## Title\ntext # not a heading\n"
	got := headingAnchors(doc)
	want := map[string]bool{
		"title": true, "ownership-user-agent-and-datasource": true, "deletedependententities": true,
		"scope-under---kinds": true, "title-1": true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("anchors (-want +got):\n%s", diff)
	}
}
