// Package file is the GitOps integration: catalog entries kept as JSON or
// YAML files in a repository.
//
// --file-glob selects the files. It is repeatable, relative to the working
// directory unless absolute, and `**` matches any number of directories. As
// in a shell, `*` and `**` do not match names starting with a dot (so
// `**/*.yaml` stays out of .git and .github); name such a directory
// literally to read it. A glob that matches nothing yields nothing; a glob
// whose directory does not exist is an error (its block fails, nothing is
// deleted).
//
// Only files ending in .json, .yaml or .yml (any case) are read; a glob may
// match others (a README next to the catalog) and they are skipped. A JSON
// file holds one value; a YAML file may hold several documents (`---`), and
// empty documents are skipped. A document that is an object is one item; a
// document that is a list yields each of its elements, which must be
// objects. Values read as encoding/json would give them: numbers are
// float64, and YAML timestamps stay the text written (2024-01-02).
//
// Every item carries `__path`, the file's slash-separated path as matched
// (e.g. catalog/services/web.yaml), and, inside GitHub Actions or GitLab CI,
// `__repository` (GITHUB_REPOSITORY or CI_PROJECT_PATH).
//
// A resource block may narrow the files it reads with the selector field
// `files`: a glob or a list of globs matched against `__path`, so one
// block can take services/*.yaml and another teams.yaml:
//
//	resources:
//	  - kind: file
//	    selector:
//	      query: "true"
//	      files: [catalog/services/**]
//
// The default mapping (resources/port-app-config.yml) expects one object per
// entity with `kind` (team, system or service), `identifier`, `title` and
// the fields of the default blueprints; see testdata/quickstart.
package file

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/jsonx"
	"github.com/tide-sync/tide/internal/yamlx"
)

//go:embed resources/*
var resources embed.FS

// pageSize is how many items one emitted page holds at most.
const pageSize = 100

// Definition returns the file integration.
func Definition() integrations.Definition {
	sub := integrations.Resources(resources)
	return integrations.Definition{
		Type:    "file",
		Summary: "catalog entries kept as JSON/YAML files in a repository (GitOps)",
		Kinds:   []string{"file"},
		Params: []integrations.Param{{
			Name: "file-glob",
			// The README's flag reference is generated from this text.
			Usage:      "glob of JSON/YAML catalog files, relative to the working directory; ** matches any depth",
			Repeatable: true,
		}},
		Selectors: map[string][]integrations.SelectorField{
			"file": {{Name: "files", Usage: "glob or list of globs narrowing the files --file-glob found; default: every file"}},
		},
		Resources: sub,
		New: func(s integrations.Settings) (integrations.Source, error) {
			src, err := NewSource(s.Values.List("file-glob"), s.Getenv, nil)
			if err != nil {
				return nil, err
			}
			if s.Logger != nil {
				src.log = s.Logger
			}
			return src, nil
		},
	}
}

// Source reads the files matching its globs. It is safe for concurrent use.
type Source struct {
	globs  []string
	getenv func(string) string
	dirFS  func(dir string) fs.FS
	log    *slog.Logger
	warned sync.Map // globs already reported as matching nothing
}

// NewSource validates globs and builds a Source. getenv reads the CI's
// environment (nil: none). dirFS opens a directory (nil: os.DirFS); tests
// pass an in-memory one.
func NewSource(globs []string, getenv func(string) string, dirFS func(dir string) fs.FS) (*Source, error) {
	var clean []string
	for _, g := range globs {
		if g = strings.TrimSpace(g); g != "" {
			clean = append(clean, filepath.ToSlash(g))
		}
	}
	if len(clean) == 0 {
		return nil, fmt.Errorf("%w: --file-glob (TIDE_FILE_GLOB) is required: which files hold the catalog, e.g. 'catalog/**/*.yaml'", integrations.ErrConfig)
	}
	for _, g := range clean {
		if !doublestar.ValidatePattern(g) {
			return nil, fmt.Errorf("%w: --file-glob %q is not a valid glob (check [ ] and { } pairs)", integrations.ErrConfig, g)
		}
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if dirFS == nil {
		dirFS = os.DirFS
	}
	return &Source{
		globs:  clean,
		getenv: getenv,
		dirFS:  dirFS,
		log:    slog.New(slog.DiscardHandler),
	}, nil
}

// Resync streams the items of every matching file, files in path order.
func (s *Source) Resync(ctx context.Context, req integrations.Request, emit integrations.Emit) error {
	if req.Kind != "file" {
		return fmt.Errorf("kind %q: %w (the file integration offers: file)", req.Kind, integrations.ErrUnknownKind)
	}
	only, err := selectorFiles(req.Selector)
	if err != nil {
		return err
	}
	files, empty, err := s.match()
	if err != nil {
		return err
	}
	notice := req.Notice
	if notice == nil {
		notice = func(string) {}
	}
	for _, g := range empty {
		notice(fmt.Sprintf("--file-glob %q matched no file", g))
	}
	if len(only) > 0 && !slices.ContainsFunc(files, func(f catalogFile) bool { return matchesAny(only, f.path) }) {
		notice(fmt.Sprintf("selector.files %q matched none of the %d files --file-glob found", only, len(files)))
	}
	repo := s.repository()
	page := make([]integrations.Item, 0, pageSize)
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !matchesAny(only, f.path) {
			continue
		}
		items, err := f.read()
		if err != nil {
			// Like an Ocean generator that raises mid-way: what was read
			// still syncs, and the error fails the block so nothing is
			// deleted.
			if len(page) > 0 {
				if eerr := emit(page); eerr != nil {
					return errors.Join(err, eerr)
				}
			}
			return err
		}
		s.log.Debug("catalog file read", "path", f.path, "items", len(items))
		for _, it := range items {
			it["__path"] = f.path
			if repo != "" {
				it["__repository"] = repo
			}
			page = append(page, it)
			if len(page) == pageSize {
				if err := emit(page); err != nil {
					return err
				}
				page = make([]integrations.Item, 0, pageSize)
			}
		}
	}
	if len(page) > 0 {
		return emit(page)
	}
	return nil
}

// repository names the repository the run is in, from the CI's env.
func (s *Source) repository() string {
	if s.getenv("GITHUB_ACTIONS") == "true" {
		return s.getenv("GITHUB_REPOSITORY")
	}
	if s.getenv("GITLAB_CI") == "true" {
		return s.getenv("CI_PROJECT_PATH")
	}
	return ""
}

// SelectorKeys lists the selector keys the file kind reads.
func (s *Source) SelectorKeys(kind string) []string { return []string{"files"} }

// selectorFiles reads the block's optional `files` selector field.
func selectorFiles(sel map[string]any) ([]string, error) {
	v, ok := sel["files"]
	if !ok || v == nil {
		return nil, nil
	}
	var out []string
	switch t := v.(type) {
	case string:
		out = []string{t}
	case []string:
		out = t
	case []any:
		for i, x := range t {
			g, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("selector.files[%d]: want a glob, got %s", i, jsonx.TypeName(x))
			}
			out = append(out, g)
		}
	default:
		return nil, fmt.Errorf("selector.files: want a glob or a list of globs, got %s", jsonx.TypeName(v))
	}
	for i, g := range out {
		// Cleaned as matched paths are, so ./services/* matches services/a.yaml.
		g = path.Clean(filepath.ToSlash(g))
		if !doublestar.ValidatePattern(g) {
			return nil, fmt.Errorf("selector.files: %q is not a valid glob", out[i])
		}
		out[i] = g
	}
	return out, nil
}

func matchesAny(globs []string, p string) bool {
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if ok, _ := doublestar.Match(g, p); ok {
			return true
		}
	}
	return false
}

// catalogFile is one matched file: its path as matched, and where to read it.
type catalogFile struct {
	path string
	fsys fs.FS
	name string
}

// match expands every glob, deduplicated and sorted so runs are repeatable.
func (s *Source) match() ([]catalogFile, []string, error) {
	seen := map[string]bool{}
	var out []catalogFile
	var empty []string
	for _, g := range s.globs {
		// The static base is opened as a directory, so absolute globs and
		// ../ work although an fs.FS takes neither.
		base, pat := doublestar.SplitPattern(g)
		base = path.Clean(base)
		fsys := s.dirFS(base)
		if base != "." {
			// A glob under a directory that is not there (a typo, a
			// checkout missing a path) lists nothing, and taking that for
			// "no files" would delete every entity they held.
			if st, err := fs.Stat(fsys, "."); err != nil || !st.IsDir() {
				return nil, nil, fmt.Errorf("%w: --file-glob %q: its directory %q does not exist (relative to the working directory); fix the path or drop the glob", integrations.ErrIncomplete, g, base)
			}
		}
		matches, err := doublestar.Glob(fsys, pat, doublestar.WithFilesOnly(), doublestar.WithNoHidden(), doublestar.WithFailOnIOErrors())
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("--file-glob %q: %w", g, err)
		}
		if len(matches) == 0 {
			empty = append(empty, g)
			if _, done := s.warned.LoadOrStore(g, true); !done {
				s.log.Warn("--file-glob matched no file", "glob", g)
			}
		}
		for _, m := range matches {
			p := path.Join(base, m)
			if !seen[p] {
				seen[p] = true
				out = append(out, catalogFile{path: p, fsys: fsys, name: m})
			}
		}
	}
	slices.SortFunc(out, func(a, b catalogFile) int { return strings.Compare(a.path, b.path) })
	return out, empty, nil
}

// read returns the file's items; a file that is not JSON or YAML has none.
func (f catalogFile) read() ([]integrations.Item, error) {
	ext := strings.ToLower(path.Ext(f.path))
	if ext != ".json" && ext != ".yaml" && ext != ".yml" {
		return nil, nil
	}
	b, err := fs.ReadFile(f.fsys, f.name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.path, err)
	}
	var docs []any
	if ext == ".json" {
		docs, err = decodeJSON(b)
	} else {
		docs, err = yamlx.Decode(b)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.path, err)
	}
	var items []integrations.Item
	for i, d := range docs {
		switch t := d.(type) {
		case map[string]any:
			items = append(items, t)
		case []any:
			for j, e := range t {
				m, ok := e.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("%s: document %d, element %d: want an object, got %s", f.path, i+1, j+1, jsonx.TypeName(e))
				}
				items = append(items, m)
			}
		case nil:
		default:
			return nil, fmt.Errorf("%s: document %d: want an object or a list of objects, got %s", f.path, i+1, jsonx.TypeName(d))
		}
	}
	return items, nil
}

// decodeJSON reads the file's one JSON value.
func decodeJSON(b []byte) ([]any, error) {
	b = bytes.TrimPrefix(b, []byte("\ufeff")) // editors on Windows write a BOM
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, errors.New("invalid JSON: the file is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var v any
	if err := dec.Decode(&v); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("invalid JSON: %s: %w", position(b, syn.Offset), err)
		}
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("invalid JSON: %s: data after the first value", position(b, dec.InputOffset()))
	}
	return []any{v}, nil
}

// position turns a byte offset into "line L" (from 1). encoding/json's
// offsets are not exact enough for a column.
func position(b []byte, off int64) string {
	off = min(max(off, 0), int64(len(b)))
	return fmt.Sprintf("line %d", bytes.Count(b[:off], []byte("\n"))+1)
}
