//! The program-wide thread key whose destructor returns a bound context at thread exit.
//!
//! Created once, at [`init`](crate::init) (or at a runtime thread's first foreign call);
//! its value on a thread is that thread's bound context, and the destructor, run by the
//! C library at thread exit only when the value is non-null, hands it to
//! [`entry::thread_exit`](crate::entry::thread_exit).
//!
//! # References
//! Go `runtime/cgo/gcc_libinit_unix.c`: `pthread_key_destructor`, `x_cgo_bindm`.

use std::sync::OnceLock;

static KEY: OnceLock<libc::pthread_key_t> = OnceLock::new();

unsafe extern "C" fn destructor(value: *mut libc::c_void) {
    // SAFETY: the key only ever holds a context installed on the exiting thread by
    // `set`; the C library calls this once with that value, on that thread.
    unsafe { crate::entry::thread_exit(value.cast()) };
}

/// Creates the key (idempotent).
pub(crate) fn create() {
    KEY.get_or_init(|| {
        let mut k: libc::pthread_key_t = 0;
        // SAFETY: `k` is a valid out-pointer; `destructor` has the required signature
        // and lives for the whole program.
        let r = unsafe { libc::pthread_key_create(&mut k, Some(destructor)) };
        if r != 0 {
            crate::fatal(format_args!(
                "callback: pthread_key_create failed (error {r}): the process has run out of \
                 thread keys, so foreign-thread contexts cannot be returned at thread exit"
            ));
        }
        k
    });
}

/// Sets this thread's bound context (null clears it).
pub(crate) fn set(value: *mut libc::c_void) {
    create();
    let k = *KEY
        .get()
        .unwrap_or_else(|| crate::fatal(format_args!("callback: thread key missing")));
    // SAFETY: `k` is a key created by `pthread_key_create` and never deleted.
    let r = unsafe { libc::pthread_setspecific(k, value) };
    if r != 0 {
        crate::fatal(format_args!(
            "callback: pthread_setspecific failed (error {r})"
        ));
    }
}
