//! The tokio adapter: accepts connections, connects each to the upstream, and pumps frames both
//! ways through the connection's [`ConnChaos`] decisions.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use iso8583::frame::{Frame, Framing};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::decide::{ConnChaos, FrameAction};
use crate::plan::{Direction, Plan};
use crate::stats::Stats;

/// How the proxy cuts the byte stream into the units it delays, corrupts and truncates.
#[derive(Clone, Copy, Debug)]
pub enum Cut {
    /// ISO 8583 frames with this framing (a frame that cannot be read is forwarded as bytes).
    Frames(Framing),
    /// Whatever each read returns.
    Reads,
}

/// Switches a running proxy obeys at once, for tests and demos that break one exchange on
/// purpose: while a direction is swallowed, its frames are read and thrown away and the
/// connection stays open, as when answers are lost on the way.
#[derive(Debug, Default)]
pub struct Control {
    swallow_upstream: AtomicBool,
    swallow_downstream: AtomicBool,
}

impl Control {
    /// Starts or stops swallowing frames flowing `flow` (`Both` sets both directions).
    pub fn swallow(&self, flow: Direction, on: bool) {
        if flow.covers(Direction::Upstream) {
            self.swallow_upstream.store(on, Ordering::SeqCst);
        }
        if flow.covers(Direction::Downstream) {
            self.swallow_downstream.store(on, Ordering::SeqCst);
        }
    }

    fn swallowing(&self, flow: Direction) -> bool {
        match flow {
            Direction::Upstream => self.swallow_upstream.load(Ordering::SeqCst),
            Direction::Downstream => self.swallow_downstream.load(Ordering::SeqCst),
            Direction::Both => false,
        }
    }
}

/// A proxy's settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where to connect each accepted connection (host:port).
    pub upstream: String,
    pub cut: Cut,
    pub plan: Plan,
    pub connect_timeout_ms: u64,
    /// Switches to flip while running.
    pub control: Arc<Control>,
}

/// Bytes read at most at once; frames are bounded by the framing's maximum.
const READ_CHUNK: usize = 16 * 1024;

/// Serves `listener` until `shutdown` turns true. Each connection runs in its own task.
pub async fn run(
    listener: TcpListener,
    config: Config,
    stats: Arc<Stats>,
    mut shutdown: watch::Receiver<bool>,
) {
    let started = Instant::now();
    let plan = Arc::new(config.plan.clone());
    let config = Arc::new(config);
    let mut index = 0u64;
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let Ok((client, _)) = accepted else { continue };
        Stats::bump(&stats.connections);
        let chaos = ConnChaos::new(plan.clone(), index);
        index += 1;
        let (config, stats, plan, shutdown) = (
            config.clone(),
            stats.clone(),
            plan.clone(),
            shutdown.clone(),
        );
        tokio::spawn(async move {
            connection(client, &config, &plan, chaos, &stats, started, shutdown).await;
        });
    }
}

fn elapsed_ms(started: Instant) -> u64 {
    started.elapsed().as_millis().try_into().unwrap_or(u64::MAX)
}

/// Waits out an open partition; returns whether it waited.
async fn partition_wait(plan: &Plan, started: Instant, stats: &Stats) -> bool {
    match plan.partition_until(elapsed_ms(started)) {
        Some(end) => {
            Stats::bump(&stats.partitioned);
            let now = elapsed_ms(started);
            tokio::time::sleep(Duration::from_millis(end.saturating_sub(now))).await;
            true
        }
        None => false,
    }
}

async fn connection(
    mut client: TcpStream,
    config: &Config,
    plan: &Plan,
    chaos: ConnChaos,
    stats: &Stats,
    started: Instant,
    mut shutdown: watch::Receiver<bool>,
) {
    if plan.blackhole(elapsed_ms(started)) {
        Stats::bump(&stats.blackholed);
        // Read and forget until the client gives up or the proxy stops.
        let mut sink = vec![0u8; READ_CHUNK];
        loop {
            tokio::select! {
                r = client.read(&mut sink) => if matches!(r, Ok(0) | Err(_)) { return },
                _ = shutdown.changed() => return,
            }
        }
    }
    partition_wait(plan, started, stats).await;
    let timeout = Duration::from_millis(config.connect_timeout_ms);
    let mut upstream =
        match tokio::time::timeout(timeout, TcpStream::connect(&config.upstream)).await {
            Ok(Ok(s)) => s,
            _ => {
                Stats::bump(&stats.upstream_failures);
                return;
            }
        };
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let chaos = Mutex::new(chaos);
    let end = {
        let (mut cr, mut cw) = client.split();
        let (mut ur, mut uw) = upstream.split();
        tokio::select! {
            e = pump(&mut cr, &mut uw, Direction::Upstream, config, plan, &chaos, stats, started) => e,
            e = pump(&mut ur, &mut cw, Direction::Downstream, config, plan, &chaos, stats, started) => e,
            _ = shutdown.changed() => End::Closed,
        }
    };
    if end == End::Reset {
        // A zero linger turns the close into a reset, as a middlebox or crashed peer would.
        #[allow(deprecated)]
        {
            let _ = client.set_linger(Some(Duration::ZERO));
            let _ = upstream.set_linger(Some(Duration::ZERO));
        }
    } else {
        let _ = client.shutdown().await;
        let _ = upstream.shutdown().await;
    }
}

/// How a connection ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    Closed,
    Reset,
}

#[allow(clippy::too_many_arguments)]
async fn pump<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    from: &mut R,
    to: &mut W,
    flow: Direction,
    config: &Config,
    plan: &Plan,
    chaos: &Mutex<ConnChaos>,
    stats: &Stats,
    started: Instant,
) -> End {
    let mut buf: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut chunk = vec![0u8; READ_CHUNK];
    loop {
        let n = match from.read(&mut chunk).await {
            Ok(0) | Err(_) => return End::Closed,
            Ok(n) => n,
        };
        buf.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
        // Take every whole unit out of the buffer.
        loop {
            let (used, message) = match config.cut {
                Cut::Reads => (buf.len(), 0..buf.len()),
                Cut::Frames(framing) => match framing.decode(&buf) {
                    Ok(Some((Frame::KeepAlive, used))) => (used, used..used),
                    Ok(Some((Frame::Message { .. }, used))) => (used, framing.header.width()..used),
                    Ok(None) => break,
                    // Not a frame we can read: pass the bytes on and let the receiver judge.
                    Err(_) => (buf.len(), 0..buf.len()),
                },
            };
            if used == 0 {
                break;
            }
            let mut unit: Vec<u8> = buf.drain(..used).collect();
            if config.control.swallowing(flow) {
                Stats::bump(&stats.swallowed);
                continue;
            }
            if partition_wait(plan, started, stats).await {
                // The partition healed: carry on with what was held.
            }
            let now = elapsed_ms(started);
            let (action, rate) = {
                let mut c = chaos.lock().unwrap_or_else(|p| p.into_inner());
                (
                    c.on_frame(flow, now, unit.len(), message),
                    c.rate_limit(flow, now),
                )
            };
            Stats::bump(&stats.frames);
            let (delay_ms, keep) = match action {
                FrameAction::Drop => {
                    Stats::bump(&stats.dropped);
                    return End::Closed;
                }
                FrameAction::Reset => {
                    Stats::bump(&stats.reset);
                    return End::Reset;
                }
                FrameAction::Truncate { delay_ms, keep } => {
                    Stats::bump(&stats.truncated);
                    (delay_ms, Some(keep))
                }
                FrameAction::Forward { delay_ms, corrupt } => {
                    if let Some((at, xor)) = corrupt
                        && let Some(b) = unit.get_mut(at)
                    {
                        *b ^= xor;
                        Stats::bump(&stats.corrupted);
                    }
                    (delay_ms, None)
                }
            };
            if delay_ms > 0 {
                Stats::bump(&stats.delayed);
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            }
            if let Some(keep) = keep {
                unit.truncate(keep);
            }
            if to.write_all(&unit).await.is_err() || to.flush().await.is_err() {
                return End::Closed;
            }
            if let Some(bps) = rate {
                // Pace the next unit as if these bytes took their time on a slow reader.
                let ms = (unit.len() as u64).saturating_mul(1000) / bps.max(1);
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            if keep.is_some() {
                return End::Closed;
            }
        }
    }
}
