//! A one-shot reply slot on std primitives: wait for it from a thread, or `.await` it from any
//! async runtime (it is a plain `Future`; no runtime is needed to complete it).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// The committer dropped the request without answering: it stopped, or the caller's closure
/// panicked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the ledger committer dropped the request without an answer")]
pub struct NoAnswer;

struct Slot<T> {
    value: Option<T>,
    done: bool,
    waker: Option<Waker>,
}

struct Shared<T> {
    slot: Mutex<Slot<T>>,
    ready: Condvar,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, Slot<T>> {
        // A poisoned slot still holds a consistent Option; nothing panics while it is locked.
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn complete(&self, value: Option<T>) {
        let waker = {
            let mut slot = self.lock();
            slot.value = value;
            slot.done = true;
            slot.waker.take()
        };
        self.ready.notify_all();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The receiving end: one answer, once.
pub struct Reply<T> {
    shared: Arc<Shared<T>>,
}

/// The sending end, kept by the committer. Dropping it unanswered wakes the receiver with
/// [`NoAnswer`].
pub(crate) struct Responder<T> {
    shared: Option<Arc<Shared<T>>>,
}

/// A connected pair.
pub(crate) fn channel<T>() -> (Responder<T>, Reply<T>) {
    let shared = Arc::new(Shared {
        slot: Mutex::new(Slot {
            value: None,
            done: false,
            waker: None,
        }),
        ready: Condvar::new(),
    });
    (
        Responder {
            shared: Some(Arc::clone(&shared)),
        },
        Reply { shared },
    )
}

impl<T> Responder<T> {
    pub(crate) fn send(mut self, value: T) {
        if let Some(shared) = self.shared.take() {
            shared.complete(Some(value));
        }
    }
}

impl<T> Drop for Responder<T> {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            shared.complete(None);
        }
    }
}

impl<T> Reply<T> {
    /// Blocks the thread until the answer comes. Do not call from async code: `.await` instead.
    pub fn wait(self) -> Result<T, NoAnswer> {
        let mut slot = self.shared.lock();
        while !slot.done {
            slot = self
                .shared
                .ready
                .wait(slot)
                .unwrap_or_else(PoisonError::into_inner);
        }
        slot.value.take().ok_or(NoAnswer)
    }

    /// Blocks up to `timeout`; `None` if no answer came in that time (the reply stays usable).
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<Result<T, NoAnswer>> {
        let slot = self.shared.lock();
        let (mut slot, _) = self
            .shared
            .ready
            .wait_timeout_while(slot, timeout, |s| !s.done)
            .unwrap_or_else(PoisonError::into_inner);
        slot.done.then(|| slot.value.take().ok_or(NoAnswer))
    }

    /// The answer if it is already there.
    pub fn try_take(&mut self) -> Option<Result<T, NoAnswer>> {
        let mut slot = self.shared.lock();
        slot.done.then(|| slot.value.take().ok_or(NoAnswer))
    }
}

impl<T> Future for Reply<T> {
    type Output = Result<T, NoAnswer>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.shared.lock();
        if slot.done {
            return Poll::Ready(slot.value.take().ok_or(NoAnswer));
        }
        match &slot.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => slot.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<T> std::fmt::Debug for Reply<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("done", &self.shared.lock().done)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn answer_crosses_threads() {
        let (tx, rx) = channel();
        let t = std::thread::spawn(move || tx.send(41 + 1));
        assert_eq!(rx.wait(), Ok(42));
        t.join().unwrap();
    }

    #[test]
    fn dropped_sender_means_no_answer() {
        let (tx, mut rx) = channel::<u8>();
        assert_eq!(rx.try_take(), None);
        assert_eq!(rx.wait_timeout(Duration::from_millis(1)), None);
        drop(tx);
        assert_eq!(rx.try_take(), Some(Err(NoAnswer)));
    }

    #[test]
    fn poll_registers_the_waker_and_is_woken_once() {
        let (tx, mut rx) = channel();
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&counter));
        let mut cx = Context::from_waker(&waker);
        assert!(Pin::new(&mut rx).poll(&mut cx).is_pending());
        assert_eq!(counter.0.load(Ordering::SeqCst), 0);
        tx.send("ok");
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        assert_eq!(Pin::new(&mut rx).poll(&mut cx), Poll::Ready(Ok("ok")));
    }
}
