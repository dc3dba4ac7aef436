package httpx

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RateLimit is one API's reading of its rate-limit answers. It is asked
// only about a 429 or a 403 (never about a 5xx, whose wait is the backoff
// whatever rate-limit headers it carries): limited reports whether the
// answer is a rate limit, and wait how long the API asks to wait
// (negative when it names no time; the client then backs off).
type RateLimit interface {
	Limited(status int, h http.Header, body []byte, now time.Time) (wait time.Duration, limited bool)
}

// RateLimitFunc adapts a function to RateLimit.
type RateLimitFunc func(status int, h http.Header, body []byte, now time.Time) (time.Duration, bool)

// Limited implements RateLimit.
func (f RateLimitFunc) Limited(status int, h http.Header, body []byte, now time.Time) (time.Duration, bool) {
	return f(status, h, body, now)
}

// RetryAfter reads a Retry-After header: seconds or an HTTP date. ok is
// false when it is absent or unreadable.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 {
		return time.Duration(n * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// resetAt reads a reset header that is either epoch seconds or seconds from
// now (values above a day of seconds are taken as epoch).
func resetAt(v string, now time.Time) (time.Duration, bool) {
	n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || n < 0 {
		return 0, false
	}
	if n > 86400 {
		return max(time.Unix(int64(n), 0).Sub(now), 0), true
	}
	return time.Duration(n * float64(time.Second)), true
}

// waitReader reads from an answer's headers how long it asks to wait; ok
// is false when the header it reads is absent or unreadable.
type waitReader func(h http.Header, now time.Time) (wait time.Duration, ok bool)

// resetHeader reads header name as resetAt does.
func resetHeader(name string) waitReader {
	return func(h http.Header, now time.Time) (time.Duration, bool) { return resetAt(h.Get(name), now) }
}

// limited429 is the reading most APIs share: only a 429 is a rate limit,
// and its wait is the first that readers find, in order, else -1 (the
// client backs off).
func limited429(status int, h http.Header, now time.Time, readers ...waitReader) (time.Duration, bool) {
	if status != http.StatusTooManyRequests {
		return 0, false
	}
	for _, read := range readers {
		if d, ok := read(h, now); ok {
			return d, true
		}
	}
	return -1, true
}

// Standard is HTTP's own rule: a 429 is a rate limit, Retry-After says how
// long to wait. Every adapter below falls back to it.
var Standard RateLimit = RateLimitFunc(func(status int, h http.Header, _ []byte, now time.Time) (time.Duration, bool) {
	return limited429(status, h, now, RetryAfter)
})

// Port reads Port's answers: a 429 waits Retry-After, else
// x-ratelimit-reset (seconds until the window resets). Port sends
// x-ratelimit-* on every answer, which is why they must never decide the
// wait of a 5xx.
var Port RateLimit = RateLimitFunc(func(status int, h http.Header, _ []byte, now time.Time) (time.Duration, bool) {
	return limited429(status, h, now, RetryAfter, portReset)
})

var portReset = resetHeader("X-Ratelimit-Reset")

// GitHubSecondaryWait is the wait after a GitHub secondary rate limit that
// names no time: GitHub asks for at least a minute.
const GitHubSecondaryWait = time.Minute

// GitHub reads GitHub's primary limit (a 403 or 429 with
// x-ratelimit-remaining: 0 waits until x-ratelimit-reset, epoch seconds)
// and secondary limits (a 403 or 429 with Retry-After, or whose message
// says "rate limit": Retry-After, else a minute).
var GitHub RateLimit = RateLimitFunc(func(status int, h http.Header, body []byte, now time.Time) (time.Duration, bool) {
	if status != http.StatusTooManyRequests && status != http.StatusForbidden {
		return 0, false
	}
	if d, ok := RetryAfter(h, now); ok {
		return d, true
	}
	if h.Get("X-Ratelimit-Remaining") == "0" {
		if n, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-Ratelimit-Reset")), 10, 64); err == nil && n > 0 {
			// A second past the reset: GitHub's clock and ours differ.
			return max(time.Unix(n, 0).Sub(now)+time.Second, 0), true
		}
		return GitHubSecondaryWait, true
	}
	if status == http.StatusTooManyRequests || strings.Contains(strings.ToLower(string(body)), "rate limit") {
		return GitHubSecondaryWait, true
	}
	return 0, false
})

// GitLabReserve is how many requests of its window GitLab pacing keeps in
// reserve: Ocean's gitlab-v2 waits for the reset once no more are left than
// it runs at once (10).
const GitLabReserve = 10

// GitLab reads GitLab's answers: a 429 waits Retry-After, else until
// RateLimit-Reset (epoch seconds). It is also a Pacer: an answer with
// RateLimit-Remaining at or below GitLabReserve pauses every request until
// RateLimit-Reset, and a 429 pauses the others as long as it waits itself.
var GitLab RateLimit = gitlab{}

type gitlab struct{}

var gitlabReset = resetHeader("RateLimit-Reset")

func (gitlab) Limited(status int, h http.Header, _ []byte, now time.Time) (time.Duration, bool) {
	return limited429(status, h, now, RetryAfter, gitlabReset)
}

func (g gitlab) Pause(status int, h http.Header, now time.Time) time.Duration {
	if status == http.StatusTooManyRequests {
		d, _ := g.Limited(status, h, nil, now)
		return d
	}
	n, err := strconv.Atoi(strings.TrimSpace(h.Get("RateLimit-Remaining")))
	if err != nil || n > GitLabReserve {
		return 0
	}
	d, _ := gitlabReset(h, now)
	return d
}

// Pacer is implemented by a RateLimit whose API warns, on ordinary
// answers, that its quota is nearly spent. Pause is asked about every
// answer but a 5xx; a positive duration holds back every request of the
// client (those in flight finish) until it has passed, capped at
// Options.MaxWait.
type Pacer interface {
	Pause(status int, h http.Header, now time.Time) time.Duration
}

// JiraWindow is the pause after a Jira near-limit warning that names no
// reset time: Jira's windows are a second long when the answer does not
// say otherwise (Ocean assumes the same).
const JiraWindow = time.Second

// Jira reads Jira Cloud's answers: a 429 waits Retry-After, else until
// X-RateLimit-Reset (an ISO 8601 time). It is also a Pacer: an answer with
// X-RateLimit-NearLimit: true or X-RateLimit-Remaining of 1 or less pauses
// every request until X-RateLimit-Reset (else Retry-After, else
// JiraWindow), and a 429 pauses the others as long as it waits itself
// (Ocean's limiter does both).
var Jira RateLimit = jira{}

type jira struct{}

func (jira) Limited(status int, h http.Header, _ []byte, now time.Time) (time.Duration, bool) {
	return limited429(status, h, now, RetryAfter, jiraReset)
}

func (j jira) Pause(status int, h http.Header, now time.Time) time.Duration {
	if status == http.StatusTooManyRequests {
		d, _ := j.Limited(status, h, nil, now)
		return d
	}
	low := false
	if n, err := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Remaining"))); err == nil && n <= 1 {
		low = true
	}
	if !low && !JiraNearLimit(h) {
		return 0
	}
	if d, ok := jiraReset(h, now); ok && d > 0 {
		return d
	}
	if d, ok := RetryAfter(h, now); ok && d > 0 {
		return d
	}
	return JiraWindow
}

// jiraReset reads X-RateLimit-Reset, an ISO 8601 time.
func jiraReset(h http.Header, now time.Time) (time.Duration, bool) {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(h.Get("X-RateLimit-Reset")))
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// PagerDutyHighUse is the share of PagerDuty's per-window request budget
// past which every request waits for the window to reset (Ocean's
// PagerDuty limiter waits at the same share).
const PagerDutyHighUse = 0.9

// PagerDuty reads PagerDuty's answers: a 429 waits ratelimit-reset
// (seconds until the window resets), else Retry-After. It is also a
// Pacer: an answer showing PagerDutyHighUse or more of ratelimit-limit
// used (ratelimit-remaining) pauses every request for ratelimit-reset
// seconds, and a 429 pauses the others as long as it waits itself. A 429
// with daily-ratelimit-remaining 0 (the analytics API's daily budget) is
// Spent: no wait within the run would help, so it ends the request at
// once.
var PagerDuty RateLimit = pagerDuty{}

type pagerDuty struct{}

var pagerDutyReset = resetHeader("Ratelimit-Reset")

func (pagerDuty) Limited(status int, h http.Header, _ []byte, now time.Time) (time.Duration, bool) {
	if PagerDutyDailySpent(h) {
		return 0, false
	}
	return limited429(status, h, now, pagerDutyReset, RetryAfter)
}

func (p pagerDuty) Pause(status int, h http.Header, now time.Time) time.Duration {
	if status == http.StatusTooManyRequests {
		d, _ := p.Limited(status, h, nil, now)
		return d
	}
	limit, err1 := strconv.ParseFloat(strings.TrimSpace(h.Get("Ratelimit-Limit")), 64)
	remaining, err2 := strconv.ParseFloat(strings.TrimSpace(h.Get("Ratelimit-Remaining")), 64)
	if err1 != nil || err2 != nil || limit <= 0 || (limit-remaining)/limit < PagerDutyHighUse {
		return 0
	}
	d, _ := pagerDutyReset(h, now)
	return d
}

func (pagerDuty) Spent(status int, h http.Header) bool {
	return status == http.StatusTooManyRequests && PagerDutyDailySpent(h)
}

// PagerDutyDailySpent reports an answer saying the daily budget of
// PagerDuty's analytics API is spent (daily-ratelimit-remaining: 0).
func PagerDutyDailySpent(h http.Header) bool {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get("Daily-Ratelimit-Remaining")))
	return err == nil && n <= 0
}

// Spender is implemented by a RateLimit whose API can say that no wait
// within a run would help (a daily quota spent): such an answer ends the
// request at once, as a *StatusError, without a retry.
type Spender interface {
	Spent(status int, h http.Header) bool
}

// JiraNearLimit reports Jira's warning that the quota is nearly spent
// (X-RateLimit-NearLimit: true), for a caller that paces itself.
func JiraNearLimit(h http.Header) bool {
	return strings.EqualFold(strings.TrimSpace(h.Get("X-RateLimit-NearLimit")), "true")
}

// SuccessRateLimit is a RateLimit that is asked about 2xx answers too: a
// GraphQL API may report a rate limit as an error in a 200 answer's body.
// A 2xx answer it calls limited is waited out and retried like a 429.
type SuccessRateLimit interface {
	RateLimit
	// ReadsSuccess marks the adapter; it does nothing.
	ReadsSuccess()
}

// Linear reads Linear's GraphQL answers. A rate limit is a 429, or any
// answer but a 5xx (Linear sends 400, and a 200 must not pass for a page)
// whose GraphQL errors carry extensions.code RATELIMITED. The wait is
// Retry-After, else the reset of the spent budget: Linear meters requests
// (X-RateLimit-Requests-Remaining/-Reset) and query complexity
// (X-RateLimit-Complexity-Remaining/-Reset, a query costing X-Complexity),
// resets given in epoch milliseconds. With no budget spent it waits the
// earliest reset still ahead; with no reset at all it backs off.
var Linear SuccessRateLimit = linearRateLimit{}

type linearRateLimit struct{}

func (linearRateLimit) ReadsSuccess() {}

func (linearRateLimit) Limited(status int, h http.Header, body []byte, now time.Time) (time.Duration, bool) {
	if status >= 500 || (status != http.StatusTooManyRequests && !GraphQLErrorCode(body, "RATELIMITED")) {
		return 0, false
	}
	if d, ok := RetryAfter(h, now); ok {
		return d, true
	}
	cost, _ := strconv.ParseFloat(strings.TrimSpace(h.Get("X-Complexity")), 64)
	var spent, ahead []time.Duration
	for _, b := range []struct {
		name string
		need float64 // what the next attempt spends of the budget
	}{{"Requests", 1}, {"Complexity", max(cost, 1)}} {
		reset, ok := linearReset(h.Get("X-RateLimit-"+b.name+"-Reset"), now)
		if !ok {
			continue
		}
		ahead = append(ahead, reset)
		if left, err := strconv.ParseFloat(strings.TrimSpace(h.Get("X-RateLimit-"+b.name+"-Remaining")), 64); err == nil && left < b.need {
			spent = append(spent, reset)
		}
	}
	switch {
	case len(spent) > 0:
		return slices.Max(spent), true
	case len(ahead) > 0:
		return slices.Min(ahead), true
	}
	return -1, true
}

// linearReset reads a Linear reset header: epoch milliseconds (epoch
// seconds and seconds from now are read too).
func linearReset(v string, now time.Time) (time.Duration, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	if n > 1e11 {
		return max(time.UnixMilli(n).Sub(now), 0), true
	}
	return resetAt(v, now)
}

// GraphQLErrorCode reports whether body is a GraphQL answer with an error
// whose extensions.code is code.
func GraphQLErrorCode(body []byte, code string) bool {
	if !bytes.Contains(body, []byte(code)) {
		return false // most answers: no decoding
	}
	var ans struct {
		Errors []struct {
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &ans) != nil {
		return false
	}
	for _, e := range ans.Errors {
		if e.Extensions.Code == code {
			return true
		}
	}
	return false
}
