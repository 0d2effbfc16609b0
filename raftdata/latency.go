package raftdata

import (
	"sync"
	"time"
)

// latencyBounds are the upper bounds, in seconds, of raftdata's latency
// histograms: from half a millisecond (a batch on a fast disk) to ten
// seconds (a write that waited out an election).
var latencyBounds = [...]float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Histogram is a reading of a latency histogram, shaped as Prometheus
// wants it: Counts[i] is the number of observations at or under Bounds[i]
// seconds (cumulative); Count and Sum (seconds) cover them all.
type Histogram struct {
	Bounds []float64
	Counts []uint64
	Count  uint64
	Sum    float64
}

// latency accumulates durations into a histogram.
type latency struct {
	mu     sync.Mutex
	counts [len(latencyBounds)]uint64 // per bucket, not cumulative
	count  uint64
	sum    float64
}

func (l *latency) observe(d time.Duration) {
	sec := d.Seconds()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.count++
	l.sum += sec
	for i, le := range latencyBounds {
		if sec <= le {
			l.counts[i]++
			break
		}
	}
}

// since observes the time elapsed since start: `defer l.since(time.Now())`.
func (l *latency) since(start time.Time) { l.observe(time.Since(start)) }

func (l *latency) read() Histogram {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := Histogram{Bounds: latencyBounds[:], Counts: make([]uint64, len(latencyBounds)), Count: l.count, Sum: l.sum}
	var cum uint64
	for i, c := range l.counts {
		cum += c
		h.Counts[i] = cum
	}
	return h
}
