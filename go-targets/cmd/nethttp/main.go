// Command nethttp is the stampede reference target `nethttp`: the standard library's
// net/http with an http.ServeMux using method patterns (which answer 405 and 404 themselves;
// a GET pattern also answers HEAD, without a body).
//
//	PORT=8080 WORKERS=2 OFFLOAD_THREADS=2 DATABASE_URL=postgres://... DB_POOL_SIZE=16 ./nethttp
//
// See spec/CONTRACT.md; the shared logic lives in internal/contract.
package main

import (
	"net/http"

	"stampede/go-targets/internal/contract"
)

func main() {
	contract.Main("nethttp", func(c contract.Config, db *contract.Database) http.Handler {
		pool := contract.NewPool(c.OffloadThreads)
		mux := http.NewServeMux()
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
			contract.Text(http.StatusOK, "ok").WriteTo(w)
		})
		mux.HandleFunc("GET /plaintext", func(w http.ResponseWriter, r *http.Request) {
			contract.Text(http.StatusOK, "Hello, World!").WriteTo(w)
		})
		mux.HandleFunc("GET /json", func(w http.ResponseWriter, r *http.Request) {
			contract.JSON(contract.Message{Message: "Hello, World!"}).WriteTo(w)
		})
		mux.HandleFunc("GET /json/doc", func(w http.ResponseWriter, r *http.Request) {
			contract.JSON(contract.NewDoc()).WriteTo(w)
		})
		mux.HandleFunc("POST /json/order", func(w http.ResponseWriter, r *http.Request) {
			body, bad := contract.ReadBody(r)
			if bad != nil {
				bad.WriteTo(w)
				return
			}
			contract.Order(body).WriteTo(w)
		})
		mux.HandleFunc("POST /hash", func(w http.ResponseWriter, r *http.Request) {
			contract.Hash(r, nil).WriteTo(w)
		})
		mux.HandleFunc("POST /hash/offload", func(w http.ResponseWriter, r *http.Request) {
			contract.Hash(r, pool).WriteTo(w)
		})
		mux.HandleFunc("GET /sleep", func(w http.ResponseWriter, r *http.Request) {
			contract.Sleep(r.Context(), r).WriteTo(w)
		})
		mux.HandleFunc("GET /db", func(w http.ResponseWriter, r *http.Request) {
			db.Single(r).WriteTo(w)
		})
		mux.HandleFunc("GET /queries", func(w http.ResponseWriter, r *http.Request) {
			db.Queries(r).WriteTo(w)
		})
		mux.HandleFunc("GET /fortunes", func(w http.ResponseWriter, r *http.Request) {
			db.Fortunes(r).WriteTo(w)
		})
		mux.HandleFunc("GET /updates", func(w http.ResponseWriter, r *http.Request) {
			db.Updates(r).WriteTo(w)
		})
		// Every answer, 404 and 405 included, names the server.
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Server", "nethttp")
			mux.ServeHTTP(w, r)
		})
	})
}
