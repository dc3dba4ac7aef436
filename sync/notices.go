package sync

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// NoticeKind names what a notice is about.
type NoticeKind string

// Notice kinds: what a run did that changes data without an error, or that
// its author may not expect, said in every report rather than only in logs.
const (
	NoticeMapping       NoticeKind = "mapping"               // which mapping the run used
	NoticeUnknownKey    NoticeKind = "unknown-key"           // a mapping key tide ignores
	NoticeSelectorNone  NoticeKind = "selector-kept-none"    // a block's selector kept none of its items
	NoticeSourceEmpty   NoticeKind = "source-empty"          // the integration found nothing where told to look (a glob)
	NoticeRelationStubs NoticeKind = "relation-stubs"        // relation targets Port creates as empty stubs
	NoticeKeptTargets   NoticeKind = "kept-relation-targets" // stale entities kept as relation targets
)

// Notice is one thing a report must say.
type Notice struct {
	Kind    NoticeKind `json:"kind"`
	Block   int        `json:"block"` // resource index; -1 for the whole run
	Message string     `json:"message"`
	// Names lists what the notice is about (blueprint/identifier), a sample
	// of at most maxNoticeNames; Count is the full number.
	Names []string `json:"names,omitempty"`
	Count int      `json:"count,omitempty"`
}

const maxNoticeNames = 50

// MappingSource says which mapping a run used.
type MappingSource struct {
	// Source is "file" (--mapping), "integration" (stored on the Port
	// integration) or "default" (the integration type's default mapping,
	// used when the Port integration does not exist yet).
	Source string `json:"source"`
	Name   string `json:"name"`
	// UpdatedAt is when the stored mapping was last changed in Port, when
	// Port says.
	UpdatedAt string `json:"updatedAt,omitempty"`
}

func (m *MappingSource) notice() Notice {
	msg := "mapping: " + m.Name
	if m.UpdatedAt != "" {
		msg += ", last updated " + m.UpdatedAt
	}
	return Notice{Kind: NoticeMapping, Block: -1, Message: msg}
}

// noticeSet gathers notices from concurrent blocks, each distinct message
// once.
type noticeSet struct {
	list []Notice
	seen map[string]bool
}

func (s *noticeSet) add(n Notice) {
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	key := string(n.Kind) + "\x00" + n.Message
	if s.seen[key] {
		return
	}
	s.seen[key] = true
	s.list = append(s.list, n)
}

// blockNotices adds what the counts of the finished blocks say.
func (e *engine) blockNotices(res *Result) {
	for _, br := range e.blocks {
		r := br.res
		if r.Skipped || r.Error != "" || r.Fetched == 0 {
			continue
		}
		if r.FilteredOut > 0 && r.Mapped == 0 && r.FailedToMap == 0 {
			msg := fmt.Sprintf("resources[%d] (kind %q): the selector kept 0 of %d items", r.Index, r.Kind, r.FilteredOut)
			if r.Blueprint != "" && !e.otherWriter(br) {
				msg += fmt.Sprintf("; every entity of %q this integration owns is now stale", r.Blueprint)
			}
			e.notices.add(Notice{Kind: NoticeSelectorNone, Block: r.Index, Message: msg, Count: r.FilteredOut})
		}
	}
}

// otherWriter says whether another selected block mapped entities of br's
// blueprint this run.
func (e *engine) otherWriter(br *blockRun) bool {
	for _, o := range e.blocks {
		if o != br && o.selected && o.bp == br.bp && o.res.Mapped > 0 {
			return true
		}
	}
	return false
}

// finishNotices folds the gathered notices into the result, the run's own
// first, then by block.
func (e *engine) finishNotices(res *Result) {
	e.noticeMu.Lock()
	defer e.noticeMu.Unlock()
	if e.cfg.MappingSource != nil {
		res.Mapping = e.cfg.MappingSource
		e.notices.list = append([]Notice{e.cfg.MappingSource.notice()}, e.notices.list...)
	}
	for _, w := range e.mapping.Config.Warnings {
		e.notices.add(Notice{Kind: NoticeUnknownKey, Block: -1, Message: w.String()})
	}
	e.blockNotices(res)
	sort.SliceStable(e.notices.list, func(i, j int) bool {
		a, b := e.notices.list[i], e.notices.list[j]
		if (a.Kind == NoticeMapping) != (b.Kind == NoticeMapping) {
			return a.Kind == NoticeMapping
		}
		return a.Block < b.Block
	})
	res.Notices = e.notices.list
}

// blockNotice is the integrations.Request Notice of one block. br is kept
// for a future notice that names its block.
func (e *engine) blockNotice(br *blockRun) func(string) {
	return func(msg string) {
		e.noticeMu.Lock()
		defer e.noticeMu.Unlock()
		// Said once for the run: every block reading the same source finds
		// the same nothing.
		e.notices.add(Notice{Kind: NoticeSourceEmpty, Block: -1, Message: msg})
	}
}

// fetchedTotal counts every item read once: blocks asking the integration
// for the same kind with the same selector read the same items (a file
// read by three blocks is read, and counted, once).
func (e *engine) fetchedTotal() int {
	seen := map[string]int{}
	for _, br := range e.blocks {
		if !br.selected {
			continue
		}
		sel, _ := json.Marshal(br.block.Resource.Selector.Extra)
		key := br.block.Resource.Kind + "\x00" + string(sel)
		seen[key] = max(seen[key], br.res.Fetched)
	}
	n := 0
	for _, v := range seen {
		n += v
	}
	return n
}

// groupErrors turns the failed blocks into one line per distinct error,
// naming every block that failed with it.
func groupErrors(blocks []*BlockResult) []string {
	type group struct {
		names []string
		kinds map[string]bool
	}
	var order []string
	groups := map[string]*group{}
	for _, b := range blocks {
		if b.Error == "" {
			continue
		}
		g := groups[b.Error]
		if g == nil {
			g = &group{kinds: map[string]bool{}}
			groups[b.Error] = g
			order = append(order, b.Error)
		}
		g.names = append(g.names, fmt.Sprintf("resources[%d]", b.Index))
		g.kinds[b.Kind] = true
	}
	out := make([]string, 0, len(order))
	for _, msg := range order {
		g := groups[msg]
		kinds := make([]string, 0, len(g.kinds))
		for k := range g.kinds {
			kinds = append(kinds, fmt.Sprintf("%q", k))
		}
		sort.Strings(kinds)
		if len(g.names) == 1 {
			out = append(out, fmt.Sprintf("%s (kind %s): %s", g.names[0], kinds[0], msg))
			continue
		}
		out = append(out, fmt.Sprintf("%s (kind %s): %s (%d blocks)", strings.Join(g.names, ", "), strings.Join(kinds, ", "), msg, len(g.names)))
	}
	return out
}
