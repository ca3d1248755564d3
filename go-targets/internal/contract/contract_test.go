package contract

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestChainedHashMatchesTheSpecVectors(t *testing.T) {
	// From spec/vectors.json (computed by Python's hashlib).
	cases := []struct {
		body   string
		rounds int
		want   string
	}{
		{"", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", 2, "4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358"},
		{"stampede", 1000, "057cd804964c80fdedef0b80484c7138a3ff7e8fccd18d51bb0fd518dc1ec63f"},
	}
	for _, c := range cases {
		if got := ChainedSHA256Hex([]byte(c.body), c.rounds); got != c.want {
			t.Errorf("%q x%d: got %s, want %s", c.body, c.rounds, got, c.want)
		}
	}
}

func TestRoundsAboveOneMillionAndSignedOrEmptyValuesAreRejected(t *testing.T) {
	for _, bad := range []string{"", "0", "-1", "+5", "1000001", "ten", "99999999999999999999999"} {
		if _, err := ParseBounded(bad, 1, MaxRounds); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
	if n, err := ParseBounded("1000000", 1, MaxRounds); err != nil || n != MaxRounds {
		t.Errorf("the upper bound was refused: %v", err)
	}
}

func TestOrdersAreTotalledExactlyAtTheEdgesOfTheirTypes(t *testing.T) {
	got, err := SummariseOrder([]byte(`{"id":18446744073709551615,"items":[{"sku":"Z","qty":4294967295,"price_cents":1000000}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := OrderSummary{ID: 18446744073709551615, ItemCount: 1, TotalCents: 4294967295000000}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestMistypedMissingAndOverflowingOrdersAreBad(t *testing.T) {
	for _, body := range []string{
		``, `hello`, `{"id":1}`, `{"items":[]}`, `{"id":"1","items":[]}`, `{"id":1,"items":{}}`,
		`{"id":1,"items":[{"sku":"A","qty":-1,"price_cents":1}]}`,
		`{"id":1,"items":[{"sku":"A","qty":1,"price_cents":1.5}]}`,
		`{"id":1,"items":[{"qty":1,"price_cents":1}]}`,
		`{"id":1,"items":[{"sku":"A","qty":4294967295,"price_cents":18446744073709551615}]}`,
	} {
		if _, err := SummariseOrder([]byte(body)); !errors.Is(err, ErrBadOrder) {
			t.Errorf("%s: got %v, want a bad order", body, err)
		}
	}
}

func TestTheDocumentEqualsSpecJSONDoc(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "spec", "json-doc.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	encoded, _ := json.Marshal(NewDoc())
	if err := json.Unmarshal(encoded, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("document differs:\n got %s", encoded)
	}
}

func TestThePoolAnswersLikeTheInlineHash(t *testing.T) {
	pool := NewPool(2)
	got, err := pool.Hash([]byte("abc"), 2)
	if want := ChainedSHA256Hex([]byte("abc"), 2); err != nil || got != want {
		t.Errorf("got %s (%v), want %s", got, err, want)
	}
}

func TestThePoolRefusesAJobWhenItsQueueIsFull(t *testing.T) {
	// No workers run, so every job waits: QueueLimit fit, the next one is refused.
	p := &Pool{jobs: make(chan job, QueueLimit)}
	for i := 0; i < QueueLimit; i++ {
		p.jobs <- job{}
	}
	if _, err := p.Hash(nil, 1); !errors.Is(err, ErrQueueFull) {
		t.Errorf("got %v, want ErrQueueFull", err)
	}
}
