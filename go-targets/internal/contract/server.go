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

// Config is what the harness passes in the environment.
type Config struct {
	Host           string
	Port           int
	Workers        int
	OffloadThreads int
}

// ConfigFromEnv reads HOST (default 127.0.0.1), PORT (required), WORKERS and OFFLOAD_THREADS
// (default: the number of CPUs).
func ConfigFromEnv() (Config, error) {
	c := Config{Host: "127.0.0.1", Workers: runtime.NumCPU(), OffloadThreads: runtime.NumCPU()}
	if h := os.Getenv("HOST"); h != "" {
		c.Host = h
	}
	port, err := strconv.Atoi(os.Getenv("PORT"))
	if err != nil || port < 1 || port > 65535 {
		return c, fmt.Errorf("PORT must be set to a port number (1-65535), got %q", os.Getenv("PORT"))
	}
	c.Port = port
	for _, v := range []struct {
		name string
		dst  *int
	}{{"WORKERS", &c.Workers}, {"OFFLOAD_THREADS", &c.OffloadThreads}} {
		if s := os.Getenv(v.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 4096 {
				return c, fmt.Errorf("%s must be a whole number from 1 to 4096, got %q", v.name, s)
			}
			*v.dst = n
		}
	}
	return c, nil
}

// Run applies GOMAXPROCS = WORKERS and serves `handler` until SIGTERM or SIGINT, then shuts
// down within about a second even with keep-alive connections open. `name` prefixes errors.
func Run(name string, c Config, handler http.Handler) error {
	runtime.GOMAXPROCS(c.Workers)
	srv := &http.Server{
		Addr:              net.JoinHostPort(c.Host, strconv.Itoa(c.Port)),
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       75 * time.Second,
		ErrorLog:          nil,
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

// Main runs a target: reads the config, builds the handler and serves; on an error it prints
// it and exits 1.
func Main(name string, build func(Config) http.Handler) {
	c, err := ConfigFromEnv()
	if err == nil {
		err = Run(name, c, build(c))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}
