//! `posnet bench`: a load generator. N simulated terminals, each its own mutual-TLS
//! connection and terminal id, keep a bounded number of requests in flight against a gateway,
//! flat out or at a fixed rate, for a duration or a count; the report gives throughput,
//! latency quantiles (HdrHistogram) and errors by response code and by kind.

mod audit;
mod ceiling;
mod mix;
mod procs;
mod progress;
mod sim;
mod stans;
mod stats;
mod verdict;
mod worker;

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use link::{Link, LinkOptions, Target};

use crate::cmd::setup::{self, Layout};
use mix::Mix;
use stats::{RunInfo, Stats};
use worker::{Card, Plan, Shared};

#[derive(clap::Args)]
#[command(
    after_help = "Example, against `posnet up --bench-cards 100 --bench-terminals 4`:
  posnet bench --data posnet-data --terminals 4 --in-flight 8 --duration 10
Latency is measured from when a request was due (with --rate) or sent (flat out)."
)]
pub struct Args {
    /// Data folder of a running `posnet up` (gateway address, CA, bench cards; missing
    /// terminal certificates are issued with its CA).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["gateway", "ca", "cert_dir"])]
    data: Option<PathBuf>,
    /// Gateway address (host:port) when not using --data.
    #[arg(long, value_name = "H:P", requires_all = ["ca", "cert_dir"])]
    gateway: Option<String>,
    /// CA certificate (PEM) the gateway's certificate chains to.
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// Folder with `BENCH001.pem`/`BENCH001.key`… terminal certificates.
    #[arg(long, value_name = "DIR")]
    cert_dir: Option<PathBuf>,
    /// Simulated terminals (`BENCH001`…), one TLS connection each.
    #[arg(long, default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(setup::BENCH_TERMINALS_MAX)))]
    terminals: u32,
    /// Requests outstanding per connection.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=4096))]
    in_flight: u32,
    /// Transactions per second over all terminals (default: flat out).
    #[arg(long, value_name = "R")]
    rate: Option<f64>,
    /// Seconds to run (default 10 unless --count).
    #[arg(long, value_name = "S", conflicts_with = "count")]
    duration: Option<f64>,
    /// Transactions to run.
    #[arg(long, value_name = "C")]
    count: Option<u64>,
    /// Kinds and weights: purchase, refund, reversal (a purchase then its 0400), balance.
    #[arg(long, default_value = "purchase=90,refund=5,reversal=5")]
    mix: String,
    /// Bench cards to use (`bench-00001`…); with --data, default all in issuer.toml.
    #[arg(long, value_name = "N")]
    cards: Option<u32>,
    /// How long a request waits for its answer before it counts as a timeout.
    #[arg(long, default_value_t = 30_000)]
    timeout_ms: u64,
    /// Where each terminal's last STAN is kept between runs (the issuer refuses a STAN
    /// used the same day with 94); default DIR/bench-data with --data, else ./bench-state.
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
    /// First run the same plan through a bare TLS echo server in this process (needs
    /// --data), and report the real run's throughput as a share of that ceiling.
    #[arg(long)]
    ceiling: bool,
    /// The report as JSON on stdout (no progress bar).
    #[arg(long)]
    json: bool,
    /// The crash-and-fault audit: starts its own issuer and gateway processes from a new
    /// data folder (--data, default a temporary one) with chaos proxies on both hops, runs
    /// the terminals' load (one request at a time each, as a POS terminal works) while it
    /// kills and restarts the gateway and the issuer, then checks every request against the
    /// issuer's ledger. Exit 1 on any discrepancy. Duration default 60 s.
    #[arg(long, conflicts_with_all = ["gateway", "ceiling"])]
    audit: bool,
    /// With --audit: SIGKILLs over the load, gateway and issuer in turn.
    #[arg(long, default_value_t = 20, requires = "audit")]
    kills: u32,
    /// With --audit: seed of the fault windows and kill pauses.
    #[arg(long, default_value_t = 1, requires = "audit")]
    seed: u64,
}

/// Where the terminals connect and with what.
struct Endpoint {
    target: Target,
    ca: PathBuf,
    cert_dir: PathBuf,
    /// The data folder whose `keys/pinpad-ID` PIN pads MAC each terminal's messages (as a
    /// real terminal's do); `None` sends no MACs (a gateway without `[security]`).
    pinpads: Option<PathBuf>,
}

fn parse_target(addr: &str) -> Result<Target> {
    if let Ok(sa) = addr.parse::<SocketAddr>() {
        return Ok(Target::from(sa));
    }
    let Some((host, port)) = addr.rsplit_once(':') else {
        bail!("gateway {addr:?}: expected host:port");
    };
    let port: u16 = port
        .parse()
        .with_context(|| format!("gateway {addr:?}: port"))?;
    Ok(Target::new(host, port))
}

fn bench_cards_of(cards: impl Iterator<Item = (String, String, String)>) -> Result<Vec<Card>> {
    cards
        .map(|(_, pan, expiry)| Card::new(&pan, &expiry))
        .collect()
}

fn endpoint_and_cards(a: &Args, terminal_ids: &[String]) -> Result<(Endpoint, Vec<Card>)> {
    if let Some(dir) = &a.data {
        let layout = Layout::new(dir);
        let gateway = crate::cmd::network::load_gateway_config(&layout.gateway_config())
            .context("reading the data folder's gateway config (is `posnet up` running?)")?;
        setup::ensure_terminal_certs(&layout, terminal_ids)?;
        let issuer = crate::cmd::issuer::load_config(&layout.issuer_config())?;
        let mut found: Vec<(String, String, String)> = issuer
            .cards
            .iter()
            .filter(|c| c.name.starts_with("bench-"))
            .map(|c| {
                (
                    c.name.clone(),
                    c.pan.reveal().to_string(),
                    c.expiry.to_yymm(),
                )
            })
            .collect();
        found.sort();
        if found.is_empty() {
            bail!(
                "{} has no bench cards: start `posnet up --bench-cards N` with a new data folder",
                layout.issuer_config().display()
            );
        }
        if let Some(n) = a.cards {
            found.truncate(n as usize);
        }
        let pki = link::PkiDir::new(&layout.pki());
        let endpoint = Endpoint {
            target: Target::from(gateway.listen),
            ca: pki.ca_cert(),
            cert_dir: pki.terminals(),
            pinpads: gateway.security.is_some().then(|| layout.dir.clone()),
        };
        return Ok((endpoint, bench_cards_of(found.into_iter())?));
    }
    let (Some(gateway), Some(ca), Some(cert_dir)) = (&a.gateway, &a.ca, &a.cert_dir) else {
        bail!("give --data DIR, or --gateway H:P with --ca FILE and --cert-dir DIR");
    };
    let n = a.cards.unwrap_or(1).max(1);
    let cards = (1..=n).map(|i| {
        (
            setup::bench_card_name(i),
            setup::bench_card_pan(i),
            setup::BENCH_CARD_EXPIRY.to_string(),
        )
    });
    let endpoint = Endpoint {
        target: parse_target(gateway)?,
        ca: ca.clone(),
        cert_dir: cert_dir.clone(),
        pinpads: None,
    };
    Ok((endpoint, bench_cards_of(cards)?))
}

fn start_link(endpoint: &Endpoint, id: &str, a: &Args) -> Result<Link> {
    let spec = Arc::new(iso8583::specs::iso87_ascii_bbitmap());
    let ca = link::pki::load_certs(&endpoint.ca)?;
    let identity = link::Identity::load(
        &endpoint.cert_dir.join(format!("{id}.pem")),
        &endpoint.cert_dir.join(format!("{id}.key")),
    )
    .with_context(|| format!("terminal {id}'s certificate"))?;
    let mut options = LinkOptions::new(vec![endpoint.target.clone()], spec);
    options.tls = Some(link::tls::client_config(&ca, Some(&identity))?);
    options.in_flight_max = a.in_flight as usize;
    options.request_timeout_ms = a.timeout_ms;
    if let Some(data) = &endpoint.pinpads {
        let pad = terminal::pinpad::PinPad::open(&terminal::config::PinPadConfig {
            dir: data.join(crate::cmd::keys::pinpad_dir(id)),
            key: "ipek".into(),
            initial_ksn: crate::cmd::keys::initial_ksn(id),
        })
        .with_context(|| format!("terminal {id}'s PIN pad"))?;
        options.seal = Some(Arc::new(pad));
    }
    Ok(Link::start(options)?)
}

/// One measured run over `links`: the stats, the seconds it took, and the terminals (with
/// the STANs they used).
struct Outcome {
    stats: Stats,
    elapsed_s: f64,
    terminals: Vec<(String, Arc<worker::Terminal>)>,
    /// A worker that stopped on an error (reported after the STANs are saved: the ones it
    /// used are spent).
    failed: Option<anyhow::Error>,
    /// Field 39 of each terminal's closing 0500, counted (empty when not settling).
    settlements: std::collections::BTreeMap<String, u64>,
}

async fn drive(
    a: &Args,
    links: &[(String, Link)],
    mix: Mix,
    cards: Arc<[Card]>,
    stans_used: impl Fn(&str) -> Result<u32>,
    show_bar: bool,
    settle: bool,
) -> Result<Outcome> {
    for (id, link) in links {
        link.wait_up(10_000)
            .await
            .with_context(|| format!("terminal {id} connecting"))?;
    }
    let plan = Plan {
        count: a.count,
        duration: match (a.count, a.duration) {
            (Some(_), _) => None,
            (None, d) => Some(Duration::from_secs_f64(d.unwrap_or(10.0))),
        },
        rate_per_s: a.rate,
    };
    let shared = Arc::new(Shared::new(plan, mix, cards));
    let bar = progress::Bar::start(shared.clone(), show_bar);
    let mut tasks = Vec::new();
    let mut terminals = Vec::new();
    for (id, link) in links {
        let terminal = Arc::new(worker::Terminal::new(id, link.clone(), stans_used(id)?)?);
        terminals.push((id.clone(), terminal.clone()));
        for _ in 0..a.in_flight {
            tasks.push(tokio::spawn(worker::run(terminal.clone(), shared.clone())));
        }
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await);
    }
    let elapsed_s = shared.start.elapsed().as_secs_f64();
    bar.finish().await;
    let mut settlements = std::collections::BTreeMap::new();
    if settle {
        for (_, t) in &terminals {
            *settlements.entry(t.settle().await).or_insert(0) += 1;
        }
    }
    for (_, link) in links {
        link.close();
    }
    let mut stats = Stats::new()?;
    let mut failed = None;
    for r in results {
        match r.context("a bench worker panicked").and_then(|r| r) {
            Ok(s) => stats.merge(&s)?,
            Err(e) => failed = Some(e),
        }
    }
    Ok(Outcome {
        stats,
        elapsed_s,
        terminals,
        failed,
        settlements,
    })
}

pub fn run(a: Args) -> Result<ExitCode> {
    let mix = Mix::parse(&a.mix)?;
    if let Some(r) = a.rate
        && !(r.is_finite() && r > 0.0)
    {
        bail!("--rate {r}: must be a positive number of transactions per second");
    }
    if let Some(d) = a.duration
        && !(d.is_finite() && d > 0.0)
    {
        bail!("--duration {d}: must be a positive number of seconds");
    }
    if a.audit {
        return audit::run(audit::Options {
            data: a.data.clone(),
            terminals: a.terminals,
            cards: a.cards.unwrap_or(16).max(1),
            duration_s: a.duration.unwrap_or(60.0),
            count: a.count,
            kills: a.kills,
            seed: a.seed,
            mix,
            json: a.json,
        });
    }
    let terminal_ids: Vec<String> = (1..=a.terminals).map(setup::bench_terminal_id).collect();
    let (endpoint, cards) = endpoint_and_cards(&a, &terminal_ids)?;
    let cards: Arc<[Card]> = cards.into();
    let show_bar = !a.json && std::io::stderr().is_terminal();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let ceiling = match (&a.data, a.ceiling) {
            (Some(dir), true) => {
                let pki = link::PkiDir::new(&Layout::new(dir).pki());
                let echo = ceiling::Echo::start(&pki, a.in_flight as usize).await?;
                let echo_endpoint = Endpoint {
                    target: Target::from(echo.addr),
                    ca: endpoint.ca.clone(),
                    cert_dir: endpoint.cert_dir.clone(),
                    // The echo server sends the request back: no answer MAC to check.
                    pinpads: None,
                };
                let mut links = Vec::new();
                for id in &terminal_ids {
                    links.push((id.clone(), start_link(&echo_endpoint, id, &a)?));
                }
                let outcome = drive(
                    &a,
                    &links,
                    mix.clone(),
                    cards.clone(),
                    |_| Ok(0),
                    show_bar,
                    false,
                )
                .await;
                echo.stop().await;
                let outcome =
                    outcome.context("the ceiling run against the bare TLS echo server")?;
                if let Some(e) = outcome.failed {
                    return Err(e.context("the ceiling run against the bare TLS echo server"));
                }
                Some(outcome)
            }
            (None, true) => bail!("--ceiling needs --data (the echo server uses its certificates)"),
            (_, false) => None,
        };

        let state_dir = match (&a.state, &a.data) {
            (Some(s), _) => s.clone(),
            (None, Some(d)) => d.join("bench-data"),
            (None, None) => PathBuf::from("bench-state"),
        };
        let stan_store = stans::Store::open(&state_dir)?;
        let mut links = Vec::new();
        for id in &terminal_ids {
            links.push((id.clone(), start_link(&endpoint, id, &a)?));
        }
        let mut outcome = drive(
            &a,
            &links,
            mix,
            cards,
            |id| stan_store.used(id),
            show_bar,
            true,
        )
        .await?;
        for (id, t) in &outcome.terminals {
            stan_store.save(id, t.stans_used())?;
        }
        if let Some(e) = outcome.failed.take() {
            return Err(e);
        }
        let info = RunInfo {
            terminals: terminal_ids.len(),
            in_flight: a.in_flight as usize,
            rate_per_s: a.rate,
            mix: a.mix.clone(),
            elapsed_s: outcome.elapsed_s,
        };
        let total = &outcome.stats;
        let ceiling_info = ceiling.as_ref().map(|c| {
            (
                &c.stats,
                RunInfo {
                    elapsed_s: c.elapsed_s,
                    ..info.clone()
                },
            )
        });
        if a.json {
            let mut doc = stats::to_json(total, &info);
            doc["settlements"] = serde_json::json!(outcome.settlements);
            if let Some((c, ci)) = &ceiling_info {
                doc["ceiling"] = stats::ceiling_json(c, ci);
                doc["ceiling_ratio"] = stats::ratio(total, &info, c, ci).into();
            }
            println!("{}", serde_json::to_string_pretty(&doc)?);
        } else {
            print!("{}", stats::to_text(total, &info));
            println!(
                "batches settled (0500), by field 39: {}",
                outcome
                    .settlements
                    .iter()
                    .map(|(code, n)| format!("{code} x{n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if let Some((c, ci)) = &ceiling_info {
                print!("{}", stats::ceiling_text(total, &info, c, ci));
            }
        }
        Ok(if total.answered > 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_cards_have_valid_luhn_pans_in_the_issuers_bin() {
        // Worked by hand: body 476173800000001, doubled from the right, sums to 36.
        assert_eq!(setup::bench_card_pan(1), "4761738000000014");
        // The demo cards' PANs (valid Luhn) come out with their own check digits.
        for card in setup::CARDS {
            let (body, check) = card.pan.split_at(15);
            assert_eq!(
                setup::luhn_check_digit(body).to_string(),
                check,
                "{}",
                card.name
            );
        }
        for n in [1, 2, 99, 12_345, 99_999_999] {
            let pan = setup::bench_card_pan(n);
            assert_eq!(pan.len(), 16);
            assert!(pan.starts_with("476173"));
            assert!(issuer::pan::luhn_valid(&pan), "{pan}");
        }
        assert_eq!(setup::bench_card_name(7), "bench-00007");
        assert_eq!(setup::bench_terminal_id(12), "BENCH012");
    }

    #[test]
    fn gateway_addresses() {
        assert_eq!(
            parse_target("127.0.0.1:8583").unwrap(),
            Target::new("127.0.0.1", 8583)
        );
        assert_eq!(
            parse_target("gw.example:9000").unwrap(),
            Target::new("gw.example", 9000)
        );
        assert!(parse_target("nohost").is_err());
        assert!(parse_target("h:notaport").is_err());
    }
}
