package contract

import (
	"net/http"
	"strings"
)

// Allow lists the methods some route answers: the Allow header of OPTIONS *.
const Allow = "GET, HEAD, POST"

// ValidHost reports whether v, one Host field value, is uri-host [ ":" port ] (RFC 9110
// section 7.2): an IP-literal in brackets or a reg-name (unreserved, sub-delims and
// pct-encoded characters of RFC 3986 section 3.2.2; an IPv4 address is one), then an optional
// port of digits. An empty value is valid. The same rule as servers/contract/src/host.rs and
// node-targets/host.js.
func ValidHost(v string) bool {
	if strings.HasPrefix(v, "[") {
		end := strings.IndexByte(v, ']')
		if end < 0 || end == 1 || !allIn(v[1:end], true) {
			return false
		}
		rest := v[end+1:]
		if rest == "" {
			return true
		}
		return rest[0] == ':' && digits(rest[1:])
	}
	host, port, hasPort := strings.Cut(v, ":")
	if hasPort && !digits(port) {
		return false
	}
	return allIn(host, false)
}

// allIn reports whether s is made of unreserved and sub-delims characters and pct-encoded
// octets; with literal, of those and ':' (an IP-literal's inside), without pct-encoding.
func allIn(s string, literal bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~!$&'()*+,;=", c) >= 0:
		case literal && c == ':':
		case !literal && c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			i += 2
		default:
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Guard answers, before any route, what net/http leaves to handlers: an HTTP/1.1 Host value
// that passes net/http's byte check but is not uri-host [ ":" port ] (`x:http`, `[::1`) gets
// 400 (RFC 9112 section 3.2), and OPTIONS * gets 200 with Allow (RFC 9110 section 9.3.7;
// net/http's own answer is turned off in Run, as it carries no Server header). A missing or
// doubled Host, and values with bytes no Host may hold, net/http answers itself while parsing.
func Guard(name string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoAtLeast(1, 1) && !ValidHost(r.Host) {
			w.Header().Set("Server", name)
			Reply{Status: http.StatusBadRequest, ContentType: TextPlain, Body: []byte("invalid Host"), Close: true}.WriteTo(w)
			return
		}
		if r.Method == http.MethodOptions && r.RequestURI == "*" {
			w.Header().Set("Server", name)
			w.Header().Set("Allow", Allow)
			Text(http.StatusOK, "").WriteTo(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}
