package main

// A serializing front for FerretDB's SQLite backend.
//
// Why: FerretDB 1.24's handlers read a document, change it in Go and write it back outside one
// SQLite transaction (FerretDB issue #3040), so two connections updating the same document at
// once lose one update, and two `findOneAndUpdate` claims can both win. MongoDB makes every
// single-document write atomic, and the pipeline relies on that (job leases, optimistic version
// checks). This front accepts client connections and passes each command to FerretDB while
// holding one process-wide lock until its reply has been read, so commands run one at a time.
//
// It understands only MongoDB's message framing (a 16-byte header whose first int32 is the
// message length; https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/), and
// the OP_MSG `moreToCome` flag, after which no reply follows. FerretDB supports neither exhaust
// cursors nor awaitable hello, so every other request has exactly one reply.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
)

const (
	opMsg          = 2013
	flagMoreToCome = 1 << 1
	// Largest message MongoDB accepts (maxMessageSizeBytes); a larger length is a framing error.
	maxMessageBytes = 48_000_000
)

type serializer struct {
	upstream string // unix socket path of the embedded FerretDB listener
	logger   *slog.Logger
	mu       sync.Mutex
}

func (s *serializer) serve(l net.Listener) error {
	for {
		client, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		go s.handle(client)
	}
}

func (s *serializer) handle(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("unix", s.upstream)
	if err != nil {
		s.logger.Error("cannot reach embedded FerretDB", "error", err)
		return
	}
	defer server.Close()
	for {
		req, err := readMessage(client)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.logger.Debug("client connection ended", "error", err)
			}
			return
		}
		if err := s.roundTrip(req, client, server); err != nil {
			s.logger.Warn("command failed in transit", "error", err)
			return
		}
	}
}

// roundTrip forwards one request and, unless it is fire-and-forget, its one reply, under the lock.
func (s *serializer) roundTrip(req []byte, client, server net.Conn) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := server.Write(req); err != nil {
		return err
	}
	if !expectsReply(req) {
		return nil
	}
	reply, err := readMessage(server)
	if err != nil {
		return err
	}
	_, err = client.Write(reply)
	return err
}

func expectsReply(msg []byte) bool {
	opCode := binary.LittleEndian.Uint32(msg[12:16])
	if opCode == opMsg && len(msg) >= 20 {
		return binary.LittleEndian.Uint32(msg[16:20])&flagMoreToCome == 0
	}
	return true
}

// readMessage reads one whole wire message (header included).
func readMessage(r io.Reader) ([]byte, error) {
	var header [16]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return nil, err
	}
	length := int32(binary.LittleEndian.Uint32(header[0:4]))
	if length < 16 || length > maxMessageBytes {
		return nil, fmt.Errorf("bad message length %d", length)
	}
	msg := make([]byte, length)
	copy(msg, header[:])
	if _, err := io.ReadFull(r, msg[16:]); err != nil {
		return nil, err
	}
	return msg, nil
}
