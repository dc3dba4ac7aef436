// Package yamlx decodes YAML into the values the mapping works on, the
// same shapes encoding/json gives for the same data: numbers as float64,
// map keys as strings, and timestamps (and any other tag) as the text
// written, never time.Time. yaml.v3's own checks (duplicate keys,
// self-containing anchors, alias bombs, malformed merges) apply, and
// errors fit on one line.
package yamlx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"gopkg.in/yaml.v3"
)

// Decode reads every document of a YAML stream; an empty one is nil.
func Decode(b []byte) ([]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var docs []any
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("invalid YAML: %w", yamlError(err))
		}
		// yaml.v3 checks what a Node leaves unchecked only when it decodes
		// into values: duplicate keys, anchors that contain themselves,
		// alias bombs, malformed merges. Decoding once also bounds the
		// expansion nodeValue does below.
		var probe any
		if err := n.Decode(&probe); err != nil {
			return nil, fmt.Errorf("document %d: invalid YAML: %w", len(docs)+1, yamlError(err))
		}
		v, err := nodeValue(&n)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", len(docs)+1, err)
		}
		docs = append(docs, v)
	}
}

// yamlError puts yaml.v3's error on one line, without its "yaml: " prefix.
func yamlError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return errors.New(strings.Join(te.Errors, "; "))
	}
	return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
}

// nodeValue converts a YAML node to what encoding/json would give for the
// same data: numbers as float64, map keys as strings, and timestamps (and
// any other tag) as the text written, never time.Time. Every call builds
// new maps, so an alias used twice yields two independent values.
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
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
				merges = append(merges, v)
				continue
			}
			key, err := keyText(k)
			if err != nil {
				return nil, err
			}
			val, err := nodeValue(v)
			if err != nil {
				return nil, err
			}
			out[key] = val
		}
		// Merged keys never override the mapping's own, and an earlier
		// merged mapping wins over a later one (YAML's merge key type).
		for _, m := range merges {
			if err := merge(out, m); err != nil {
				return nil, err
			}
		}
		return out, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool", "!!int", "!!float":
			var v any
			if err := n.Decode(&v); err != nil {
				return nil, fmt.Errorf("line %d: %w", n.Line, yamlError(err))
			}
			return scalar(v, n)
		default: // !!str, !!timestamp, !!binary, custom tags: the text as written
			return n.Value, nil
		}
	}
	return nil, fmt.Errorf("line %d: unsupported YAML node", n.Line)
}

// merge adds the keys of a `<<` value (a mapping or a list of them) that out
// does not hold yet.
func merge(out map[string]any, n *yaml.Node) error {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.SequenceNode {
		for _, c := range n.Content {
			if err := merge(out, c); err != nil {
				return err
			}
		}
		return nil
	}
	v, err := nodeValue(n)
	if err != nil {
		return err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("line %d: << wants a mapping or a list of mappings", n.Line)
	}
	for k, mv := range m {
		if _, set := out[k]; !set {
			out[k] = mv
		}
	}
	return nil
}

// keyText is a mapping key as JSON has it: the text written (404: x gives
// "404"), and "null" for a null key.
func keyText(k *yaml.Node) (string, error) {
	for k.Kind == yaml.AliasNode {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("line %d: a mapping key must be a scalar", k.Line)
	}
	if k.ShortTag() == "!!null" {
		return "null", nil
	}
	return k.Value, nil
}

// scalar normalises a decoded bool or number.
func scalar(v any, n *yaml.Node) (any, error) {
	switch t := v.(type) {
	case bool:
		return t, nil
	case int:
		return float64(t), nil
	case int64:
		return float64(t), nil
	case uint64:
		return float64(t), nil
	case float64:
		if math.IsInf(t, 0) || math.IsNaN(t) {
			return nil, fmt.Errorf("line %d: %s is not a JSON number", n.Line, n.Value)
		}
		return t, nil
	}
	return nil, fmt.Errorf("line %d: %s: unsupported %T", n.Line, n.Value, v)
}
