package main

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"coop/raftdata/raftdatatest"
)

func TestConfig_Precedence(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		get  func(Config) any
		want any
	}{
		{"default", nil, nil, func(c Config) any { return c.HTTP }, "127.0.0.1:8080"},
		{"env over default", nil, map[string]string{"COOP_HTTP": "127.0.0.1:9000"}, func(c Config) any { return c.HTTP }, "127.0.0.1:9000"},
		{"flag over env", []string{"--http", "127.0.0.1:9100"}, map[string]string{"COOP_HTTP": "127.0.0.1:9000"}, func(c Config) any { return c.HTTP }, "127.0.0.1:9100"},
		{"empty env is unset", nil, map[string]string{"COOP_DATA": ""}, func(c Config) any { return c.Data }, "./coop-data"},
		{"dashed name in env", nil, map[string]string{"COOP_NODE_ID": "alpha"}, func(c Config) any { return c.NodeID }, "alpha"},
		{"dashed name as flag", []string{"--node-id=beta"}, map[string]string{"COOP_NODE_ID": "alpha"}, func(c Config) any { return c.NodeID }, "beta"},
		{"bool from env", nil, map[string]string{"COOP_DEMO": "true"}, func(c Config) any { return c.Demo }, true},
		{"timezone default", nil, nil, func(c Config) any { return c.Timezone }, "Europe/Paris"},
		{"timezone from TZ", nil, map[string]string{"TZ": "America/Montreal"}, func(c Config) any { return c.Timezone }, "America/Montreal"},
		{"TZ as a path is not a zone name", nil, map[string]string{"TZ": ":/etc/localtime"}, func(c Config) any { return c.Timezone }, "Europe/Paris"},
		{"COOP_TIMEZONE over TZ", nil, map[string]string{"TZ": "America/Montreal", "COOP_TIMEZONE": "UTC"}, func(c Config) any { return c.Timezone }, "UTC"},
		{"timezone flag over env", []string{"--timezone", "Asia/Tokyo"}, map[string]string{"COOP_TIMEZONE": "UTC"}, func(c Config) any { return c.Timezone }, "Asia/Tokyo"},
		{"bool flag over env", []string{"--demo=false"}, map[string]string{"COOP_DEMO": "true"}, func(c Config) any { return c.Demo }, false},
		{"key file flag over key env", []string{"--cluster-key-file", "f"}, map[string]string{"COOP_CLUSTER_KEY": "k"},
			func(c Config) any { return c.ClusterKey + "|" + c.ClusterKeyFile }, "|f"},
		{"key flag over key file env", []string{"--cluster-key", "k"}, map[string]string{"COOP_CLUSTER_KEY_FILE": "f"},
			func(c Config) any { return c.ClusterKey + "|" + c.ClusterKeyFile }, "k|"},
		{"key file from env", nil, map[string]string{"COOP_CLUSTER_KEY_FILE": "f"},
			func(c Config) any { return c.ClusterKey + "|" + c.ClusterKeyFile }, "|f"},
		{"trusted proxies from env", nil, map[string]string{"COOP_TRUSTED_PROXIES": "127.0.0.1,10.0.0.0/8"}, func(c Config) any { return c.TrustedProxies }, "127.0.0.1,10.0.0.0/8"},
		{"requests per minute by default", nil, nil, func(c Config) any { return c.RequestsPerMinute }, 1200},
		{"no request limit", []string{"--requests-per-minute", "0"}, map[string]string{"COOP_REQUESTS_PER_MINUTE": "60"}, func(c Config) any { return c.RequestsPerMinute }, 0},
		{"sign-ups per hour by default", nil, nil, func(c Config) any { return c.SignupsPerHour }, 20},
		{"sign-ups per hour from env", nil, map[string]string{"COOP_SIGNUPS_PER_HOUR": "0"}, func(c Config) any { return c.SignupsPerHour }, 0},
		{"sign-ups per hour flag over env", []string{"--signups-per-hour", "5"}, map[string]string{"COOP_SIGNUPS_PER_HOUR": "0"}, func(c Config) any { return c.SignupsPerHour }, 5},
		{"every env name", nil, map[string]string{
			"COOP_DATA": "d", "COOP_RAFT": "127.0.0.1:1", "COOP_JOIN": "http://x:1", "COOP_NATS": "nats://y:2",
			"COOP_NATS_LISTEN": "127.0.0.1:3", "COOP_CLUSTER_KEY": "k", "COOP_RULES": "r.json",
			"COOP_ADVERTISE_HTTP": "http://z:4", "COOP_ADVERTISE_RAFT": "z:5",
			"COOP_TLS_CERT": "c.pem", "COOP_TLS_KEY": "k.pem", "COOP_TLS_CA": "ca.pem",
		}, func(c Config) any {
			return strings.Join([]string{c.Data, c.Raft, c.Join, c.NATS, c.NATSListen, c.ClusterKey, c.Rules, c.AdvertiseHTTP, c.AdvertiseRaft,
				c.TLSCert, c.TLSKey, c.TLSCA}, " ")
		}, "d 127.0.0.1:1 http://x:1 nats://y:2 127.0.0.1:3 k r.json http://z:4 z:5 c.pem k.pem ca.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := parseServeConfig(tt.args, env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.get(cfg); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConfig_ParseErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown flag", []string{"--bogus"}, nil, "flag provided but not defined: -bogus"},
		{"bad bool in env", nil, map[string]string{"COOP_DEMO": "maybe"}, `COOP_DEMO="maybe" is not a valid value for --demo`},
		{"stray argument", []string{"extra"}, nil, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parseServeConfig(tt.args, env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
	if _, _, err := parseServeConfig([]string{"-h"}, env(nil)); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
}

func TestConfig_Validate(t *testing.T) {
	rules := filepath.Join(t.TempDir(), "rules.json")
	if err := os.WriteFile(rules, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "cluster-key")
	shortKeyFile := filepath.Join(t.TempDir(), "short-key")
	if os.WriteFile(keyFile, []byte(testClusterKey+"\n"), 0o600) != nil || os.WriteFile(shortKeyFile, []byte("short\n"), 0o600) != nil {
		t.Fatal("write key files")
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" means valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"everything set", func(c *Config) {
			c.NodeID, c.Join, c.ClusterKey, c.Rules = "n-1.a_b", "https://coop.example:8080", testClusterKey, rules
			c.NATSListen, c.AdvertiseHTTP, c.AdvertiseRaft = "127.0.0.1:4222", "http://10.0.0.5:8080", "10.0.0.5:7000"
		}, ""},
		{"external nats", func(c *Config) { c.NATS = "nats://10.0.0.9:4222,nats://10.0.0.10:4222" }, ""},
		{"no data dir", func(c *Config) { c.Data = "" }, "--data is empty"},
		{"http without port", func(c *Config) { c.HTTP = "localhost" }, `--http "localhost": want host:port`},
		{"raft bad port", func(c *Config) { c.Raft = "127.0.0.1:nope" }, `"nope" is not a port`},
		{"every interface needs advertise", func(c *Config) { c.HTTP = ":8080" }, "give --advertise-http"},
		{"raft on every interface", func(c *Config) { c.Raft = "0.0.0.0:7000" }, "give --advertise-raft"},
		{"bad node id", func(c *Config) { c.NodeID = "a b" }, "--node-id"},
		{"join not http", func(c *Config) { c.Join = "127.0.0.1:8080" }, "--join"},
		{"nats not a nats url", func(c *Config) { c.NATS = "http://x:4222" }, "--nats"},
		{"nats and nats-listen", func(c *Config) { c.NATS, c.NATSListen = "nats://x:4222", "127.0.0.1:4222" }, "give one or the other"},
		{"short cluster key", func(c *Config) { c.ClusterKey = "short" }, "--cluster-key (or COOP_CLUSTER_KEY) is too short: a cluster key has at least 32 characters (this one has 5)"},
		{"cluster key file", func(c *Config) { c.ClusterKeyFile = keyFile }, ""},
		{"short cluster key file", func(c *Config) { c.ClusterKeyFile = shortKeyFile }, "--cluster-key-file \"" + shortKeyFile + "\" is too short"},
		{"missing cluster key file", func(c *Config) { c.ClusterKeyFile = shortKeyFile + ".none" }, "no such file (a copy of the first node's DATA/cluster-key)"},
		{"key and key file", func(c *Config) { c.ClusterKey, c.ClusterKeyFile = testClusterKey, keyFile }, "give the cluster key once"},
		{"missing rules", func(c *Config) { c.Rules = filepath.Join(t.TempDir(), "none.json") }, "--rules"},
		{"rules is a directory", func(c *Config) { c.Rules = t.TempDir() }, "is a directory"},
		{"advertise raft unspecified", func(c *Config) { c.AdvertiseRaft = "0.0.0.0:7000" }, "cannot dial an unspecified address"},
		{"advertise http not a url", func(c *Config) { c.AdvertiseHTTP = "10.0.0.5:8080" }, "--advertise-http"},
		{"trusted proxies", func(c *Config) { c.TrustedProxies = " 127.0.0.1, ::1 ,10.0.0.0/8,fd00::/8" }, ""},
		{"a proxy that is no address", func(c *Config) { c.TrustedProxies = "127.0.0.1,proxy.example" }, `"proxy.example" is neither an address nor a CIDR prefix`},
		{"negative request limit", func(c *Config) { c.RequestsPerMinute = -1 }, "--requests-per-minute -1"},
		{"negative sign-ups per hour", func(c *Config) { c.SignupsPerHour = -1 }, "--signups-per-hour -1"},
		{"unknown time zone", func(c *Config) { c.Timezone = "Mars/Olympus" }, "--timezone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.change(&cfg)
			err := cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestConfig_ValidateReportsEveryProblem(t *testing.T) {
	cfg := Config{HTTP: "x", Raft: "y"}
	err := cfg.Validate()
	if err == nil || strings.Count(err.Error(), "\n") != 2 {
		t.Fatalf("want three sentences, got %v", err)
	}
}

func TestConfig_ValidateTLS(t *testing.T) {
	dir := t.TempDir()
	ca := raftdatatest.NewCA(t, "cluster CA")
	cert, key, caFile := ca.WriteFiles(t, dir, "n1")
	otherCert, otherKey, _ := raftdatatest.NewCA(t, "another CA").WriteFiles(t, t.TempDir(), "n1")
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	notPEM := write("not.pem", "not PEM at all\n")
	missing := filepath.Join(dir, "missing.pem")
	files := func(c, k, a string) func(*Config) {
		return func(cfg *Config) { cfg.TLSCert, cfg.TLSKey, cfg.TLSCA = c, k, a }
	}

	type tlsCase struct {
		name   string
		change func(*Config)
		want   string // "" means valid
	}
	tests := []tlsCase{
		{"HTTPS only", files(cert, key, ""), ""},
		{"mutual TLS", func(c *Config) {
			files(cert, key, caFile)(c)
			c.AdvertiseHTTP, c.Join = "https://10.0.0.5:8443", "https://10.0.0.6:8443"
		}, ""},
		{"cert without key", files(cert, "", ""), "--tls-cert needs --tls-key"},
		{"key without cert", files("", key, ""), "--tls-key needs --tls-cert"},
		{"CA without cert", files("", "", caFile), "--tls-ca needs --tls-cert and --tls-key"},
		{"missing cert file", files(missing, key, ""), `--tls-cert "` + missing + `": no such file`},
		{"key of another certificate", files(cert, otherKey, ""), "does not match the certificate"},
		{"cert file without a certificate", files(notPEM, key, ""), "holds no PEM certificate"},
		{"key file without a key", files(cert, notPEM, ""), "holds no PEM private key"},
		{"CA file without a certificate", files(cert, key, notPEM), `--tls-ca "` + notPEM + `" holds no PEM certificate`},
		{"certificate from another CA", files(otherCert, otherKey, caFile), "does not fit the CA"},
		{"advertised http with TLS", func(c *Config) {
			files(cert, key, "")(c)
			c.AdvertiseHTTP = "http://10.0.0.5:8080"
		}, "starts with http://"},
		{"join over http with mutual TLS", func(c *Config) {
			files(cert, key, caFile)(c)
			c.Join = "http://10.0.0.5:8443"
		}, "use https://"},
		{"cluster key with mutual TLS", func(c *Config) {
			files(cert, key, caFile)(c)
			c.ClusterKey = testClusterKey
		}, "not used with --tls-ca"},
		{"cluster key with HTTPS only", func(c *Config) {
			files(cert, key, "")(c)
			c.ClusterKey = testClusterKey
		}, ""},
	}
	if os.Geteuid() != 0 { // root reads any file
		unreadable := write("unreadable.pem", "")
		os.Chmod(unreadable, 0)
		tests = append(tests, tlsCase{"unreadable key", files(cert, unreadable, ""), `--tls-key "` + unreadable + `": cannot read it`})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.change(&cfg)
			err := cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error = %v, want %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "\n"):
				t.Fatalf("one problem, several sentences: %v", err)
			}
		})
	}
}

// A bad --smtp URL is refused with a sentence that never repeats its
// password; a bad --public-url too.
func TestConfig_SMTPAndPublicURL(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SMTP = "http://coop:hunter2-secret@mail.example.org"
	cfg.PublicURL = "coop.example.org"
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "--smtp") || !strings.Contains(err.Error(), "--public-url") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("err = %v", err)
	}
	cfg.SMTP, cfg.PublicURL = "smtps://coop:hunter2-secret@mail.example.org?from=coop@example.org", "https://coop.example.org"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}
