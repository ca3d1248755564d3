// Command gin is the stampede reference target `gin`: Gin in release mode, gin.New() with no
// logger middleware, HandleMethodNotAllowed on so wrong methods get 405.
//
//	GIN_MODE=release PORT=8080 WORKERS=2 OFFLOAD_THREADS=2 DATABASE_URL=postgres://... DB_POOL_SIZE=16 ./gin
//
// See spec/CONTRACT.md; the shared logic lives in internal/contract.
package main

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"stampede/go-targets/internal/contract"
)

func send(c *gin.Context, reply contract.Reply) {
	if reply.Close {
		c.Header("Connection", "close")
	}
	c.Data(reply.Status, reply.ContentType, reply.Body)
}

// get routes GET and HEAD to `handle`: Gin's router, unlike net/http's ServeMux, does not
// answer HEAD for a GET route by itself. net/http sends no body for HEAD and still sets
// Content-Length from what the handler wrote.
func get(r *gin.Engine, path string, handle gin.HandlerFunc) {
	r.GET(path, handle)
	r.HEAD(path, handle)
}

func main() {
	gin.SetMode(gin.ReleaseMode)
	contract.Main("gin", func(cfg contract.Config, db *contract.Database) http.Handler {
		pool := contract.NewPool(cfg.OffloadThreads)
		r := gin.New()
		r.HandleMethodNotAllowed = true
		// Every answer, 404 and 405 included, names the server.
		r.Use(func(c *gin.Context) { c.Header("Server", "gin") })
		r.NoRoute(func(c *gin.Context) { send(c, contract.Text(http.StatusNotFound, "not found")) })
		r.NoMethod(func(c *gin.Context) {
			send(c, contract.Text(http.StatusMethodNotAllowed, "method not allowed"))
		})
		get(r, "/healthz", func(c *gin.Context) { send(c, contract.Text(http.StatusOK, "ok")) })
		get(r, "/plaintext", func(c *gin.Context) { send(c, contract.Text(http.StatusOK, "Hello, World!")) })
		get(r, "/json", func(c *gin.Context) { c.JSON(http.StatusOK, contract.Message{Message: "Hello, World!"}) })
		get(r, "/json/doc", func(c *gin.Context) { c.JSON(http.StatusOK, contract.NewDoc()) })
		r.POST("/json/order", func(c *gin.Context) {
			body, bad := contract.ReadBody(c.Request)
			if bad != nil {
				send(c, *bad)
				return
			}
			send(c, contract.Order(body))
		})
		r.POST("/hash", func(c *gin.Context) { send(c, contract.Hash(c.Request, nil)) })
		r.POST("/hash/offload", func(c *gin.Context) { send(c, contract.Hash(c.Request, pool)) })
		get(r, "/sleep", func(c *gin.Context) { send(c, contract.Sleep(c.Request.Context(), c.Request)) })
		get(r, "/db", func(c *gin.Context) { send(c, db.Single(c.Request)) })
		get(r, "/queries", func(c *gin.Context) { send(c, db.Queries(c.Request)) })
		get(r, "/fortunes", func(c *gin.Context) { send(c, db.Fortunes(c.Request)) })
		get(r, "/updates", func(c *gin.Context) { send(c, db.Updates(c.Request)) })
		return r
	})
}
