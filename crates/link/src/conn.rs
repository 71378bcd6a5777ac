//! A framed connection over any byte stream (TLS or plain TCP): length-prefixed frames in a
//! bounded buffer, keep-alives, and an idle timeout on reading.

use std::time::Duration;

use iso8583::frame::{FrameError, Framing, Tpdu};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::time::Instant;

use crate::frame_buf::FrameBuffer;
pub use crate::frame_buf::Inbound;

/// Why a connection stopped, or a frame could not be sent.
#[derive(Debug, Error)]
pub enum ConnError {
    #[error("peer closed the connection")]
    PeerClosed,
    #[error("peer closed the connection inside a frame ({buffered} bytes of it received)")]
    TruncatedFrame { buffered: usize },
    #[error("frame of {len} bytes announced, more than the maximum {max}; closing")]
    TooLarge { len: usize, max: usize },
    #[error("unreadable frame: {0}; closing")]
    BadFrame(FrameError),
    #[error("nothing received for {idle_ms} ms; closing")]
    IdleTimeout { idle_ms: u64 },
    #[error("peer took more than {write_timeout_ms} ms to take a frame; closing")]
    WriteTimeout { write_timeout_ms: u64 },
    #[error("{step}: {source}")]
    Io {
        step: &'static str,
        source: std::io::Error,
    },
    #[error("cannot frame an outgoing message: {0}")]
    Encode(FrameError),
}

impl From<FrameError> for ConnError {
    fn from(e: FrameError) -> ConnError {
        match e {
            FrameError::TooLarge { len, max } => ConnError::TooLarge { len, max },
            other => ConnError::BadFrame(other),
        }
    }
}

/// How a connection reads and answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnConfig {
    pub framing: Framing,
    /// Close when nothing (not even a keep-alive) arrives for this long; `None` waits forever.
    pub idle_timeout_ms: Option<u64>,
    /// Answer a keep-alive with a keep-alive. Servers do; clients do not, or two answering
    /// peers would bounce keep-alives for ever.
    pub answer_keepalive: bool,
    /// Close when a frame cannot be handed to the peer within this time (a peer that does
    /// not read must not hold a task for ever).
    pub write_timeout_ms: u64,
}

impl Default for ConnConfig {
    fn default() -> ConnConfig {
        ConnConfig {
            framing: Framing::default(),
            idle_timeout_ms: Some(300_000),
            answer_keepalive: true,
            write_timeout_ms: 10_000,
        }
    }
}

/// The reading side: frames out of a bounded buffer.
#[derive(Debug)]
pub struct FrameReader<R> {
    inner: R,
    buf: FrameBuffer,
    idle_timeout: Option<Duration>,
    last_rx: Instant,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub fn new(inner: R, framing: Framing, idle_timeout_ms: Option<u64>) -> FrameReader<R> {
        FrameReader {
            inner,
            buf: FrameBuffer::new(framing),
            idle_timeout: idle_timeout_ms.map(Duration::from_millis),
            last_rx: Instant::now(),
        }
    }

    /// The next frame. Cancel-safe: dropping the future loses no received bytes, and the
    /// idle clock counts from the last bytes received, not from this call.
    pub async fn next(&mut self) -> Result<Inbound, ConnError> {
        loop {
            if let Some(frame) = self.buf.next_frame()? {
                return Ok(frame);
            }
            let spare = self.buf.spare();
            let read = match self.idle_timeout {
                Some(idle) => {
                    match tokio::time::timeout_at(self.last_rx + idle, self.inner.read(spare)).await
                    {
                        Ok(read) => read,
                        Err(_) => {
                            return Err(ConnError::IdleTimeout {
                                idle_ms: u64::try_from(idle.as_millis()).unwrap_or(u64::MAX),
                            });
                        }
                    }
                }
                None => self.inner.read(spare).await,
            };
            let count = read.map_err(|source| ConnError::Io {
                step: "reading a frame",
                source,
            })?;
            if count == 0 {
                return Err(match self.buf.buffered_len() {
                    0 => ConnError::PeerClosed,
                    buffered => ConnError::TruncatedFrame { buffered },
                });
            }
            self.buf.filled(count);
            self.last_rx = Instant::now();
        }
    }
}

/// The writing side: frames one message at a time and flushes it.
#[derive(Debug)]
pub struct FrameWriter<W> {
    inner: W,
    framing: Framing,
    write_timeout_ms: u64,
    out: Vec<u8>,
}

impl<W: AsyncWrite + Unpin> FrameWriter<W> {
    pub fn new(inner: W, framing: Framing, write_timeout_ms: u64) -> FrameWriter<W> {
        FrameWriter {
            inner,
            framing,
            write_timeout_ms,
            out: Vec::new(),
        }
    }

    /// Sends one message. Not cancel-safe (a frame may be half written): await it to the end.
    pub async fn send(&mut self, tpdu: Option<Tpdu>, payload: &[u8]) -> Result<(), ConnError> {
        self.out.clear();
        self.framing
            .encode(tpdu, payload, &mut self.out)
            .map_err(ConnError::Encode)?;
        self.flush_out().await
    }

    /// Sends a keep-alive (a zero-length frame).
    pub async fn send_keepalive(&mut self) -> Result<(), ConnError> {
        self.out.clear();
        self.framing.encode_keepalive(&mut self.out);
        self.flush_out().await
    }

    async fn flush_out(&mut self) -> Result<(), ConnError> {
        let io = |source| ConnError::Io {
            step: "writing a frame",
            source,
        };
        let write = async {
            self.inner.write_all(&self.out).await.map_err(io)?;
            self.inner.flush().await.map_err(io)
        };
        tokio::time::timeout(Duration::from_millis(self.write_timeout_ms), write)
            .await
            .unwrap_or(Err(ConnError::WriteTimeout {
                write_timeout_ms: self.write_timeout_ms,
            }))
    }

    /// Closes the writing side (for TLS, sends close_notify), within the write timeout.
    pub async fn shutdown(&mut self) -> Result<(), ConnError> {
        let close = async {
            self.inner.shutdown().await.map_err(|source| ConnError::Io {
                step: "closing",
                source,
            })
        };
        tokio::time::timeout(Duration::from_millis(self.write_timeout_ms), close)
            .await
            .unwrap_or(Err(ConnError::WriteTimeout {
                write_timeout_ms: self.write_timeout_ms,
            }))
    }
}

/// Both sides of one stream; answers keep-alives itself when configured to.
#[derive(Debug)]
pub struct FramedConn<S> {
    reader: FrameReader<ReadHalf<S>>,
    writer: FrameWriter<WriteHalf<S>>,
    answer_keepalive: bool,
}

impl<S: AsyncRead + AsyncWrite> FramedConn<S> {
    pub fn new(stream: S, config: ConnConfig) -> FramedConn<S> {
        let (r, w) = tokio::io::split(stream);
        FramedConn {
            reader: FrameReader::new(r, config.framing, config.idle_timeout_ms),
            writer: FrameWriter::new(w, config.framing, config.write_timeout_ms),
            answer_keepalive: config.answer_keepalive,
        }
    }

    /// The next message; keep-alives are answered (when configured) and skipped.
    pub async fn read_message(&mut self) -> Result<(Option<Tpdu>, Vec<u8>), ConnError> {
        loop {
            match self.reader.next().await? {
                Inbound::KeepAlive => {
                    if self.answer_keepalive {
                        self.writer.send_keepalive().await?;
                    }
                }
                Inbound::Message { tpdu, payload } => return Ok((tpdu, payload)),
            }
        }
    }

    pub async fn send(&mut self, tpdu: Option<Tpdu>, payload: &[u8]) -> Result<(), ConnError> {
        self.writer.send(tpdu, payload).await
    }

    pub fn into_split(self) -> (FrameReader<ReadHalf<S>>, FrameWriter<WriteHalf<S>>) {
        (self.reader, self.writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iso8583::frame::LengthHeader;

    fn config(frame_max: usize, idle_timeout_ms: Option<u64>) -> ConnConfig {
        ConnConfig {
            framing: Framing {
                header: LengthHeader::Binary2,
                tpdu: false,
                frame_max,
            },
            idle_timeout_ms,
            answer_keepalive: true,
            write_timeout_ms: 1_000,
        }
    }

    #[tokio::test]
    async fn keepalive_is_answered_and_message_read() {
        let (ours, mut theirs) = tokio::io::duplex(256);
        let mut conn = FramedConn::new(ours, config(64, None));
        theirs
            .write_all(&[0, 0, 0, 4, b'0', b'8', b'0', b'0'])
            .await
            .unwrap();
        let (tpdu, payload) = conn.read_message().await.unwrap();
        assert_eq!((tpdu, payload), (None, b"0800".to_vec()));
        let mut answer = [0xFFu8; 2];
        theirs.read_exact(&mut answer).await.unwrap();
        assert_eq!(answer, [0, 0]);
        conn.send(None, b"0810").await.unwrap();
        let mut reply = [0u8; 6];
        theirs.read_exact(&mut reply).await.unwrap();
        assert_eq!(&reply, &[0, 4, b'0', b'8', b'1', b'0']);
    }

    #[tokio::test]
    async fn oversized_truncated_and_closed() {
        let (ours, mut theirs) = tokio::io::duplex(256);
        let mut conn = FramedConn::new(ours, config(64, None));
        theirs.write_all(&[0, 65]).await.unwrap();
        assert!(matches!(
            conn.read_message().await,
            Err(ConnError::TooLarge { len: 65, max: 64 })
        ));

        let (ours, mut theirs) = tokio::io::duplex(256);
        let mut conn = FramedConn::new(ours, config(64, None));
        theirs.write_all(&[0, 10, 1, 2, 3]).await.unwrap();
        drop(theirs);
        assert!(matches!(
            conn.read_message().await,
            Err(ConnError::TruncatedFrame { buffered: 5 })
        ));

        let (ours, theirs) = tokio::io::duplex(256);
        let mut conn = FramedConn::new(ours, config(64, None));
        drop(theirs);
        assert!(matches!(
            conn.read_message().await,
            Err(ConnError::PeerClosed)
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn idle_timeout_counts_from_the_last_bytes() {
        let (ours, mut theirs) = tokio::io::duplex(256);
        let mut conn = FramedConn::new(ours, config(64, Some(1_000)));
        let started = Instant::now();
        theirs.write_all(&[0, 2, b'h']).await.unwrap();
        // Half a frame arrives, then silence: the timeout fires 1 s after those bytes.
        assert!(matches!(
            conn.read_message().await,
            Err(ConnError::IdleTimeout { idle_ms: 1_000 })
        ));
        assert_eq!(started.elapsed(), Duration::from_millis(1_000));
    }
}
