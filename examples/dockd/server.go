package main

import (
	"net/http"
	"time"
)

// headerTimeout is how long a client has to send a request's headers: a
// client that sends them a byte at a time (slowloris) holds a connection
// and a goroutine no longer than this.
const headerTimeout = 30 * time.Second

// maxHeaderBytes bounds a request's headers. The largest a Docker client
// sends is X-Registry-Config (a build's credentials for every registry),
// a few KiB.
const maxHeaderBytes = 1 << 20

// idleTimeout closes a kept-alive connection that no request uses.
const idleTimeout = 5 * time.Minute

// apiServer is the API's http.Server with its limits. There is no
// ReadTimeout or WriteTimeout: a build's context, a load or an archive PUT
// is read for as long as the client sends it, and events, logs --follow,
// stats and attach stream for as long as the client reads; both end with
// the client (its request's context).
func apiServer(h http.Handler, headerTimeout time.Duration) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: headerTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		IdleTimeout:       idleTimeout,
	}
}
