// etcd_load drives an etcd cluster with its own Go client (clientv3) for bench:versus: a closed
// loop of puts or linearizable gets from N workers for a fixed time, then one summary line:
//
//	ops=12345 seconds=5.00 rate=2469.0 p50_ms=1.2 p99_ms=3.4 errors=0
//
// Built by bench/versus/etcd.ts with Debian's golang-go and golang-etcd-server-dev (GOPATH
// mode, no network), because Debian packages neither etcd's own `benchmark` tool nor a client
// library that measures latency under concurrency.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/clientv3"
)

func main() {
	endpoints := flag.String("endpoints", "127.0.0.1:2379", "comma-separated client URLs")
	op := flag.String("op", "put", "put or get (linearizable)")
	workers := flag.Int("concurrency", 1, "requests in flight")
	conns := flag.Int("conns", 1, "gRPC connections the workers share")
	seconds := flag.Float64("seconds", 5, "how long to run")
	valueSize := flag.Int("value-size", 100, "bytes per value")
	keys := flag.Int("keys", 1000, "distinct keys")
	flag.Parse()

	clients := make([]*clientv3.Client, *conns)
	for i := range clients {
		c, err := clientv3.New(clientv3.Config{
			Endpoints:   strings.Split(*endpoints, ","),
			DialTimeout: 5 * time.Second,
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "connect:", err)
			os.Exit(1)
		}
		defer c.Close()
		clients[i] = c
	}
	value := strings.Repeat("v", *valueSize)
	if *op == "get" {
		// Every key the gets ask for exists, as in `tinykv bench --op get`.
		for k := 0; k < *keys; k++ {
			if _, err := clients[0].Put(context.Background(), key(k), value); err != nil {
				fmt.Fprintln(os.Stderr, "fill:", err)
				os.Exit(1)
			}
		}
	}

	deadline := time.Now().Add(time.Duration(*seconds * float64(time.Second)))
	latencies := make([][]time.Duration, *workers)
	errs := make([]int, *workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := clients[w%len(clients)]
			for i := w; time.Now().Before(deadline); i += *workers {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				t := time.Now()
				var err error
				if *op == "get" {
					_, err = c.Get(ctx, key(i%*keys))
				} else {
					_, err = c.Put(ctx, key(i%*keys), value)
				}
				cancel()
				if err != nil {
					errs[w]++
					continue
				}
				latencies[w] = append(latencies[w], time.Since(t))
			}
		}(w)
	}
	wg.Wait()
	report(latencies, errs, time.Since(start))
}

func key(i int) string { return fmt.Sprintf("bench-key-%08d", i) }

func report(latencies [][]time.Duration, errs []int, elapsed time.Duration) {
	var all []time.Duration
	errors := 0
	for w := range latencies {
		all = append(all, latencies[w]...)
		errors += errs[w]
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[int(p*float64(len(all)-1))].Microseconds()) / 1000
	}
	s := elapsed.Seconds()
	fmt.Printf("ops=%d seconds=%.2f rate=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
		len(all), s, float64(len(all))/s, pct(0.50), pct(0.99), errors)
}
