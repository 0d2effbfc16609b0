package raftdata

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// CommandVersion is the version of the envelope written to the log. A node
// refuses to start on a log holding a newer version than it understands
// (decoding panics: the log is the truth and must not be skipped).
const CommandVersion = 1

// Command is one write, as it travels through the Raft log. The node that
// proposes it stamps ID and Time once; every node's FSM sees the same values,
// so handlers never read the clock or draw random numbers themselves.
type Command struct {
	Version int             `json:"v"`
	Type    string          `json:"type"`
	ID      string          `json:"id"`
	Time    time.Time       `json:"time"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// NewCommand stamps a command of type typ with a fresh ID and the time now.
func NewCommand(typ string, payload any, now time.Time) (Command, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return Command{}, fmt.Errorf("encode %s payload: %w", typ, err)
	}
	return Command{Version: CommandVersion, Type: typ, ID: NewID(), Time: now.UTC(), Payload: raw}, nil
}

// Decode unmarshals the payload into v.
func (c Command) Decode(v any) error {
	if err := json.Unmarshal(c.Payload, v); err != nil {
		return fmt.Errorf("decode %s payload: %w", c.Type, err)
	}
	return nil
}

func encodeCommand(c Command) ([]byte, error) { return json.Marshal(c) }

// decodeCommand reads a log entry. An entry that does not decode, or that
// comes from a newer version, means the log cannot be applied faithfully.
func decodeCommand(data []byte) (Command, error) {
	var c Command
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("decode command: %w", err)
	}
	if c.Version < 1 || c.Version > CommandVersion {
		return c, fmt.Errorf("command %s has version %d, this node understands up to %d", c.ID, c.Version, CommandVersion)
	}
	if c.Type == "" || c.ID == "" {
		return c, fmt.Errorf("command without type or id")
	}
	return c, nil
}

// Result is what applying a command gave: a JSON value, or the refusal.
type Result struct {
	Value json.RawMessage `json:"value,omitempty"`
	Err   *Error          `json:"error,omitempty"`
	// Index is the log index the command was applied at (set on the way
	// back to the caller, not recorded): a follower that forwarded it
	// waits until its own copy holds it, so its caller reads its write.
	Index uint64 `json:"index,omitempty"`
	// Term is the term of the entry at Index, in a leader's answer to a
	// forwarded write: the follower tells its raft the entry is committed
	// (commitnotice.go).
	Term uint64 `json:"term,omitempty"`
}

// NewID returns 128 random bits in hex: command ids, and ids for domain
// packages that need an unguessable identifier.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}
