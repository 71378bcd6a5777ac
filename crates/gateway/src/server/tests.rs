//! The actor over a journal whose syncs the test holds: nothing that follows a record leaves
//! before the record is durable, the actor keeps taking events meanwhile, and the records of
//! many requests share one sync.

use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use iso8583::{Message, Mti, specs};
use link::Reply;
use tokio::sync::{mpsc, oneshot};

use super::{Actor, Event};
use crate::action::{Action, ConnId};
use crate::config::Config;
use crate::gateway::Gateway;
use crate::journal::Record;
use crate::journal_file::JournalFileError;
use crate::journal_writer::JournalSink;

const WAIT: Duration = Duration::from_secs(10);
const TERM: &str = "TERM0001";

fn config() -> Config {
    Config::from_toml(
        r#"
acquirer_id = "1234"
[tls]
cert = "gw.crt"
key = "gw.key"
terminal_ca = "ca.crt"
[limits]
pending_per_terminal_max = 64
pending_total_max = 64
batch_transactions_max = 1000
[[terminal]]
id = "TERM0001"
merchant_id = "MERCHANT0000001"
[[route]]
bin = "476173"
issuer = "issuer-a"
[[issuer]]
name = "issuer-a"
address = "127.0.0.1:9001"
ca = "ca"
client_cert = "c"
client_key = "k"
request_timeout_ms = 60000
echo_interval_s = 600
"#,
    )
    .unwrap()
}

/// A journal whose every append announces itself (with its record count) and then waits for
/// the test to let it finish.
struct HeldSink {
    entered: std_mpsc::Sender<usize>,
    gate: std_mpsc::Receiver<()>,
    written: Arc<Mutex<Vec<Record>>>,
}

impl JournalSink for HeldSink {
    fn append(&mut self, records: &[Record]) -> Result<(), JournalFileError> {
        let _ = self.entered.send(records.len());
        let _ = self.gate.recv();
        self.written.lock().unwrap().extend_from_slice(records);
        Ok(())
    }

    fn compact(&mut self, snapshot: &[Record]) -> Result<(), JournalFileError> {
        *self.written.lock().unwrap() = snapshot.to_vec();
        Ok(())
    }

    fn len_bytes(&self) -> u64 {
        0
    }
}

struct Rig {
    // First, so a failing test drops it before the actor, whose journal thread may be held.
    gate: std_mpsc::Sender<()>,
    actor: Actor,
    rx: mpsc::Receiver<Event>,
    entered: std_mpsc::Receiver<usize>,
    written: Arc<Mutex<Vec<Record>>>,
    _runtime: tokio::runtime::Runtime,
}

/// An actor whose core has issuer-a up and signed on.
fn rig() -> Rig {
    let config = config();
    let mut core = Gateway::new(&config);
    let now = super::now_ms();
    let signon = core
        .on_link_up("issuer-a", now)
        .into_iter()
        .find_map(|a| match a {
            Action::ToIssuer { message, .. } => Some(message),
            _ => None,
        })
        .unwrap();
    let mut r = Message::new(Mti::parse("0810").unwrap());
    r.set_owned(11, signon.text(11).unwrap()).unwrap();
    r.set_owned(39, "00").unwrap();
    assert!(core.on_issuer_message("issuer-a", &r, now).is_empty());

    let (entered_tx, entered) = std_mpsc::channel();
    let (gate, gate_rx) = std_mpsc::channel();
    let written = Arc::new(Mutex::new(Vec::new()));
    let sink = HeldSink {
        entered: entered_tx,
        gate: gate_rx,
        written: written.clone(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (tx, rx) = mpsc::channel(1024);
    let actor = Actor::new(
        core,
        Box::new(sink),
        Arc::new(specs::iso87_ascii_bbitmap()),
        &config,
        Default::default(),
        tx,
        runtime.handle().clone(),
    )
    .unwrap();
    Rig {
        actor,
        rx,
        entered,
        gate,
        written,
        _runtime: runtime,
    }
}

fn purchase(stan: &str) -> Message<'static> {
    let mut m = Message::new(Mti::parse("0200").unwrap());
    for (n, v) in [
        (3, "000000"),
        (4, "000000001250"),
        (7, "1114221320"),
        (11, stan),
        (12, "231320"),
        (13, "1114"),
        (22, "022"),
        (25, "00"),
        (35, "4761731000000011=25122011143804400000"),
        (37, &format!("331822{stan}")),
        (41, TERM),
        (42, "MERCHANT0000001"),
        (49, "978"),
    ] {
        m.set_owned(n, v).unwrap();
    }
    m
}

/// The issuer's approval of `purchase(stan)` as forwarded (with field 32).
fn approval(stan: &str) -> Message<'static> {
    let request = purchase(stan);
    let mut r = Message::new(Mti::parse("0210").unwrap());
    for n in [3, 4, 7, 11, 12, 13, 37, 41, 42, 49] {
        r.set_owned(n, request.text(n).unwrap()).unwrap();
    }
    r.set_owned(32, "1234").unwrap();
    r.set_owned(38, "A1B2C3").unwrap();
    r.set_owned(39, "00").unwrap();
    r
}

impl Rig {
    /// A terminal's purchase, forwarded to issuer-a (which this rig has no link for: the core
    /// awaits its answer all the same); returns where the terminal's answer will arrive.
    fn request(&mut self, stan: &str) -> oneshot::Receiver<Reply> {
        let (reply, answer) = oneshot::channel();
        assert!(self.actor.handle(Event::Terminal {
            conn: ConnId(1),
            peer_terminal_id: Some(TERM.into()),
            parsed: Ok(purchase(stan)),
            reply,
        }));
        answer
    }

    fn issuer_approves(&mut self, stan: &str) {
        assert!(self.actor.handle(Event::Issuer {
            link: "issuer-a".into(),
            message: approval(stan),
        }));
    }

    /// Waits for the journal thread's wake-up and hands it to the actor.
    fn take_wake_up(&mut self) {
        let event = self.rx.blocking_recv().unwrap();
        assert!(matches!(event, Event::Durable));
        assert!(self.actor.handle(event));
    }

    fn written(&self) -> usize {
        self.written.lock().unwrap().len()
    }
}

fn answered_00(answer: &mut oneshot::Receiver<Reply>, stan: &str) {
    match answer.try_recv() {
        Ok(Reply::Answer(bytes)) => {
            let m = specs::iso87_ascii_bbitmap().unpack(&bytes).unwrap();
            assert_eq!(m.mti().as_str(), "0210");
            assert_eq!(m.text(11), Some(stan));
            assert_eq!(m.text(39), Some("00"));
        }
        Ok(_) => panic!("STAN {stan}: not an answer"),
        Err(e) => panic!("STAN {stan}: no answer yet: {e:?}"),
    }
}

#[test]
fn an_approval_waits_for_its_batch_record_and_the_actor_goes_on_meanwhile() {
    let mut rig = rig();
    let mut answer = rig.request("000001");
    // Forwarded, nothing journaled: nothing for the journal thread to do.
    assert_eq!(rig.entered.try_recv(), Err(std_mpsc::TryRecvError::Empty));

    rig.issuer_approves("000001");
    // The BatchAdded record is being synced (held by the test); the 0210 waits for it.
    assert_eq!(rig.entered.recv_timeout(WAIT), Ok(1));
    assert_eq!(rig.written(), 0);
    assert!(matches!(
        answer.try_recv(),
        Err(oneshot::error::TryRecvError::Empty)
    ));

    // The actor takes other events meanwhile: a second purchase is forwarded and held (its
    // answer is the issuer's, later), and the first answer still waits.
    let mut second = rig.request("000002");
    assert!(rig.actor.handle(Event::Tick));
    assert!(matches!(
        answer.try_recv(),
        Err(oneshot::error::TryRecvError::Empty)
    ));

    rig.gate.send(()).unwrap();
    rig.take_wake_up();
    assert_eq!(rig.written(), 1);
    assert!(matches!(
        rig.written.lock().unwrap()[0],
        Record::BatchAdded { .. }
    ));
    answered_00(&mut answer, "000001");
    assert!(matches!(
        second.try_recv(),
        Err(oneshot::error::TryRecvError::Empty)
    ));
    assert_eq!(rig.actor.journal.syncs(), 1);
}

#[test]
fn the_records_of_many_requests_share_syncs_and_answers_keep_their_order() {
    const N: usize = 20;
    let mut rig = rig();
    let stans: Vec<String> = (1..=N).map(|i| format!("{i:06}")).collect();
    let mut answers: Vec<_> = stans.iter().map(|s| rig.request(s)).collect();

    rig.issuer_approves(&stans[0]);
    assert_eq!(rig.entered.recv_timeout(WAIT), Ok(1));
    // While the first sync is held, the other nineteen approvals come in and queue.
    for s in &stans[1..] {
        rig.issuer_approves(s);
    }
    for (a, s) in answers.iter_mut().zip(&stans) {
        assert!(
            matches!(a.try_recv(), Err(oneshot::error::TryRecvError::Empty)),
            "STAN {s} answered before its record was durable"
        );
    }

    // The first sync ends: only the first answer goes; the nineteen others are in one append.
    rig.gate.send(()).unwrap();
    assert_eq!(rig.entered.recv_timeout(WAIT), Ok(N - 1));
    rig.take_wake_up();
    answered_00(&mut answers[0], &stans[0]);
    for a in &mut answers[1..] {
        assert!(matches!(
            a.try_recv(),
            Err(oneshot::error::TryRecvError::Empty)
        ));
    }

    rig.gate.send(()).unwrap();
    rig.take_wake_up();
    for (a, s) in answers.iter_mut().zip(&stans).skip(1) {
        answered_00(a, s);
    }
    assert_eq!(rig.written(), N);
    assert_eq!(rig.actor.journal.syncs(), 2);
    assert_eq!(rig.actor.journal.submitted_seq(), N as u64);
    assert_eq!(rig.actor.journal.durable_seq(), N as u64);
}

#[test]
fn stopping_syncs_what_is_queued_and_then_answers() {
    let mut rig = rig();
    let stans = ["000001", "000002", "000003"];
    // No sync is held here: one release per possible append.
    for _ in stans {
        rig.gate.send(()).unwrap();
    }
    let mut answers: Vec<_> = stans.iter().map(|s| rig.request(s)).collect();
    for s in stans {
        rig.issuer_approves(s);
    }
    assert!(!rig.actor.handle(Event::Stop));
    rig.actor.drain();
    assert_eq!(rig.written(), 3);
    assert_eq!(rig.actor.journal.durable_seq(), 3);
    for (a, s) in answers.iter_mut().zip(stans) {
        answered_00(a, s);
    }
}
