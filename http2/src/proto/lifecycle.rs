//! How a connection ends: its timers, the graceful GOAWAY of RFC 9113 §6.8,
//! the idle timeout, the hard close deadline and failure.
//!
//! The core reads no clock. It keeps deadlines, the binding sleeps until
//! [`next_timeout`](Connection::next_timeout) and calls
//! [`handle_timeout`](Connection::handle_timeout) with the time. The timers:
//! 1. preface: the client preface and first SETTINGS must arrive in time,
//!    or the connection fails with PROTOCOL_ERROR;
//! 2. settings: our SETTINGS must be acknowledged in time, or it fails with
//!    SETTINGS_TIMEOUT (§6.5.3);
//! 3. ping: after the first GOAWAY of a graceful shutdown, the final one
//!    goes out when the PING is acknowledged, or at this deadline;
//! 4. close: [`close_at`](Connection::close_at), the end of a grace period:
//!    whatever is still open is cut off with GOAWAY(NO_ERROR);
//! 5. idle: no open stream and no frame received for `idle_timeout`
//!    closes gracefully with GOAWAY(NO_ERROR).
//!
//! The idle clock needs the time at which activity happened, which `recv`
//! does not take. Activity (a frame received, a stream ended) only sets a
//! flag; the next `handle_timeout(now)` restarts the clock from `now`. The
//! bindings call `handle_timeout` once per turn of their loop, so the clock
//! is as exact as their turns; a caller that calls it only when a deadline
//! passes gets an idle close between one and two timeouts after the last
//! activity.
//!
//! The phases a connection ends through:
//! `Open → Draining` (graceful: first GOAWAY, then the final one with the
//! last stream; streams up to it finish) `→ Closed`, or
//! `any → Failing` (one GOAWAY, everything else dropped) `→ Closed` once
//! that GOAWAY is written.

use std::time::Instant;

use super::connection::{Connection, Phase};
use crate::error::Reason;
use crate::frame::{MAX_WINDOW, OutFrame, StreamId};

/// Payload of the PING that times a graceful shutdown.
pub(super) const SHUTDOWN_PING: [u8; 8] = *b"goro-bye";

impl Connection {
    /// The earliest time `handle_timeout` must be called.
    pub fn next_timeout(&self) -> Option<Instant> {
        [
            self.preface_deadline,
            self.settings_deadline,
            self.ping_deadline,
            self.close_deadline,
            self.idle_deadline,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Applies the timers due at `now` (see the module notes): the close
    /// deadline cuts the connection off; a missing preface fails it with
    /// PROTOCOL_ERROR; a missing SETTINGS ACK with SETTINGS_TIMEOUT
    /// (§6.5.3); a missing shutdown PING ACK sends the final GOAWAY; an idle
    /// connection is closed with GOAWAY(NO_ERROR).
    ///
    /// It also restarts the idle clock from `now` if there was activity
    /// since the last call, so calling it before any deadline is due is
    /// harmless and keeps the idle clock exact; the bindings do so once per
    /// turn.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let t0 = Instant::now();
    /// let mut conn = goro_http2::server::Builder::new()
    ///     .idle_timeout(Duration::from_secs(60))
    ///     .connection(t0);
    /// conn.handle_timeout(t0 + Duration::from_secs(1)); // nothing is due
    /// assert!(conn.wants_read());
    /// ```
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.idle_touched {
            self.idle_touched = false;
            if !matches!(self.phase, Phase::Draining | Phase::Failing | Phase::Closed) {
                self.idle_deadline = self.cfg.idle_timeout.map(|t| now + t);
            }
        }
        let due = |d: Option<Instant>| d.is_some_and(|d| now >= d);
        if due(self.close_deadline) {
            self.close_deadline = None;
            self.end(Reason::NO_ERROR);
        } else if due(self.preface_deadline) {
            self.preface_deadline = None;
            self.fail(Reason::PROTOCOL_ERROR);
        } else if due(self.settings_deadline) {
            self.settings_deadline = None;
            self.fail(Reason::SETTINGS_TIMEOUT);
        } else if due(self.ping_deadline) {
            // No PING ack in time: shut down with what we know.
            self.finish_go_away();
        } else if due(self.idle_deadline) {
            self.idle_deadline = None;
            // With a stream open (or a header block half read) this is not
            // idle; the end of the last stream starts the clock again.
            if self.phase == Phase::Open && self.streams.is_empty() && self.block.is_none() {
                self.close_idle();
            }
        }
    }

    /// Starts a graceful shutdown in the two steps of §6.8: GOAWAY(2^31-1,
    /// NO_ERROR) and a PING; once the PING is acknowledged (or after the
    /// settings timeout), a second GOAWAY names the last stream taken.
    /// Streams up to it finish; later ones are ignored; then the connection
    /// closes. Calling it again does nothing. A connection still in its
    /// preface has taken no stream: it gets GOAWAY(0, NO_ERROR) and closes.
    ///
    /// ```
    /// let now = std::time::Instant::now();
    /// let mut conn = goro_http2::server::Builder::new().connection(now);
    /// conn.go_away(now);
    /// while conn.poll_transmit().is_some() {} // SETTINGS, then GOAWAY
    /// assert!(conn.is_closed());
    /// ```
    pub fn go_away(&mut self, now: Instant) {
        match self.phase {
            Phase::Open => {
                let f = OutFrame::go_away(StreamId(MAX_WINDOW), Reason::NO_ERROR, b"");
                self.control.push_back((f, false));
                self.control
                    .push_back((OutFrame::ping(false, SHUTDOWN_PING), false));
                self.ping_deadline = Some(now + self.cfg.settings_timeout);
                self.idle_deadline = None;
                self.phase = Phase::Draining;
            }
            Phase::Preface(_) | Phase::FirstSettings => {
                // Nothing to drain, and the preface still to be read would
                // be taken for frames: say GOAWAY(0) and stop reading.
                self.goaway_last = Some(0);
                let f = OutFrame::go_away(StreamId::ZERO, Reason::NO_ERROR, b"");
                self.control.push_back((f, false));
                self.stop_timers();
                self.phase = Phase::Failing;
            }
            Phase::Draining | Phase::Failing | Phase::Closed => {}
        }
    }

    /// Cuts the connection off at `deadline` (the earliest, if called more
    /// than once), whether or not its streams are done: the end of a grace
    /// period after [`go_away`](Self::go_away), like Go's `Server.Close`
    /// after `Shutdown` timed out. Streams still open are dropped without
    /// a reset; the peer sees GOAWAY(NO_ERROR) and the close, and
    /// [`error`](Self::error) stays `None`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let now = Instant::now();
    /// let mut conn = goro_http2::server::Builder::new().connection(now);
    /// conn.close_at(now + Duration::from_secs(30));
    /// assert_eq!(conn.next_timeout(), Some(now + Duration::from_secs(10))); // preface first
    /// ```
    pub fn close_at(&mut self, deadline: Instant) {
        if self.wants_read() {
            self.close_deadline = Some(self.close_deadline.map_or(deadline, |d| d.min(deadline)));
        }
    }

    /// Sends the final GOAWAY of a graceful shutdown.
    pub(super) fn finish_go_away(&mut self) {
        if self.ping_deadline.take().is_none() || self.phase != Phase::Draining {
            return;
        }
        self.goaway_last = Some(self.last_peer_stream);
        let f = OutFrame::go_away(StreamId(self.last_peer_stream), Reason::NO_ERROR, b"");
        self.control.push_back((f, false));
        self.maybe_finish();
    }

    /// Idle: one GOAWAY naming the last stream taken (the one-step form of
    /// §6.8: no stream is open, so there is nothing to drain; a request
    /// racing it is above the id and the client retries it), then close.
    fn close_idle(&mut self) {
        self.goaway_last = Some(self.last_peer_stream);
        let f = OutFrame::go_away(StreamId(self.last_peer_stream), Reason::NO_ERROR, b"");
        self.control.push_back((f, false));
        self.phase = Phase::Draining;
        self.maybe_finish();
    }

    /// Closes a draining connection once its streams are done.
    pub(super) fn maybe_finish(&mut self) {
        let draining =
            (self.phase == Phase::Draining && self.goaway_last.is_some()) || self.peer_goaway;
        if draining && self.streams.is_empty() && self.control.is_empty() && self.wants_read() {
            self.phase = Phase::Closed;
        }
        if self.phase == Phase::Failing && self.control.is_empty() {
            self.phase = Phase::Closed;
        }
    }

    /// Fails the connection: everything queued is dropped for one GOAWAY
    /// carrying `reason`, which [`error`](Self::error) then reports.
    pub(super) fn fail(&mut self, reason: Reason) {
        if self.wants_read() {
            self.error = Some(reason);
            self.end(reason);
        }
    }

    /// Ends the connection at once: queued output, streams and events are
    /// dropped for one GOAWAY(`reason`), written before the close.
    fn end(&mut self, reason: Reason) {
        if !self.wants_read() {
            return;
        }
        self.control.clear();
        self.peer_caused_queued = 0;
        self.ready.clear();
        self.heads.clear();
        self.streams.clear();
        self.events.clear();
        self.block = None;
        // After a final GOAWAY the last id may not grow (§6.8), even though
        // later streams were seen (and ignored).
        let last = self.goaway_last.unwrap_or(self.last_peer_stream);
        let f = OutFrame::go_away(StreamId(last), reason, b"");
        self.control.push_back((f, false));
        self.stop_timers();
        self.phase = Phase::Failing;
    }

    /// No timer matters once the connection only writes its last frames.
    fn stop_timers(&mut self) {
        self.preface_deadline = None;
        self.settings_deadline = None;
        self.ping_deadline = None;
        self.close_deadline = None;
        self.idle_deadline = None;
        self.idle_touched = false;
    }

    pub(super) fn on_control_sent(&mut self, peer_caused: bool) {
        if peer_caused {
            self.peer_caused_queued -= 1;
        }
        self.maybe_finish();
    }
}
