package main

import (
	"strings"
	"testing"
	"time"
)

// --snapshot-threshold and --snapshot-interval: read from flags or the
// environment, checked by Validate.
func TestConfig_SnapshotFlags(t *testing.T) {
	tests := []struct {
		name          string
		args          []string
		env           map[string]string
		wantThreshold uint64
		wantInterval  time.Duration
		wantErr       string
	}{
		{"defaults", nil, nil, 0, 0, ""},
		{"flags", []string{"--snapshot-threshold", "64", "--snapshot-interval", "200ms"}, nil, 64, 200 * time.Millisecond, ""},
		{"environment", nil, map[string]string{"COOP_SNAPSHOT_THRESHOLD": "1000", "COOP_SNAPSHOT_INTERVAL": "1m"}, 1000, time.Minute, ""},
		{"threshold too small", []string{"--snapshot-threshold", "5"}, nil, 5, 0, "--snapshot-threshold 5 is too small: use at least 16"},
		{"interval too short", []string{"--snapshot-interval", "1ms"}, nil, 0, time.Millisecond, "--snapshot-interval 1ms is too short"},
		{"not a number", nil, map[string]string{"COOP_SNAPSHOT_THRESHOLD": "many"}, 0, 0, `COOP_SNAPSHOT_THRESHOLD="many" is not a valid value for --snapshot-threshold`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := parseServeConfig(tt.args, env(tt.env))
			if err == nil {
				err = cfg.Validate()
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			case tt.wantErr == "" && (cfg.SnapshotThreshold != tt.wantThreshold || cfg.SnapshotInterval != tt.wantInterval):
				t.Fatalf("threshold %d interval %s, want %d %s", cfg.SnapshotThreshold, cfg.SnapshotInterval, tt.wantThreshold, tt.wantInterval)
			}
		})
	}
}
