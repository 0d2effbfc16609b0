package api_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"coop/members"
	"coop/raftdata"
	"coop/ui"
	"coop/ui/uitest"
)

// TestBackup_SealedOnTheNode: an operator's POST /api/v1/backup answers
// the state sealed under the file key sent, which the operator's key
// opens; the index header names the state; a malformed key is a 400.
func TestBackup_SealedOnTheNode(t *testing.T) {
	env := uitest.OpenEnv(t)
	var logs bytes.Buffer
	env.Deps.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	app := ui.New(env.Deps)
	s, err := env.Members.Login(context.Background(), members.LoginInput{Email: "op@coop.test", Password: uitest.Password, Address: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	master, err := raftdata.NewBackupKey()
	if err != nil {
		t.Fatal(err)
	}
	fk, err := master.NewFileKey()
	if err != nil {
		t.Fatal(err)
	}
	req := uitest.JSONRequest("POST", "/api/v1/backup", `{"key":"`+fk.String()+`"}`)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, body := uitest.Call(t, app, req)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("backup: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(body, "op@coop.test") || strings.Contains(body, "SQLite format") {
		t.Fatal("plaintext in the answer")
	}
	br, err := raftdata.OpenBackup(strings.NewReader(body), master)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(br)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(plain, []byte("op@coop.test")) {
		t.Fatal("the decrypted backup does not hold the operator's account")
	}
	if idx, _ := strconv.ParseUint(resp.Header.Get("X-Coop-Backup-Index"), 10, 64); idx != br.Index || idx == 0 {
		t.Fatalf("index header %q, file index %d", resp.Header.Get("X-Coop-Backup-Index"), br.Index)
	}

	if !strings.Contains(logs.String(), "backup started") || strings.Contains(logs.String(), fk.String()[64:]) {
		t.Fatalf("the log does not say a backup started, or shows its key:\n%s", logs.String())
	}

	req = uitest.JSONRequest("POST", "/api/v1/backup", `{"key":"abc"}`)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, body = uitest.Call(t, app, req)
	if resp.StatusCode != 400 || !strings.Contains(uitest.DecodeError(t, body).Message, "hex digits") {
		t.Fatalf("bad key: %d %s", resp.StatusCode, body)
	}
}
