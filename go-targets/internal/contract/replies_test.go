package contract

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// countingReader counts the bytes the handler took from the body.
type countingReader struct {
	r    io.Reader
	read int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

func post(body io.Reader, length int64, expect string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hash?rounds=1", body)
	r.ContentLength = length
	if expect != "" {
		r.Header.Set("Expect", expect)
	}
	return r
}

func TestABodyAtTheLimitIsReadWhole(t *testing.T) {
	body, bad := ReadBody(post(strings.NewReader(strings.Repeat("a", BodyLimit)), BodyLimit, ""))
	if bad != nil || len(body) != BodyLimit {
		t.Fatalf("got %d bytes, reply %+v", len(body), bad)
	}
}

func TestAnOversizedBodyIsDrainedThenAnsweredOnAnOpenConnection(t *testing.T) {
	src := &countingReader{r: strings.NewReader(strings.Repeat("a", DrainLimit))}
	_, bad := ReadBody(post(src, -1, ""))
	if bad == nil || bad.Status != http.StatusRequestEntityTooLarge || bad.Close {
		t.Fatalf("got %+v, want a 413 that keeps the connection", bad)
	}
	if src.read != DrainLimit {
		t.Errorf("read %d bytes of the body, want all %d", src.read, DrainLimit)
	}
}

func TestABodyBeyondTheDrainLimitIsAnsweredAndTheConnectionClosed(t *testing.T) {
	src := &countingReader{r: strings.NewReader(strings.Repeat("a", DrainLimit+10))}
	_, bad := ReadBody(post(src, -1, ""))
	if bad == nil || bad.Status != http.StatusRequestEntityTooLarge || !bad.Close {
		t.Fatalf("got %+v, want a 413 that closes", bad)
	}
	if src.read > DrainLimit+1 {
		t.Errorf("read %d bytes, more than the drain limit", src.read)
	}
}

func TestAHugeAnnouncedBodyOrOneAwaitingContinueIsAnsweredWithoutReading(t *testing.T) {
	for _, c := range []struct {
		length int64
		expect string
	}{{DrainLimit + 1, ""}, {BodyLimit + 1, "100-continue"}} {
		src := &countingReader{r: strings.NewReader("x")}
		_, bad := ReadBody(post(src, c.length, c.expect))
		if bad == nil || bad.Status != http.StatusRequestEntityTooLarge || !bad.Close {
			t.Errorf("%+v: got %+v, want a 413 that closes", c, bad)
		}
		if src.read != 0 {
			t.Errorf("%+v: read %d bytes of a body that should stay unread", c, src.read)
		}
	}
}
