//! Linux: futex parker and `membarrier(2)` heavy fence.

use super::{HeavyFenceApi, ParkerApi};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// Futex parker. `state` is 0 while nothing is pending and 1 once `unpark` ran.
pub(crate) struct Parker {
    state: AtomicU32,
}

impl ParkerApi for Parker {
    fn new() -> Self {
        Parker {
            state: AtomicU32::new(0),
        }
    }

    fn park(&self) {
        // Acquire: pairs with the Release store in `unpark`, so whatever the unparking thread
        // wrote before (the granted processor) is visible after this returns.
        while self.state.load(Ordering::Acquire) == 0 {
            // SAFETY: `state` is a live, aligned u32 for the whole call (`&self` borrows it);
            // FUTEX_WAIT_PRIVATE only reads it and sleeps while it equals 0; the timeout
            // pointer is null (no timeout) and the remaining arguments are ignored.
            unsafe {
                libc::syscall(
                    libc::SYS_futex,
                    self.state.as_ptr(),
                    libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
                    0u32,
                    std::ptr::null::<libc::timespec>(),
                );
            }
            // EINTR, EAGAIN (value already changed) and spurious wake-ups all re-check.
        }
        // Relaxed: only this thread parks on this parker, and the next unpark is ordered
        // after this reset by the protocol that hands the parker out (one unpark per park).
        self.state.store(0, Ordering::Relaxed);
    }

    fn unpark(&self) {
        // Release: publishes the grant written before this call to the parked thread.
        self.state.store(1, Ordering::Release);
        // SAFETY: `state` is a live, aligned u32 (`&self` keeps the parker alive for the
        // call); FUTEX_WAKE_PRIVATE wakes at most 1 waiter and reads nothing else.
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                self.state.as_ptr(),
                libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
                1i32,
            );
        }
    }
}

const MEMBARRIER_CMD_QUERY: libc::c_int = 0;
const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_int = 1 << 3;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_int = 1 << 4;

fn membarrier(cmd: libc::c_int) -> libc::c_long {
    // SAFETY: membarrier takes two integer arguments (cmd, flags) and a cpu id that is
    // ignored without MEMBARRIER_CMD_FLAG_CPU; it touches no memory of ours.
    unsafe {
        libc::syscall(
            libc::SYS_membarrier,
            cmd,
            0 as libc::c_uint,
            0 as libc::c_int,
        )
    }
}

pub(crate) struct HeavyFence;

impl HeavyFenceApi for HeavyFence {
    fn available() -> bool {
        static AVAILABLE: OnceLock<bool> = OnceLock::new();
        *AVAILABLE.get_or_init(|| {
            // ENOSYS (old kernels, qemu-user without the syscall), EPERM (seccomp) or a
            // kernel without the private expedited command: fall back to the CAS protocol.
            let mask = membarrier(MEMBARRIER_CMD_QUERY);
            if mask < 0 || mask & MEMBARRIER_CMD_PRIVATE_EXPEDITED as libc::c_long == 0 {
                return false;
            }
            if membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0 {
                return false;
            }
            // A test call: under emulators the registration can succeed while the command
            // itself is refused.
            membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0
        })
    }

    fn heavy() {
        let r = membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
        if r != 0 {
            // Registered and tested in `available()`; the kernel documents no later failure.
            // Losing the barrier would silently break the exclusion proof, so stop here.
            eprintln!(
                "syscall-accounting: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed after registration ({}); aborting",
                std::io::Error::last_os_error()
            );
            std::process::abort();
        }
    }
}
