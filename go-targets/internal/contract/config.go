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

// MaxCount bounds WORKERS and OFFLOAD_THREADS.
const MaxCount = 4096

// Config is what the harness passes in the environment.
type Config struct {
	Host           string
	Port           int
	Workers        int
	OffloadThreads int
}

// ConfigFromEnv reads HOST, PORT, WORKERS and OFFLOAD_THREADS with the rules and error texts
// every target shares (spec/CONTRACT.md, "Process").
func ConfigFromEnv() (Config, error) {
	return configFrom(os.Getenv)
}

func configFrom(env func(string) string) (Config, error) {
	c := Config{Host: env("HOST")}
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
	for _, v := range []struct {
		name string
		dst  *int
	}{{"WORKERS", &c.Workers}, {"OFFLOAD_THREADS", &c.OffloadThreads}} {
		raw := env(v.name)
		if raw == "" {
			// The CPUs this process may run on (its affinity mask), as Rust's
			// available_parallelism and Node's availableParallelism count them.
			*v.dst = runtime.NumCPU()
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
