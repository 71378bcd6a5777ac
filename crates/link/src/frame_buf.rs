//! The receive buffer of a framed connection, without I/O: bytes go in as the socket gives
//! them, whole frames come out. Its size is fixed at one largest frame (header included), so
//! a peer can never make it grow; a header announcing more than that is an error.

use iso8583::frame::{Frame, FrameError, Framing, Tpdu};

/// One frame taken out of the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// A zero-length frame: the peer is alive.
    KeepAlive,
    /// A message, with its TPDU when the framing carries one.
    Message {
        tpdu: Option<Tpdu>,
        payload: Vec<u8>,
    },
}

/// A fixed-size buffer that turns received bytes into frames.
#[derive(Debug)]
pub struct FrameBuffer {
    framing: Framing,
    buf: Box<[u8]>,
    /// `buf[start..end]` holds received bytes not yet taken as frames.
    start: usize,
    end: usize,
}

/// The largest frame after the header that `framing` lets through.
pub fn frame_limit(framing: &Framing) -> usize {
    framing.frame_max.min(framing.header.capacity())
}

impl FrameBuffer {
    pub fn new(framing: Framing) -> FrameBuffer {
        let size = framing.header.width() + frame_limit(&framing);
        FrameBuffer {
            framing,
            buf: vec![0; size].into_boxed_slice(),
            start: 0,
            end: 0,
        }
    }

    pub fn framing(&self) -> &Framing {
        &self.framing
    }

    /// Bytes received and not yet taken as a frame.
    pub fn buffered_len(&self) -> usize {
        self.end - self.start
    }

    /// Room to receive into; call [`FrameBuffer::filled`] with the count received. Never
    /// empty while [`FrameBuffer::next_frame`] says more bytes are needed, since a partial
    /// frame is always smaller than the buffer.
    pub fn spare(&mut self) -> &mut [u8] {
        if self.start > 0 && self.end == self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        self.buf.get_mut(self.end..).unwrap_or_default()
    }

    /// Records that `count` bytes were written into [`FrameBuffer::spare`].
    pub fn filled(&mut self, count: usize) {
        self.end = (self.end + count).min(self.buf.len());
    }

    /// Takes the next whole frame, if one is buffered. An error means the stream cannot be
    /// resynchronised and the connection must be closed.
    pub fn next_frame(&mut self) -> Result<Option<Inbound>, FrameError> {
        let pending = self.buf.get(self.start..self.end).unwrap_or_default();
        let Some((frame, used)) = self.framing.decode(pending)? else {
            if self.start == self.end {
                // Nothing left: start again at the front so the next frame need not move.
                self.start = 0;
                self.end = 0;
            }
            return Ok(None);
        };
        let inbound = match frame {
            Frame::KeepAlive => Inbound::KeepAlive,
            Frame::Message { tpdu, payload } => Inbound::Message {
                tpdu,
                payload: payload.to_vec(),
            },
        };
        self.start += used;
        Ok(Some(inbound))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iso8583::frame::LengthHeader;
    use proptest::prelude::*;

    fn binary2(frame_max: usize) -> Framing {
        Framing {
            header: LengthHeader::Binary2,
            tpdu: false,
            frame_max,
        }
    }

    fn push(b: &mut FrameBuffer, mut bytes: &[u8]) -> Result<Vec<Inbound>, FrameError> {
        let mut out = Vec::new();
        while !bytes.is_empty() {
            let spare = b.spare();
            assert!(!spare.is_empty(), "buffer full without a whole frame");
            let n = spare.len().min(bytes.len());
            spare[..n].copy_from_slice(&bytes[..n]);
            b.filled(n);
            bytes = &bytes[n..];
            while let Some(frame) = b.next_frame()? {
                out.push(frame);
            }
        }
        Ok(out)
    }

    #[test]
    fn frames_keepalives_and_a_largest_frame() {
        let mut b = FrameBuffer::new(binary2(10));
        let mut bytes = vec![0x00, 0x04];
        bytes.extend(b"0800");
        bytes.extend([0x00, 0x00]);
        bytes.extend([0x00, 0x0A]);
        bytes.extend(b"0123456789");
        let frames = push(&mut b, &bytes).unwrap();
        assert_eq!(
            frames,
            vec![
                Inbound::Message {
                    tpdu: None,
                    payload: b"0800".to_vec()
                },
                Inbound::KeepAlive,
                Inbound::Message {
                    tpdu: None,
                    payload: b"0123456789".to_vec()
                },
            ]
        );
        assert_eq!(b.buffered_len(), 0);
    }

    #[test]
    fn an_oversized_header_is_refused_before_its_body_arrives() {
        let mut b = FrameBuffer::new(binary2(10));
        assert_eq!(
            push(&mut b, &[0x00, 0x0B]),
            Err(FrameError::TooLarge { len: 11, max: 10 })
        );
        let mut hostile = FrameBuffer::new(binary2(8_192));
        assert_eq!(
            push(&mut hostile, &[0xFF, 0xFF, 0x00]),
            Err(FrameError::TooLarge {
                len: 65_535,
                max: 8_192
            })
        );
    }

    #[test]
    fn tpdu_is_carried() {
        let framing = Framing {
            header: LengthHeader::Binary2,
            tpdu: true,
            frame_max: 64,
        };
        let mut b = FrameBuffer::new(framing);
        let frames = push(
            &mut b,
            &[0x00, 0x07, 0x60, 0x00, 0x01, 0x00, 0x02, 0xAB, 0xCD],
        )
        .unwrap();
        assert_eq!(
            frames,
            vec![Inbound::Message {
                tpdu: Some(Tpdu {
                    id: 0x60,
                    destination: 1,
                    source: 2
                }),
                payload: vec![0xAB, 0xCD]
            }]
        );
    }

    proptest! {
        #[test]
        fn any_split_of_the_stream_gives_the_same_frames(
            payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..12),
            cuts in proptest::collection::vec(1usize..17, 1..40),
        ) {
            let framing = binary2(40);
            let mut stream = Vec::new();
            for p in &payloads {
                framing.encode(None, p, &mut stream).unwrap();
            }
            let expected: Vec<Inbound> = payloads
                .iter()
                .map(|p| if p.is_empty() {
                    Inbound::KeepAlive
                } else {
                    Inbound::Message { tpdu: None, payload: p.clone() }
                })
                .collect();
            let mut b = FrameBuffer::new(framing);
            let mut got = Vec::new();
            let mut rest = &stream[..];
            let mut i = 0;
            while !rest.is_empty() {
                let n = cuts[i % cuts.len()].min(rest.len());
                got.extend(push(&mut b, &rest[..n]).unwrap());
                rest = &rest[n..];
                i += 1;
            }
            prop_assert_eq!(got, expected);
            prop_assert_eq!(b.buffered_len(), 0);
        }

        #[test]
        fn any_bytes_give_frames_or_an_error_never_a_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..400),
        ) {
            let mut b = FrameBuffer::new(binary2(64));
            if let Ok(frames) = push(&mut b, &bytes) {
                for f in frames {
                    if let Inbound::Message { payload, .. } = f {
                        prop_assert!(payload.len() <= 64);
                    }
                }
            }
        }
    }
}
