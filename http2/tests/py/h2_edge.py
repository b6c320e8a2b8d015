#!/usr/bin/env python3
"""Edge cases against a goro-http2 server, driven by the Python `h2` package.

Usage: h2_edge.py PORT CASE. Run by tests/interop_python.rs, one CASE per
Rust test. Exits 0 on success; on failure prints why and exits 1.

h2 keeps the client's state; frames that h2 refuses to send (because they
break the protocol on purpose) are serialised with hyperframe and written
to the socket raw, behind h2's back. Every read has a socket timeout and
every loop a bound, so a silent server fails the case instead of hanging it.
"""

import socket
import sys

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
from hyperframe.frame import (
    ContinuationFrame,
    GoAwayFrame,
    HeadersFrame,
    RstStreamFrame,
    SettingsFrame,
    WindowUpdateFrame,
)

NO_ERROR = 0
PROTOCOL_ERROR = 1
FLOW_CONTROL_ERROR = 3
CANCEL = 8
ENHANCE_YOUR_CALM = 11

TIMEOUT_S = 10
MAX_READS = 10_000


class Fail(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Fail(what)


class Client:
    def __init__(self, port, validate=True):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S)
        cfg = h2.config.H2Configuration(
            client_side=True,
            header_encoding="utf-8",
            validate_outbound_headers=validate,
            normalize_outbound_headers=validate,
        )
        self.conn = h2.connection.H2Connection(config=cfg)
        self.conn.initiate_connection()
        self.flush()
        self.events = []
        self.closed = False

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def raw(self, frame_bytes):
        self.flush()
        self.sock.sendall(frame_bytes)

    def read_once(self):
        data = self.sock.recv(65536)
        if not data:
            self.closed = True
            return []
        evs = self.conn.receive_data(data)
        self.flush()
        self.events.extend(evs)
        return evs

    def until(self, pred, what):
        """Reads until pred(event) holds for some event; returns it."""
        for ev in self.events:
            if pred(ev):
                return ev
        for _ in range(MAX_READS):
            if self.closed:
                break
            for ev in self.read_once():
                if pred(ev):
                    return ev
        raise Fail("server closed or went silent before " + what + "; events: " + repr(self.events))

    def drain_to_eof(self):
        """Reads until the server closes the connection."""
        for _ in range(MAX_READS):
            if self.closed:
                return
            try:
                self.read_once()
            except h2.exceptions.ProtocolError:
                # h2 refuses frames after a GOAWAY it received; the bytes
                # still came, which is all we wait for here.
                pass
        raise Fail("server never closed the connection")

    def get(self, path="/", end_stream=True, extra=()):
        sid = self.conn.get_next_available_stream_id()
        headers = [(":method", "GET"), (":scheme", "http"), (":path", path),
                   (":authority", "localhost")] + list(extra)
        self.conn.send_headers(sid, headers, end_stream=end_stream)
        self.flush()
        return sid

    def body_of(self, sid):
        """Waits for stream sid to end; returns (status, body)."""
        self.until(lambda e: isinstance(e, h2.events.StreamEnded) and e.stream_id == sid,
                   "the end of stream %d" % sid)
        status, body = None, b""
        for e in self.events:
            if isinstance(e, h2.events.ResponseReceived) and e.stream_id == sid:
                status = dict(e.headers)[":status"]
            if isinstance(e, h2.events.DataReceived) and e.stream_id == sid:
                body += e.data
                self.conn.acknowledge_received_data(e.flow_controlled_length, sid)
        self.flush()
        return status, body

    def goaway(self):
        return self.until(lambda e: isinstance(e, h2.events.ConnectionTerminated), "GOAWAY")

    def reset_of(self, sid):
        return self.until(lambda e: isinstance(e, h2.events.StreamReset) and e.stream_id == sid,
                          "RST_STREAM on stream %d" % sid)


def case_ping_ack(port):
    c = Client(port)
    for i in range(10):
        data = bytes([i]) * 8
        c.conn.ping(data)
        c.flush()
        ack = c.until(lambda e: isinstance(e, h2.events.PingAckReceived) and e.ping_data == data,
                      "PING ACK %d" % i)
        expect(ack.ping_data == data, "ping payload echoed")
    expect(c.body_of(c.get()) == ("200", b"hello"), "GET after pings")


def case_window_update_overflow_connection(port):
    c = Client(port)
    expect(c.body_of(c.get()) == ("200", b"hello"), "GET first")
    # The server's send window is at least 1 after the GET; adding 2^31-1
    # passes the 2^31-1 maximum (§6.9.1): connection FLOW_CONTROL_ERROR.
    c.raw(WindowUpdateFrame(0, window_increment=2**31 - 1).serialize())
    ev = c.goaway()
    expect(ev.error_code == FLOW_CONTROL_ERROR, "GOAWAY code %r" % ev.error_code)
    c.drain_to_eof()


def case_window_update_overflow_stream(port):
    c = Client(port)
    sid = c.get("/echo", end_stream=False)
    c.raw(WindowUpdateFrame(sid, window_increment=2**31 - 1).serialize())
    ev = c.reset_of(sid)
    expect(ev.error_code == FLOW_CONTROL_ERROR, "RST_STREAM code %r" % ev.error_code)
    # A stream error leaves the connection usable.
    expect(c.body_of(c.get()) == ("200", b"hello"), "GET after the stream error")


def case_bad_headers(port):
    c = Client(port, validate=False)
    bad = [
        [("X-Upper", "1")],                   # uppercase name, §8.2.1
        [("connection", "keep-alive")],       # connection-specific, §8.2.2
        [("te", "gzip")],                     # TE other than trailers
        [(":bogus", "1")],                    # unknown pseudo-header, §8.3
    ]
    for extra in bad:
        sid = c.get("/", extra=extra)
        ev = c.reset_of(sid)
        expect(ev.error_code == PROTOCOL_ERROR, "%r → code %r" % (extra, ev.error_code))
    # HPACK stayed in step: a good request on the same connection works.
    expect(c.body_of(c.get()) == ("200", b"hello"), "GET after bad headers")


def case_rst_storm_closed_streams(port):
    c = Client(port)
    sids = []
    for _ in range(20):
        sid = c.get()
        expect(c.body_of(sid) == ("200", b"hello"), "GET")
        sids.append(sid)
    # RST_STREAM on closed streams is ignored (§5.1), and the server must
    # not answer it: 10 000 of them, then a PING; up to its ACK, no reset
    # and no GOAWAY may arrive.
    storm = b"".join(RstStreamFrame(sids[i % len(sids)], error_code=CANCEL).serialize()
                     for i in range(10_000))
    c.raw(storm)
    c.events.clear()
    c.conn.ping(b"stormend")
    c.flush()
    c.until(lambda e: isinstance(e, h2.events.PingAckReceived), "PING ACK after the storm")
    noise = [e for e in c.events if isinstance(e, (h2.events.StreamReset,
                                                    h2.events.ConnectionTerminated))]
    expect(not noise, "server answered resets of closed streams: %r" % noise)
    expect(c.body_of(c.get()) == ("200", b"hello"), "GET after the storm")


def case_rapid_reset_storm(port):
    # Open and cancel 2 000 requests at once (CVE-2023-44487). The server
    # may serve them, or stop us with GOAWAY(ENHANCE_YOUR_CALM); it must
    # not fail in any other way, and a fresh connection must still work.
    c = Client(port)
    headers = [(":method", "GET"), (":scheme", "http"), (":path", "/"),
               (":authority", "localhost")]
    for _ in range(2_000):
        sid = c.conn.get_next_available_stream_id()
        c.conn.send_headers(sid, headers, end_stream=True)
        c.conn.reset_stream(sid, error_code=CANCEL)
    c.conn.ping(b"rapidend")
    try:
        c.flush()  # one write of about 40 KB
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may stop reading once it has said GOAWAY
    try:
        c.until(lambda e: isinstance(e, (h2.events.PingAckReceived,
                                         h2.events.ConnectionTerminated)),
                "PING ACK or GOAWAY after the storm")
    except h2.exceptions.ProtocolError:
        pass  # h2 rejects frames for streams it already reset; harmless
    except (BrokenPipeError, ConnectionResetError):
        # h2 answers the server's SETTINGS while reading; after GOAWAY the
        # server closes with part of the storm unread, so that write can
        # meet a reset (seen about 3 times in 20 on both goro backends).
        pass
    for e in c.events:
        if isinstance(e, h2.events.ConnectionTerminated):
            expect(e.error_code == ENHANCE_YOUR_CALM, "GOAWAY code %r" % e.error_code)
    d = Client(port)
    expect(d.body_of(d.get()) == ("200", b"hello"), "GET on a fresh connection")


def case_continuation_flood(port):
    c = Client(port)
    sid = c.conn.get_next_available_stream_id()
    enc = c.conn.encoder
    block = enc.encode([(":method", "GET"), (":scheme", "http"), (":path", "/"),
                        (":authority", "localhost")])
    frames = HeadersFrame(sid, data=block[:1], flags=["END_STREAM"]).serialize()
    for _ in range(100):
        frames += ContinuationFrame(sid, data=b"").serialize()
    c.raw(frames)
    ev = c.goaway()
    expect(ev.error_code == ENHANCE_YOUR_CALM, "GOAWAY code %r" % ev.error_code)


def case_bad_initial_window_setting(port):
    c = Client(port)
    # SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1 (§6.5.2).
    c.raw(SettingsFrame(0, settings={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 2**31})
          .serialize())
    ev = c.goaway()
    expect(ev.error_code == FLOW_CONTROL_ERROR, "GOAWAY code %r" % ev.error_code)


def case_client_goaway_drains(port):
    c = Client(port)
    sid = c.get("/echo", end_stream=False)
    # The client says goodbye with the stream still open; the server must
    # still finish it (§6.8 binds the sender of GOAWAY, not the receiver).
    # The GOAWAY goes raw: h2 would refuse to read anything after its own.
    c.raw(GoAwayFrame(0, last_stream_id=0, error_code=NO_ERROR).serialize())
    c.conn.send_data(sid, b"bye", end_stream=True)
    c.flush()
    status, body = c.body_of(sid)
    expect((status, body) == ("200", b"bye"), "echo after client GOAWAY: %r" % ((status, body),))


CASES = {name[len("case_"):]: fn for name, fn in globals().items() if name.startswith("case_")}


def main():
    port, case = int(sys.argv[1]), sys.argv[2]
    try:
        CASES[case](port)
    except Fail as e:
        print("FAIL %s: %s" % (case, e))
        sys.exit(1)
    print("ok %s" % case)


if __name__ == "__main__":
    main()
