//! `posnet bench --audit`: the crash-and-fault audit. The issuer and the gateway run as child
//! processes from a new data folder, with a chaos proxy (in this process) on both hops; the
//! terminals (the real terminal core, journal and all) run load through them while the
//! gateway and the issuer are killed with SIGKILL and started again, in turn. At the end, once
//! the terminals owe nothing, the issuer's ledger is read and every request is judged against
//! what its terminal was told (see [`super::verdict`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chaos::{Cut, Direction, Fault, Plan, Rule, Snapshot};
use tokio::time::Instant;

use super::mix::Mix;
use super::procs::{Service, free_port};
use super::sim::{self, Fate};
use super::verdict::{self, LISTED_MAX};
use crate::cmd::setup::{self, Layout};

/// The gateway's wait for the issuer before it answers 91 (and reverses on its own).
const GATEWAY_ISSUER_TIMEOUT_MS: u64 = 1_000;
/// The terminals' wait for an answer before they reverse.
const TERMINAL_RESPONSE_TIMEOUT_MS: u64 = 3_000;
const TERMINAL_CONNECT_TIMEOUT_MS: u64 = 1_000;
/// After the load: how long the gateway may take to deliver the reversal advices it owes.
const ADVICE_DRAIN_TIMEOUT_MS: u64 = 30_000;
/// The gateway's repeats of its own reversal advices (0420): its default backoff grows to five
/// minutes, longer than an audit; capped here so the advices owed after an outage go out
/// within seconds of the issuer's return.
const GATEWAY_LIMITS: &str =
    "\n[limits]\nreversal_backoff_initial_ms = 200\nreversal_backoff_max_ms = 2000\n";
/// The acquirer id the data folder's gateway puts in field 32 (see `setup::gateway_toml`).
const ACQUIRER_ID: &str = "10000000001";

/// What the audit is asked to do.
pub struct Options {
    pub data: Option<PathBuf>,
    pub terminals: u32,
    pub cards: u32,
    pub duration_s: f64,
    pub count: Option<u64>,
    pub kills: u32,
    pub seed: u64,
    pub mix: Mix,
    pub json: bool,
}

/// Faults on one hop, all inside the load window `[0, load_ms)` so the end runs calm:
/// dropped, reset, corrupted and truncated reads at random, and seeded windows of partition,
/// blackhole and added latency.
fn fault_plan(seed: u64, load_ms: u64) -> Plan {
    let mut rng = chaos::rng::Rng::new(seed);
    let mut rules = vec![
        Rule {
            to_ms: load_ms,
            ..Rule::always(Fault::Drop { probability: 0.002 })
        },
        Rule {
            to_ms: load_ms,
            ..Rule::always(Fault::Reset { probability: 0.002 })
        },
        // Damaged TLS records: the receiver's record check fails and the connection ends.
        Rule {
            to_ms: load_ms,
            ..Rule::always(Fault::Corrupt { probability: 0.001 })
        },
        Rule {
            to_ms: load_ms,
            ..Rule::always(Fault::Truncate { probability: 0.001 })
        },
    ];
    let mut window = |fault: Fault, len_min_ms: u64, len_spread_ms: u64| {
        let from_ms = load_ms / 20 + rng.up_to(load_ms * 8 / 10);
        let to_ms = (from_ms + len_min_ms + rng.up_to(len_spread_ms)).min(load_ms);
        if to_ms > from_ms {
            rules.push(Rule {
                fault,
                direction: Direction::Both,
                from_ms,
                to_ms,
            });
        }
    };
    let windows = (load_ms / 15_000).max(1);
    for _ in 0..windows {
        window(Fault::Partition, 1_000, 2_500);
        window(Fault::Blackhole, 500, 1_000);
        window(
            Fault::Latency {
                latency_ms: 20,
                jitter_ms: 80,
            },
            2_000,
            0,
        );
    }
    Plan { seed, rules }
}

/// A chaos proxy running in this process.
struct Proxy {
    addr: SocketAddr,
    stats: Arc<chaos::Stats>,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: SocketAddr, plan: Plan) -> Result<Proxy> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding a chaos proxy")?;
        let addr = listener.local_addr()?;
        let stats = Arc::new(chaos::Stats::default());
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let config = chaos::Config {
            upstream: upstream.to_string(),
            // TLS passes through: the proxy sees records, not ISO 8583 frames.
            cut: Cut::Reads,
            plan,
            connect_timeout_ms: 2_000,
            control: Arc::new(chaos::Control::default()),
        };
        let task = tokio::spawn(chaos::run(listener, config, stats.clone(), stopped));
        Ok(Proxy {
            addr,
            stats,
            stop,
            task,
        })
    }

    async fn stop(self) -> Snapshot {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        self.stats.snapshot()
    }
}

/// Kills the gateway and the issuer in turn at even intervals over the load; each comes back
/// after a short seeded pause. Returns the services and the kills made of each.
async fn killer(
    mut gateway: Service,
    mut issuer: Service,
    kills: u32,
    start: Instant,
    load: Duration,
    seed: u64,
) -> (Service, Service, [u32; 2], Result<()>) {
    let mut rng = chaos::rng::Rng::new(seed ^ 0x6b69_6c6c);
    let mut done = [0u32; 2];
    for i in 0..kills {
        let at = start + load.mul_f64(f64::from(i + 1) / f64::from(kills + 1));
        tokio::time::sleep_until(at).await;
        let which = (i % 2) as usize;
        let target = if which == 0 {
            &mut gateway
        } else {
            &mut issuer
        };
        if let Err(e) = target.kill() {
            return (gateway, issuer, done, Err(e));
        }
        done[which] += 1;
        tokio::time::sleep(Duration::from_millis(50 + rng.up_to(250))).await;
        if let Err(e) = target.start().await {
            return (gateway, issuer, done, Err(e));
        }
    }
    (gateway, issuer, done, Ok(()))
}

/// Reversal advices the gateway's journal still holds (queued and not closed), each as
/// "terminal STAN: attempts".
fn gateway_advices_open(journal: &Path) -> Result<Vec<String>> {
    let bytes = match std::fs::read(journal) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", journal.display())),
    };
    let replay = gateway::journal::decode(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", journal.display()))?;
    let mut open: BTreeMap<u64, (String, u32)> = BTreeMap::new();
    for r in &replay.records {
        match r {
            gateway::journal::Record::AdviceQueued { id, advice, .. } => {
                let who = format!(
                    "terminal {} STAN {}",
                    advice.text(41).unwrap_or("?"),
                    advice.text(11).unwrap_or("?")
                );
                open.insert(*id, (who, 0));
            }
            gateway::journal::Record::AdviceAttempted { id, attempts, .. } => {
                if let Some(a) = open.get_mut(id) {
                    a.1 = *attempts;
                }
            }
            gateway::journal::Record::AdviceClosed { id, .. } => {
                open.remove(id);
            }
            _ => {}
        }
    }
    Ok(open
        .into_iter()
        .map(|(id, (who, attempts))| format!("advice #{id} for {who}: {attempts} attempts"))
        .collect())
}

/// The issuer's ledger after the final stop: every transfer, the issuer's own audit, and
/// each bench card's balance against what the terminals were told.
struct LedgerView {
    transfers: BTreeMap<u128, ledger::Transfer>,
    audit_json: serde_json::Value,
    audit_problems: Vec<String>,
    card_problems: Vec<String>,
}

fn read_ledger(
    layout: &Layout,
    expected: &std::collections::HashMap<String, i128>,
) -> Result<LedgerView> {
    let config = crate::cmd::issuer::load_config(&layout.issuer_config())?;
    let issuer = issuer::Issuer::new(&config);
    let ledger = issuer::server::open_ledger(&issuer, &config.data_dir)?;
    let mut transfers = BTreeMap::new();
    ledger::Storage::visit_transfers(ledger.storage(), &mut |t| {
        transfers.insert(t.id, *t);
    })
    .map_err(ledger::LedgerError::from)?;
    let report = issuer.audit(&ledger).context("auditing the ledger")?;
    let audit_json = crate::cmd::issuer::audit_json(&report);
    let mut audit_problems: Vec<String> = report
        .ledger
        .violations
        .iter()
        .map(|v| format!("ledger: {v:?}"))
        .chain(report.violations.iter().map(|v| format!("issuer: {v:?}")))
        .collect();
    if audit_json["balanced"] != serde_json::Value::Bool(true) && audit_problems.is_empty() {
        audit_problems.push("ledger: debits and credits differ".into());
    }
    let mut card_problems = Vec::new();
    for c in config.cards.iter().filter(|c| c.name.starts_with("bench-")) {
        let pan = c.pan.reveal();
        let Some(account) = ledger.account(issuer.book().chart().card(pan))? else {
            card_problems.push(format!("card {}: no account", c.name));
            continue;
        };
        let balance = i128::from(account.credits_posted) - i128::from(account.debits_posted);
        let want = i128::from(c.opening_balance_minor) + expected.get(pan).copied().unwrap_or(0);
        if balance != want {
            card_problems.push(format!(
                "card {}: balance {balance} minor units, the terminals' approvals make it {want} ({} charged twice or lost)",
                c.name,
                want - balance
            ));
        }
        if account.debits_pending != 0 || account.credits_pending != 0 {
            card_problems.push(format!(
                "card {}: holds still pending ({} debit, {} credit)",
                c.name, account.debits_pending, account.credits_pending
            ));
        }
    }
    Ok(LedgerView {
        transfers,
        audit_json,
        audit_problems,
        card_problems,
    })
}

fn data_dir(o: &Options) -> Result<PathBuf> {
    let dir = match &o.data {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("posnet-audit-{}", std::process::id())),
    };
    if Layout::new(&dir).issuer_config().exists() {
        bail!(
            "{} already holds a network: the audit makes its own, give a new folder",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir.join("gateway-data"))
        .with_context(|| format!("creating {}", dir.display()))?;
    std::fs::create_dir_all(dir.join("logs"))?;
    Ok(dir)
}

pub fn run(o: Options) -> Result<ExitCode> {
    let dir = data_dir(&o)?;
    let layout = Layout::new(&dir);
    setup::set_bench_extras(setup::BenchExtras {
        cards: o.cards,
        terminals: o.terminals,
    });
    setup::ensure_pki(&layout)?;
    let ids: Vec<String> = (1..=o.terminals).map(setup::bench_terminal_id).collect();
    setup::ensure_terminal_certs(&layout, &ids)?;
    let cards: Vec<(String, terminal::Card)> = (1..=o.cards)
        .map(|n| {
            let pan = setup::bench_card_pan(n);
            let track2 = format!("{pan}={}1011000000000000", setup::BENCH_CARD_EXPIRY);
            Ok((
                pan,
                terminal::Card::swiped(&track2).context("a bench card's track 2")?,
            ))
        })
        .collect::<Result<_>>()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let began = std::time::Instant::now();
    runtime.block_on(async move {
        let load = Duration::from_secs_f64(o.duration_s);
        let load_ms = u64::try_from(load.as_millis()).unwrap_or(u64::MAX);
        let issuer_addr = free_port()?;
        let gateway_addr = free_port()?;
        setup::write(
            &layout.issuer_config(),
            &setup::issuer_toml(&issuer_addr.to_string()),
        )?;
        let to_issuer = Proxy::start(issuer_addr, fault_plan(o.seed ^ 2, load_ms)).await?;
        setup::write(
            &layout.gateway_config(),
            &(setup::gateway_toml(
                &gateway_addr.to_string(),
                &to_issuer.addr.to_string(),
                GATEWAY_ISSUER_TIMEOUT_MS,
            ) + GATEWAY_LIMITS),
        )?;
        let to_gateway = Proxy::start(gateway_addr, fault_plan(o.seed ^ 1, load_ms)).await?;
        let logs = dir.join("logs");
        let mut issuer = Service::new(
            "issuer",
            &layout.issuer_config(),
            issuer_addr,
            &logs.join("issuer.log"),
        );
        let mut gateway = Service::new(
            "gateway",
            &layout.gateway_config(),
            gateway_addr,
            &logs.join("gateway.log"),
        );
        issuer.start().await?;
        gateway.start().await?;
        if !o.json {
            eprintln!(
                "posnet audit: {} terminals, {:.0} s of load, {} kills, seed {}; data {}",
                o.terminals,
                o.duration_s,
                o.kills,
                o.seed,
                dir.display()
            );
        }

        let start = Instant::now();
        let shared = Arc::new(sim::Shared {
            mix: o.mix.clone(),
            cards,
            next_seq: AtomicU64::new(0),
            count_max: o.count,
            load_until: start + load,
        });
        let sim_setup = sim::Setup {
            data: dir.clone(),
            gateway: to_gateway.addr.to_string(),
            response_timeout_ms: TERMINAL_RESPONSE_TIMEOUT_MS,
            connect_timeout_ms: TERMINAL_CONNECT_TIMEOUT_MS,
        };
        let terminals: Vec<_> = ids
            .iter()
            .map(|id| tokio::spawn(sim::run(sim_setup.clone(), id.clone(), shared.clone())))
            .collect();
        let kills = tokio::spawn(killer(gateway, issuer, o.kills, start, load, o.seed));
        let (mut gateway, mut issuer, killed, kill_result) =
            kills.await.context("the kill task failed")?;
        let mut done = Vec::new();
        let mut failure = kill_result.err();
        for t in terminals {
            match t.await.context("a terminal task failed").and_then(|r| r) {
                Ok(d) => done.push(d),
                Err(e) => failure = failure.or(Some(e)),
            }
        }
        let load_s = start.elapsed().as_secs_f64();

        // The gateway's own reversals (after 91 to the terminal) must reach the issuer too.
        let journal = dir.join("gateway-data").join("gateway.journal");
        let drain_until = Instant::now() + Duration::from_millis(ADVICE_DRAIN_TIMEOUT_MS);
        let mut advices_open = gateway_advices_open(&journal)?;
        while !advices_open.is_empty() && Instant::now() < drain_until {
            tokio::time::sleep(Duration::from_millis(250)).await;
            advices_open = gateway_advices_open(&journal)?;
        }
        let gateway_stop = gateway.stop().await;
        let issuer_stop = issuer.stop().await;
        let hop1 = to_gateway.stop().await;
        let hop2 = to_issuer.stop().await;
        if let Some(e) = failure {
            return Err(e.context(format!("the audit run failed; data in {}", dir.display())));
        }
        gateway_stop?;
        issuer_stop?;
        let advices_open = gateway_advices_open(&journal)?;

        let records: Vec<(sim::Record, Fate)> = done
            .iter()
            .flat_map(|d| d.records.iter().cloned())
            .collect();
        let expected = verdict::expected_change(&records);
        let view = read_ledger(&layout, &expected)?;
        let v = verdict::judge(ACQUIRER_ID, &records, &view.transfers);
        let mut panics = gateway.panics()?;
        panics.extend(issuer.panics()?);

        let mut problems: Vec<String> = Vec::new();
        problems.extend(v.problems.iter().cloned());
        problems.extend(view.card_problems.iter().cloned());
        problems.extend(view.audit_problems.iter().cloned());
        problems.extend(panics.iter().cloned());
        for a in &advices_open {
            problems.push(format!(
                "gateway: reversal advice still owed after {ADVICE_DRAIN_TIMEOUT_MS} ms: {a}"
            ));
        }
        let count = |f: Fate| records.iter().filter(|(_, x)| *x == f).count() as u64;
        let approvals = records.iter().filter(|(r, _)| r.approved).count() as u64;
        let no_answer = records.iter().filter(|(r, _)| r.origin != "host").count() as u64;
        let mut by_code: BTreeMap<String, u64> = BTreeMap::new();
        for (r, _) in &records {
            *by_code.entry(r.response_code.clone()).or_insert(0) += 1;
        }
        let reversals: u64 = done.iter().map(|d| d.reversals).sum();
        let balance: u64 = done.iter().map(|d| d.balance_inquiries).sum();
        let faults = hop1.faults() + hop2.faults();
        let report = serde_json::json!({
            "transactions": records.len() as u64 + balance,
            "card_requests": records.len(),
            "balance_inquiries": balance,
            "approvals": approvals,
            "declines": count(Fate::Declined),
            "not_answered": no_answer,
            "response_codes": by_code,
            "reversals": reversals,
            "charged": v.charged,
            "voided": v.voided,
            "voided_after_issuer_acted": v.voided_after_charge,
            "not_sent": count(Fate::NotSent),
            "kills": killed[0] + killed[1],
            "kills_gateway": killed[0],
            "kills_issuer": killed[1],
            "faults": faults,
            "faults_terminal_gateway": hop1,
            "faults_gateway_issuer": hop2,
            "gateway_advices_open": advices_open.len(),
            "panics": panics.len(),
            "discrepancies": problems.len(),
            "problems": problems.iter().take(LISTED_MAX).collect::<Vec<_>>(),
            "ledger": view.audit_json,
            "load_s": load_s,
            "elapsed_s": began.elapsed().as_secs_f64(),
            "terminals": o.terminals,
            "seed": o.seed,
            "data": dir.display().to_string(),
        });
        if o.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print!("{}", text(&report, &problems));
        }
        Ok(if problems.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
}

fn text(r: &serde_json::Value, problems: &[String]) -> String {
    let n = |k: &str| r[k].as_u64().unwrap_or(0);
    let snap = |k: &str| {
        let s = &r[k];
        format!(
            "{} (dropped {}, reset {}, corrupted {}, truncated {}, partition waits {}, blackholed {}, delayed {})",
            s["dropped"].as_u64().unwrap_or(0)
                + s["reset"].as_u64().unwrap_or(0)
                + s["partitioned"].as_u64().unwrap_or(0)
                + s["blackholed"].as_u64().unwrap_or(0)
                + s["delayed"].as_u64().unwrap_or(0)
                + s["truncated"].as_u64().unwrap_or(0)
                + s["corrupted"].as_u64().unwrap_or(0),
            s["dropped"],
            s["reset"],
            s["corrupted"],
            s["truncated"],
            s["partitioned"],
            s["blackholed"],
            s["delayed"]
        )
    };
    let mut out = format!(
        "audit: {} transactions ({} card requests) in {:.1} s; approvals {}, declines {}, not answered {}\n\
         response codes: {}\n\
         reversals {} (voided {}, of which the issuer had acted on {}); never sent {}\n\
         kills {} (gateway {}, issuer {}); faults {}\n  terminal->gateway: {}\n  gateway->issuer:  {}\n\
         ledger: {}; panics {}; gateway advices open {}\n\
         discrepancies: {}\n",
        n("transactions"),
        n("card_requests"),
        r["load_s"].as_f64().unwrap_or(0.0),
        n("approvals"),
        n("declines"),
        n("not_answered"),
        r["response_codes"],
        n("reversals"),
        n("voided"),
        n("voided_after_issuer_acted"),
        n("not_sent"),
        n("kills"),
        n("kills_gateway"),
        n("kills_issuer"),
        n("faults"),
        snap("faults_terminal_gateway"),
        snap("faults_gateway_issuer"),
        if r["ledger"]["balanced"] == serde_json::Value::Bool(true) {
            "balanced"
        } else {
            "NOT BALANCED"
        },
        n("panics"),
        n("gateway_advices_open"),
        problems.len()
    );
    for p in problems.iter().take(LISTED_MAX) {
        out.push_str(&format!("  {p}\n"));
    }
    if problems.len() > LISTED_MAX {
        out.push_str(&format!("  … and {} more\n", problems.len() - LISTED_MAX));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_windows_stay_inside_the_load() {
        for seed in 0..50 {
            let plan = fault_plan(seed, 30_000);
            assert_eq!(plan.seed, seed);
            // Drop, reset, corrupt, truncate, then per 15 s one partition, one blackhole, one
            // latency window.
            assert_eq!(plan.rules.len(), 4 + 2 * 3, "{plan:?}");
            for r in &plan.rules {
                assert!(r.to_ms <= 30_000 && r.from_ms < r.to_ms, "{r:?}");
            }
            assert!(plan.partition_until(30_000).is_none());
            assert!(!plan.blackhole(30_000));
        }
        assert_eq!(fault_plan(7, 30_000), fault_plan(7, 30_000));
        assert_ne!(fault_plan(7, 30_000), fault_plan(8, 30_000));
    }
}
