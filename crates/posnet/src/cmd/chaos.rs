//! `posnet chaos`: a fault-injecting TCP proxy between a client and a server.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chaos::{Config, Cut, Direction, Fault, Plan, Rule, Stats};
use clap::ValueEnum;
use iso8583::frame::{Framing, LengthHeader};
use tokio::signal::unix::{SignalKind, signal};

#[derive(clap::Args)]
#[command(after_help = "Examples:
  posnet chaos --listen 127.0.0.1:9000 --upstream 127.0.0.1:8583 --latency-ms 80 --jitter-ms 40
  posnet chaos --listen 127.0.0.1:9000 --upstream 127.0.0.1:8583 --corrupt 0.01 --seed 7
  posnet chaos --listen 127.0.0.1:9000 --upstream 127.0.0.1:8583 --partition 5000..8000
  posnet chaos --listen 127.0.0.1:9000 --upstream 127.0.0.1:8583 --schedule faults.toml

Probabilities are per frame (0.0 to 1.0). Frames are ISO 8583 frames with a 2-byte length
unless --framing says otherwise; between TLS endpoints (every posnet hop) use --framing raw,
since the proxy sees TLS records, not ISO 8583 frames. The same --seed and the same traffic give the same faults.
A schedule file (TOML) gives faults with time windows; see the chaos crate's plan module:
  seed = 42
  [[fault]]
  kind = \"partition\"
  from_ms = 2000
  to_ms = 3000")]
pub struct Args {
    /// Address to accept connections on (host:port).
    #[arg(long, value_name = "ADDR")]
    listen: String,
    /// Where to forward each connection (host:port).
    #[arg(long, value_name = "ADDR")]
    upstream: String,
    /// Added delay for every frame, in milliseconds.
    #[arg(long, value_name = "MS")]
    latency_ms: Option<u64>,
    /// Up to this much more delay, uniformly random, in milliseconds.
    #[arg(long, value_name = "MS", requires = "latency_ms")]
    jitter_ms: Option<u64>,
    /// Probability that a frame is dropped and its connection closed.
    #[arg(long, value_name = "P", value_parser = probability)]
    drop: Option<f64>,
    /// Probability that a frame is dropped and its connection reset (RST).
    #[arg(long, value_name = "P", value_parser = probability)]
    reset: Option<f64>,
    /// Accept connections but never forward or answer anything.
    #[arg(long)]
    blackhole: bool,
    /// Let nothing through between these times after start, e.g. 5000..8000 (repeatable).
    #[arg(long, value_name = "FROM..TO", value_parser = window)]
    partition: Vec<(u64, u64)>,
    /// Forward at most this many bytes a second.
    #[arg(long, value_name = "BYTES_PER_S")]
    slow_read: Option<u64>,
    /// Probability that a frame is cut short and its connection closed.
    #[arg(long, value_name = "P", value_parser = probability)]
    truncate: Option<f64>,
    /// Probability that one byte of a frame's message is flipped.
    #[arg(long, value_name = "P", value_parser = probability)]
    corrupt: Option<f64>,
    /// Which way the flag faults apply.
    #[arg(long, value_enum, default_value_t = Way::Both)]
    direction: Way,
    /// Seed of the fault decisions (a schedule's own seed wins unless this is given).
    #[arg(long)]
    seed: Option<u64>,
    /// TOML schedule of faults with time windows (added to the flag faults).
    #[arg(long, value_name = "FILE")]
    schedule: Option<PathBuf>,
    /// How to cut the stream into frames.
    #[arg(long, value_enum, default_value_t = Cutting::Binary2)]
    framing: Cutting,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long, value_name = "S")]
    duration_s: Option<u64>,
    /// Print the final counts as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Way {
    Both,
    Upstream,
    Downstream,
}

#[derive(Clone, Copy, ValueEnum)]
enum Cutting {
    /// ISO 8583 frames, 2-byte binary length.
    Binary2,
    /// ISO 8583 frames, 2-byte BCD length.
    Bcd2,
    /// ISO 8583 frames, 4 ASCII digits of length.
    Ascii4,
    /// No framing: whatever each read returns.
    Raw,
}

fn probability(s: &str) -> Result<f64, String> {
    let p: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    chaos::plan::check_probability(p)
}

fn window(s: &str) -> Result<(u64, u64), String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("{s:?}: expected FROM..TO in milliseconds"))?;
    let from: u64 = a
        .trim()
        .parse()
        .map_err(|_| format!("{a:?} is not a number of milliseconds"))?;
    let to: u64 = b
        .trim()
        .parse()
        .map_err(|_| format!("{b:?} is not a number of milliseconds"))?;
    if to <= from {
        return Err(format!("{s}: the end must be after the start"));
    }
    Ok((from, to))
}

fn plan(a: &Args) -> Result<Plan> {
    let mut plan = match &a.schedule {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            Plan::from_toml(&text).with_context(|| format!("in {}", p.display()))?
        }
        None => Plan::default(),
    };
    if let Some(seed) = a.seed {
        plan.seed = seed;
    }
    let direction = match a.direction {
        Way::Both => Direction::Both,
        Way::Upstream => Direction::Upstream,
        Way::Downstream => Direction::Downstream,
    };
    let mut add = |fault| {
        plan.rules.push(Rule {
            direction,
            ..Rule::always(fault)
        })
    };
    if let Some(latency_ms) = a.latency_ms {
        add(Fault::Latency {
            latency_ms,
            jitter_ms: a.jitter_ms.unwrap_or(0),
        });
    }
    if let Some(p) = a.drop {
        add(Fault::Drop { probability: p });
    }
    if let Some(p) = a.reset {
        add(Fault::Reset { probability: p });
    }
    if a.blackhole {
        add(Fault::Blackhole);
    }
    if let Some(bps) = a.slow_read {
        if bps == 0 {
            bail!("--slow-read must be at least 1 byte a second");
        }
        add(Fault::SlowRead { bytes_per_s: bps });
    }
    if let Some(p) = a.truncate {
        add(Fault::Truncate { probability: p });
    }
    if let Some(p) = a.corrupt {
        add(Fault::Corrupt { probability: p });
    }
    for &(from_ms, to_ms) in &a.partition {
        plan.rules.push(Rule {
            fault: Fault::Partition,
            direction: Direction::Both,
            from_ms,
            to_ms,
        });
    }
    Ok(plan)
}

fn describe(plan: &Plan) -> String {
    if plan.rules.is_empty() {
        return "no faults: a plain proxy".into();
    }
    plan.rules
        .iter()
        .map(|r| {
            let what = match &r.fault {
                Fault::Latency {
                    latency_ms,
                    jitter_ms,
                } => format!("latency {latency_ms}+0..{jitter_ms} ms"),
                Fault::Drop { probability } => format!("drop {probability}"),
                Fault::Reset { probability } => format!("reset {probability}"),
                Fault::Blackhole => "blackhole".into(),
                Fault::Partition => "partition".into(),
                Fault::SlowRead { bytes_per_s } => format!("slow read {bytes_per_s} B/s"),
                Fault::Truncate { probability } => format!("truncate {probability}"),
                Fault::Corrupt { probability } => format!("corrupt {probability}"),
            };
            if r.to_ms == u64::MAX && r.from_ms == 0 {
                what
            } else {
                format!("{what} [{}..{} ms]", r.from_ms, r.to_ms)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn run(a: Args) -> Result<ExitCode> {
    let plan = plan(&a)?;
    let cut = match a.framing {
        Cutting::Raw => Cut::Reads,
        Cutting::Binary2 => Cut::Frames(Framing {
            header: LengthHeader::Binary2,
            ..Framing::default()
        }),
        Cutting::Bcd2 => Cut::Frames(Framing {
            header: LengthHeader::Bcd2,
            ..Framing::default()
        }),
        Cutting::Ascii4 => Cut::Frames(Framing {
            header: LengthHeader::Ascii4,
            ..Framing::default()
        }),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        // Installed before the banner, so a Ctrl-C right after it is never lost.
        let mut interrupt = signal(SignalKind::interrupt()).context("installing the Ctrl-C handler")?;
        let mut terminate = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
        let listener = tokio::net::TcpListener::bind(&a.listen)
            .await
            .with_context(|| format!("cannot listen on {}", a.listen))?;
        eprintln!(
            "posnet chaos: {} -> {} (seed {}; {}); Ctrl-C to stop",
            listener.local_addr()?,
            a.upstream,
            plan.seed,
            describe(&plan)
        );
        let stats = Arc::new(Stats::default());
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let config = Config {
            upstream: a.upstream.clone(),
            cut,
            plan,
            connect_timeout_ms: 5_000,
            control: Arc::new(chaos::Control::default()),
        };
        let server = tokio::spawn(chaos::run(listener, config, stats.clone(), stopped));
        match a.duration_s {
            Some(s) => tokio::time::sleep(std::time::Duration::from_secs(s)).await,
            None => {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
        }
        let _ = stop.send(true);
        let _ = server.await;
        let s = stats.snapshot();
        if a.json {
            println!("{}", serde_json::to_string(&s)?);
        } else {
            println!(
                "connections {}  frames {}  faults {} (delayed {}, dropped {}, reset {}, truncated {}, corrupted {}, blackholed {}, partition waits {})  upstream failures {}",
                s.connections, s.frames, s.faults(), s.delayed, s.dropped, s.reset, s.truncated, s.corrupted, s.blackholed, s.partitioned, s.upstream_failures
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}
