package contract

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// liveDatabase opens the pool on STAMPEDE_TEST_DATABASE_URL (a cluster from `stampede db
// start`), or skips: these tests need a seeded PostgreSQL, which `go test` alone does not have.
func liveDatabase(t *testing.T) *Database {
	t.Helper()
	url := os.Getenv("STAMPEDE_TEST_DATABASE_URL")
	if url == "" {
		t.Skip("STAMPEDE_TEST_DATABASE_URL is not set (start a cluster with `stampede db start`)")
	}
	db, err := OpenDatabase(Config{DatabaseURL: url, DBPoolSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// worldCalls is how many times the World read has run, as pg_stat_statements counts it.
func worldCalls(t *testing.T, db *Database) int64 {
	t.Helper()
	var calls int64
	err := db.pool.QueryRow(context.Background(),
		"SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements WHERE query = $1", selectWorld).Scan(&calls)
	if err != nil {
		t.Fatal(err)
	}
	return calls
}

// tableHolds reports whether every answered row is the row World holds now.
func tableHolds(t *testing.T, db *Database, worlds []World) bool {
	t.Helper()
	for _, w := range worlds {
		var n int32
		if err := db.pool.QueryRow(context.Background(), "SELECT randomnumber FROM world WHERE id = $1", w.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != w.RandomNumber {
			return false
		}
	}
	return true
}

func TestEveryRowOfQueriesAndUpdatesIsReadByAQueryOfItsOwnAndAnsweredAsTheTableHoldsIt(t *testing.T) {
	db := liveDatabase(t)
	cases := []struct {
		path string
		rows int
		read func(*Database, *http.Request) Reply
	}{
		{"/db", 1, (*Database).Single},
		{"/queries?queries=foo", 1, (*Database).Queries},
		{"/queries?queries=501", 500, (*Database).Queries},
		{"/updates?queries=0", 1, (*Database).Updates},
		{"/updates?queries=20", 20, (*Database).Updates},
	}
	for _, c := range cases {
		before := worldCalls(t, db)
		reply := c.read(db, httptest.NewRequest(http.MethodGet, c.path, nil))
		calls := worldCalls(t, db) - before
		if reply.Status != http.StatusOK || reply.ContentType != AppJSON {
			t.Fatalf("%s: got %d %s %s", c.path, reply.Status, reply.ContentType, reply.Body)
		}
		var worlds []World
		if c.path == "/db" {
			worlds = make([]World, 1)
			err := json.Unmarshal(reply.Body, &worlds[0])
			if err != nil {
				t.Fatal(err)
			}
		} else if err := json.Unmarshal(reply.Body, &worlds); err != nil {
			t.Fatal(err)
		}
		if len(worlds) != c.rows || calls != int64(c.rows) {
			t.Errorf("%s: %d rows from %d reads, want %d of each", c.path, len(worlds), calls, c.rows)
		}
		if !tableHolds(t, db, worlds) {
			t.Errorf("%s: the answer differs from the table: %s", c.path, reply.Body)
		}
	}
}

func TestUpdatesChangeTheRowsTheyAnswer(t *testing.T) {
	db := liveDatabase(t)
	rows, err := db.pool.Query(context.Background(), "SELECT id, randomnumber FROM world")
	if err != nil {
		t.Fatal(err)
	}
	table, err := pgx.CollectRows(rows, pgx.RowToStructByPos[World])
	if err != nil {
		t.Fatal(err)
	}
	before := make(map[int32]int32, len(table))
	for _, w := range table {
		before[w.ID] = w.RandomNumber
	}
	reply := db.Updates(httptest.NewRequest(http.MethodGet, "/updates?queries=500", nil))
	var answered []World
	if err := json.Unmarshal(reply.Body, &answered); err != nil || len(answered) != 500 {
		t.Fatalf("%d %s: %v", reply.Status, reply.Body, err)
	}
	if !tableHolds(t, db, answered) {
		t.Errorf("the answer differs from the table")
	}
	// TechEmpower's verifier wants at least 90% of the rows changed; a new number equals the
	// old one once in 10,000.
	changed := map[int32]bool{}
	for _, w := range answered {
		changed[w.ID] = before[w.ID] != w.RandomNumber
	}
	unchanged := 0
	for _, c := range changed {
		if !c {
			unchanged++
		}
	}
	if unchanged > len(changed)/10 {
		t.Errorf("%d of %d rows kept their number", unchanged, len(changed))
	}
}

func TestTheFortunesPageHoldsEveryRowAndTheAddedOne(t *testing.T) {
	db := liveDatabase(t)
	reply := db.Fortunes(httptest.NewRequest(http.MethodGet, "/fortunes", nil))
	page := string(reply.Body)
	if reply.Status != http.StatusOK || reply.ContentType != "text/html; charset=utf-8" {
		t.Fatalf("got %d %s %s", reply.Status, reply.ContentType, page)
	}
	if rows := strings.Count(page, "<tr><td>"); rows != 13 {
		t.Errorf("%d fortunes, want the 12 rows and the added one:\n%s", rows, page)
	}
	if !strings.Contains(page, "<tr><td>0</td><td>Additional fortune added at request time.</td></tr>") {
		t.Errorf("no added fortune:\n%s", page)
	}
}
