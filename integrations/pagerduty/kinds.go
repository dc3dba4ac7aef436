package pagerduty

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/httpx"
)

// resync is one resource block's run.
type resync struct {
	s    *Source
	req  integrations.Request
	sel  selector
	emit integrations.Emit

	emails map[string]string // user id → email, for schedules
}

// services: each page's services get __oncall_user (the current on-call
// entries of their escalation policy) and, with serviceAnalytics,
// __analytics (the service's incident metrics over analyticsMonthsPeriod).
func (r *resync) services(ctx context.Context) error {
	return r.s.list(ctx, "services", r.sel.query, func(page []integrations.Item) error {
		byPolicy, err := r.oncallsByPolicy(ctx, page, func(it integrations.Item) string { return refID(it["escalation_policy"]) })
		if err != nil {
			return fmt.Errorf("on-call users of the services' escalation policies: %w", err)
		}
		for _, svc := range page {
			svc["__oncall_user"] = orEmpty(byPolicy[refID(svc["escalation_policy"])])
		}
		if r.sel.serviceAnalytics {
			if err := r.serviceAnalytics(ctx, page); err != nil {
				return err
			}
		}
		return r.emit(page)
	})
}

// incidents: the listing with the block's query; with incidentAnalytics,
// each incident gets __analytics (its raw analytics record).
func (r *resync) incidents(ctx context.Context) error {
	return r.s.list(ctx, "incidents", r.sel.query, func(page []integrations.Item) error {
		if r.sel.incidentAnalytics {
			if err := r.incidentAnalytics(ctx, page); err != nil {
				return err
			}
		}
		return r.emit(page)
	})
}

// schedules: every users[] element gets __email, from one listing of all
// users per resource block.
func (r *resync) schedules(ctx context.Context) error {
	return r.s.list(ctx, "schedules", r.sel.query, func(page []integrations.Item) error {
		if r.emails == nil {
			users, err := r.s.listAll(ctx, "users", nil)
			if err != nil {
				return fmt.Errorf("users' emails for the schedules: %w", err)
			}
			r.emails = make(map[string]string, len(users))
			for _, u := range users {
				id, _ := u["id"].(string)
				email, _ := u["email"].(string)
				r.emails[id] = email
			}
		}
		for _, sch := range page {
			users, _ := sch["users"].([]any)
			for _, u := range users {
				if m, ok := u.(map[string]any); ok {
					if email, ok := r.emails[refID(m)]; ok && email != "" {
						m["__email"] = email
					}
				}
			}
		}
		return r.emit(page)
	})
}

// escalationPolicies: with attachOncallUsers (the default), each policy
// gets __oncall_users, its current on-call entries.
func (r *resync) escalationPolicies(ctx context.Context) error {
	return r.s.list(ctx, "escalation_policies", r.sel.query, func(page []integrations.Item) error {
		if r.sel.attachOncallUsers {
			byPolicy, err := r.oncallsByPolicy(ctx, page, func(it integrations.Item) string { id, _ := it["id"].(string); return id })
			if err != nil {
				return fmt.Errorf("on-call users of the escalation policies: %w", err)
			}
			for _, ep := range page {
				id, _ := ep["id"].(string)
				ep["__oncall_users"] = orEmpty(byPolicy[id])
			}
		}
		return r.emit(page)
	})
}

// oncallsByPolicy lists the current on-call entries (with their users) of
// the escalation policies of a page, by policy id.
func (r *resync) oncallsByPolicy(ctx context.Context, page []integrations.Item, policy func(integrations.Item) string) (map[string][]any, error) {
	q := url.Values{"include[]": {"users"}}
	seen := map[string]bool{}
	for _, it := range page {
		if id := policy(it); id != "" && !seen[id] {
			seen[id] = true
			q.Add("escalation_policy_ids[]", id)
		}
	}
	out := map[string][]any{}
	if len(seen) == 0 {
		return out, nil
	}
	oncalls, err := r.s.listAll(ctx, "oncalls", q)
	if err != nil {
		return nil, err
	}
	for _, oc := range oncalls {
		id := refID(oc["escalation_policy"])
		out[id] = append(out[id], oc)
	}
	return out, nil
}

// serviceAnalytics sets __analytics on each service of a page from
// PagerDuty's aggregated incident metrics per service.
func (r *resync) serviceAnalytics(ctx context.Context, page []integrations.Item) error {
	ids := idsOf(page, func(it integrations.Item) string { id, _ := it["id"].(string); return id })
	if len(ids) == 0 {
		return nil
	}
	now := r.s.now().UTC()
	body := map[string]any{"filters": map[string]any{
		"service_ids":      ids,
		"created_at_start": now.Add(-time.Duration(r.sel.analyticsMonths*daysPerMonth) * 24 * time.Hour).Format(time.RFC3339),
		"created_at_end":   now.Format(time.RFC3339),
	}}
	rows := map[string]any{}
	ok, err := r.analytics(ctx, func() (map[string]any, *httpx.Response, error) {
		return r.s.do(ctx, http.MethodPost, "analytics/metrics/incidents/services", nil, body)
	}, func(obj map[string]any) bool {
		data, _ := obj["data"].([]any)
		for _, row := range data {
			if m, ok := row.(map[string]any); ok {
				if id, _ := m["service_id"].(string); id != "" {
					rows[id] = m
				}
			}
		}
		return false
	})
	if err != nil {
		return err
	}
	for _, svc := range page {
		id, _ := svc["id"].(string)
		svc["__analytics"] = analyticsValue(ok, rows[id], r.s.analyticsReason())
	}
	return nil
}

// incidentAnalytics sets __analytics on each incident of a page from
// PagerDuty's raw incident analytics of the page's services.
func (r *resync) incidentAnalytics(ctx context.Context, page []integrations.Item) error {
	services := idsOf(page, func(it integrations.Item) string { return refID(it["service"]) })
	if len(services) == 0 {
		return nil
	}
	rows := map[string]any{}
	var after string
	var moreErr error // an answer saying more rows exist that cannot be asked for
	ok, err := r.analytics(ctx, func() (map[string]any, *httpx.Response, error) {
		body := map[string]any{"filters": map[string]any{"service_ids": services}, "limit": pageSize}
		if after != "" {
			body["starting_after"] = after
		}
		return r.s.do(ctx, http.MethodPost, "analytics/raw/incidents", nil, body)
	}, func(obj map[string]any) bool {
		data, _ := obj["data"].([]any)
		for _, row := range data {
			if m, ok := row.(map[string]any); ok {
				if id, _ := m["id"].(string); id != "" {
					rows[id] = m
				}
			}
		}
		more, _ := obj["more"].(bool)
		last, _ := obj["last"].(string)
		if !more {
			return false
		}
		if last == "" || last == after {
			moreErr = fmt.Errorf("pagerduty: POST /analytics/raw/incidents: %w: more is true but last (%q) gives no new starting_after", ErrIncomplete, last)
			return false
		}
		after = last
		return true
	})
	if err == nil {
		err = moreErr
	}
	if err != nil {
		return err
	}
	for _, inc := range page {
		id, _ := inc["id"].(string)
		inc["__analytics"] = analyticsValue(ok, rows[id], r.s.analyticsReason())
	}
	return nil
}

// analytics calls PagerDuty's analytics API (call, then read; read
// returning true calls again for the next page) unless it is off for the
// run. ok is false when the enrichment is skipped: PagerDuty refused it
// (403: not in the account's plan or the token's scope) or its daily budget
// is spent (429); analytics is then off for the rest of the run and the
// block's notice says so. Any other failure fails the block.
func (r *resync) analytics(ctx context.Context, call func() (map[string]any, *httpx.Response, error), read func(map[string]any) bool) (ok bool, err error) {
	for {
		if reason := r.s.analyticsReason(); reason != "" {
			r.noticeSkipped(reason)
			return false, nil
		}
		obj, resp, err := call()
		var se *httpx.StatusError
		switch {
		case errors.As(err, &se) && (se.Status == http.StatusForbidden || se.Status == http.StatusTooManyRequests):
			reason := fmt.Sprintf("PagerDuty answered %d %s", se.Status, http.StatusText(se.Status))
			if httpx.PagerDutyDailySpent(se.Header) {
				reason = "the daily analytics budget is spent"
			}
			r.s.stopAnalytics(reason)
			continue
		case err != nil:
			return false, fmt.Errorf("analytics: %w", err)
		}
		if httpx.PagerDutyDailySpent(resp.Header) {
			// This answer still counts; the next call would be refused.
			r.s.stopAnalytics("the daily analytics budget is spent")
		}
		if !read(obj) {
			return true, nil
		}
	}
}

// analyticsValue is what __analytics holds: the record (null when there is
// none), or, when analytics was skipped, a string saying why. Reading a
// metric from a string is a mapping error, so the fields mapped from
// __analytics are left out of the write and keep their values in Port,
// where a null would erase them.
func analyticsValue(ok bool, row any, reason string) any {
	if !ok {
		return "analytics skipped: " + reason
	}
	return row
}

func (r *resync) noticeSkipped(reason string) {
	if r.req.Notice != nil {
		r.req.Notice(fmt.Sprintf("pagerduty: kind %q: analytics enrichment skipped (%s): entities are written without __analytics, and the fields mapped from it keep their values in Port", r.req.Kind, reason))
	}
}

func (s *Source) analyticsReason() string {
	s.analyticsMu.Lock()
	defer s.analyticsMu.Unlock()
	return s.analyticsOff
}

func (s *Source) stopAnalytics(reason string) {
	s.analyticsMu.Lock()
	if s.analyticsOff == "" {
		s.analyticsOff = reason
		s.log.Warn("pagerduty: analytics enrichment off for the rest of the run", "reason", reason)
	}
	s.analyticsMu.Unlock()
}

// refID is the id of a PagerDuty reference object ({"id": ..., "type": ...}).
func refID(v any) string {
	m, _ := v.(map[string]any)
	id, _ := m["id"].(string)
	return id
}

func idsOf(page []integrations.Item, id func(integrations.Item) string) []string {
	var out []string
	seen := map[string]bool{}
	for _, it := range page {
		if v := id(it); v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func orEmpty(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}
