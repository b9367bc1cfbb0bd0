// The client's real-server tests' endpoints on Go's net/http (see wsgi_app.py).
//
//	go run go_app.go ROOT PORT PID_FILE KEEP_ALIVE_MILLISECONDS
//
// Go frames, keeps alive and closes its own way: a handler's writes past its buffer go out
// chunked, `Expect: 100-continue` is answered when the handler first reads the body, and an
// idle kept-alive connection is closed after `IdleTimeout`.
package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	root, port, pidFile := os.Args[1], os.Args[2], os.Args[3]
	keepAlive, _ := strconv.Atoi(os.Args[4])
	mux := http.NewServeMux()
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		flusher, _ := w.(http.Flusher)
		for i := 0; i < 50; i++ {
			piece := make([]byte, 1000)
			for j := range piece {
				piece[j] = byte(i % 251)
			}
			w.Write(piece)
			if flusher != nil {
				flusher.Flush() // each piece a chunk of its own
			}
		}
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "/files/a.txt")
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusFound)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		hash := sha256.New()
		count, _ := io.Copy(hash, r.Body)
		text := fmt.Sprintf("%d %x", count, hash.Sum(nil))
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", strconv.Itoa(len(text)))
		io.WriteString(w, text)
	})
	mux.HandleFunc("/files/", func(w http.ResponseWriter, r *http.Request) {
		data, err := os.ReadFile(filepath.Join(root, strings.TrimPrefix(r.URL.Path, "/files/")))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Write(data)
	})
	server := &http.Server{Handler: mux, IdleTimeout: time.Duration(keepAlive) * time.Millisecond}
	listener, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())), 0o644)
	server.Serve(listener)
}
