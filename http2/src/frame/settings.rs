//! SETTINGS parameters (RFC 9113 §6.5.2).

use bytes::{BufMut, Bytes, BytesMut};

use super::{DEFAULT_MAX_FRAME_SIZE, MAX_MAX_FRAME_SIZE, MAX_WINDOW};
use crate::error::Reason;

const HEADER_TABLE_SIZE: u16 = 0x1;
const ENABLE_PUSH: u16 = 0x2;
const MAX_CONCURRENT_STREAMS: u16 = 0x3;
const INITIAL_WINDOW_SIZE: u16 = 0x4;
const MAX_FRAME_SIZE: u16 = 0x5;
const MAX_HEADER_LIST_SIZE: u16 = 0x6;
const ENABLE_CONNECT_PROTOCOL: u16 = 0x8;

/// The parameters of one SETTINGS frame; `None` means "not sent".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settings {
    /// SETTINGS_HEADER_TABLE_SIZE
    pub header_table_size: Option<u32>,
    /// SETTINGS_ENABLE_PUSH
    pub enable_push: Option<u32>,
    /// SETTINGS_MAX_CONCURRENT_STREAMS
    pub max_concurrent_streams: Option<u32>,
    /// SETTINGS_INITIAL_WINDOW_SIZE
    pub initial_window_size: Option<u32>,
    /// SETTINGS_MAX_FRAME_SIZE
    pub max_frame_size: Option<u32>,
    /// SETTINGS_MAX_HEADER_LIST_SIZE
    pub max_header_list_size: Option<u32>,
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441)
    pub enable_connect_protocol: Option<u32>,
}

/// A SETTINGS value out of its allowed range, with the code §6.5.2 gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingsError(pub Reason);

impl Settings {
    /// Parses a SETTINGS payload (length already checked to be a multiple of 6).
    /// Unknown identifiers are ignored (§6.5.2).
    pub fn parse(payload: &[u8]) -> Result<Settings, SettingsError> {
        let mut s = Settings::default();
        for p in payload.chunks_exact(6) {
            let id = u16::from_be_bytes([p[0], p[1]]);
            let v = u32::from_be_bytes([p[2], p[3], p[4], p[5]]);
            match id {
                HEADER_TABLE_SIZE => s.header_table_size = Some(v),
                ENABLE_PUSH => {
                    if v > 1 {
                        return Err(SettingsError(Reason::PROTOCOL_ERROR));
                    }
                    s.enable_push = Some(v);
                }
                MAX_CONCURRENT_STREAMS => s.max_concurrent_streams = Some(v),
                INITIAL_WINDOW_SIZE => {
                    if v > MAX_WINDOW {
                        return Err(SettingsError(Reason::FLOW_CONTROL_ERROR));
                    }
                    s.initial_window_size = Some(v);
                }
                MAX_FRAME_SIZE => {
                    if !(DEFAULT_MAX_FRAME_SIZE..=MAX_MAX_FRAME_SIZE).contains(&v) {
                        return Err(SettingsError(Reason::PROTOCOL_ERROR));
                    }
                    s.max_frame_size = Some(v);
                }
                MAX_HEADER_LIST_SIZE => s.max_header_list_size = Some(v),
                ENABLE_CONNECT_PROTOCOL => {
                    if v > 1 {
                        return Err(SettingsError(Reason::PROTOCOL_ERROR));
                    }
                    s.enable_connect_protocol = Some(v);
                }
                _ => {}
            }
        }
        Ok(s)
    }

    /// Encodes the parameters that are set.
    pub fn encode(&self) -> Bytes {
        let mut b = BytesMut::with_capacity(42);
        let pairs = [
            (HEADER_TABLE_SIZE, self.header_table_size),
            (ENABLE_PUSH, self.enable_push),
            (MAX_CONCURRENT_STREAMS, self.max_concurrent_streams),
            (INITIAL_WINDOW_SIZE, self.initial_window_size),
            (MAX_FRAME_SIZE, self.max_frame_size),
            (MAX_HEADER_LIST_SIZE, self.max_header_list_size),
            (ENABLE_CONNECT_PROTOCOL, self.enable_connect_protocol),
        ];
        for (id, v) in pairs {
            if let Some(v) = v {
                b.put_u16(id);
                b.put_u32(v);
            }
        }
        b.freeze()
    }
}
