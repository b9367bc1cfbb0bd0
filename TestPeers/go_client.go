// A real client for the server's tests: Go's net/http client with its keep-alive pool (four
// connections a host), as a Go service calls an upstream. Prints one JSON object of outcomes
// (the same as node_client.js, plus what is Go's own: it asks for gzip and decodes it itself).
//
//	go run go_client.go BASE_URL PATH_OF_big.bin_ON_DISK
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

type answer struct {
	status int
	header http.Header
	body   []byte
}

var client = &http.Client{
	Timeout: 60 * time.Second,
	Transport: &http.Transport{
		MaxIdleConnsPerHost:   4,
		MaxConnsPerHost:       4,
		ExpectContinueTimeout: 5 * time.Second, // wait for 100 Continue rather than send at once
	},
}

func do(method, url string, body io.Reader, header map[string]string, length int64) (answer, error) {
	request, err := http.NewRequest(method, url, body)
	if err != nil {
		return answer{}, err
	}
	if length >= 0 {
		request.ContentLength = length
	}
	for name, value := range header {
		request.Header.Set(name, value)
	}
	response, err := client.Do(request)
	if err != nil {
		return answer{}, err
	}
	defer response.Body.Close()
	data, err := io.ReadAll(response.Body)
	return answer{response.StatusCode, response.Header, data}, err
}

// pieces hands out `data` a few KB at a time with no length known in advance: Go sends it chunked.
type pieces struct{ data []byte }

func (p *pieces) Read(buffer []byte) (int, error) {
	if len(p.data) == 0 {
		return 0, io.EOF
	}
	n := copy(buffer[:min(len(buffer), 7000)], p.data)
	p.data = p.data[n:]
	return n, nil
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func main() {
	base, bigPath := os.Args[1], os.Args[2]
	big, err := os.ReadFile(bigPath)
	out := map[string]any{}
	fail := func(err error) {
		json.NewEncoder(os.Stdout).Encode(map[string]string{"error": err.Error()})
		os.Exit(1)
	}
	if err != nil {
		fail(err)
	}
	whole := 0
	for i := 0; i < 20; i++ {
		r, err := do("GET", base+"/big.bin", nil, nil, -1)
		if err != nil {
			fail(err)
		}
		if r.status == 200 && bytes.Equal(r.body, big) {
			whole++
		}
	}
	out["sequential"] = whole
	index := []byte("<h1>home</h1>\n")
	var group sync.WaitGroup
	var lock sync.Mutex
	parallel := 0
	for i := 0; i < 40; i++ {
		group.Add(1)
		go func(i int) {
			defer group.Done()
			path, want := "/index.html", index
			if i%4 == 0 {
				path, want = "/big.bin", big
			}
			r, err := do("GET", base+path, nil, nil, -1)
			if err == nil && r.status == 200 && bytes.Equal(r.body, want) {
				lock.Lock()
				parallel++
				lock.Unlock()
			}
		}(i)
	}
	group.Wait()
	out["parallel"] = parallel
	upload := make([]byte, 700000)
	rand.Read(upload)
	put, err := do("PUT", base+"/go-upload.bin", &pieces{upload}, nil, 0)
	if err != nil {
		fail(err)
	}
	back, err := do("GET", base+"/go-upload.bin", nil, nil, -1)
	if err != nil {
		fail(err)
	}
	same := "different bytes"
	if bytes.Equal(back.body, upload) {
		same = "same bytes"
	}
	out["chunkedPut"] = []any{put.status, back.status, same}
	head, err := do("HEAD", base+"/big.bin", nil, nil, -1)
	if err != nil {
		fail(err)
	}
	out["head"] = []any{head.status, head.header.Get("Content-Length"), len(head.body)}
	part, err := do("GET", base+"/big.bin", nil, map[string]string{"Range": "bytes=100-199"}, -1)
	if err != nil {
		fail(err)
	}
	same = "different bytes"
	if bytes.Equal(part.body, big[100:200]) {
		same = "same bytes"
	}
	out["range"] = []any{part.status, same}
	tagged, err := do("GET", base+"/big.bin", nil, nil, -1)
	if err != nil {
		fail(err)
	}
	unchanged, err := do("GET", base+"/big.bin", nil, map[string]string{"If-None-Match": tagged.header.Get("ETag")}, -1)
	if err != nil {
		fail(err)
	}
	out["notModified"] = []any{unchanged.status, len(unchanged.body)}
	expecting, err := do("PUT", base+"/go-expect.bin", bytes.NewReader(bytes.Repeat([]byte{7}, 1000)),
		map[string]string{"Expect": "100-continue"}, 1000)
	if err != nil {
		fail(err)
	}
	out["expectContinue"] = expecting.status
	// A missing file, then the connection goes on: the pool reuses it for the next request.
	missing, err := do("GET", base+"/missing-"+strconv.Itoa(os.Getpid()), nil, nil, -1)
	if err != nil {
		fail(err)
	}
	again, err := do("GET", base+"/index.html", nil, nil, -1)
	if err != nil {
		fail(err)
	}
	out["missingThenIndex"] = []any{missing.status, again.status, string(again.body)}
	encoded, _ := json.Marshal(out)
	fmt.Println(string(encoded))
}
