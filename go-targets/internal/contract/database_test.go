package contract

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func TestQueriesIsClampedToOneThroughFiveHundredAsTechEmpowerDoes(t *testing.T) {
	cases := []struct {
		raw  string
		want int
	}{
		{"", 1}, {"foo", 1}, {"0", 1}, {"-5", 1}, {"1.5", 1}, {"+5", 1}, {" 5", 1}, {"0x10", 1},
		{"1", 1}, {"007", 7}, {"20", 20}, {"500", 500}, {"501", 500}, {"99999999999999999999999", 500},
	}
	for _, c := range cases {
		if got := QueriesParam(c.raw); got != c.want {
			t.Errorf("queries=%q: got %d, want %d", c.raw, got, c.want)
		}
	}
}

func TestOneUpdateHoldsEachIdOnceSortedWithTheLastNumberDrawnForIt(t *testing.T) {
	worlds := []World{{7, 70}, {3, 30}, {7, 71}, {5, 50}}
	ids, numbers := updateBatch(worlds)
	if want := []int32{3, 5, 7}; !reflect.DeepEqual(ids, want) {
		t.Errorf("ids %v, want %v", ids, want)
	}
	if want := []int32{30, 50, 71}; !reflect.DeepEqual(numbers, want) {
		t.Errorf("numbers %v, want %v", numbers, want)
	}
	// The answer keeps every row, in order, each with what the table now holds.
	if want := []World{{7, 71}, {3, 30}, {7, 71}, {5, 50}}; !reflect.DeepEqual(worlds, want) {
		t.Errorf("answer %v, want %v", worlds, want)
	}
}

// databaseRoutes are the four routes, as both cmds register them.
var databaseRoutes = []struct {
	path   string
	handle func(*Database, *http.Request) Reply
}{
	{"/db", (*Database).Single},
	{"/queries?queries=2", (*Database).Queries},
	{"/fortunes", (*Database).Fortunes},
	{"/updates?queries=2", (*Database).Updates},
}

func TestWithoutADatabaseURLEveryDatabaseRouteAnswers503(t *testing.T) {
	db, err := OpenDatabase(Config{DBPoolSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, route := range databaseRoutes {
		reply := route.handle(db, httptest.NewRequest(http.MethodGet, route.path, nil))
		if reply.Status != http.StatusServiceUnavailable || string(reply.Body) != "DATABASE_URL is not set" {
			t.Errorf("%s: got %d %q", route.path, reply.Status, reply.Body)
		}
	}
}

func TestADatabaseURLThatCannotBeUsedIsReportedAndEveryDatabaseRouteAnswers500(t *testing.T) {
	for _, url := range []string{
		"postgres://u:p@127.0.0.1:notaport/hello_world",
		// Parses, but nothing listens there: found out by the first request, not at start.
		"postgres://u:p@127.0.0.1:1/hello_world?connect_timeout=5",
	} {
		db, startErr := OpenDatabase(Config{DatabaseURL: url, DBPoolSize: 4})
		if parses := !strings.Contains(url, "notaport"); (startErr == nil) != parses {
			t.Errorf("%s: start error %v", url, startErr)
		}
		for _, route := range databaseRoutes {
			reply := route.handle(db, httptest.NewRequest(http.MethodGet, route.path, nil))
			if reply.Status != http.StatusInternalServerError {
				t.Errorf("%s %s: got %d %q, want 500", url, route.path, reply.Status, reply.Body)
			}
		}
		db.Close()
	}
}

func TestThePoolHoldsAtMostDBPoolSizeConnectionsAndOpensNoneAtStart(t *testing.T) {
	db, err := OpenDatabase(Config{DatabaseURL: "postgres://u:p@127.0.0.1:1/hello_world", DBPoolSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if stat := db.pool.Stat(); stat.MaxConns() != 3 || stat.TotalConns() != 0 {
		t.Errorf("max %d connections, %d open; want 3 and 0", stat.MaxConns(), stat.TotalConns())
	}
}
