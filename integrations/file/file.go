// Package file is the GitOps integration: catalog entries kept as JSON or
// YAML files in a repository.
//
// --file-glob selects the files (repeatable; `**` matches any depth; relative
// to the working directory). A JSON file is one document; a YAML file may
// hold several (`---`). Each document that is an object is one item; a
// document that is a list yields each of its elements. Files with other
// extensions are skipped. Every item carries `__path` (the file's path as
// matched) and, inside GitHub Actions or GitLab CI, `__repository`
// (GITHUB_REPOSITORY or CI_PROJECT_PATH).
//
// A resource block may narrow the files it reads with the selector field
// `files`: a glob or a list of globs, matched against `__path`.
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
	"math"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"gopkg.in/yaml.v3"

	"github.com/tide-sync/tide/integrations"
)

//go:embed resources/*
var resources embed.FS

// pageSize is how many items one emitted page holds.
const pageSize = 100

// Definition returns the file integration.
func Definition() integrations.Definition {
	sub, err := fs.Sub(resources, "resources")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return integrations.Definition{
		Type:    "file",
		Summary: "catalog entries kept as JSON/YAML files (GitOps)",
		Kinds:   []string{"file"},
		Params: []integrations.Param{{
			Name:       "file-glob",
			Usage:      "glob of JSON/YAML catalog files, relative to the working directory; ** matches any depth",
			Repeatable: true,
		}},
		Resources: sub,
		New: func(s integrations.Settings) (integrations.Source, error) {
			return NewSource(s.Values.List("file-glob"), s.Getenv, nil)
		},
	}
}

// Source reads the files matching its globs.
type Source struct {
	globs  []string
	getenv func(string) string
	dirFS  func(dir string) fs.FS
}

// NewSource validates globs and builds a Source. dirFS opens a directory
// (nil: the real filesystem); tests pass an in-memory one.
func NewSource(globs []string, getenv func(string) string, dirFS func(string) fs.FS) (*Source, error) {
	if len(globs) == 0 {
		return nil, fmt.Errorf("%w: --file-glob (TIDE_FILE_GLOB) is required: which files hold the catalog, e.g. 'catalog/**/*.yaml'", integrations.ErrConfig)
	}
	for _, g := range globs {
		if !doublestar.ValidatePattern(filepath.ToSlash(g)) {
			return nil, fmt.Errorf("%w: --file-glob %q is not a valid glob", integrations.ErrConfig, g)
		}
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if dirFS == nil {
		dirFS = os.DirFS
	}
	return &Source{globs: globs, getenv: getenv, dirFS: dirFS}, nil
}

// Resync streams the items of every matching file.
func (s *Source) Resync(ctx context.Context, req integrations.Request, emit integrations.Emit) error {
	if req.Kind != "file" {
		return fmt.Errorf("kind %q: %w (the file integration offers: file)", req.Kind, integrations.ErrUnknownKind)
	}
	only, err := selectorFiles(req.Selector)
	if err != nil {
		return err
	}
	paths, err := s.match()
	if err != nil {
		return err
	}
	repo := s.repository()
	page := make([]integrations.Item, 0, pageSize)
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !matchesAny(only, p) {
			continue
		}
		items, err := s.read(p)
		if err != nil {
			// What was read still syncs (as Ocean upserts earlier batches);
			// the error fails the block, so nothing is deleted.
			if len(page) > 0 {
				if eerr := emit(page); eerr != nil {
					return errors.Join(err, eerr)
				}
			}
			return err
		}
		for _, it := range items {
			it["__path"] = p
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

func selectorFiles(sel map[string]any) ([]string, error) {
	v, ok := sel["files"]
	if !ok || v == nil {
		return nil, nil
	}
	var out []string
	switch t := v.(type) {
	case string:
		out = []string{t}
	case []any:
		for _, x := range t {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("selector.files: want a glob or a list of globs, got %v", x)
			}
			out = append(out, s)
		}
	default:
		return nil, fmt.Errorf("selector.files: want a glob or a list of globs, got %T", v)
	}
	for _, g := range out {
		if !doublestar.ValidatePattern(g) {
			return nil, fmt.Errorf("selector.files: %q is not a valid glob", g)
		}
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

// match expands every glob, deduplicated and sorted so runs are repeatable.
func (s *Source) match() ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, g := range s.globs {
		base, pat := doublestar.SplitPattern(filepath.ToSlash(g))
		matches, err := doublestar.Glob(s.dirFS(base), pat, doublestar.WithFilesOnly(), doublestar.WithFailOnIOErrors())
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("--file-glob %q: %w", g, err)
		}
		for _, m := range matches {
			p := m
			if base != "." {
				p = path.Join(base, m)
			}
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

func (s *Source) read(p string) ([]integrations.Item, error) {
	ext := strings.ToLower(path.Ext(p))
	if ext != ".json" && ext != ".yaml" && ext != ".yml" {
		return nil, nil
	}
	base, name := path.Split(p)
	if base == "" {
		base = "."
	}
	b, err := fs.ReadFile(s.dirFS(strings.TrimSuffix(base, "/")), name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	var docs []any
	if ext == ".json" {
		docs, err = decodeJSON(b)
	} else {
		docs, err = decodeYAML(b)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
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
					return nil, fmt.Errorf("%s: document %d, element %d: want an object, got %s", p, i+1, j, typeName(e))
				}
				items = append(items, m)
			}
		case nil:
		default:
			return nil, fmt.Errorf("%s: document %d: want an object or a list of objects, got %s", p, i+1, typeName(d))
		}
	}
	return items, nil
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func decodeJSON(b []byte) ([]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: more than one value")
	}
	return []any{v}, nil
}

func decodeYAML(b []byte) ([]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var docs []any
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("invalid YAML: %w", err)
		}
		v, err := nodeValue(&n)
		if err != nil {
			return nil, err
		}
		docs = append(docs, v)
	}
}

// nodeValue converts YAML to the values encoding/json would give: numbers as
// float64, timestamps kept as their text, map keys as strings.
func nodeValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return nodeValue(n.Content[0])
	case yaml.AliasNode:
		return nodeValue(n.Alias)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := nodeValue(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Tag == "!!merge" {
				merged, err := nodeValue(v)
				if err != nil {
					return nil, err
				}
				if m, ok := merged.(map[string]any); ok {
					for mk, mv := range m {
						if _, set := out[mk]; !set {
							out[mk] = mv
						}
					}
				}
				continue
			}
			val, err := nodeValue(v)
			if err != nil {
				return nil, err
			}
			out[k.Value] = val
		}
		return out, nil
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil, nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return nil, fmt.Errorf("line %d: %w", n.Line, err)
			}
			return b, nil
		case "!!int":
			var i int64
			if err := n.Decode(&i); err != nil {
				f, ferr := strconv.ParseFloat(n.Value, 64)
				if ferr != nil {
					return nil, fmt.Errorf("line %d: %w", n.Line, err)
				}
				return f, nil
			}
			return float64(i), nil
		case "!!float":
			var f float64
			if err := n.Decode(&f); err != nil {
				return nil, fmt.Errorf("line %d: %w", n.Line, err)
			}
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, fmt.Errorf("line %d: %s is not a JSON number", n.Line, n.Value)
			}
			return f, nil
		default: // !!str, !!timestamp, !!binary: the text as written
			return n.Value, nil
		}
	}
	return nil, fmt.Errorf("line %d: unsupported YAML node", n.Line)
}
