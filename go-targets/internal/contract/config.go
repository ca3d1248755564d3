package contract

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
)

// ExitBadConfig is the exit status of a target started with a bad environment (every target
// uses the same one; spec/CONTRACT.md, "Process").
const ExitBadConfig = 2

// MaxCount bounds WORKERS, OFFLOAD_THREADS and DB_POOL_SIZE.
const MaxCount = 4096

// DefaultDBPoolSize is the server's database connections when DB_POOL_SIZE is unset or empty,
// the same in every target.
const DefaultDBPoolSize = 16

// Config is what the harness passes in the environment.
type Config struct {
	Host           string
	Port           int
	Workers        int
	OffloadThreads int
	// DatabaseURL is empty when the harness runs no database workload.
	DatabaseURL string
	// DBPoolSize is the server's database connections in total.
	DBPoolSize int
}

// ConfigFromEnv reads HOST, PORT, WORKERS, OFFLOAD_THREADS, DATABASE_URL and DB_POOL_SIZE with
// the rules and error texts every target shares (spec/CONTRACT.md, "Process" and "Database
// endpoints").
func ConfigFromEnv() (Config, error) {
	return configFrom(os.Getenv)
}

func configFrom(env func(string) string) (Config, error) {
	c := Config{Host: env("HOST"), DatabaseURL: env("DATABASE_URL")}
	if c.Host == "" {
		c.Host = "127.0.0.1"
	}
	raw := env("PORT")
	if raw == "" {
		return c, fmt.Errorf("PORT is not set (expected a whole number from 1 to 65535)")
	}
	port, ok := wholeNumber(raw, 65535)
	if !ok {
		return c, fmt.Errorf("PORT=%q is not a whole number from 1 to 65535", raw)
	}
	c.Port = port
	// The CPUs this process may run on (its affinity mask), as Rust's available_parallelism
	// and Node's availableParallelism count them.
	cpus := runtime.NumCPU()
	for _, v := range []struct {
		name  string
		dst   *int
		unset int
	}{
		{"WORKERS", &c.Workers, cpus},
		{"OFFLOAD_THREADS", &c.OffloadThreads, cpus},
		{"DB_POOL_SIZE", &c.DBPoolSize, DefaultDBPoolSize},
	} {
		raw := env(v.name)
		if raw == "" {
			*v.dst = v.unset
			continue
		}
		n, ok := wholeNumber(raw, MaxCount)
		if !ok {
			return c, fmt.Errorf("%s=%q is not a whole number from 1 to %d", v.name, raw, MaxCount)
		}
		*v.dst = n
	}
	return c, nil
}

// wholeNumber accepts ASCII digits only (no sign, space or fraction) with a value in 1..=max.
func wholeNumber(raw string, max uint64) (int, bool) {
	for i := 0; i < len(raw); i++ {
		if raw[i] < '0' || raw[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(raw, 10, 64)
	if err != nil || n < 1 || n > max {
		return 0, false
	}
	return int(n), true
}
