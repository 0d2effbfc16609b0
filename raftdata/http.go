package raftdata

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"time"
)

// The internal HTTP API nodes use between themselves. The ui mounts Handler
// at these paths; nothing else in coop speaks it.
const (
	pathApply      = "/internal/raft/apply"
	pathApplyBatch = "/internal/raft/apply-batch" // forward.go
	pathJoin       = "/internal/raft/join"
	pathRemove     = "/internal/raft/remove"
	pathReadIndex  = "/internal/raft/read-index"
	pathStatus     = "/internal/raft/status"

	// InternalPrefix is the path prefix Handler serves.
	InternalPrefix = "/internal/raft/"

	maxCommandBytes = 32 << 20
)

// Handler serves the node-to-node API: forwarded writes, joins, removals,
// read indexes, this node's status and state hash. It trusts no address:
// in a mutual TLS cluster it answers only callers whose TLS certificate
// comes from the cluster's CA; otherwise only calls signed with the
// cluster key (clusterkey.go). Any other call gets 403 and reaches no
// handler.
func (s *Store) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+pathApply, s.handleApply)
	mux.HandleFunc("POST "+pathApplyBatch, s.handleApplyBatch)
	mux.HandleFunc("POST "+pathJoin, s.handleJoin)
	mux.HandleFunc("POST "+pathRemove, s.handleRemove)
	mux.HandleFunc("GET "+pathReadIndex, s.handleReadIndex)
	mux.HandleFunc("GET "+pathStatus, s.handleStatus)
	mux.HandleFunc("GET "+pathHash, s.handleHash) // hash.go
	return s.requireClusterCaller(mux)
}

func (s *Store) requireClusterCaller(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.TLS != nil {
			if s.cfg.TLS.verifyPeer(r.TLS) {
				next.ServeHTTP(w, r)
				return
			}
			s.refuse(w, r, "this cluster runs mutual TLS: a node needs a certificate from the cluster's CA (--tls-cert, --tls-key, --tls-ca)")
			return
		}
		if r.Header.Get(headerClusterAuth) == "" { // refused before its body is read
			s.refuse(w, r, errNeedClusterKey+"; this one carries no signature")
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxCommandBytes+1))
		if err != nil {
			writeError(w, Errorf(CodeInvalid, "read the request: %v", err))
			return
		}
		if len(body) > maxCommandBytes {
			writeError(w, Errorf(CodeInvalid, "the request is over %d MiB", maxCommandBytes>>20))
			return
		}
		if err := s.key.verify(r, body, time.Now()); err != nil {
			s.refuse(w, r, err.Error())
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// refuse answers 403 to a caller that did not prove it is a node of this
// cluster, and says so in the node's log (never the secret: there is none
// in a request).
func (s *Store) refuse(w http.ResponseWriter, r *http.Request, why string) {
	s.denied.log("node-to-node call refused", r.RemoteAddr, r.Method+" "+r.URL.Path+": "+why)
	writeError(w, Errorf(CodeForbidden, "%s", why))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

type errorBody struct {
	Error *Error `json:"error"`
}

func writeError(w http.ResponseWriter, err error) {
	e := wireError(err)
	writeJSON(w, e.Code.HTTPStatus(), errorBody{Error: e})
}

// wireError is err as a node answers it to another: a failure after which
// the call may be made again is CodeUnavailable.
func wireError(err error) *Error {
	code := ErrorCode(err)
	if retryable(err) {
		code = CodeUnavailable
	}
	return &Error{Code: code, Message: ErrorMessageOrText(err)}
}

// ErrorMessageOrText is the message of an *Error, or the error's own text
// (for node-to-node answers, where the reader is an operator).
func ErrorMessageOrText(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

func (s *Store) handleApply(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxCommandBytes))
	if err != nil {
		writeError(w, Errorf(CodeInvalid, "read command: %v", err))
		return
	}
	if s.refuseCommands(w, data) {
		return
	}
	res, err := s.applyLocal(r.Context(), data)
	if err != nil {
		writeError(w, err)
		return
	}
	res.Term = s.termOf(res.Index) // the follower's commit notice (commitnotice.go)
	writeJSON(w, http.StatusOK, res)
}

// refuseCommands answers, and reports true, when the commands a follower
// forwards cannot be applied here: one of them does not decode, or this
// node does not lead (the follower tries again).
func (s *Store) refuseCommands(w http.ResponseWriter, cmds ...[]byte) bool {
	for _, data := range cmds {
		if _, err := decodeCommand(data); err != nil {
			writeError(w, Errorf(CodeInvalid, "%v", err))
			return true
		}
	}
	if !s.IsLeader() {
		writeError(w, retryError{errNotLeader})
		return true
	}
	return false
}

func (s *Store) handleJoin(w http.ResponseWriter, r *http.Request) {
	var n nodeInfo
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&n); err != nil {
		writeError(w, Errorf(CodeInvalid, "join request: %v", err))
		return
	}
	if err := s.Join(r.Context(), n.ID, n.RaftAddr, n.HTTPURL); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"joined": true, "node": n.ID})
}

func (s *Store) handleRemove(w http.ResponseWriter, r *http.Request) {
	var n nodeInfo
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&n); err != nil {
		writeError(w, Errorf(CodeInvalid, "remove request: %v", err))
		return
	}
	if err := s.Remove(r.Context(), n.ID); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"removed": true, "node": n.ID})
}

func (s *Store) handleReadIndex(w http.ResponseWriter, r *http.Request) {
	if !s.IsLeader() {
		writeError(w, retryError{errNotLeader})
		return
	}
	idx, err := s.readIndex(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]uint64{"index": idx})
}

func (s *Store) handleStatus(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Status())
}

// call sends a request to another node and decodes a 200 answer into out.
// Transport failures and 503 answers are retryable; other errors come back
// as the *Error the peer sent.
func (s *Store) call(ctx context.Context, method, url string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if s.key != nil {
		s.key.sign(req, body, time.Now())
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if tlsHandshakeError(err) {
			return Errorf(CodeUnavailable, "the TLS handshake with %s failed (%v): every node needs a certificate from the cluster's CA (--tls-cert, --tls-key, --tls-ca)", url, unwrapURLError(err))
		}
		return retryError{fmt.Errorf("reach %s: %w", url, err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxCommandBytes))
	if err != nil {
		return retryError{fmt.Errorf("read answer of %s: %w", url, err)}
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, out); err != nil {
			return notCoopError(url, resp.StatusCode)
		}
		return nil
	}
	var eb errorBody
	if err := json.Unmarshal(raw, &eb); err != nil || eb.Error == nil {
		switch resp.StatusCode {
		case http.StatusNotFound:
			return notFoundError{notCoopError(url, resp.StatusCode)}
		case http.StatusServiceUnavailable:
			// Busy or stopping (its HTTP server cut a request it was
			// still reading): another try may succeed.
			return retryError{fmt.Errorf("%s answered 503: busy or stopping", url)}
		}
		return notCoopError(url, resp.StatusCode)
	}
	if resp.StatusCode == http.StatusServiceUnavailable {
		return retryError{eb.Error}
	}
	return eb.Error
}

// unwrapURLError drops the method and URL that net/http puts around a
// transport error (the caller names the URL already).
func unwrapURLError(err error) error {
	var ue *neturl.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// notFoundError is a 404 answered without a coop error: a path the peer
// does not serve (an older version).
type notFoundError struct{ error }

func (e notFoundError) Unwrap() error { return e.error }

func notCoopError(url string, status int) error {
	return Errorf(CodeInvalid, "%s did not answer like a coop node (HTTP %d)", url, status)
}

// forwardApply sends a command to the leader, with the others waiting
// (forward.go).
func (s *Store) forwardApply(ctx context.Context, data []byte) (Result, error) {
	return s.forwarder.forward(ctx, data)
}

func (s *Store) fetchReadIndex(ctx context.Context) (uint64, error) {
	leader, err := s.leaderURL()
	if err != nil {
		return 0, err
	}
	var out struct {
		Index uint64 `json:"index"`
	}
	err = s.call(ctx, http.MethodGet, leader+pathReadIndex, nil, &out)
	return out.Index, err
}

func (s *Store) forwardMembership(ctx context.Context, path string, n nodeInfo) error {
	leader, err := s.leaderURL()
	if err != nil {
		return Errorf(CodeUnavailable, "no leader to ask: %v", err)
	}
	body, _ := json.Marshal(n)
	var out map[string]any
	return s.call(ctx, http.MethodPost, leader+path, body, &out)
}

// JoinCluster asks the node at joinURL (any member of the cluster) to add
// this node. It retries an unreachable or leaderless cluster a bounded
// number of times, and gives up at once on an address that is not coop.
func (s *Store) JoinCluster(ctx context.Context, joinURL string) error {
	joinURL = strings.TrimRight(joinURL, "/")
	if !strings.HasPrefix(joinURL, "http://") && !strings.HasPrefix(joinURL, "https://") {
		return Errorf(CodeInvalid, "--join wants the HTTP URL of a cluster member, like http://127.0.0.1:8080; got %q", joinURL)
	}
	body, _ := json.Marshal(nodeInfo{ID: s.cfg.NodeID, RaftAddr: s.RaftAddr(), HTTPURL: s.cfg.HTTPURL})
	const attempts = 6
	backoff := 200 * time.Millisecond
	var err error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("join %s: %w (last error: %v)", joinURL, ctx.Err(), err)
			case <-time.After(backoff):
			}
			backoff *= 2
		}
		var out map[string]any
		attemptCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = s.call(attemptCtx, http.MethodPost, joinURL+pathJoin, body, &out)
		cancel()
		if err == nil {
			s.logger.Info("joined cluster", "via", joinURL)
			return nil
		}
		if !retryable(err) {
			return fmt.Errorf("join %s: %s", joinURL, ErrorMessageOrText(err))
		}
		s.logger.Warn("join attempt failed", "via", joinURL, "attempt", i+1, "error", err)
	}
	return fmt.Errorf("join %s: gave up after %d attempts: %s", joinURL, attempts, ErrorMessageOrText(err))
}
