package catalog

import (
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// emailPattern is JSON Schema's "email" format as the widely used ajv-formats
// checks it: a dot-atom local part, then a domain of dot-separated labels.
var emailPattern = regexp.MustCompile("(?i)^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*" +
	`@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`)

// checkFormat returns why s breaks format f ("" when it does not). Only the
// formats with a definite shape are checked: date-time and timer (an
// RFC 3339 instant), email and idn-email, url, ipv4, ipv6. Markdown, yaml,
// proto, user, team, blueprints and labeled-url take any string.
func checkFormat(f, s string) string {
	switch f {
	case "date-time", "timer":
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return "an RFC 3339 date-time such as 2024-06-09T09:57:52.931Z"
		}
	case "email":
		if !emailPattern.MatchString(s) {
			return "an email address"
		}
	case "idn-email":
		// Internationalised: any characters, one @, no spaces.
		local, domain, ok := strings.Cut(s, "@")
		if !ok || local == "" || domain == "" || strings.ContainsAny(s, " \t\r\n") || strings.Contains(domain, "@") {
			return "an email address"
		}
	case "url":
		u, err := url.Parse(s)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return "an absolute URL such as https://example.com/path"
		}
	case "ipv4":
		if a, err := netip.ParseAddr(s); err != nil || !a.Is4() {
			return "an IPv4 address"
		}
	case "ipv6":
		if a, err := netip.ParseAddr(s); err != nil || !a.Is6() || a.Zone() != "" {
			return "an IPv6 address"
		}
	}
	return ""
}
