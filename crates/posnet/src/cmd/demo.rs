//! `posnet demo`: the whole network on loopback — issuer, gateway, a terminal — and a scripted
//! day of payments over real TLS connections, each with its receipt, then a summary and the
//! ledger audit. Exits 0 only if everything came out as scripted.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use chaos::{Control, Direction};
use serde_json::{Value, json};
use terminal::result::{Recovery, TransactionResult};
use terminal::{Terminal, net::LinkDriver};

use crate::cmd::keys;
use crate::cmd::network::{self, Ports};
use crate::cmd::setup;

#[derive(clap::Args)]
#[command(
    after_help = "The demo makes its own data folder (certificates, configs, ledger) in a temporary
directory unless --data names one, starts everything in this process on 127.0.0.1, and
removes the temporary folder at the end."
)]
pub struct Args {
    /// Print the summary as JSON (and no receipts).
    #[arg(long)]
    json: bool,
    /// Use (and keep) this data folder instead of a temporary one.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
}

/// One line of the day.
struct Row {
    step: &'static str,
    kind: String,
    amount_minor: u64,
    response_code: String,
    approved: bool,
    expected: &'static str,
    detail: String,
    /// A check beyond the response code (the balance to the cent) held.
    checked: bool,
    /// `keyed`, `swiped` or `chip`, for card transactions.
    entry_mode: Option<&'static str>,
    /// Chip transactions: the host's ARPC reached the card and it accepted it.
    arqc_verified: Option<bool>,
    /// Chip transactions: the TVR at the end, hex.
    tvr: Option<String>,
}

impl Row {
    fn ok(&self) -> bool {
        self.response_code == self.expected && self.checked
    }
    fn json(&self) -> Value {
        json!({
            "step": self.step,
            "type": self.kind,
            "amount": self.amount_minor,
            "response_code": self.response_code,
            "approved": self.approved,
            "expected": self.expected,
            "as_scripted": self.ok(),
            "detail": self.detail,
            "entry_mode": self.entry_mode,
            "arqc_verified": self.arqc_verified,
            "tvr": self.tvr,
        })
    }
}

fn kind_name(r: &TransactionResult) -> String {
    r.kind.name().to_string()
}

pub fn run(a: Args) -> Result<ExitCode> {
    // The demo's own output tells the story; warnings and errors still show.
    crate::cmd::logging::init_at("warn");
    let (dir, temporary) = match &a.data {
        Some(d) => (d.clone(), false),
        None => {
            let d = std::env::temp_dir().join(format!(
                "posnet-demo-{}-{}",
                std::process::id(),
                crate::cmd::clock::unix_now()
            ));
            (d, true)
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(day(&dir, a.json));
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    outcome
}

async fn day(dir: &std::path::Path, as_json: bool) -> Result<ExitCode> {
    if !as_json {
        eprintln!("posnet demo: data folder {}", dir.display());
    }
    let net = network::start(
        dir,
        &Ports {
            issuer: 0,
            gateway: 0,
            issuer_timeout_ms: 5_000,
        },
    )
    .await?;
    // The terminal reaches the gateway through a proxy, so one answer can be lost on purpose.
    let control = Arc::new(Control::default());
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let proxy_addr = proxy.local_addr()?;
    let (proxy_stop, proxy_stopped) = tokio::sync::watch::channel(false);
    let proxy_task = tokio::spawn(chaos::run(
        proxy,
        chaos::Config {
            upstream: net.gateway_addr.to_string(),
            // TLS records, not ISO 8583 frames, cross this proxy: cut at reads.
            cut: chaos::Cut::Reads,
            plan: chaos::Plan::default(),
            connect_timeout_ms: 5_000,
            control: control.clone(),
        },
        Arc::new(chaos::Stats::default()),
        proxy_stopped,
    ));
    let tid = setup::TERMINALS[0];
    let tpath = net.layout.terminal_config(tid);
    setup::write(
        &tpath,
        &setup::terminal_toml(tid, &proxy_addr.to_string(), 1_500, "none"),
    )?;
    let config = crate::cmd::terminal::load_config(&tpath)?;
    if !as_json {
        println!(
            "issuer {}  gateway {}  terminal {tid} (via {proxy_addr}), TLS 1.3 with client certificates on both hops\n",
            net.issuer_addr, net.gateway_addr
        );
    }
    let mut t = terminal::net::open(&config).context("opening the terminal")?;
    let rows = script(&mut t, &config, &control, as_json).await;
    t.driver().close().await;
    drop(t);
    let _ = proxy_stop.send(true);
    let _ = proxy_task.await;
    net.stop().await;
    let rows = rows?;

    // The ledger after the day: every debit has its credit, every hold its approval.
    let issuer_config = crate::cmd::issuer::load_config(&setup::Layout::new(dir).issuer_config())?;
    let issuer = issuer::Issuer::new(&issuer_config);
    let ledger = issuer::server::open_ledger(&issuer, &issuer_config.data_dir)?;
    let report = issuer.audit(&ledger).context("auditing the ledger")?;
    let audit = crate::cmd::issuer::audit_json(&report);
    let balanced = audit["balanced"] == json!(true);
    let all_ok = rows.iter().all(Row::ok) && balanced;
    if as_json {
        let doc = json!({
            "transactions": rows.iter().map(Row::json).collect::<Vec<_>>(),
            "ledger": audit,
            "as_scripted": all_ok,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        println!(
            "\n{:<28} {:<11} {:>10}  {:<4} {:<4} {:<8} detail",
            "step", "type", "amount", "rc", "want", "result"
        );
        for r in &rows {
            println!(
                "{:<28} {:<11} {:>10}  {:<4} {:<4} {:<8} {}",
                r.step,
                r.kind,
                r.amount_minor,
                r.response_code,
                r.expected,
                if r.ok() { "ok" } else { "MISMATCH" },
                r.detail
            );
        }
        println!(
            "\nledger audit: {} (accounts {}, transfers {}, holds {} with {} pending, violations {})",
            if balanced { "balanced" } else { "NOT BALANCED" },
            audit["accounts"],
            audit["transfers"],
            audit["holds"],
            audit["holds_pending"],
            audit["violations"].as_array().map_or(0, Vec::len)
        );
        println!(
            "{}",
            if all_ok {
                "demo: everything came out as scripted"
            } else {
                "demo: something did NOT come out as scripted"
            }
        );
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The wrong PIN the demo types: six digits that appear nowhere else, so a test can prove
/// it never reaches a log or the output.
pub const DEMO_WRONG_PIN: &str = "918273";

/// Seals like the PIN pad, then changes the amount on the wire: what a man in the middle
/// who cannot forge the MAC would send.
struct Tamper(Arc<terminal::pinpad::PinPad>);

impl link::Seal for Tamper {
    fn seal(
        &self,
        spec: &iso8583::Spec,
        message: &iso8583::Message<'_>,
    ) -> std::result::Result<(Vec<u8>, link::SealToken), String> {
        let (mut frame, ksn) = self.0.seal(spec, message).map_err(|e| e.to_string())?;
        // Field 4 (12 digits) of the packed message: make 15.00 into 95.00.
        let amount = message.text(4).unwrap_or_default().as_bytes().to_vec();
        if let Some(at) = frame
            .windows(amount.len())
            .position(|w| w == amount.as_slice())
            && let Some(d) = frame.get_mut(at + 8)
        {
            *d = b'9';
        }
        Ok((frame, ksn))
    }

    fn check(
        &self,
        token: &link::SealToken,
        frame: &[u8],
        answer: &iso8583::Message<'_>,
    ) -> std::result::Result<(), String> {
        self.0.check(token, frame, answer)
    }
}

/// A purchase changed on its way to the gateway: answered 63, never processed.
async fn tampered(t: &Terminal<LinkDriver>, config: &terminal::Config) -> Result<Row> {
    let pinpad = t
        .driver()
        .pinpad()
        .ok_or_else(|| anyhow!("the demo terminal has no PIN pad"))?;
    let spec = Arc::new(iso8583::specs::iso87_ascii_bbitmap());
    let ca = link::pki::load_certs(&config.ca_path)?;
    let identity = link::Identity::load(&config.client_cert_path, &config.client_key_path)?;
    let (host, port) = config
        .gateway_primary
        .rsplit_once(':')
        .ok_or_else(|| anyhow!("gateway address"))?;
    let mut options = link::LinkOptions::new(vec![link::Target::new(host, port.parse()?)], spec);
    options.tls = Some(link::tls::client_config(&ca, Some(&identity))?);
    options.request_timeout_ms = 5_000;
    options.seal = Some(Arc::new(Tamper(pinpad)));
    let link = link::Link::start(options)?;
    link.wait_up(5_000).await?;
    let acceptor = t.acceptor();
    let card = config
        .card("erin")
        .ok_or_else(|| anyhow!("demo card erin missing"))?;
    let now = terminal::Now {
        unix_s: link::civil::now_unix_s(),
        utc_offset_min: config.utc_offset_min,
    };
    // A STAN the terminal's own journal never hands out in a demo day.
    let stan = terminal::Stan::new(990_001).ok_or_else(|| anyhow!("STAN"))?;
    let (msg, _) = terminal::request::card_request(
        acceptor,
        terminal::txn::TxnKind::Purchase,
        card,
        1_500,
        stan,
        &now,
    )?;
    let answer = link.request(&msg).await;
    link.close();
    let code = match &answer {
        Ok(a) => a.text(39).unwrap_or("--").to_string(),
        Err(e) => format!("-- ({e})"),
    };
    Ok(Row {
        step: "tampered amount (MAC)",
        kind: "purchase".into(),
        amount_minor: 1_500,
        approved: code == "00",
        expected: "63",
        detail: "amount changed after the MAC; answer's own MAC checked".into(),
        checked: true,
        response_code: code,
        entry_mode: Some(card.entry_mode().name()),
        arqc_verified: None,
        tvr: None,
    })
}

fn chip_row(
    step: &'static str,
    c: &terminal::ChipResult,
    expected: &'static str,
    checked: bool,
    detail: String,
) -> Row {
    let mut row = row_of(step, &c.txn, expected, detail);
    row.checked = checked;
    row.arqc_verified = Some(c.arqc_verified);
    row.tvr = Some(c.tvr.clone());
    row
}

/// A reader whose card is pulled out when the terminal sends the second GENERATE AC: the host
/// has approved, the card never confirms it.
struct PulledAtSecondGenerateAc {
    inner: terminal::InProcessReader,
    generate_acs: usize,
}

impl terminal::CardReader for PulledAtSecondGenerateAc {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, terminal::ReaderError> {
        // GENERATE AC: CLA 80, INS AE.
        if apdu.get(..2) == Some(&[0x80, 0xAE]) {
            self.generate_acs += 1;
            if self.generate_acs == 2 {
                self.inner.pull();
            }
        }
        self.inner.transmit(apdu)
    }

    fn name(&self) -> &str {
        self.inner.name()
    }
}

/// Chip payments with the virtual cards of `card`'s profiles (TEST keys) in the in-process
/// reader, through the same gateway and issuer: the issuer checks each ARQC in its HSM.
async fn chip_day(t: &mut Terminal<LinkDriver>, rows: &mut Vec<Row>) -> Result<()> {
    use crate::cmd::terminal::{chip_kernel_config, chip_reader};
    let pin = |p: &str| terminal::Cardholder::typing(&[p]);

    // Above the floor limit: online, ARQC verified by the issuer, ARPC verified by the card.
    let mut reader = chip_reader("online-debit")?;
    let c = t
        .pay_chip(
            &mut reader,
            chip_kernel_config()?,
            2_500,
            pin(keys::TEST_PIN),
        )
        .await
        .context("chip online")?;
    let ok = c.arqc_verified && c.chip_result == "ApprovedOnline";
    rows.push(chip_row(
        "chip online (ARQC/ARPC)",
        &c,
        "00",
        ok,
        format!("online-debit, online PIN; {}", c.chip_result),
    ));

    // Under the floor limit: the card approves offline (TC); the advice waits in the journal.
    let mut reader = chip_reader("offline-credit")?;
    let c = t
        .pay_chip(
            &mut reader,
            chip_kernel_config()?,
            1_000,
            Default::default(),
        )
        .await
        .context("chip offline")?;
    let ok = c.chip_result == "ApprovedOffline" && c.txn.recovery == Recovery::AdviceQueued;
    let advice_stan = c.txn.stan;
    rows.push(chip_row(
        "chip offline approval (TC)",
        &c,
        "00",
        ok,
        format!("offline-credit; {}, advice queued", c.chip_result),
    ));
    let up = t.recover().await.context("uploading the offline advice")?;
    let answer = t
        .journal()
        .state()
        .entry(advice_stan)
        .and_then(|e| match &e.outcome {
            terminal::journal::Outcome::Answered { response_code, .. } => Some(*response_code),
            _ => None,
        });
    rows.push(Row {
        step: "offline advice upload (0220)",
        kind: "offline-advice".into(),
        amount_minor: c.txn.amount_minor,
        response_code: answer.map_or("--".into(), |a| a.as_str().to_string()),
        approved: answer.is_some_and(|a| a.is_approved()),
        // The issuer checks the TC and posts the purchase the card approved.
        expected: "00",
        detail: format!(
            "advices answered {}, pending {}; TC verified and posted by the issuer",
            up.advices_answered, up.advices_pending
        ),
        checked: true,
        entry_mode: Some("chip"),
        arqc_verified: None,
        tvr: None,
    });

    // The issuer's action code – denial forbids this card anything above the floor limit:
    // the card answers AAC at the first GENERATE AC, nothing goes online.
    let mut profile = card::profile::Profile::shipped("offline-credit")?;
    // TVR byte 4 bit 8: transaction exceeds floor limit.
    profile.iac_denial = "0000008000".into();
    let mut reader = crate::cmd::terminal::chip_reader_for(profile)?;
    let c = t
        .pay_chip(
            &mut reader,
            chip_kernel_config()?,
            3_000,
            Default::default(),
        )
        .await
        .context("chip offline decline")?;
    let ok = c.chip_result == "DeclinedOffline" && c.host_code.is_none();
    rows.push(chip_row(
        "chip offline decline (AAC)",
        &c,
        "05",
        ok,
        format!(
            "IAC-denial 0000008000 over the floor limit; {}",
            c.chip_result
        ),
    ));

    // Offline plaintext PIN: a wrong PIN (the card answers 63C2), then the right one.
    let mut reader = chip_reader("offline-pin")?;
    let c = t
        .pay_chip(
            &mut reader,
            chip_kernel_config()?,
            1_500,
            terminal::Cardholder::typing(&["9999", keys::TEST_PIN]),
        )
        .await
        .context("chip offline PIN")?;
    let tries = reader.card().state().pin_try_counter;
    let ok = c.chip_result == "ApprovedOffline" && tries == 3;
    rows.push(chip_row(
        "chip wrong offline PIN",
        &c,
        "00",
        ok,
        format!(
            "offline-pin: 9999 refused, 1234 accepted; {}",
            c.chip_result
        ),
    ));

    // The host approves, then the card is pulled out before the second GENERATE AC: the
    // card never confirmed, so the terminal reverses (journal first).
    let mut reader = PulledAtSecondGenerateAc {
        inner: chip_reader("online-debit")?,
        generate_acs: 0,
    };
    let c = t
        .pay_chip(
            &mut reader,
            chip_kernel_config()?,
            1_800,
            pin(keys::TEST_PIN),
        )
        .await
        .context("chip card pulled after approval")?;
    let ok = !c.txn.approved
        && c.host_code.is_some_and(|h| h.is_approved())
        && c.txn.recovery == Recovery::ReversalAcknowledged;
    rows.push(chip_row(
        "chip approval reversed",
        &c,
        "00",
        ok,
        format!(
            "host approved, card pulled before 2nd GENERATE AC: {}",
            c.reason.as_deref().unwrap_or("-")
        ),
    ));
    issuer_script_day(t, rows).await
}

/// An online-debit card with another test card's PAN and name, as the issuer knows it.
fn chip_reader_as(card: &str) -> Result<terminal::InProcessReader> {
    let test = setup::CARDS
        .iter()
        .find(|c| c.name == card)
        .ok_or_else(|| anyhow!("demo card {card} missing"))?;
    let mut profile = card::profile::Profile::shipped("online-debit")?;
    profile.pan = test.pan.to_string();
    profile.cardholder_name = format!("{}/TEST", test.name.to_uppercase());
    crate::cmd::terminal::chip_reader_for(profile)
}

/// Issuer scripts from the issuer's HSM, run by the card: an APPLICATION BLOCK after the
/// card's final decision (72) on a card the issuer blocked, then one before it (71) on a card
/// the issuer still approves, which makes the card decline the approval.
async fn issuer_script_day(t: &mut Terminal<LinkDriver>, rows: &mut Vec<Row>) -> Result<()> {
    use crate::cmd::terminal::chip_kernel_config;
    let pin = || terminal::Cardholder::typing(&[keys::TEST_PIN]);

    // frank-fraud: the issuer declines (05) with ARPC and a 72 APPLICATION BLOCK; the card
    // checks the script's MAC and blocks itself; inserted again it refuses selection (6283).
    let mut reader = chip_reader_as("frank-fraud")?;
    let c = t
        .pay_chip(&mut reader, chip_kernel_config()?, 2_200, pin())
        .await
        .context("chip with a 72 script")?;
    let blocked = reader.card().state().app_blocked;
    let again = t
        .pay_chip(&mut reader, chip_kernel_config()?, 2_200, pin())
        .await
        .context("chip after the application block")?;
    let ok = c.host_code == Some(iso8583::ResponseCode::DO_NOT_HONOUR)
        && c.arqc_verified
        && script_succeeded(&c.script_results)
        && blocked
        && again.chip_result == "Terminated"
        && again.host_code.is_none();
    rows.push(chip_row(
        "chip issuer script block",
        &c,
        "05",
        ok,
        format!(
            "frank-fraud: 05 + 72 APPLICATION BLOCK, script results {}; next insert: {}",
            c.script_results, again.chip_result
        ),
    ));

    // grace-compromised: the issuer approves (00) with a 71 APPLICATION BLOCK; the card runs
    // it before the second GENERATE AC, answers AAC, and the terminal reverses the approval.
    let mut reader = chip_reader_as("grace-compromised")?;
    let c = t
        .pay_chip(&mut reader, chip_kernel_config()?, 1_700, pin())
        .await
        .context("chip with a 71 script")?;
    let ok = c.chip_result == "DeclinedByCardAfterApproval"
        && c.host_code.is_some_and(|h| h.is_approved())
        && script_succeeded(&c.script_results)
        && !c.txn.approved
        && c.txn.recovery == Recovery::ReversalAcknowledged;
    rows.push(chip_row(
        "chip card AAC after approval",
        &c,
        "00",
        ok,
        format!(
            "grace-compromised: host 00 + 71 APPLICATION BLOCK, card AAC; {}",
            c.reason.as_deref().unwrap_or("-")
        ),
    ));
    Ok(())
}

/// Whether 9F5B (hex) reports every script done: result bytes `2x`, each with a 4-byte id.
fn script_succeeded(results_hex: &str) -> bool {
    let bytes = results_hex.as_bytes();
    !bytes.is_empty()
        && bytes.len().is_multiple_of(10)
        && bytes.chunks(10).all(|r| r.first() == Some(&b'2'))
}

fn row_of(
    step: &'static str,
    r: &TransactionResult,
    expected: &'static str,
    detail: String,
) -> Row {
    Row {
        step,
        kind: kind_name(r),
        amount_minor: r.amount_minor,
        response_code: r.response_code.as_str().to_string(),
        approved: r.approved,
        expected,
        detail,
        checked: true,
        entry_mode: Some(r.entry_mode.name()),
        arqc_verified: None,
        tvr: None,
    }
}

fn show_receipt(config: &terminal::Config, r: &TransactionResult, as_json: bool) {
    if as_json {
        return;
    }
    let year = crate::cmd::clock::year_now();
    match terminal::print::receipt_for(r, config, year, receipt::ReceiptCopy::Customer) {
        Ok(rec) => println!("{}", rec.to_text(receipt::Width::W42)),
        Err(e) => println!("(no receipt: {e})"),
    }
}

async fn script(
    t: &mut Terminal<LinkDriver>,
    config: &terminal::Config,
    control: &Control,
    as_json: bool,
) -> Result<Vec<Row>> {
    let card = |name: &str| {
        config
            .card(name)
            .cloned()
            .ok_or_else(|| anyhow!("demo card {name} missing"))
    };
    let mut rows = Vec::new();
    let echo = t.echo().await.context("echo test")?;
    rows.push(Row {
        step: "echo test (0800 301)",
        kind: "echo".into(),
        amount_minor: 0,
        response_code: echo.response_code.as_str().into(),
        approved: echo.response_code.is_approved(),
        expected: "00",
        detail: String::new(),
        checked: true,
        entry_mode: None,
        arqc_verified: None,
        tvr: None,
    });
    let sales: [(&'static str, &str, u64, &'static str); 6] = [
        ("purchase", "alice", 2_500, "00"),
        ("purchase", "alice", 1_234, "00"),
        ("insufficient funds", "bob", 5_000, "51"),
        ("expired card", "carol-expired", 1_000, "54"),
        ("unknown card (no route)", "unknown", 1_000, "14"),
        ("stolen card", "dave-stolen", 1_000, "43"),
    ];
    for (step, name, amount, want) in sales {
        let r = t
            .pay(&card(name)?, amount)
            .await
            .with_context(|| step.to_string())?;
        show_receipt(config, &r, as_json);
        rows.push(row_of(step, &r, want, format!("card {name}")));
    }
    // PINs: typed on the PIN pad, enciphered there under DUKPT, translated by the gateway's
    // HSM, verified by the issuer's. Every test card's PIN is keys::TEST_PIN.
    let with_pin: [(&'static str, &str, &'static str); 2] = [
        ("purchase with PIN", keys::TEST_PIN, "00"),
        ("wrong PIN", DEMO_WRONG_PIN, "55"),
    ];
    for (step, pin, want) in with_pin {
        let r = t
            .pay_with_pin(&card("erin")?, 1_500, pin)
            .await
            .with_context(|| step.to_string())?;
        show_receipt(config, &r, as_json);
        rows.push(row_of(step, &r, want, "card erin".into()));
    }
    rows.push(tampered(t, config).await?);

    let pre = t
        .preauth(&card("alice")?, 8_000)
        .await
        .context("pre-authorization")?;
    show_receipt(config, &pre, as_json);
    rows.push(row_of(
        "pre-authorization",
        &pre,
        "00",
        "hold of 80.00".into(),
    ));
    let done = t.complete(&pre.rrn, 6_500).await.context("completion")?;
    show_receipt(config, &done, as_json);
    rows.push(row_of(
        "completion (partial)",
        &done,
        "00",
        "65.00 of the 80.00 hold".into(),
    ));
    let refund = t.refund(&card("alice")?, 500).await.context("refund")?;
    show_receipt(config, &refund, as_json);
    rows.push(row_of("refund", &refund, "00", String::new()));

    // A purchase whose answer is lost: the terminal stores a reversal before sending it, and
    // sends it until the host acknowledges it.
    control.swallow(Direction::Downstream, true);
    let lost = t
        .pay(&card("alice")?, 3_000)
        .await
        .context("purchase with a lost answer")?;
    control.swallow(Direction::Downstream, false);
    let pending = lost.recovery == Recovery::ReversalPending;
    rows.push(row_of(
        "purchase, answer lost",
        &lost,
        "68",
        if pending {
            "no answer in time; reversal stored".into()
        } else {
            format!("recovery {:?}", lost.recovery)
        },
    ));
    let recovered = t.recover().await.context("sending the stored reversal")?;
    rows.push(Row {
        step: "reversal after the timeout",
        kind: "reversal".into(),
        amount_minor: lost.amount_minor,
        response_code: if recovered.reversals_acknowledged == 1 && recovered.reversals_pending == 0
        {
            "00".into()
        } else {
            "--".into()
        },
        approved: recovered.reversals_acknowledged == 1,
        expected: "00",
        detail: format!(
            "acknowledged {}, pending {}",
            recovered.reversals_acknowledged, recovered.reversals_pending
        ),
        checked: true,
        entry_mode: None,
        arqc_verified: None,
        tvr: None,
    });

    // 1,000.00 - 25.00 - 12.34 - 65.00 + 5.00; the reversed 30.00 is not taken.
    let expected_balance: i64 = 100_000 - 2_500 - 1_234 - 6_500 + 500;
    let bal = t
        .balance(&card("alice")?)
        .await
        .context("balance inquiry")?;
    show_receipt(config, &bal, as_json);
    let got = bal.balance.as_ref().map(|b| b.amount_minor);
    let mut row = row_of(
        "balance inquiry",
        &bal,
        "00",
        format!("available {got:?}, expected {expected_balance}"),
    );
    row.checked = got == Some(expected_balance);
    rows.push(row);

    chip_day(t, &mut rows).await?;

    let settle = t.settle().await.context("settlement")?;
    rows.push(Row {
        step: "settlement (0500)",
        kind: "settlement".into(),
        amount_minor: settle.totals.debits_amount_minor,
        response_code: settle.response_code.as_str().into(),
        approved: settle.settled,
        expected: "00",
        detail: format!(
            "{} debits {}, {} credits {}",
            settle.totals.debits_count,
            settle.totals.debits_amount_minor,
            settle.totals.credits_count,
            settle.totals.credits_amount_minor
        ),
        checked: true,
        entry_mode: None,
        arqc_verified: None,
        tvr: None,
    });
    Ok(rows)
}
