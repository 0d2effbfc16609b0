package raftdata

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// The cluster key is what a node proves to its peers when the cluster does
// not run mutual TLS. No address is trusted: a reverse proxy on the same
// host makes every visitor look local, and any local process can dial the
// Raft port. The key itself never travels:
//
//   - every node-to-node HTTP request carries an HMAC-SHA256 of its
//     method, path, time and body's SHA-256 (header X-Coop-Cluster-Auth);
//     a request more than a minute away from the receiver's clock is
//     refused, and a replay within that minute changes nothing (a command
//     id is applied once; joins and removals are idempotent; the rest reads);
//   - a Raft connection opens with a challenge-response both ways (random
//     nonces, HMACs under a key of its own), bounded in time, before raft
//     reads or writes a byte of it.
//
// Two keys are derived from the secret with HKDF-SHA256, one per use, so
// that a MAC made for one can never be replayed as the other.

// MinClusterKeyLength is the shortest cluster key a node accepts, in
// bytes. NewClusterKey makes keys of 43.
const MinClusterKeyLength = 32

// NewClusterKey draws a random cluster key: 256 bits, base64url encoded.
func NewClusterKey() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// CheckClusterKey tells what is wrong with a cluster key, or nil.
func CheckClusterKey(key string) error {
	if len(key) < MinClusterKeyLength {
		return fmt.Errorf("a cluster key has at least %d characters (this one has %d)", MinClusterKeyLength, len(key))
	}
	return nil
}

// HasRaftState tells whether dir (a Config.Dir) holds a node that has been
// part of a cluster: a term, log entries or a snapshot. A new directory, a
// node whose first join failed, or a restored backup (PrepareRestore) has
// none yet. No node may have dir open.
func HasRaftState(dir string) (bool, error) {
	path := filepath.Join(dir, "raft.db")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	logs, err := openLogStore(path)
	if err != nil {
		return false, err
	}
	defer logs.Close()
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 1, hclog.NewNullLogger())
	if err != nil {
		return false, fmt.Errorf("open snapshot store: %w", err)
	}
	return raft.HasExistingState(logs, logs, snaps)
}

// clusterKey holds the keys derived from the cluster's secret.
type clusterKey struct {
	http []byte // signs node-to-node HTTP requests
	raft []byte // proves the secret when a Raft connection opens
}

func deriveClusterKey(secret string) (*clusterKey, error) {
	if err := CheckClusterKey(secret); err != nil {
		return nil, err
	}
	k := &clusterKey{}
	var err error
	if k.http, err = hkdf.Key(sha256.New, []byte(secret), nil, "coop raftdata internal HTTP v1", 32); err != nil {
		return nil, err
	}
	if k.raft, err = hkdf.Key(sha256.New, []byte(secret), nil, "coop raftdata raft handshake v1", 32); err != nil {
		return nil, err
	}
	return k, nil
}

// Node-to-node HTTP requests.
const (
	headerClusterAuth = "X-Coop-Cluster-Auth"
	authScheme        = "coop-hmac-v1"
	// signatureWindow is how far a request's time may be from the
	// receiver's clock: transit plus clock skew between the nodes.
	signatureWindow = time.Minute
)

func (k *clusterKey) requestMAC(method, uri, unix string, body []byte) []byte {
	sum := sha256.Sum256(body)
	m := hmac.New(sha256.New, k.http)
	fmt.Fprintf(m, "%s\n%s\n%s\n%x", method, uri, unix, sum)
	return m.Sum(nil)
}

// sign adds the request's signature: what every node does before it calls
// a peer.
func (k *clusterKey) sign(req *http.Request, body []byte, now time.Time) {
	unix := strconv.FormatInt(now.Unix(), 10)
	mac := k.requestMAC(req.Method, req.URL.RequestURI(), unix, body)
	req.Header.Set(headerClusterAuth, authScheme+" "+unix+" "+hex.EncodeToString(mac))
}

// errNeedClusterKey is the sentence of a 403 on the internal API.
const errNeedClusterKey = "this is the node-to-node API: a call must prove the cluster key (coop nodes sign each call with it)"

// verify checks r's signature over body. The error is the sentence of the
// 403 the caller gets.
func (k *clusterKey) verify(r *http.Request, body []byte, now time.Time) error {
	auth := r.Header.Get(headerClusterAuth)
	if auth == "" {
		return errors.New(errNeedClusterKey + "; this one carries no signature")
	}
	parts := strings.Fields(auth)
	if len(parts) != 3 || parts[0] != authScheme {
		return errors.New(errNeedClusterKey + "; this one's signature is malformed")
	}
	unix, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return errors.New(errNeedClusterKey + "; this one's signature is malformed")
	}
	mac, err := hex.DecodeString(parts[2])
	if err != nil || !hmac.Equal(mac, k.requestMAC(r.Method, r.URL.RequestURI(), parts[1], body)) {
		return errors.New("this call is not signed with this cluster's key: the calling node has another cluster key (every node needs the first node's DATA/cluster-key: --cluster-key-file)")
	}
	if skew := now.Sub(time.Unix(unix, 0)); skew > signatureWindow || skew < -signatureWindow {
		return fmt.Errorf("this call was signed %s away from this node's clock, more than the %s allowed: set the nodes' clocks (NTP)", skew.Round(time.Second).Abs(), signatureWindow)
	}
	return nil
}

// SignRequest signs req with the cluster key, as a node does before it
// calls a peer's internal API (Handler): tools and tests that call it use
// this. The body, if any, is read and put back.
func SignRequest(req *http.Request, secret string) error {
	k, err := deriveClusterKey(secret)
	if err != nil {
		return err
	}
	var body []byte
	if req.Body != nil {
		if body, err = io.ReadAll(req.Body); err != nil {
			return fmt.Errorf("read the request body: %w", err)
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	k.sign(req, body, time.Now())
	return nil
}

// The Raft handshake: the dialling node opens with raftHello and its nonce;
// the listening node answers with its nonce and its MAC of both; the
// dialling node checks it and answers with its own MAC. Each side proves
// the key, and neither MAC can stand for the other (they are labelled).
const (
	raftHello  = "COOPKEY1"
	nonceBytes = 32
	macBytes   = sha256.Size
)

func (k *clusterKey) raftMAC(side string, dialNonce, listenNonce []byte) []byte {
	m := hmac.New(sha256.New, k.raft)
	m.Write([]byte(side))
	m.Write(dialNonce)
	m.Write(listenNonce)
	return m.Sum(nil)
}

// dialHandshake proves the key to the peer that accepted conn, and checks
// the peer's proof, before deadline.
func (k *clusterKey) dialHandshake(conn net.Conn, deadline time.Time) error {
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	hello := make([]byte, len(raftHello)+nonceBytes)
	copy(hello, raftHello)
	dialNonce := hello[len(raftHello):]
	rand.Read(dialNonce)
	if _, err := conn.Write(hello); err != nil {
		return fmt.Errorf("send the handshake: %w", err)
	}
	answer := make([]byte, nonceBytes+macBytes)
	if _, err := io.ReadFull(conn, answer); err != nil {
		return fmt.Errorf("the peer did not complete the cluster key handshake (%v): it is not a coop node of this cluster, or has another cluster key", err)
	}
	listenNonce, proof := answer[:nonceBytes], answer[nonceBytes:]
	if !hmac.Equal(proof, k.raftMAC("listener", dialNonce, listenNonce)) {
		return errors.New("the peer did not prove the cluster key: it belongs to another cluster, or has another cluster key")
	}
	if _, err := conn.Write(k.raftMAC("dialler", dialNonce, listenNonce)); err != nil {
		return fmt.Errorf("send the handshake: %w", err)
	}
	return conn.SetDeadline(time.Time{})
}

// acceptHandshake checks that the peer that dialled conn holds the key,
// and proves it in turn, before deadline.
func (k *clusterKey) acceptHandshake(conn net.Conn, deadline time.Time) error {
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	hello := make([]byte, len(raftHello))
	if _, err := io.ReadFull(conn, hello); err != nil {
		return fmt.Errorf("no cluster key handshake: %w", err)
	}
	if string(hello) != raftHello {
		return errors.New("the peer did not open with the cluster key handshake (not a coop node, or an older one)")
	}
	dialNonce := make([]byte, nonceBytes)
	if _, err := io.ReadFull(conn, dialNonce); err != nil {
		return fmt.Errorf("no cluster key handshake: %w", err)
	}
	answer := make([]byte, nonceBytes+macBytes)
	listenNonce := answer[:nonceBytes]
	rand.Read(listenNonce)
	copy(answer[nonceBytes:], k.raftMAC("listener", dialNonce, listenNonce))
	if _, err := conn.Write(answer); err != nil {
		return fmt.Errorf("answer the handshake: %w", err)
	}
	proof := make([]byte, macBytes)
	if _, err := io.ReadFull(conn, proof); err != nil {
		return fmt.Errorf("the peer did not prove the cluster key: %w", err)
	}
	if !hmac.Equal(proof, k.raftMAC("dialler", dialNonce, listenNonce)) {
		return errors.New("the peer did not prove the cluster key")
	}
	return conn.SetDeadline(time.Time{})
}

// refusalLog logs the callers a node turns away, at most one line per
// refusalLogEvery for each message, with how many it did not log in
// between: a caller without the key cannot flood the log.
type refusalLog struct {
	logger  *slog.Logger
	mu      sync.Mutex
	last    map[string]time.Time
	skipped map[string]int
}

const refusalLogEvery = 10 * time.Second

func (l *refusalLog) log(msg, remote, reason string) {
	l.mu.Lock()
	now := time.Now()
	if now.Sub(l.last[msg]) < refusalLogEvery {
		l.skipped[msg]++
		l.mu.Unlock()
		return
	}
	if l.last == nil {
		l.last, l.skipped = map[string]time.Time{}, map[string]int{}
	}
	skipped := l.skipped[msg]
	l.last[msg], l.skipped[msg] = now, 0
	l.mu.Unlock()
	l.logger.Warn(msg, "remote", remote, "reason", reason, "more_refused_since_last_line", skipped)
}
