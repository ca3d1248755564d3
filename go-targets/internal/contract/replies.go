package contract

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
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
	w.WriteHeader(r.Status)
	_, _ = w.Write(r.Body)
}

// ReadBody reads at most BodyLimit bytes; a larger body gets the 413 reply, at once when its
// Content-Length already says so (no waiting for bytes a client may never send).
func ReadBody(w http.ResponseWriter, r *http.Request) ([]byte, *Reply) {
	if r.ContentLength > BodyLimit {
		reply := Text(http.StatusRequestEntityTooLarge, "body over 64 KiB")
		return nil, &reply
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, BodyLimit))
	if err == nil {
		return body, nil
	}
	var tooLarge *http.MaxBytesError
	reply := Text(http.StatusBadRequest, "cannot read the body")
	if errors.As(err, &tooLarge) {
		reply = Text(http.StatusRequestEntityTooLarge, "body over 64 KiB")
	}
	return nil, &reply
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
func Hash(w http.ResponseWriter, r *http.Request, pool *Pool) Reply {
	rounds, bad := Rounds(r)
	if bad != nil {
		return *bad
	}
	body, bad := ReadBody(w, r)
	if bad != nil {
		return *bad
	}
	if pool == nil {
		return Text(http.StatusOK, ChainedSHA256Hex(body, rounds))
	}
	return Text(http.StatusOK, pool.Hash(body, rounds))
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
