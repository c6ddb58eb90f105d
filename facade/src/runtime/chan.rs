//! A bounded multi-producer, single-consumer channel whose waits are switch points.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::runtime::sched::{Waker, lock, park};

struct State<T> {
    buf: VecDeque<T>,
    cap: usize,
    senders: usize,
    receiver: bool,
    recv_waiter: Option<Waker>,
    send_waiters: VecDeque<Waker>,
}

type Chan<T> = Arc<Mutex<State<T>>>;

/// The sending half of a [`channel`]; clone it for more producers.
pub struct Sender<T> {
    chan: Chan<T>,
}

/// The receiving half of a [`channel`].
pub struct Receiver<T> {
    chan: Chan<T>,
}

/// The receiver is gone; the value is handed back.
#[derive(Debug, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> std::fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("sending on a channel whose receiver was dropped")
    }
}

impl<T: std::fmt::Debug> std::error::Error for SendError<T> {}

/// Every sender is gone and the buffer is empty.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct RecvError;

impl std::fmt::Display for RecvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("receiving on an empty channel whose senders were all dropped")
    }
}

impl std::error::Error for RecvError {}

/// A channel holding up to `capacity` values (at least 1: a capacity of 0 is
/// raised to 1; there is no rendezvous mode). A send on a full channel and a
/// receive on an empty one wait — a switch point on a green thread, a park on an OS
/// thread — so both halves may live on green threads or plain threads.
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Mutex::new(State {
        buf: VecDeque::with_capacity(capacity.clamp(1, 1024)),
        cap: capacity.max(1),
        senders: 1,
        receiver: true,
        recv_waiter: None,
        send_waiters: VecDeque::new(),
    }));
    (Sender { chan: chan.clone() }, Receiver { chan })
}

impl<T> Sender<T> {
    /// Send `v`, waiting while the channel is full.
    ///
    /// # Errors
    /// [`SendError`] with `v` if the receiver was dropped.
    pub fn send(&self, v: T) -> Result<(), SendError<T>> {
        loop {
            let mut s = lock(&self.chan);
            if !s.receiver {
                return Err(SendError(v));
            }
            if s.buf.len() < s.cap {
                s.buf.push_back(v);
                let w = s.recv_waiter.take();
                drop(s);
                if let Some(w) = w {
                    w.wake();
                }
                return Ok(());
            }
            s.send_waiters.push_back(Waker::current());
            drop(s);
            park();
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        lock(&self.chan).senders += 1;
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut s = lock(&self.chan);
        s.senders -= 1;
        let w = if s.senders == 0 {
            s.recv_waiter.take()
        } else {
            None
        };
        drop(s);
        if let Some(w) = w {
            w.wake();
        }
    }
}

impl<T> Receiver<T> {
    /// Receive the next value, waiting while the channel is empty.
    ///
    /// # Errors
    /// [`RecvError`] once the channel is empty and every sender was dropped.
    pub fn recv(&self) -> Result<T, RecvError> {
        loop {
            let mut s = lock(&self.chan);
            if let Some(v) = s.buf.pop_front() {
                let w = s.send_waiters.pop_front();
                drop(s);
                if let Some(w) = w {
                    w.wake();
                }
                return Ok(v);
            }
            if s.senders == 0 {
                return Err(RecvError);
            }
            s.recv_waiter = Some(Waker::current());
            drop(s);
            park();
        }
    }

    /// Receive a value if one is buffered, without waiting.
    pub fn try_recv(&self) -> Option<T> {
        let mut s = lock(&self.chan);
        let v = s.buf.pop_front()?;
        let w = s.send_waiters.pop_front();
        drop(s);
        if let Some(w) = w {
            w.wake();
        }
        Some(v)
    }
}

impl<T> Iterator for Receiver<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.recv().ok()
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut s = lock(&self.chan);
        s.receiver = false;
        let ws: Vec<Waker> = s.send_waiters.drain(..).collect();
        drop(s);
        ws.into_iter().for_each(Waker::wake);
    }
}

impl<T> std::fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sender { .. }")
    }
}

impl<T> std::fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Receiver { .. }")
    }
}
