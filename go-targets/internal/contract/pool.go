package contract

import (
	"errors"
	"runtime"
)

// QueueLimit is how many jobs may wait for a free worker; one more is refused (503), as in
// every target's offload pool (spec/CONTRACT.md, "Process").
const QueueLimit = 1024

// ErrQueueFull is returned when QueueLimit jobs are already waiting.
var ErrQueueFull = errors.New("the offload queue is full")

// Pool is a fixed set of goroutines fed by a bounded channel: the Go counterpart of tokio's
// blocking pool and Node's worker threads. No goroutine is started per request.
//
// Each worker yields (runtime.Gosched) after every job. Without that, on a server with
// GOMAXPROCS=1 a cheap request could wait seconds while the pool was busy (the mixed probe:
// p99 1,354 ms with offload against 69 ms inline). An execution trace showed why: a worker
// hands each answer to its request goroutine, which hands the next job back, and each handoff
// goes through the P's `runnext` slot, which inherits the time slice. The scheduler then
// never runs out of local work, so goroutines woken by sysmon's network poll wait in the
// global run queue, which is only looked at once every 61 scheduling ticks — here about one
// per job. Yielding puts the worker itself on the global queue after each job, so whatever is
// runnable runs between two jobs, as an OS scheduler would let an event loop run between the
// time slices of the other runtimes' pool threads.
type Pool struct {
	jobs chan job
}

type job struct {
	body   []byte
	rounds int
	answer chan<- string
}

// NewPool starts `workers` goroutines (at least one).
func NewPool(workers int) *Pool {
	if workers < 1 {
		workers = 1
	}
	p := &Pool{jobs: make(chan job, QueueLimit)}
	for i := 0; i < workers; i++ {
		go func() {
			for j := range p.jobs {
				j.answer <- ChainedSHA256Hex(j.body, j.rounds)
				runtime.Gosched()
			}
		}()
	}
	return p
}

// Hash computes ChainedSHA256Hex on a pool worker and waits for the answer; ErrQueueFull
// when QueueLimit jobs are waiting already.
func (p *Pool) Hash(body []byte, rounds int) (string, error) {
	answer := make(chan string, 1)
	select {
	case p.jobs <- job{body: body, rounds: rounds, answer: answer}:
		return <-answer, nil
	default:
		return "", ErrQueueFull
	}
}
