package contract

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Content types of the contract's answers.
const (
	TextPlain = "text/plain; charset=utf-8"
	AppJSON   = "application/json"
)

// Reply is a complete answer, independent of the router that sends it.
type Reply struct {
	Status      int
	ContentType string
	Body        []byte
	// Close asks net/http to close the connection after this answer.
	Close bool
}

// Text is a text/plain reply.
func Text(status int, body string) Reply {
	return Reply{Status: status, ContentType: TextPlain, Body: []byte(body)}
}

// JSON serialises v with encoding/json for this request.
func JSON(v any) Reply {
	body, err := json.Marshal(v)
	if err != nil {
		return Text(http.StatusInternalServerError, "cannot serialise")
	}
	return Reply{Status: http.StatusOK, ContentType: AppJSON, Body: body}
}

// WriteTo sends the reply with an explicit Content-Length.
func (r Reply) WriteTo(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", r.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(r.Body)))
	if r.Close {
		h.Set("Connection", "close")
	}
	w.WriteHeader(r.Status)
	_, _ = w.Write(r.Body)
}

// ReadBody reads a body of at most BodyLimit bytes. A larger one gets 413, and the client must
// be able to read it (spec/CONTRACT.md, "Errors"): the rest of the body, up to DrainLimit bytes
// in all, is read and discarded first, so the connection is not reset under a client that is
// still sending. A body announced larger than DrainLimit, or announced too large by a client
// waiting for `100 Continue`, is answered at once and the connection closed; net/http then
// half-closes and waits before closing (its lingering close), or the client has sent nothing.
func ReadBody(r *http.Request) ([]byte, *Reply) {
	tooLarge := Text(http.StatusRequestEntityTooLarge, "body over 64 KiB")
	if r.ContentLength > DrainLimit || (r.ContentLength > BodyLimit && expectsContinue(r)) {
		tooLarge.Close = true
		return nil, &tooLarge
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, BodyLimit+1))
	if err != nil {
		reply := Text(http.StatusBadRequest, "cannot read the body")
		return nil, &reply
	}
	if len(body) <= BodyLimit {
		return body, nil
	}
	rest := DrainLimit - int64(len(body))
	if n, err := io.CopyN(io.Discard, r.Body, rest+1); n > rest || (err != nil && !errors.Is(err, io.EOF)) {
		tooLarge.Close = true
	}
	return nil, &tooLarge
}

func expectsContinue(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Expect"), "100-continue")
}

// Order answers /json/order.
func Order(body []byte) Reply {
	summary, err := SummariseOrder(body)
	if err != nil {
		return Text(http.StatusBadRequest, err.Error())
	}
	return JSON(summary)
}

// Rounds parses the `rounds` parameter; the error is the 400 reply.
func Rounds(r *http.Request) (int, *Reply) {
	n, err := ParseBounded(r.URL.Query().Get("rounds"), 1, MaxRounds)
	if err != nil {
		reply := Text(http.StatusBadRequest, "rounds: "+err.Error())
		return 0, &reply
	}
	return int(n), nil
}

// Hash answers /hash (pool == nil: inline on this goroutine) and /hash/offload.
func Hash(r *http.Request, pool *Pool) Reply {
	rounds, bad := Rounds(r)
	if bad != nil {
		return *bad
	}
	body, bad := ReadBody(r)
	if bad != nil {
		return *bad
	}
	if pool == nil {
		return Text(http.StatusOK, ChainedSHA256Hex(body, rounds))
	}
	hex, err := pool.Hash(body, rounds)
	if err != nil {
		return Text(http.StatusServiceUnavailable, err.Error())
	}
	return Text(http.StatusOK, hex)
}

// Sleep answers /sleep?ms=N after a timer (no thread is held while waiting).
func Sleep(ctx context.Context, r *http.Request) Reply {
	ms, err := ParseBounded(r.URL.Query().Get("ms"), 0, MaxSleepMs)
	if err != nil {
		return Text(http.StatusBadRequest, "ms: "+err.Error())
	}
	timer := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer timer.Stop()
	select {
	case <-timer.C:
		return Text(http.StatusOK, "ok")
	case <-ctx.Done():
		return Text(http.StatusServiceUnavailable, "client went away")
	}
}
