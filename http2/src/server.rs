//! Server configuration: every limit the connection enforces, with safe
//! defaults, and the attack each one stops (see docs/http2.md).

use std::time::{Duration, Instant};

use crate::frame::{DEFAULT_MAX_FRAME_SIZE, DEFAULT_WINDOW, MAX_MAX_FRAME_SIZE, MAX_WINDOW};
use crate::proto::{Connection, Handshake};

/// The default [`Builder::idle_timeout`]: 5 minutes. Long enough that a
/// browser or an RPC client keeps its pooled connection between bursts
/// (nginx closes at 75 s, Go and hyper never), short enough that
/// abandoned connections do not pile up on a public server.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// The default [`Builder::write_timeout`]: 60 seconds, nginx's
/// `send_timeout`. An HTTP/2 peer slows a response down with flow
/// control, never by leaving the socket unread (it would miss our PINGs
/// and SETTINGS), so one that takes no byte for a minute is gone or
/// hostile; a minute still rides out a link that drops for a while
/// (TCP's retransmission backoff reaches 31 s after five losses).
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(60);

/// The limits and settings of a server connection. Built by [`Builder`].
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) max_concurrent_streams: u32,
    pub(crate) initial_stream_window: u32,
    pub(crate) initial_connection_window: u32,
    pub(crate) max_frame_size: u32,
    pub(crate) max_header_list_size: u32,
    pub(crate) header_table_size: u32,
    pub(crate) max_continuation_frames: u32,
    pub(crate) max_pending_accept_reset_streams: usize,
    pub(crate) max_local_error_resets: usize,
    pub(crate) max_queued_control_frames: usize,
    pub(crate) max_empty_frames: u32,
    pub(crate) max_send_buffer_size: usize,
    pub(crate) preface_timeout: Duration,
    pub(crate) settings_timeout: Duration,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) write_timeout: Option<Duration>,
    pub(crate) h2c_upgrade: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_concurrent_streams: 100,
            initial_stream_window: 256 * 1024,
            initial_connection_window: 1024 * 1024,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            max_header_list_size: 64 * 1024,
            header_table_size: 4096,
            max_continuation_frames: 16,
            max_pending_accept_reset_streams: 20,
            max_local_error_resets: 1024,
            max_queued_control_frames: 1000,
            max_empty_frames: 100,
            max_send_buffer_size: 400 * 1024,
            preface_timeout: Duration::from_secs(10),
            settings_timeout: Duration::from_secs(10),
            idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
            write_timeout: Some(DEFAULT_WRITE_TIMEOUT),
            h2c_upgrade: true,
        }
    }
}

/// Builds server connections with chosen limits.
///
/// ```
/// use std::time::Instant;
/// let conn = goro_http2::server::Builder::new()
///     .max_concurrent_streams(250)
///     .max_header_list_size(16 << 10)
///     .connection(Instant::now());
/// assert!(!conn.is_closed());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Builder {
    cfg: Config,
}

macro_rules! setter {
    ($(#[$doc:meta])* $name:ident: $ty:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, v: $ty) -> Self {
            self.cfg.$name = v;
            self
        }
    };
}

impl Builder {
    /// A builder with the safe defaults.
    pub fn new() -> Self {
        Builder::default()
    }

    setter!(
        /// SETTINGS_MAX_CONCURRENT_STREAMS (default 100). More open streams
        /// are refused with REFUSED_STREAM.
        max_concurrent_streams: u32
    );
    setter!(
        /// Pending-accept resets allowed (default 20): streams the peer
        /// resets before the application took their request. Past it:
        /// GOAWAY ENHANCE_YOUR_CALM (rapid reset, CVE-2023-44487).
        max_pending_accept_reset_streams: usize
    );
    setter!(
        /// RST_STREAMs this server may send for peer errors over the
        /// connection's life (default 1024). Past it: GOAWAY
        /// ENHANCE_YOUR_CALM (reset flood CVE-2019-9514, "MadeYouReset").
        max_local_error_resets: usize
    );
    setter!(
        /// Control frames (PING/SETTINGS acks, RST_STREAM, WINDOW_UPDATE)
        /// queued for a peer that does not read (default 1000). Past it:
        /// GOAWAY ENHANCE_YOUR_CALM (ping, settings and reset floods,
        /// CVE-2019-9512/9515/9514).
        max_queued_control_frames: usize
    );
    setter!(
        /// Consecutive frames with no payload and no effect (default 100):
        /// empty DATA without END_STREAM, empty CONTINUATION or HEADERS
        /// fragments. Past it: GOAWAY ENHANCE_YOUR_CALM (CVE-2019-9518).
        max_empty_frames: u32
    );
    setter!(
        /// CONTINUATION frames per header block (default 16). Past it:
        /// GOAWAY ENHANCE_YOUR_CALM (CONTINUATION flood, 2024).
        max_continuation_frames: u32
    );
    setter!(
        /// Response bytes the application may buffer per stream beyond what
        /// flow control lets out (default 400 KiB): `send_data` reports
        /// `BufferFull` past it (data dribble CVE-2019-9511, internal
        /// buffering CVE-2019-9517).
        max_send_buffer_size: usize
    );
    setter!(
        /// Time for the client preface and first SETTINGS (default 10 s).
        preface_timeout: Duration
    );
    setter!(
        /// Time for the peer to acknowledge our SETTINGS (default 10 s);
        /// past it: GOAWAY SETTINGS_TIMEOUT (§6.5.3).
        settings_timeout: Duration
    );
    setter!(
        /// Accept HTTP/1.1 `Upgrade: h2c` as well as prior knowledge
        /// (default true; see [`Handshake`]). The server then sends its
        /// SETTINGS only after the client's first bytes. With false, the
        /// bindings start every connection as prior knowledge and send
        /// SETTINGS at once.
        h2c_upgrade: bool
    );

    /// SETTINGS_MAX_HEADER_LIST_SIZE (default 64 KiB), enforced while HPACK
    /// decodes (HPACK bomb); a larger request gets 431. A header block whose
    /// wire size passes it closes the connection with ENHANCE_YOUR_CALM.
    pub fn max_header_list_size(mut self, v: u32) -> Self {
        self.cfg.max_header_list_size = v.max(1024);
        self
    }

    /// Closes a connection that has had no open stream and received no
    /// frame for this long (Go's `IdleTimeout`, hyper's keep-alive
    /// timeout), gracefully: GOAWAY(NO_ERROR) naming the last stream it
    /// took, so a client that raced a request against it knows to retry.
    /// A PING from the client counts as activity. Default
    /// [`DEFAULT_IDLE_TIMEOUT`] (5 min); `None` keeps idle connections
    /// open forever.
    ///
    /// ```
    /// use std::time::Duration;
    /// use goro_http2::server::Builder;
    /// let short = Builder::new().idle_timeout(Duration::from_secs(30));
    /// let never = Builder::new().idle_timeout(None);
    /// # let _ = (short, never);
    /// ```
    pub fn idle_timeout(mut self, v: impl Into<Option<Duration>>) -> Self {
        self.cfg.idle_timeout = v.into();
        self
    }

    /// Closes a connection whose peer has taken no byte for this long
    /// while the server has bytes to write (Go's
    /// `http2.Server.WriteByteTimeout`, nginx's `send_timeout`): a client
    /// that stops reading with streams open, which the idle timeout never
    /// catches. The blocked write is dropped and the socket closed; no
    /// GOAWAY, since the peer reads nothing and the write may have stopped
    /// inside a frame. The serving future then returns an error of kind
    /// [`TimedOut`](std::io::ErrorKind::TimedOut). The clock runs only
    /// while a write is in progress and restarts whenever the socket takes
    /// bytes, so a slow reader is not cut off, nor is a peer that holds
    /// its flow-control windows shut. Default [`DEFAULT_WRITE_TIMEOUT`]
    /// (60 s); `None` waits forever. The bindings apply it; the sans-IO
    /// core does not write.
    ///
    /// ```
    /// use std::time::Duration;
    /// use goro_http2::server::Builder;
    /// let b = Builder::new().write_timeout(Duration::from_secs(10));
    /// # let _ = b;
    /// ```
    pub fn write_timeout(mut self, v: impl Into<Option<Duration>>) -> Self {
        self.cfg.write_timeout = v.into();
        self
    }

    /// SETTINGS_HEADER_TABLE_SIZE: the HPACK decoder's table (default 4096).
    pub fn header_table_size(mut self, v: u32) -> Self {
        self.cfg.header_table_size = v;
        self
    }

    /// SETTINGS_INITIAL_WINDOW_SIZE for request bodies (default 256 KiB;
    /// at least 65 535, the window a client may use before it sees ours).
    pub fn initial_stream_window(mut self, v: u32) -> Self {
        self.cfg.initial_stream_window = v.clamp(DEFAULT_WINDOW, MAX_WINDOW);
        self
    }

    /// The connection's receive window (default 1 MiB; at least 65 535).
    pub fn initial_connection_window(mut self, v: u32) -> Self {
        self.cfg.initial_connection_window = v.clamp(DEFAULT_WINDOW, MAX_WINDOW);
        self
    }

    /// SETTINGS_MAX_FRAME_SIZE (default 16 384, clamped to §6.5.2's range).
    pub fn max_frame_size(mut self, v: u32) -> Self {
        self.cfg.max_frame_size = v.clamp(DEFAULT_MAX_FRAME_SIZE, MAX_MAX_FRAME_SIZE);
        self
    }

    /// The finished configuration.
    pub fn config(self) -> Config {
        self.cfg
    }

    /// A new server connection; `now` starts the preface and SETTINGS timers.
    pub fn connection(self, now: Instant) -> Connection {
        Connection::new(self.cfg, now)
    }

    /// A [`Handshake`] for a cleartext connection accepted at `now`: it
    /// tells prior knowledge from `Upgrade: h2c` and builds the connection.
    pub fn handshake(self, now: Instant) -> Handshake {
        Handshake::new(self.cfg, now)
    }
}
