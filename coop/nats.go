package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The JetStream stream that carries coop's events. Events are derived from
// the Raft log, which stays the source of truth: the stream is a feed for
// live pages, so memory storage and a bounded age are enough.
const (
	streamName       = "COOP"
	streamSubjects   = "coop.>"
	streamDuplicates = 2 * time.Minute
	streamMaxAge     = 24 * time.Hour
	streamMaxBytes   = 64 << 20
)

// startEmbeddedNATS runs a nats-server inside the process. It listens on
// no port unless listen is set (several nodes share one machine), keeps
// JetStream's files under storeDir, and logs nothing.
func startEmbeddedNATS(name, storeDir, listen string) (*server.Server, error) {
	opts := &server.Options{
		ServerName:         name,
		DontListen:         listen == "",
		JetStream:          true,
		StoreDir:           storeDir,
		JetStreamMaxMemory: 2 * streamMaxBytes,
		NoLog:              true,
		NoSigs:             true,
	}
	if listen != "" {
		host, portText, err := net.SplitHostPort(listen)
		if err != nil {
			return nil, fmt.Errorf("--nats-listen %q: %w", listen, err)
		}
		port, err := strconv.Atoi(portText)
		if err != nil {
			return nil, fmt.Errorf("--nats-listen %q: the port is not a number", listen)
		}
		if port == 0 {
			port = server.RANDOM_PORT // nats-server reads 0 as its default, 4222
		}
		if host == "" {
			host = "127.0.0.1"
		}
		opts.Host, opts.Port = host, port
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("configure embedded NATS: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("the embedded NATS server did not start within 10s")
	}
	return ns, nil
}

// connectNATS connects to the embedded server in-process, or to the
// external one at url.
func connectNATS(ns *server.Server, url, nodeID string) (*nats.Conn, error) {
	opts := []nats.Option{nats.Name("coop " + nodeID), nats.MaxReconnects(-1)}
	if ns != nil {
		opts = append(opts, nats.InProcessServer(ns))
		url = ""
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		if ns == nil {
			return nil, fmt.Errorf("cannot reach the NATS server at %s (--nats): %w; check that it runs and that the URL is right", url, err)
		}
		return nil, fmt.Errorf("connect to the embedded NATS: %w", err)
	}
	return nc, nil
}

// ensureStream creates the COOP stream, or brings an existing one to this
// configuration.
func ensureStream(ctx context.Context, js jetstream.JetStream) error {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       streamName,
		Subjects:   []string{streamSubjects},
		Storage:    jetstream.MemoryStorage,
		Duplicates: streamDuplicates,
		MaxAge:     streamMaxAge,
		MaxBytes:   streamMaxBytes,
		Discard:    jetstream.DiscardOld,
	})
	if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) ||
		errors.Is(err, nats.ErrNoResponders) {
		return fmt.Errorf("the NATS server has no JetStream, where coop keeps its events: start it with -js (%w)", err)
	}
	if err != nil {
		return fmt.Errorf("create stream %s: %w", streamName, err)
	}
	return nil
}
