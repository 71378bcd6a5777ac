//! Answers the gateway writes itself: a response that echoes its request and adds field 39.

use iso8583::{Message, Mti, ResponseCode};

use crate::flow::{ECHO, Flow};

/// The MTI that answers `mti`: `0200` → `0210`. A message that is already a response (a
/// terminal sending `0110`) is answered with its own MTI, so the 30 still names what came.
pub fn response_mti(mti: Mti) -> Mti {
    mti.response().unwrap_or(mti)
}

/// A response to `request` with code `code`, echoing the fields of `flow` (or the common echo
/// set when the flow is unknown) that the request carried.
pub fn answer(request: &Message<'_>, flow: Option<Flow>, code: ResponseCode) -> Message<'static> {
    let mut out = Message::new(response_mti(request.mti()));
    let echo: Box<dyn Iterator<Item = usize>> = match flow {
        Some(f) => Box::new(f.echoed()),
        None => Box::new(ECHO.iter().copied()),
    };
    for n in echo {
        if let Some(v) = request.get(n) {
            // Only numbers the dialect allows are in the echo lists, so this cannot fail.
            let _ = out.set_owned(n, v);
        }
    }
    let _ = out.set_owned(39, code.as_bytes());
    out
}

/// A 30 for a message whose MTI could be read but whose fields could not: nothing to echo.
pub fn format_error(mti: Mti) -> Message<'static> {
    let mut out = Message::new(response_mti(mti));
    let _ = out.set_owned(39, ResponseCode::FORMAT_ERROR.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_what_the_request_carried() {
        let mut req = Message::new(Mti::parse("0200").unwrap());
        req.set(2, "4761739001010010").unwrap();
        req.set(3, "000000").unwrap();
        req.set(11, "000042").unwrap();
        req.set(35, "4761739001010010=2512").unwrap();
        req.set(52, &[1u8, 2, 3, 4, 5, 6, 7, 8]).unwrap();
        let a = answer(
            &req,
            Some(Flow::Financial),
            ResponseCode::INVALID_CARD_NUMBER,
        );
        assert_eq!(a.mti().as_str(), "0210");
        let fields: Vec<(usize, &[u8])> = a.fields().collect();
        assert_eq!(
            fields,
            vec![
                (2, &b"4761739001010010"[..]),
                (3, b"000000"),
                (11, b"000042"),
                (39, b"14")
            ]
        );
        let r = format_error(Mti::parse("0110").unwrap());
        assert_eq!(r.mti().as_str(), "0110");
        assert_eq!(r.text(39), Some("30"));
        assert_eq!(r.len(), 1);
    }
}
