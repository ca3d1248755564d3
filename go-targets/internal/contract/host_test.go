package contract

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestNamesAddressesLiteralsAndPortsAreValidHostValues(t *testing.T) {
	for _, v := range []string{"x", "example.com:8080", "127.0.0.1", "[::1]:8080", "[v1.fe]", "a%20b", "", "x:"} {
		if !ValidHost(v) {
			t.Errorf("ValidHost(%q) = false, want true", v)
		}
	}
}

func TestUserinfoPathsSpacesBadPortsAndOpenBracketsAreNotValidHostValues(t *testing.T) {
	for _, v := range []string{"user@host", "host/path", "a, b", "x:http", "x:1:2", "[::1", "[::1]x", "a%2", "a b", "ho?st", "[]"} {
		if ValidHost(v) {
			t.Errorf("ValidHost(%q) = true, want false", v)
		}
	}
}

func TestTheGuardAnswersABadHostAndOptionsStarAndPassesTheRestOn(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	guard := Guard("gin", next)
	serve := func(method, target, host string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/", nil)
		r.RequestURI, r.Host = target, host
		w := httptest.NewRecorder()
		guard.ServeHTTP(w, r)
		return w
	}
	bad := serve("GET", "/plaintext", "x:http")
	if bad.Code != http.StatusBadRequest || bad.Header().Get("Server") != "gin" || bad.Header().Get("Connection") != "close" {
		t.Errorf("bad Host: got %d %v", bad.Code, bad.Header())
	}
	options := serve("OPTIONS", "*", "x")
	if options.Code != http.StatusOK || options.Header().Get("Allow") != Allow || options.Header().Get("Server") != "gin" {
		t.Errorf("OPTIONS *: got %d %v", options.Code, options.Header())
	}
	if passed := serve("GET", "/plaintext", "x:8080"); passed.Code != http.StatusTeapot {
		t.Errorf("a valid request did not reach the routes: %d", passed.Code)
	}
}
