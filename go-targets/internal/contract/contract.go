// Package contract holds everything the Go targets share: the environment, the ~1 KB
// document, order parsing, chained SHA-256, query parameters, the offload pool and the HTTP
// server lifecycle. See spec/CONTRACT.md at the repository root.
package contract

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
)

// BodyLimit is the largest request body accepted; larger bodies get 413.
const BodyLimit = 64 * 1024

// DrainLimit is how much of an oversized body is read and discarded before its 413.
const DrainLimit = 1 << 20

// MaxRounds and MaxSleepMs bound the query parameters.
const (
	MaxRounds  = 1_000_000
	MaxSleepMs = 10_000
)

// Message is the /json answer, built and serialised per request.
type Message struct {
	Message string `json:"message"`
}

// DocOwner, DocItem, DocMeta and Doc are the /json/doc document (spec/json-doc.json).
type DocOwner struct {
	ID        uint64 `json:"id"`
	Login     string `json:"login"`
	Email     string `json:"email"`
	Verified  bool   `json:"verified"`
	Followers uint64 `json:"followers"`
}

// DocItem is one entry of Doc.Items.
type DocItem struct {
	SKU        string `json:"sku"`
	Title      string `json:"title"`
	Qty        uint32 `json:"qty"`
	PriceCents uint64 `json:"price_cents"`
	InStock    bool   `json:"in_stock"`
}

// DocMeta is Doc.Meta.
type DocMeta struct {
	Version uint32  `json:"version"`
	Created string  `json:"created"`
	Ratio   float64 `json:"ratio"`
	Region  string  `json:"region"`
	Note    string  `json:"note"`
}

// Doc is the ~1 KB document.
type Doc struct {
	ID     uint64    `json:"id"`
	Name   string    `json:"name"`
	Active bool      `json:"active"`
	Score  float64   `json:"score"`
	Tags   []string  `json:"tags"`
	Owner  DocOwner  `json:"owner"`
	Items  []DocItem `json:"items"`
	Meta   DocMeta   `json:"meta"`
}

// NewDoc builds the document afresh (no cached value or bytes).
func NewDoc() Doc {
	return Doc{
		ID:     1001,
		Name:   "stampede reference document",
		Active: true,
		Score:  98.5,
		Tags:   []string{"rust", "go", "node", "http", "json", "benchmark"},
		Owner:  DocOwner{ID: 42, Login: "octocat", Email: "octocat@example.com", Verified: true, Followers: 1024},
		Items: []DocItem{
			{"A-100", "Widget", 2, 1999, true},
			{"B-220", "Gadget", 1, 4550, false},
			{"C-310", "Sprocket", 12, 125, true},
			{"D-404", "Flange", 3, 899, true},
			{"E-505", "Gizmo", 7, 2500, false},
			{"F-606", "Doohickey", 5, 75, true},
			{"G-707", "Thingamajig", 4, 3200, true},
			{"H-808", "Whatsit", 9, 640, false},
		},
		Meta: DocMeta{Version: 3, Created: "2026-01-01T00:00:00Z", Ratio: 0.25, Region: "eu-west", Note: "built and serialised per request"},
	}
}

// orderItem and order use pointers so that a missing field is told apart from a zero.
type orderItem struct {
	SKU        *string `json:"sku"`
	Qty        *uint32 `json:"qty"`
	PriceCents *uint64 `json:"price_cents"`
}

type order struct {
	ID    *uint64      `json:"id"`
	Items *[]orderItem `json:"items"`
}

// OrderSummary is the /json/order answer.
type OrderSummary struct {
	ID         uint64 `json:"id"`
	ItemCount  int    `json:"item_count"`
	TotalCents uint64 `json:"total_cents"`
}

// ErrBadOrder marks any order the contract answers with 400.
var ErrBadOrder = errors.New("bad order")

// SummariseOrder parses an order body strictly and totals it.
func SummariseOrder(body []byte) (OrderSummary, error) {
	var o order
	if err := json.Unmarshal(body, &o); err != nil {
		return OrderSummary{}, fmt.Errorf("%w: %v", ErrBadOrder, err)
	}
	if o.ID == nil || o.Items == nil {
		return OrderSummary{}, fmt.Errorf("%w: id and items are required", ErrBadOrder)
	}
	var total uint64
	for i, item := range *o.Items {
		if item.SKU == nil || item.Qty == nil || item.PriceCents == nil {
			return OrderSummary{}, fmt.Errorf("%w: item %d needs sku, qty and price_cents", ErrBadOrder, i)
		}
		hi, line := bits.Mul64(uint64(*item.Qty), *item.PriceCents)
		sum, carry := bits.Add64(total, line, 0)
		if hi != 0 || carry != 0 {
			return OrderSummary{}, fmt.Errorf("%w: total overflows 64 bits", ErrBadOrder)
		}
		total = sum
	}
	return OrderSummary{ID: *o.ID, ItemCount: len(*o.Items), TotalCents: total}, nil
}

// ChainedSHA256Hex returns the lowercase hex of h(rounds), where h1 = SHA-256(body) and
// h(k+1) = SHA-256 of the 32 raw bytes of h(k).
func ChainedSHA256Hex(body []byte, rounds int) string {
	sum := sha256.Sum256(body)
	for i := 1; i < rounds; i++ {
		sum = sha256.Sum256(sum[:])
	}
	return hex.EncodeToString(sum[:])
}

// ParseBounded parses a query value of plain digits within [lo, hi]; anything else (missing,
// signed, non-numeric, out of range) is an error.
func ParseBounded(value string, lo, hi uint64) (uint64, error) {
	n, err := strconv.ParseUint(value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("not a whole number: %q", value)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is outside %d..%d", n, lo, hi)
	}
	return n, nil
}
