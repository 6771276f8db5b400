// Command embedded-store is the MongoDB-compatible store used by `npm start`, `npm test` and CI
// on machines where no MongoDB server can be installed (production uses MongoDB 7).
//
// It runs FerretDB 1.24 embedded (PostgreSQL backend) on an internal address and puts a small
// MongoDB wire-protocol front in front of it on the public address.
//
// Why the front exists: FerretDB 1.x executes update, findAndModify (and upserts) as a read
// followed by a separate write, so concurrent writers race (FerretDB issue #2168). Measured on
// this machine without the front: 100 concurrent $inc on one document → 4; 20 concurrent
// findOneAndUpdate({assignee: null}, {$set: {assignee}}) → 12 winners. The front serialises
// every mutating command through ONE process-wide mutex (held while the request goes to FerretDB
// and its reply comes back), which restores the single-document atomicity the hub relies on
// (queue claims, counters, idempotent upserts). Reads pass straight through, concurrently, and so
// do inserts: FerretDB writes an insert command as INSERT statements in one PostgreSQL
// transaction, with MongoDB's unique indexes as PostgreSQL unique indexes, so PostgreSQL itself
// makes concurrent inserts atomic and duplicate-free (no read-then-write to race). Letting them
// run side by side lets PostgreSQL commit them together (the chat hot path is inserts).
//
// Flags:
//
//	-listen 127.0.0.1:PORT          public MongoDB wire address (port 0 picks a free port)
//	-postgresql-url postgres://...  PostgreSQL URL for FerretDB's postgresql handler
//	-ferret-listen 127.0.0.1:PORT   internal FerretDB address (default: a free loopback port)
//	-stdin-watch                    exit when stdin reaches EOF (the parent died or closed it)
//	-gin-fields a,b                 add GIN companions of FerretDB's indexes on these fields (gin.go)
//
// Prints exactly one line "READY <listen-addr>" on stdout once FerretDB answers a ping (which
// checks the PostgreSQL connection) and the public address is listening. Exits cleanly on
// SIGTERM/SIGINT.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

const (
	opReply      = 1
	opQuery      = 2004
	opCompressed = 2012
	opMsg        = 2013

	headerLen = 16
	// MongoDB's maxMessageSizeBytes. Anything bigger (or smaller than a header) is garbage or
	// hostile; we close the connection rather than allocate for it.
	maxMessageLen = 48 * 1000 * 1000

	flagChecksumPresent = 1 << 0
	flagMoreToCome      = 1 << 1
)

// readCommands are the commands known not to mutate data. Everything else, including commands
// this list does not know, is treated as a write and serialised: being wrong in that direction
// costs a little concurrency, being wrong in the other direction costs correctness.
// (FerretDB 1.24 does not support $out/$merge, so aggregate is read-only.)
var readCommands = map[string]bool{
	"find": true, "aggregate": true, "count": true, "distinct": true, "getMore": true,
	"killCursors": true, "hello": true, "isMaster": true, "ismaster": true, "ping": true,
	"buildInfo": true, "buildinfo": true, "listCollections": true, "listDatabases": true,
	"listIndexes": true, "listCommands": true, "collStats": true, "dbStats": true,
	"dataSize": true, "serverStatus": true, "getParameter": true, "getCmdLineOpts": true,
	"getLog": true, "connectionStatus": true, "whatsmyuri": true, "explain": true,
	"endSessions": true, "saslStart": true, "saslContinue": true, "logout": true,
	"hostInfo": true, "getFreeMonitoringStatus": true, "validate": true, "currentOp": true,
	"usersInfo": true,
}

// lockFreeWrites mutate data but need no serialising (see the package comment): PostgreSQL makes
// them atomic on its own.
var lockFreeWrites = map[string]bool{"insert": true}

// writeLock is the one process-wide lock every mutating command holds while it runs in FerretDB.
var writeLock sync.Mutex

// conns tracks open sockets so shutdown can close them (FerretDB's Run waits for its
// connections to end before returning).
var (
	connsMu sync.Mutex
	conns   = map[net.Conn]struct{}{}
)

func track(c net.Conn) {
	connsMu.Lock()
	conns[c] = struct{}{}
	connsMu.Unlock()
}

func untrack(c net.Conn) {
	connsMu.Lock()
	delete(conns, c)
	connsMu.Unlock()
	_ = c.Close()
}

func closeAll() {
	connsMu.Lock()
	defer connsMu.Unlock()
	for c := range conns {
		_ = c.Close()
	}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "public MongoDB wire-protocol address")
	pgURL := flag.String("postgresql-url", "", "PostgreSQL URL, e.g. postgres://user@127.0.0.1:5432/ferretdb")
	ferretListen := flag.String("ferret-listen", "127.0.0.1:0", "internal FerretDB address")
	stdinWatch := flag.Bool("stdin-watch", false, "exit when stdin reaches EOF")
	readyTimeout := flag.Duration("ready-timeout", 60*time.Second, "how long to wait for FerretDB/PostgreSQL")
	gin := flag.String("gin-fields", "", "comma-separated field names that get GIN companions of FerretDB's btree indexes (gin.go)")
	flag.Parse()

	if *pgURL == "" {
		fatal("-postgresql-url is required")
	}

	// FerretDB allocates a lot per request and its live heap is small (tens of MB), so Go's default
	// (collect when the heap doubles) runs the collector many times a second under chat load, and on
	// a 2-core machine each cycle takes CPU from PostgreSQL and the hub: write latency spikes.
	// Collecting at 5x the live heap cuts that to a fraction for a few tens of MB. GOGC still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	if *stdinWatch {
		// A parent that dies (even by SIGKILL) closes our stdin pipe: that is our cue to go.
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}

	// Bind the public address first so a taken port fails fast with a clear message.
	pub, err := net.Listen("tcp", *listen)
	if err != nil {
		fatal("listen %s: %v", *listen, err)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: *ferretListen},
		Logger:        logger,
		Handler:       "postgresql",
		PostgreSQLURL: *pgURL,
	})
	if err != nil {
		fatal("ferretdb: %v", err)
	}

	// ferretdb.New has already bound its listener, so the address is known now.
	backendAddr := strings.TrimSuffix(strings.TrimPrefix(f.MongoDBURI(), "mongodb://"), "/")

	ferretCtx, ferretCancel := context.WithCancel(context.Background())
	ferretDone := make(chan struct{})
	go func() {
		defer close(ferretDone)
		_ = f.Run(ferretCtx)
	}()

	if err := waitBackend(ctx, backendAddr, *readyTimeout); err != nil {
		fatal("FerretDB at %s not ready: %v", backendAddr, err)
	}

	setupGin(*gin, *pgURL)
	syncGin()

	go acceptLoop(pub, backendAddr)

	fmt.Printf("READY %s\n", pub.Addr().String())
	_ = os.Stdout.Sync()

	<-ctx.Done()

	// Shutdown: stop accepting, drop client and backend sockets, then stop FerretDB.
	_ = pub.Close()
	closeAll()
	ferretCancel()
	select {
	case <-ferretDone:
	case <-time.After(5 * time.Second):
		fmt.Fprintln(os.Stderr, "embedded-store: FerretDB did not stop within 5s, exiting anyway")
	}
}

func fatal(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "embedded-store: "+format+"\n", args...)
	os.Exit(1)
}

// waitBackend pings FerretDB until it answers ok:1. FerretDB's ping checks the PostgreSQL
// connection, so success means the whole stack can serve requests.
func waitBackend(ctx context.Context, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var lastErr error
	for attempt := 0; time.Now().Before(deadline); attempt++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if lastErr = pingOnce(addr); lastErr == nil {
			return nil
		}
		// Bounded back-off between readiness polls (not a synchronisation sleep: we poll a condition).
		time.Sleep(time.Duration(min(attempt+1, 10)) * 20 * time.Millisecond)
	}
	return fmt.Errorf("no successful ping within %s, last error: %w", timeout, lastErr)
}

func pingOnce(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))

	// BSON {ping: 1 (int32), $db: "admin"}
	var doc []byte
	doc = append(doc, 0, 0, 0, 0)
	doc = append(doc, 0x10)
	doc = append(doc, "ping\x00"...)
	doc = binary.LittleEndian.AppendUint32(doc, 1)
	doc = append(doc, 0x02)
	doc = append(doc, "$db\x00"...)
	doc = binary.LittleEndian.AppendUint32(doc, uint32(len("admin")+1))
	doc = append(doc, "admin\x00"...)
	doc = append(doc, 0)
	binary.LittleEndian.PutUint32(doc, uint32(len(doc)))

	msg := make([]byte, headerLen, headerLen+4+1+len(doc))
	msg = binary.LittleEndian.AppendUint32(msg, 0) // flagBits
	msg = append(msg, 0)                           // section kind 0
	msg = append(msg, doc...)
	binary.LittleEndian.PutUint32(msg[0:], uint32(len(msg)))
	binary.LittleEndian.PutUint32(msg[4:], 1) // requestID
	binary.LittleEndian.PutUint32(msg[12:], opMsg)
	if _, err := c.Write(msg); err != nil {
		return err
	}
	reply, err := readMessage(bufio.NewReader(c))
	if err != nil {
		return err
	}
	// A successful ping reply contains "ok": 1.0 (double). A failed one has ok: 0 and errmsg.
	if !strings.Contains(string(reply), "ok\x00\x00\x00\x00\x00\x00\x00\xf0\x3f") {
		return errors.New("ping answered without ok:1: " + printable(reply))
	}
	return nil
}

func printable(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		if c >= 32 && c < 127 {
			s.WriteByte(c)
		} else {
			s.WriteByte('.')
		}
	}
	return s.String()
}

func acceptLoop(l net.Listener, backendAddr string) {
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			fmt.Fprintf(os.Stderr, "embedded-store: accept: %v\n", err)
			time.Sleep(50 * time.Millisecond) // e.g. EMFILE: back off instead of spinning
			continue
		}
		go serve(c, backendAddr)
	}
}

// serve relays one client connection over its own backend connection. The MongoDB wire protocol
// is request/response per connection (drivers do not pipeline), so a sequential loop suffices:
// read one whole request, forward it, read its reply (unless moreToCome), forward it.
func serve(client net.Conn, backendAddr string) {
	track(client)
	defer untrack(client)

	backend, err := net.DialTimeout("tcp", backendAddr, 5*time.Second)
	if err != nil {
		fmt.Fprintf(os.Stderr, "embedded-store: dial FerretDB: %v\n", err)
		return
	}
	track(backend)
	defer untrack(backend)

	cr := bufio.NewReaderSize(client, 64<<10)
	br := bufio.NewReaderSize(backend, 64<<10)

	for {
		// The whole request is read BEFORE the lock is taken, so a slow or stalled client can
		// never hold the write lock.
		req, err := readMessage(cr)
		if err != nil {
			return
		}
		isWrite, expectReply := classify(req)

		if isWrite {
			writeLock.Lock()
		}
		_, err = backend.Write(req)
		if err != nil {
			if isWrite {
				writeLock.Unlock()
			}
			return
		}
		if !expectReply {
			// moreToCome: the client wants no reply (e.g. w:0). We cannot know when FerretDB
			// finishes such a write, so it is only serialised against other writes up to the
			// point it is handed over. Acknowledged writes (the default) are fully serialised.
			if isWrite {
				writeLock.Unlock()
			}
			continue
		}

		reply, err := readMessage(br)
		// A new index gets its GIN companions before the command is answered (gin.go).
		if err == nil && isWrite && indexChanging(req) {
			syncGin()
		}
		// Released once FerretDB has answered, i.e. the write is complete in PostgreSQL;
		// forwarding the reply to the client needs no lock (a slow client must not stall others).
		if isWrite {
			writeLock.Unlock()
		}
		if err != nil {
			return
		}
		for {
			if _, err := client.Write(reply); err != nil {
				return
			}
			// An OP_MSG reply with moreToCome (exhaust cursors) is followed by more replies.
			if !msgMoreToCome(reply) {
				break
			}
			if reply, err = readMessage(br); err != nil {
				return
			}
		}
	}
}

// readMessage reads one whole wire-protocol message (header included).
func readMessage(r *bufio.Reader) ([]byte, error) {
	var hdr [headerLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int32(binary.LittleEndian.Uint32(hdr[0:4]))
	if n < headerLen || n > maxMessageLen {
		return nil, fmt.Errorf("bad messageLength %d", n)
	}
	msg := make([]byte, n)
	copy(msg, hdr[:])
	if _, err := io.ReadFull(r, msg[headerLen:]); err != nil {
		return nil, err
	}
	return msg, nil
}

func msgMoreToCome(msg []byte) bool {
	return binary.LittleEndian.Uint32(msg[12:16]) == opMsg && len(msg) >= headerLen+4 &&
		binary.LittleEndian.Uint32(msg[16:20])&flagMoreToCome != 0
}

// classify tells whether a request must hold the write lock and whether a reply will follow.
func classify(msg []byte) (isWrite, expectReply bool) {
	switch binary.LittleEndian.Uint32(msg[12:16]) {
	case opMsg:
		if len(msg) < headerLen+4 {
			return true, true // malformed: let FerretDB reject it, serialised to be safe
		}
		flags := binary.LittleEndian.Uint32(msg[16:20])
		expectReply = flags&flagMoreToCome == 0
		cmd, ok := commandName(msg)
		if !ok {
			return true, expectReply
		}
		return !readCommands[cmd] && !lockFreeWrites[cmd], expectReply
	case opQuery:
		// Legacy opcode; FerretDB only serves the handshake (hello/isMaster) over it.
		return false, true
	case opCompressed:
		// FerretDB 1.x advertises no compressors, so drivers never send this. We cannot see the
		// command inside without decompressing, so serialise it rather than risk a racing write.
		return true, true
	default:
		// Other legacy opcodes (OP_INSERT, OP_UPDATE, ... removed in MongoDB 6) expect no reply
		// except OP_GET_MORE (2005); FerretDB answers none of them meaningfully.
		return true, binary.LittleEndian.Uint32(msg[12:16]) == 2005
	}
}

// commandName returns the first key of the OP_MSG section-0 (body) document: the command name.
func commandName(msg []byte) (string, bool) {
	flags := binary.LittleEndian.Uint32(msg[16:20])
	end := len(msg)
	if flags&flagChecksumPresent != 0 {
		end -= 4
	}
	p := headerLen + 4
	for p < end {
		kind := msg[p]
		p++
		switch kind {
		case 0:
			// BSON document: int32 length, then elements: type byte, cstring key, value.
			if p+4 > end {
				return "", false
			}
			dlen := int(int32(binary.LittleEndian.Uint32(msg[p:])))
			if dlen < 5 || p+dlen > end {
				return "", false
			}
			doc := msg[p : p+dlen]
			if doc[4] == 0 { // empty document
				return "", false
			}
			key := doc[5:]
			i := 0
			for i < len(key) && key[i] != 0 {
				i++
			}
			if i == len(key) {
				return "", false
			}
			return string(key[:i]), true
		case 1:
			// Document sequence: int32 size (including itself), identifier, documents.
			if p+4 > end {
				return "", false
			}
			size := int(int32(binary.LittleEndian.Uint32(msg[p:])))
			if size < 4 || p+size > end {
				return "", false
			}
			p += size
		default:
			return "", false
		}
	}
	return "", false
}
