//! Flow control (RFC 9113 §5.2, §6.9) on both sides of a connection.
//!
//! Receiving: a window reopens only when the application releases bytes
//! (`release_capacity`), by a WINDOW_UPDATE once half a window is free, so
//! what the client can make us buffer is bounded by the windows we set.
//! Sending: WINDOW_UPDATEs from the client raise the send windows, with the
//! overflow checks of §6.9.1, and put blocked streams back in turn.

use super::connection::Connection;
use super::stream::Stream;
use crate::error::{ProtoError, Reason};
use crate::frame::{MAX_WINDOW, OutFrame, StreamId};

impl Connection {
    pub(super) fn on_window_update(
        &mut self,
        stream: StreamId,
        inc: u32,
    ) -> Result<(), ProtoError> {
        if stream == StreamId::ZERO {
            if inc == 0 {
                return Err(ProtoError::Connection(Reason::PROTOCOL_ERROR));
            }
            self.send_window += inc as i64;
            if self.send_window > MAX_WINDOW as i64 {
                return Err(ProtoError::Connection(Reason::FLOW_CONTROL_ERROR));
            }
            self.schedule_all();
            return Ok(());
        }
        // Idle (§5.1): above every client stream, or even (never opened).
        if stream.0 > self.last_peer_stream || !stream.is_client_initiated() {
            return Err(ProtoError::Connection(Reason::PROTOCOL_ERROR));
        }
        let Some(s) = self.streams.get_mut(&stream.0) else {
            return Ok(());
        };
        if inc == 0 {
            return Err(ProtoError::Stream(stream, Reason::PROTOCOL_ERROR));
        }
        s.send_window += inc as i64;
        if s.send_window > MAX_WINDOW as i64 {
            return Err(ProtoError::Stream(stream, Reason::FLOW_CONTROL_ERROR));
        }
        if s.can_send(self.send_window) && !s.scheduled {
            s.scheduled = true;
            self.ready.push_back(stream.0);
        }
        Ok(())
    }

    fn schedule_all(&mut self) {
        for (id, st) in self.streams.iter_mut() {
            if !st.scheduled && st.can_send(self.send_window) {
                st.scheduled = true;
                self.ready.push_back(*id);
            }
        }
    }

    /// Gives back connection window for bytes the application will never release.
    pub(super) fn release_held(&mut self, s: &Stream) {
        self.release_connection(s.recv_held.min(u32::MAX as u64) as u32);
    }

    pub(super) fn release_connection(&mut self, n: u32) {
        if n == 0 || !self.wants_read() {
            return;
        }
        self.recv_unacked += n;
        if self.recv_unacked >= self.cfg.initial_connection_window / 2 {
            let inc = std::mem::take(&mut self.recv_unacked);
            self.recv_window += inc as i64;
            self.control
                .push_back((OutFrame::window_update(StreamId::ZERO, inc), false));
        }
    }

    /// The application consumed `n` bytes of `stream`'s body: open the
    /// windows again (WINDOW_UPDATE once half a window is free).
    pub fn release_capacity(&mut self, stream: StreamId, n: usize) {
        let Some(s) = self.streams.get_mut(&stream.0) else {
            return;
        };
        let n = (n as u64).min(s.recv_held) as u32;
        s.recv_held -= n as u64;
        s.recv_unacked += n;
        let mut update = None;
        if !s.recv_closed && s.recv_unacked >= self.cfg.initial_stream_window / 2 {
            let inc = std::mem::take(&mut s.recv_unacked);
            s.recv_window += inc as i64;
            update = Some(OutFrame::window_update(stream, inc));
        }
        if let Some(f) = update {
            self.control.push_back((f, false));
        }
        self.release_connection(n);
    }
}
