package contract

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// Run applies GOMAXPROCS = WORKERS and serves `handler` until SIGTERM or SIGINT, then shuts
// down within about a second even with keep-alive connections open. `name` prefixes errors
// and names the server in Guard's answers.
func Run(name string, c Config, handler http.Handler) error {
	runtime.GOMAXPROCS(c.Workers)
	srv := &http.Server{
		Addr:    net.JoinHostPort(c.Host, strconv.Itoa(c.Port)),
		Handler: Guard(name, handler),
		// OPTIONS * is answered by Guard, with the Server header net/http's own answer lacks.
		DisableGeneralOptionsHandler: true,
		ReadHeaderTimeout:            10 * time.Second,
		IdleTimeout:                  75 * time.Second,
		ErrorLog:                     nil,
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	failed := make(chan error, 1)
	go func() { failed <- srv.ListenAndServe() }()
	select {
	case err := <-failed:
		return fmt.Errorf("%s: cannot serve on %s: %w", name, srv.Addr, err)
	case <-ctx.Done():
	}
	grace, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.Shutdown(grace); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return srv.Close()
}

// Main runs a target: reads the config, opens the database pool, builds the handler and
// serves. A bad environment exits with ExitBadConfig, any other error with 1; both print
// `name: error` on stderr. A DATABASE_URL that cannot be used is printed the same way but does
// not stop the start (spec/CONTRACT.md: its requests answer 500).
func Main(name string, build func(Config, *Database) http.Handler) {
	c, err := ConfigFromEnv()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(ExitBadConfig)
	}
	db, err := OpenDatabase(c)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
	}
	err = Run(name, c, build(c, db))
	db.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}
