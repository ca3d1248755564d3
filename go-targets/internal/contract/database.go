package contract

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The statements of TechEmpower's database tests (spec/CONTRACT.md, "Database endpoints").
// pgx prepares each once per connection (its default statement cache).
const (
	selectWorld   = "SELECT id, randomnumber FROM world WHERE id = $1"
	selectFortune = "SELECT id, message FROM fortune"
	// One UPDATE for all the rows of a request, their ids sorted so that two concurrent
	// batches lock rows in the same order and cannot deadlock.
	updateWorlds = "UPDATE world SET randomnumber = v.r " +
		"FROM (SELECT unnest($1::int[]) AS id, unnest($2::int[]) AS r) AS v WHERE world.id = v.id"
)

// WorldRows is how many rows World holds; ids and random numbers are both in 1..=WorldRows.
const WorldRows = 10_000

// World is one row of the World table, as /db, /queries and /updates answer it.
type World struct {
	ID           int32 `json:"id"`
	RandomNumber int32 `json:"randomNumber"`
}

// poolCloseWait bounds how long shutdown waits for requests to hand their connections back,
// so that the server still exits within the contract's 2 s of SIGTERM.
const poolCloseWait = 500 * time.Millisecond

// Database is the pool the four database routes share, or the answer they give without one.
type Database struct {
	pool *pgxpool.Pool
	// unavailable answers every database route when there is no pool: 503 when DATABASE_URL
	// is unset, 500 when it cannot be used.
	unavailable Reply
}

// OpenDatabase makes the pool of c.DBPoolSize connections to c.DatabaseURL. It connects
// lazily, so no connection is opened here: a database that is down fails the requests (500),
// not the start. An unset URL is no error (the routes answer 503); a URL that cannot be parsed
// is returned as the error, for stderr, and the routes answer 500 with it.
func OpenDatabase(c Config) (*Database, error) {
	if c.DatabaseURL == "" {
		return &Database{unavailable: Text(http.StatusServiceUnavailable, "DATABASE_URL is not set")}, nil
	}
	cfg, err := pgxpool.ParseConfig(c.DatabaseURL)
	if err == nil {
		cfg.MaxConns = int32(c.DBPoolSize)
		var pool *pgxpool.Pool
		if pool, err = pgxpool.NewWithConfig(context.Background(), cfg); err == nil {
			return &Database{pool: pool}, nil
		}
	}
	err = fmt.Errorf("DATABASE_URL cannot be used, the database routes will answer 500: %w", err)
	return &Database{unavailable: Text(http.StatusInternalServerError, err.Error())}, err
}

// Close closes the pool's connections, waiting at most poolCloseWait for requests still
// holding one.
func (d *Database) Close() {
	if d.pool == nil {
		return
	}
	closed := make(chan struct{})
	go func() {
		d.pool.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(poolCloseWait):
	}
}

// failed is the 500 of a database route whose query failed.
func failed(err error) Reply {
	return Text(http.StatusInternalServerError, "database: "+err.Error())
}

// randomWorldNumber is an id, or a random number, in 1..=WorldRows.
func randomWorldNumber() int32 {
	return rand.Int32N(WorldRows) + 1
}

// QueriesParam is the number of rows /queries and /updates answer, clamped as TechEmpower
// does (not a 400): missing, empty, not a whole number or below 1 -> 1; above 500 -> 500. A
// whole number is ASCII digits only, as the environment's values are (a negative one is below
// 1 either way); one too long to parse is above 500.
func QueriesParam(raw string) int {
	const most = 500
	if raw == "" || strings.Trim(raw, "0123456789") != "" {
		return 1
	}
	digits := strings.TrimLeft(raw, "0")
	switch {
	case digits == "":
		return 1
	case len(digits) > 3:
		return most
	}
	n := 0
	for _, b := range []byte(digits) {
		n = n*10 + int(b-'0')
	}
	return min(n, most)
}

// acquire takes a connection for one request, waiting for a free one until the client goes
// away. The queries then run on the returned context, without the request's cancellation: a
// client leaving mid-query would make pgx cut the connection (it sets a past deadline on the
// socket) and the pool open a new one, as at the end of every load test. The caller releases
// the connection.
func (d *Database) acquire(r *http.Request) (context.Context, *pgxpool.Conn, error) {
	conn, err := d.pool.Acquire(r.Context())
	if err != nil {
		return nil, nil, err
	}
	return context.WithoutCancel(r.Context()), conn, nil
}

// readWorlds reads n random rows, one statement execution per row. The n statements go out
// as one pgx batch (pipelined on the connection), so each row is still its own query.
func readWorlds(ctx context.Context, conn *pgxpool.Conn, n int) ([]World, error) {
	worlds := make([]World, n)
	batch := &pgx.Batch{}
	for i := range worlds {
		batch.Queue(selectWorld, randomWorldNumber()).QueryRow(func(row pgx.Row) error {
			return row.Scan(&worlds[i].ID, &worlds[i].RandomNumber)
		})
	}
	if err := conn.SendBatch(ctx, batch).Close(); err != nil {
		return nil, err
	}
	return worlds, nil
}

// Single answers /db: one random row, one query.
func (d *Database) Single(r *http.Request) Reply {
	if d.pool == nil {
		return d.unavailable
	}
	ctx, conn, err := d.acquire(r)
	if err != nil {
		return failed(err)
	}
	defer conn.Release()
	var w World
	if err := conn.QueryRow(ctx, selectWorld, randomWorldNumber()).Scan(&w.ID, &w.RandomNumber); err != nil {
		return failed(err)
	}
	return JSON(w)
}

// Queries answers /queries?queries=N: N random rows, one query each.
func (d *Database) Queries(r *http.Request) Reply {
	if d.pool == nil {
		return d.unavailable
	}
	ctx, conn, err := d.acquire(r)
	if err != nil {
		return failed(err)
	}
	defer conn.Release()
	worlds, err := readWorlds(ctx, conn, QueriesParam(r.URL.Query().Get("queries")))
	if err != nil {
		return failed(err)
	}
	return JSON(worlds)
}

// Updates answers /updates?queries=N: N random rows read one query each, each given a new
// random number, all written by one UPDATE before the answer, on one connection.
func (d *Database) Updates(r *http.Request) Reply {
	if d.pool == nil {
		return d.unavailable
	}
	ctx, conn, err := d.acquire(r)
	if err != nil {
		return failed(err)
	}
	defer conn.Release()
	worlds, err := readWorlds(ctx, conn, QueriesParam(r.URL.Query().Get("queries")))
	if err != nil {
		return failed(err)
	}
	for i := range worlds {
		worlds[i].RandomNumber = randomWorldNumber()
	}
	ids, numbers := updateBatch(worlds)
	if _, err := conn.Exec(ctx, updateWorlds, ids, numbers); err != nil {
		return failed(err)
	}
	return JSON(worlds)
}

// updateBatch gives the ids and new numbers of one UPDATE: each id once, sorted (the lock
// order), with the last number drawn for it. A repeated id's earlier rows in `worlds` are
// given that number too, so the answer says what the table now holds.
func updateBatch(worlds []World) (ids, numbers []int32) {
	last := make(map[int32]int32, len(worlds))
	for _, w := range worlds {
		last[w.ID] = w.RandomNumber
	}
	ids = make([]int32, 0, len(last))
	for id := range last {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	numbers = make([]int32, len(ids))
	for i, id := range ids {
		numbers[i] = last[id]
	}
	for i := range worlds {
		worlds[i].RandomNumber = last[worlds[i].ID]
	}
	return ids, numbers
}

// Fortunes answers /fortunes: every row of Fortune plus one added at request time, sorted by
// message and rendered through the HTML template.
func (d *Database) Fortunes(r *http.Request) Reply {
	if d.pool == nil {
		return d.unavailable
	}
	ctx, conn, err := d.acquire(r)
	if err != nil {
		return failed(err)
	}
	defer conn.Release()
	rows, err := conn.Query(ctx, selectFortune)
	if err != nil {
		return failed(err)
	}
	fortunes, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Fortune])
	if err != nil {
		return failed(err)
	}
	page, err := FortunesPage(fortunes)
	if err != nil {
		return Text(http.StatusInternalServerError, "cannot render the page: "+err.Error())
	}
	return Reply{Status: http.StatusOK, ContentType: TextHTML, Body: page}
}
