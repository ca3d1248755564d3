package contract

// Pool is a fixed set of goroutines fed by a channel: the Go counterpart of tokio's blocking
// pool and Node's worker threads. A request waits for a free worker; no goroutine is started
// per request.
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
	p := &Pool{jobs: make(chan job)}
	for i := 0; i < workers; i++ {
		go func() {
			for j := range p.jobs {
				j.answer <- ChainedSHA256Hex(j.body, j.rounds)
			}
		}()
	}
	return p
}

// Hash computes ChainedSHA256Hex on a pool worker and waits for the answer.
func (p *Pool) Hash(body []byte, rounds int) string {
	answer := make(chan string, 1)
	p.jobs <- job{body: body, rounds: rounds, answer: answer}
	return <-answer
}
