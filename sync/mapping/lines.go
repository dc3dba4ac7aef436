package mapping

import (
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// keyLines maps every field path of a YAML or JSON config to the line of its
// key (or, for a list element, of the element), so an error points at the
// line to fix. Paths are spelt as the parser spells them: a list element is
// both `a[0]` and `a.0`. It returns nil when the text does not parse.
func keyLines(data []byte) map[string]int {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return nil
	}
	lines := map[string]int{}
	var walk func(path string, n *yaml.Node)
	walk = func(path string, n *yaml.Node) {
		switch n.Kind {
		case yaml.AliasNode:
			if n.Alias != nil {
				walk(path, n.Alias)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				if _, seen := lines[p]; !seen {
					lines[p] = k.Line
				}
				walk(p, v)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				for _, p := range []string{path + "[" + strconv.Itoa(i) + "]", path + "." + strconv.Itoa(i)} {
					lines[p] = c.Line
					walk(p, c)
				}
			}
		}
	}
	walk("", doc.Content[0])
	return lines
}

// lineOf returns the line of path, or of the nearest enclosing field that
// has one (a missing key is reported on its parent's line); 0 when unknown.
func lineOf(lines map[string]int, path string) int {
	for path != "" {
		if l, ok := lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

var yamlLine = regexp.MustCompile(`\bline (\d+)\b`)

// yamlErrorLine is the line a YAML syntax error names, 0 when none.
func yamlErrorLine(err error) int {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
