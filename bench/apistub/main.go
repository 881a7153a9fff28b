// Command apistub is the docker CLI's floor for bench/dockd.sh: an Engine
// API daemon on a unix socket that answers at once what
// `docker run --rm IMAGE CMD` and `docker ps` send, and does nothing.
// What the CLI costs against it is what no daemon can save.
//
//	apistub SOCKET
//
// It answers _ping (API 1.41, Debian's CLI 20.10), create (an ID), attach
// (101, then the stream closes: no output), wait (200 {"StatusCode":0}),
// start (204), delete (204) and the container list ([], or with all=1
// the content of the file $APISTUB_CONTAINERS when it is set: a list
// that a daemon answered, so that docker ps -a's floor counts the CLI's
// work on its rows). Anything else is a 404 with Docker's JSON shape and
// a line on stderr, so that the bench sees what a CLI sends that the stub
// does not know; APISTUB_TRACE=1 logs every request.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
)

// stubID is the one container's ID the stub hands out.
const stubID = "5eb5eb5eb5eb5eb5eb5eb5eb5eb5eb5eb5eb5eb5eb5eb5eb5eb5eb5eb5eb5eb5"

// trace ($APISTUB_TRACE=1) logs every request on stderr.
var trace = os.Getenv("APISTUB_TRACE") == "1"

// allContainers is the answer to a list with all=1: the content of
// $APISTUB_CONTAINERS, read at start; nil for [].
var allContainers []byte

// versionPrefix is the /v1.N that clients put before each path.
var versionPrefix = regexp.MustCompile(`^/v[0-9]+\.[0-9]+`)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: apistub SOCKET")
		os.Exit(2)
	}
	if name := os.Getenv("APISTUB_CONTAINERS"); name != "" {
		data, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "apistub:", err)
			os.Exit(1)
		}
		allContainers = data
	}
	os.Remove(os.Args[1])
	l, err := net.Listen("unix", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "apistub:", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "apistub: listening on", os.Args[1])
	err = http.Serve(l, http.HandlerFunc(serve))
	fmt.Fprintln(os.Stderr, "apistub:", err)
	os.Exit(1)
}

func serve(w http.ResponseWriter, r *http.Request) {
	if trace {
		fmt.Fprintf(os.Stderr, "apistub: %s %s\n", r.Method, r.URL)
	}
	path := versionPrefix.ReplaceAllString(r.URL.Path, "")
	h := w.Header()
	switch {
	case path == "/_ping":
		h.Set("API-Version", "1.41")
		h.Set("OSType", "linux")
		h.Set("Docker-Experimental", "false")
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Type", "text/plain; charset=utf-8")
		if r.Method != http.MethodHead {
			w.Write([]byte("OK"))
		}
	case r.Method == http.MethodPost && path == "/containers/create":
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "{\"Id\":%q,\"Warnings\":[]}\n", stubID)
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/attach"):
		attach(w)
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/wait"):
		h.Set("Content-Type", "application/json")
		w.Write([]byte("{\"StatusCode\":0}\n"))
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/start"),
		r.Method == http.MethodDelete && strings.HasPrefix(path, "/containers/"):
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodGet && path == "/containers/json":
		h.Set("Content-Type", "application/json")
		if all := r.URL.Query().Get("all"); allContainers != nil && all != "" && all != "0" && all != "false" {
			w.Write(allContainers)
		} else {
			w.Write([]byte("[]\n"))
		}
	default:
		fmt.Fprintf(os.Stderr, "apistub: not stubbed: %s %s\n", r.Method, r.URL)
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, "{\"message\":%q}\n", "apistub: not stubbed: "+r.Method+" "+path)
	}
}

// attach answers the hijack as dockerd does (101 UPGRADED), then closes
// the stream: a container that wrote nothing.
func attach(w http.ResponseWriter) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer conn.Close()
	buf.WriteString("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
	buf.Flush()
}
