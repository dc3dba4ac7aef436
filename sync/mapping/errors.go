package mapping

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is wrapped by every Parse and Compile error (the CLI exits 2).
var ErrInvalid = errors.New("invalid mapping")

// invalid builds the error Parse returns: every problem found, one a line,
// so a user fixes the whole config in one round instead of one field a run.
func invalid(problems []string) error {
	if len(problems) == 1 {
		return fmt.Errorf("%w: %s", ErrInvalid, problems[0])
	}
	return fmt.Errorf("%w: %d problems:\n  %s", ErrInvalid, len(problems), strings.Join(problems, "\n  "))
}

// ParseError lists every problem of a config's structure, each with its
// field path and, when the config was text, its line.
type ParseError struct {
	Problems []ParseProblem
}

// ParseProblem is one structural problem of a config.
type ParseProblem struct {
	Path    string // e.g. resources[0].port.entity.mappings.identifier; "" for the whole config
	Line    int    // 1-based; 0 when unknown
	Message string
}

// String renders the problem as one line of ParseError's text.
func (p ParseProblem) String() string {
	s := p.Message
	if p.Path != "" {
		s = p.Path + ": " + s
	}
	if p.Line > 0 && !strings.Contains(p.Message, fmt.Sprintf("line %d", p.Line)) {
		s += fmt.Sprintf(" (line %d)", p.Line)
	}
	return s
}

// Error lists every problem, one a line.
func (e *ParseError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return invalid(lines).Error()
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ParseError) Unwrap() error { return ErrInvalid }

// Line is the line of the first problem that has one, for an annotation; 0
// when none has.
func (e *ParseError) Line() int {
	for _, p := range e.Problems {
		if p.Line > 0 {
			return p.Line
		}
	}
	return 0
}

// Problem is one JQ expression that does not compile.
type Problem struct {
	Index   int    // position of the resource block in resources[]
	Kind    string // the block's kind
	Field   string // path inside the block, e.g. "selector.query" or "port.entity.mappings.properties.url"
	Expr    string // the expression as written in the config
	Message string // gojq's parse or compile error
	Line    int    // the field's line in the mapping source; 0 when unknown
}

// String renders the problem as one line of CompileError's text.
func (p Problem) String() string {
	s := fmt.Sprintf("resources[%d] (kind %q) %s: %s: %q", p.Index, p.Kind, p.Field, p.Message, p.Expr)
	if p.Line > 0 {
		s += fmt.Sprintf(" (line %d)", p.Line)
	}
	return s
}

// CompileError lists every expression of a config that does not compile.
//
// Deliberately differs from Ocean, which compiles lazily and writes null for
// a broken expression over good data (docs/ocean-compatibility.md#mapped-values).
type CompileError struct {
	Problems []Problem
}

// Error lists every problem, one a line.
func (e *CompileError) Error() string {
	var b strings.Builder
	if len(e.Problems) == 1 {
		b.WriteString("invalid mapping: JQ expression does not compile: ")
		b.WriteString(e.Problems[0].String())
		return b.String()
	}
	fmt.Fprintf(&b, "invalid mapping: %d JQ expressions do not compile:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *CompileError) Unwrap() error { return ErrInvalid }

// Line is the line of the first problem that has one; 0 when none has.
func (e *CompileError) Line() int {
	for _, p := range e.Problems {
		if p.Line > 0 {
			return p.Line
		}
	}
	return 0
}
