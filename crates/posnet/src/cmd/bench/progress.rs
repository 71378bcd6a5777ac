//! The progress bar on stderr with the live rate (transactions finished per second over the
//! last half second). Hidden with `--json` or when stderr is not a terminal.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use tokio::task::JoinHandle;

use super::worker::Shared;

pub struct Bar {
    task: Option<(JoinHandle<()>, tokio::sync::oneshot::Sender<()>)>,
}

impl Bar {
    pub fn start(shared: Arc<Shared>, visible: bool) -> Bar {
        if !visible {
            return Bar { task: None };
        }
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let (len, template) = match (shared.plan.count, shared.plan.duration) {
                (Some(c), _) => (c, "{elapsed_precise} {wide_bar} {pos}/{len} {msg}"),
                (None, d) => (
                    d.map(|d| d.as_millis() as u64).unwrap_or(0),
                    "{elapsed_precise} {wide_bar} {msg}",
                ),
            };
            let bar = ProgressBar::new(len);
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            let mut last = 0u64;
            let tick = Duration::from_millis(500);
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = tokio::time::sleep(tick) => {}
                }
                let done = shared.finished.load(Ordering::Relaxed);
                let rate = (done - last) as f64 / tick.as_secs_f64();
                last = done;
                match shared.plan.count {
                    Some(_) => bar.set_position(done),
                    None => bar.set_position(shared.start.elapsed().as_millis() as u64),
                }
                bar.set_message(format!("{done} done, {rate:.0}/s"));
            }
            bar.finish_and_clear();
        });
        Bar {
            task: Some((task, stop)),
        }
    }

    pub async fn finish(self) {
        if let Some((task, stop)) = self.task {
            let _ = stop.send(());
            let _ = task.await;
        }
    }
}
