// Command ferretdb starts FerretDB v1 on its SQLite backend through the embeddable
// github.com/FerretDB/FerretDB/ferretdb package, behind a front that runs commands one at a time.
//
// Why a wrapper main: upstream's cmd/ferretdb panics when github.com/FerretDB/FerretDB is the
// build's main module, because the generated build/version/version.txt is not part of the
// published module. With this module as the main module, that check is skipped.
//
// Why the front: see serialize.go (FerretDB issue #3040, non-atomic single-document updates).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite URI (a directory, ending in /)")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	serialize := flag.Bool("serialize", true, "run commands one at a time (atomic single-document updates)")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: bad --log-level %q: %v\n", *logLevel, err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	listener := ferretdb.ListenerConfig{TCP: *listen}
	var front net.Listener
	if *serialize {
		dir, err := os.MkdirTemp("", "ferretdb-")
		if err != nil {
			fail(err)
		}
		defer os.RemoveAll(dir)
		listener = ferretdb.ListenerConfig{Unix: filepath.Join(dir, "ferretdb.sock")}
		if front, err = net.Listen("tcp", *listen); err != nil {
			fail(err)
		}
	}

	f, err := ferretdb.New(&ferretdb.Config{Listener: listener, Logger: logger, Handler: "sqlite", SQLiteURL: *sqliteURL})
	if err != nil {
		fail(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if front != nil {
		s := &serializer{upstream: listener.Unix, logger: logger}
		go func() {
			if err := s.serve(front); err != nil {
				logger.Error("front listener stopped", "error", err)
				stop()
			}
		}()
		go func() {
			<-ctx.Done()
			front.Close()
		}()
	}

	logger.Info("ferretdb listening", "addr", *listen, "serialized", *serialize)
	if err := f.Run(ctx); err != nil && ctx.Err() == nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "ferretdb: %v\n", err)
	os.Exit(1)
}
