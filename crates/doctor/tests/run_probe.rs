//! The probe runner end to end on loopback: TCP, TLS skipped without a CA, the application
//! echo and the path run through an [`AppProbe`], and the guard on every endpoint.

use std::net::{SocketAddr, TcpListener};

use doctor::facts::{EchoOutcome, EchoSample, TcpOutcome};
use doctor::path;
use doctor::probe::app::AppProbe;
use doctor::probe::guard::Permit;
use doctor::probe::{Options, ProbeError, run};

/// Scripted answers: the echo, then one sample per call from the list.
struct Scripted {
    echo: EchoOutcome,
    samples: Vec<EchoSample>,
    calls: usize,
}

impl AppProbe for Scripted {
    fn echo(&mut self, _timeout_ms: u64) -> EchoOutcome {
        self.echo.clone()
    }
    fn sample(&mut self, _timeout_ms: u64) -> EchoSample {
        let s = self.samples[self.calls % self.samples.len()];
        self.calls += 1;
        s
    }
}

fn listener() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let SocketAddr::V4(a) = l.local_addr().unwrap() else {
        unreachable!()
    };
    (l, a.port())
}

#[test]
fn loopback_run_fills_tcp_app_and_path() {
    let (_l, port) = listener();
    let mut opts = Options::new("127.0.0.1", port);
    opts.count = 8;
    opts.timeout_ms = 1000;
    let mut app = Scripted {
        echo: EchoOutcome::Answered {
            response_code: "00".into(),
            elapsed_ms: 3,
        },
        samples: path::samples_from_rtts(&[Some(4), None, Some(6), Some(5)]),
        calls: 0,
    };
    let f = run(&opts, &Permit::LoopbackOnly, Some(&mut app)).unwrap();
    assert!(f.dns.is_none(), "an address needs no lookup");
    assert_eq!(f.tcp.len(), 1);
    assert!(matches!(f.tcp[0].outcome, TcpOutcome::Connected { .. }));
    assert!(f.tls.is_none(), "no CA given");
    let p = f.path.as_ref().unwrap();
    assert_eq!(app.calls, 8);
    let s = path::stats(p);
    assert_eq!((s.sent, s.answered, s.loss_permille), (8, 6, 250));
    // fresh connects: min(count, 5), all to a listening port
    assert_eq!(p.connects_ms.len(), 5);
    assert!(p.connects_ms.iter().all(|c| c.is_some()));
}

#[test]
fn no_path_run_when_the_echo_fails() {
    let (_l, port) = listener();
    let opts = Options::new("127.0.0.1", port);
    let mut app = Scripted {
        echo: EchoOutcome::Answered {
            response_code: "91".into(),
            elapsed_ms: 3,
        },
        samples: path::samples_from_rtts(&[Some(1)]),
        calls: 0,
    };
    let f = run(&opts, &Permit::LoopbackOnly, Some(&mut app)).unwrap();
    assert!(f.path.is_none());
    assert_eq!(app.calls, 0);
}

#[test]
fn secondary_is_tried_and_reported() {
    let (_l, port) = listener();
    let closed = {
        let (l, p) = listener();
        drop(l);
        p
    };
    let mut opts = Options::new("127.0.0.1", closed);
    opts.secondary = Some(("127.0.0.1".into(), port));
    let f = run(&opts, &Permit::LoopbackOnly, None).unwrap();
    assert_eq!(f.tcp.len(), 2);
    assert!(matches!(f.tcp[0].outcome, TcpOutcome::Refused { .. }));
    assert!(matches!(f.tcp[1].outcome, TcpOutcome::Connected { .. }));
}

#[test]
fn guard_stops_the_run_before_any_lab_address_is_probed() {
    let mut opts = Options::new("198.18.3.20", 5000);
    opts.timeout_ms = 100;
    assert!(matches!(
        run(&opts, &Permit::LoopbackOnly, None),
        Err(ProbeError::Guard(_))
    ));
    // a DNS server in the lab is refused the same way
    let mut opts = Options::new("gw.posnet.test", 5000);
    opts.dns = vec!["198.18.2.53".parse().unwrap()];
    assert!(matches!(
        run(&opts, &Permit::LoopbackOnly, None),
        Err(ProbeError::Guard(_))
    ));
}
