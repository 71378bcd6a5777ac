//! A shutdown signal shared by a server, its connections and client links.

use tokio::sync::watch;

/// The side that asks for shutdown. Dropping it asks too, so a forgotten trigger cannot
/// leave tasks running with nobody able to stop them.
#[derive(Debug)]
pub struct ShutdownTrigger(watch::Sender<bool>);

/// The side that waits for shutdown; clone it for every task that must stop.
#[derive(Debug, Clone)]
pub struct Shutdown(Option<watch::Receiver<bool>>);

/// A new trigger and its signal.
pub fn shutdown_pair() -> (ShutdownTrigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (ShutdownTrigger(tx), Shutdown(Some(rx)))
}

impl ShutdownTrigger {
    pub fn trigger(&self) {
        self.0.send_replace(true);
    }
}

impl Shutdown {
    /// A signal that never fires, for callers that stop by other means.
    pub fn never() -> Shutdown {
        Shutdown(None)
    }

    pub fn is_triggered(&self) -> bool {
        self.0
            .as_ref()
            .is_some_and(|rx| *rx.borrow() || rx.has_changed().is_err())
    }

    /// Completes once shutdown is asked for (at once if it already was). Cancel-safe.
    pub async fn wait(&mut self) {
        match &mut self.0 {
            // `wait_for` fails only when the trigger was dropped: that is a shutdown too.
            Some(rx) => {
                let _ = rx.wait_for(|stop| *stop).await;
            }
            None => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn trigger_and_drop_both_stop() {
        let (trigger, mut signal) = shutdown_pair();
        assert!(!signal.is_triggered());
        trigger.trigger();
        signal.wait().await;
        assert!(signal.is_triggered());

        let (trigger, mut signal) = shutdown_pair();
        drop(trigger);
        signal.wait().await;
        assert!(signal.is_triggered());

        let never = Shutdown::never();
        assert!(!never.is_triggered());
    }
}
