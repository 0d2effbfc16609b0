package raftdata

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// A refusal carries its reason, parameters and field; several make one
// refusal that keeps each; a part's problems join the whole's.
func TestRefuse_ReasonParamsProblems(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	e := Refuse(CodeInvalid, "too_short", "at least %d", 12).With("min", 12).With("eps", 0.5).With("at", at).On("password")
	if e.Message != "at least 12" || e.Params["min"] != "12" || e.Params["eps"] != "0.5" || e.Params["at"] != "2026-03-04T04:06:07Z" || e.Field != "password" {
		t.Fatalf("%+v", e)
	}
	var none Problems
	if none.Err(CodeInvalid, "x: ") != nil {
		t.Fatal("no problem is an error")
	}
	one := Problems{e}
	if got := one.Err(CodeInvalid, "form: "); ErrorReason(got) != "too_short" || errors.Unwrap(got) != nil {
		t.Fatalf("one problem: %v", got)
	}
	var p Problems
	p.Add(Refuse(CodeInvalid, "a", "first"))
	var part Problems
	part.Add(Refuse(CodeInvalid, "b", "second").On("query.field"))
	part.Add(Refuse(CodeInvalid, "c", "third"))
	p.AddFrom(part.Err(CodeInvalid, "query: "), "bad_query", "query: ")
	p.AddFrom(fmt.Errorf("not a refusal"), "other", "")
	err := p.Err(CodeInvalid, "form: ")
	var got *Error
	if !errors.As(err, &got) || got.Message != "form: first; query: second; query: third; not a refusal" || got.Reason != "a" ||
		len(got.Problems) != 4 || got.Problems[1].Field != "query.field" || got.Problems[3].Reason != "other" {
		t.Fatalf("%+v", got)
	}
}

// A refusal's reason and parameters survive the trip from the leader to
// the follower that forwarded the write.
func TestCluster2_RefusalKeepsItsReasonThroughAFollower(t *testing.T) {
	c := startCluster(t, 2)
	c.waitLeader()
	follower := c.followers()[0]
	err := follower.RecordBackup(context.Background(), 0, "operator")
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeInvalid || e.Reason != ReasonMalformed {
		t.Fatalf("a refused write through a follower: %#v", err)
	}
}
