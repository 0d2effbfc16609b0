package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"coop/ui"
)

// TestMultiProcess_PausedLeaderMarksItsReadsStale: the leader of three
// `coop serve` processes is stopped (SIGSTOP) while the two others elect a
// leader and acknowledge a write. Reads sent to the old leader while it is
// stopped, and right after it resumes (SIGCONT), are answered either marked
// X-Coop-Read: stale or with the write: a node that still believes it
// leads, but whose quorum has not answered it within the leader lease, does
// not pass its old state off as current.
func TestMultiProcess_PausedLeaderMarksItsReadsStale(t *testing.T) {
	bin := buildBinary(t)
	nodes := startProcCluster(t, bin, 3)
	token := operatorToken(t, nodes[0].url())
	old := procLeader(t, nodes)
	if status, body, err := postJSON(old.url()+"/api/v1/pools", token, testPool("before")); err != nil || status != http.StatusCreated {
		t.Fatalf("create pool before: %d %s %v", status, body, err)
	}
	var others []*procNode
	for _, p := range nodes {
		if p != old {
			others = append(others, p)
		}
	}
	waitSameState(t, nodes)

	if err := old.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := sync.OnceFunc(func() { old.cmd.Process.Signal(syscall.SIGCONT) })
	defer resumed()
	paused := time.Now()
	// The others elect a leader and acknowledge a write the old leader
	// cannot have.
	waitFor(t, 20*time.Second, func() error {
		status, body, err := postJSON(others[0].url()+"/api/v1/pools", token, testPool("during"))
		if err != nil {
			return err
		}
		if status != http.StatusCreated && !(status == http.StatusConflict && strings.Contains(body, "exists")) {
			return fmt.Errorf("create pool during the pause: %d %s", status, body)
		}
		return nil
	})

	// Reads wait in the old leader's sockets while it is stopped, on
	// connections of their own; it resumes once they are all sent, after
	// a pause of some seconds.
	type answer struct {
		status int
		stale  bool
		body   string
		err    error
	}
	read := func() answer {
		client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := client.Get(old.url() + "/api/v1/pools")
		if err != nil {
			return answer{err: err}
		}
		return answer{status: resp.StatusCode, stale: resp.Header.Get(ui.HeaderRead) == ui.ReadStale, body: readBody(resp)}
	}
	const waiting = 8
	answers := make(chan answer, waiting)
	for range waiting {
		go func() { answers <- read() }()
	}
	time.Sleep(time.Until(paused.Add(3 * time.Second))) // the pause itself, not a wait for a condition
	resumed()
	check := func(a answer) {
		t.Helper()
		switch {
		case a.err != nil:
			t.Errorf("read on the old leader: %v", a.err)
		case a.status != http.StatusOK:
			t.Errorf("read on the old leader: %d %s", a.status, a.body)
		case !a.stale && !strings.Contains(a.body, `"during"`):
			t.Errorf("the old leader answered without the write acknowledged during its pause, and without %s: %s: %s", ui.HeaderRead, ui.ReadStale, a.body)
		}
	}
	stale := 0
	for range waiting {
		a := <-answers
		check(a)
		if a.stale {
			stale++
		}
	}
	// And right after: a read is stale or current, never old and unmarked.
	for range 20 {
		check(read())
	}

	t.Logf("%d of the %d reads sent during the pause were marked stale", stale, waiting)
	waitSameState(t, nodes)
}
