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

// dateTimePattern is JSON Schema's "date-time" as ajv-formats checks it: a
// date, T (or t, or a space), a time with optional fraction, and a zone: Z
// or an offset whose colon is optional. Jira, for one, writes offsets as
// +0000, and Ocean's Jira mapping puts them in date-time properties.
var dateTimePattern = regexp.MustCompile(`(?i)^(\d{4}-\d{2}-\d{2})[t ](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(z|[+-]\d{2}(?::?\d{2})?)$`)

// validDateTime reports whether s is a date-time (dateTimePattern, with
// the date and time in range).
func validDateTime(s string) bool {
	m := dateTimePattern.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	zone := strings.ToUpper(m[3])
	switch {
	case zone == "Z":
	case len(zone) == 3: // ±hh
		zone += ":00"
	case len(zone) == 5: // ±hhmm
		zone = zone[:3] + ":" + zone[3:]
	}
	_, err := time.Parse(time.RFC3339Nano, m[1]+"T"+m[2]+zone)
	return err == nil
}

// checkFormat returns why s breaks format f ("" when it does not). Only the
// formats with a definite shape are checked: date-time and timer (an
// RFC 3339 instant), email and idn-email, url, ipv4, ipv6. Markdown, yaml,
// proto, user, team, blueprints and labeled-url take any string.
func checkFormat(f, s string) string {
	switch f {
	case "date-time", "timer":
		if !validDateTime(s) {
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
		if plainURL(s) {
			return ""
		}
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

// plainURL reports whether s is an absolute URL of the plainest shape,
// scheme://host[:port][/path] with only letters, digits and . - _ ~ / in
// host and path, which url.Parse accepts with a scheme and a host (checked
// against it in the tests). Most url properties have that shape; url.Parse
// decides the others, and allocates for each.
func plainURL(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !(asciiLetter(c) || i > 0 && (asciiDigit(c) || c == '+' || c == '-' || c == '.')) {
			break
		}
	}
	if i == 0 || !strings.HasPrefix(s[i:], "://") {
		return false
	}
	i += len("://")
	host := i
	for ; i < len(s) && (asciiLetter(s[i]) || asciiDigit(s[i]) || s[i] == '.' || s[i] == '-'); i++ {
	}
	if i == host {
		return false
	}
	if i < len(s) && s[i] == ':' {
		i++
		port := i
		for ; i < len(s) && asciiDigit(s[i]); i++ {
		}
		if i == port {
			return false
		}
	}
	if i < len(s) && s[i] != '/' {
		return false
	}
	for ; i < len(s); i++ {
		if c := s[i]; !(asciiLetter(c) || asciiDigit(c) || c == '.' || c == '-' || c == '_' || c == '~' || c == '/') {
			return false
		}
	}
	return true
}

func asciiLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func asciiDigit(c byte) bool  { return '0' <= c && c <= '9' }
