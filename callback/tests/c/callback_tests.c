// C side of the callback scenarios: C functions that call back into Rust, from the
// calling thread, from threads C creates itself, from makecontext stacks, after using
// a lot of stack, and one that overflows its stack in C.
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

typedef int (*cb_t)(int);

// Calls back once.
int cbt_call(cb_t cb, int x) { return cb(x); }

// Calls back `n` times, summing the results.
long cbt_loop(cb_t cb, long n) {
    long s = 0;
    for (long i = 0; i < n; i++) s += cb((int)(i & 0xff));
    return s;
}

// Uses `kib` KiB of stack (touching every page), then calls back (Go issue 1328).
__attribute__((noinline)) int cbt_big_stack(cb_t cb, int kib) {
    size_t n = (size_t)kib * 1024;
    volatile char *buf = __builtin_alloca(n);
    for (size_t i = 0; i < n; i += 512) buf[i] = (char)i;
    return cb(buf[n / 2] & 1) + (buf[0] & 0);
}

struct loop_arg {
    cb_t cb;
    long n;
    long sum;
};

static void *loop_thread(void *p) {
    struct loop_arg *a = p;
    a->sum = cbt_loop(a->cb, a->n);
    return NULL;
}

static int start(pthread_t *t, size_t stack, void *(*fn)(void *), void *arg) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (stack) pthread_attr_setstacksize(&attr, stack);
    int r = pthread_create(t, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    return r;
}

// A new C thread (stack size `stack`, 0 = default) calls back `n` times; returns the
// sum, or -1 if the thread could not be created.
long cbt_thread_loop(cb_t cb, long n, size_t stack) {
    pthread_t t;
    struct loop_arg a = {cb, n, 0};
    if (start(&t, stack, loop_thread, &a)) return -1;
    pthread_join(t, NULL);
    return a.sum;
}

// `nthreads` C threads each call back `n` times, concurrently; returns the total.
long cbt_threads_parallel(cb_t cb, int nthreads, long n) {
    pthread_t t[64];
    struct loop_arg a[64];
    if (nthreads > 64) return -1;
    for (int i = 0; i < nthreads; i++) {
        a[i] = (struct loop_arg){cb, n, 0};
        if (start(&t[i], 0, loop_thread, &a[i])) return -1;
    }
    long s = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(t[i], NULL);
        s += a[i].sum;
    }
    return s;
}

// `nthreads` short-lived C threads, started and joined one batch of `batch` at a time,
// each calling back once.
long cbt_short_threads(cb_t cb, int nthreads, int batch) {
    long s = 0;
    pthread_t t[64];
    struct loop_arg a[64];
    if (batch > 64) return -1;
    for (int done = 0; done < nthreads; done += batch) {
        int k = nthreads - done < batch ? nthreads - done : batch;
        for (int i = 0; i < k; i++) {
            a[i] = (struct loop_arg){cb, 1, 0};
            if (start(&t[i], 0, loop_thread, &a[i])) return -1;
        }
        for (int i = 0; i < k; i++) {
            pthread_join(t[i], NULL);
            s += a[i].sum;
        }
    }
    return s;
}

// Go issue 62440: a C thread calls back from its own stack, then from two distinct
// malloc'ed 64 KiB makecontext stacks, then from its own stack again.
static ucontext_t main_ctx, ctx[2];
static cb_t ss_cb;
static int ss_res[4];

static void on_ctx(int i) {
    ss_res[1 + i] = ss_cb(1 + i);
}

static void *stack_switch_thread(void *p) {
    (void)p;
    ss_res[0] = ss_cb(0);
    void *stk[2] = {malloc(64 * 1024), malloc(64 * 1024)};
    for (int i = 0; i < 2; i++) {
        getcontext(&ctx[i]);
        ctx[i].uc_stack.ss_sp = stk[i];
        ctx[i].uc_stack.ss_size = 64 * 1024;
        ctx[i].uc_link = &main_ctx;
        makecontext(&ctx[i], (void (*)(void))on_ctx, 1, i);
        swapcontext(&main_ctx, &ctx[i]);
    }
    free(stk[0]);
    free(stk[1]);
    ss_res[3] = ss_cb(3);
    return NULL;
}

// Returns the sum of the four callbacks' results, -1 if the thread failed to start.
int cbt_stack_switch(cb_t cb) {
    pthread_t t;
    ss_cb = cb;
    if (start(&t, 0, stack_switch_thread, NULL)) return -1;
    pthread_join(t, NULL);
    return ss_res[0] + ss_res[1] + ss_res[2] + ss_res[3];
}

// Calls back on a makecontext stack from the calling thread: used with runtime frames
// above (a stack change under a foreign call), which must be refused.
static ucontext_t sw_back, sw_ctx;
static void sw_entry(void) { ss_res[0] = ss_cb(7); }
int cbt_call_on_other_stack(cb_t cb) {
    static char stk[128 * 1024];
    ss_cb = cb;
    getcontext(&sw_ctx);
    sw_ctx.uc_stack.ss_sp = stk;
    sw_ctx.uc_stack.ss_size = sizeof stk;
    sw_ctx.uc_link = &sw_back;
    makecontext(&sw_ctx, sw_entry, 0);
    swapcontext(&sw_back, &sw_ctx);
    return ss_res[0];
}

// A C thread with a 64 KiB stack calls back once, then recurses in C until it
// overflows its stack.
static volatile long sink;
__attribute__((noinline)) static long recurse(long n) {
    volatile char pad[256];
    pad[0] = (char)n;
    sink += pad[0];
    return recurse(n + 1) + pad[0];
}

static void *overflow_thread(void *p) {
    cb_t cb = (cb_t)p;
    cb(1);
    sink = recurse(0);
    return NULL;
}

// 64 KiB, or the platform's minimum thread stack if larger (128 KiB on aarch64 glibc).
size_t cbt_overflow_stack_size(void) {
    size_t sz = 64 * 1024;
    return sz < (size_t)PTHREAD_STACK_MIN ? (size_t)PTHREAD_STACK_MIN : sz;
}

void cbt_overflow_thread(cb_t cb) {
    pthread_t t;
    if (start(&t, cbt_overflow_stack_size(), overflow_thread, (void *)cb)) return;
    pthread_join(t, NULL);
}

// Zero-syscall scenario: a C thread binds with one callback, then writes a BEGIN marker
// (write(-1) fails with EBADF but shows in a syscall trace), calls back `n` times, and
// writes an END marker.
//
// Under qemu-user the trace cannot tell threads apart, so a marker thread first waits
// (spinning, no system call) until the creating thread is past pthread_create: the
// creator's own calls around clone then all come before the marker, and the only call
// it makes afterwards is the join's futex wait.
static int marker_go;
static void marker_wait(void) {
    while (!__atomic_load_n(&marker_go, __ATOMIC_ACQUIRE)) {
    }
}
static int start_marked(pthread_t *t, void *(*fn)(void *), void *arg) {
    __atomic_store_n(&marker_go, 0, __ATOMIC_RELEASE);
    if (start(t, 0, fn, arg)) return -1;
    __atomic_store_n(&marker_go, 1, __ATOMIC_RELEASE);
    return 0;
}
struct quiet_arg {
    cb_t cb;
    long n;
};
static void *quiet_thread(void *p) {
    struct quiet_arg *a = p;
    marker_wait();
    a->cb(0);
    if (write(-1, "CBT_BEGIN", 9) != -1) return NULL;
    cbt_loop(a->cb, a->n);
    if (write(-1, "CBT_END", 7) != -1) return NULL;
    return NULL;
}
void cbt_quiet_thread(cb_t cb, long n) {
    pthread_t t;
    struct quiet_arg a = {cb, n};
    if (start_marked(&t, quiet_thread, &a)) return;
    pthread_join(t, NULL);
}

// Attach + exit budget: a C thread writes a marker, calls `cb` once (none when `cb` is
// NULL) and returns; its system calls from the marker to its end are the cost of the
// first callback's attach, the context's return at thread exit, and the thread's own end
// (the NULL run measures that last part alone).
static void *marked_thread(void *p) {
    cb_t cb = (cb_t)p;
    marker_wait();
    if (write(-1, "CBT_BEGIN", 9) != -1) return NULL;
    if (cb) cb(0);
    return NULL;
}
void cbt_marked_thread(cb_t cb) {
    pthread_t t;
    if (start_marked(&t, marked_thread, (void *)cb)) return;
    pthread_join(t, NULL);
}

// NeedmDeadlock shape: one C thread calls back `n` times while `senders` threads send it
// SIGCHLD `per` times each; the thread's SIGCHLD handler calls back too.
static cb_t nd_cb;
static volatile int nd_handled;
static void nd_handler(int sig) {
    (void)sig;
    nd_cb(1);
    __atomic_fetch_add(&nd_handled, 1, __ATOMIC_RELAXED);
}
struct nd_arg {
    pthread_t target;
    int per;
};
static void *nd_sender(void *p) {
    struct nd_arg *a = p;
    for (int i = 0; i < a->per; i++) {
        pthread_kill(a->target, SIGCHLD);
        usleep(10);
    }
    return NULL;
}
static volatile int nd_ready, nd_stop;
static long nd_n;
// Calls back at least `nd_n` times, and keeps calling back until the senders are done.
static void *nd_target(void *p) {
    (void)p;
    __atomic_store_n(&nd_ready, 1, __ATOMIC_RELEASE);
    for (long i = 0; i < nd_n || !__atomic_load_n(&nd_stop, __ATOMIC_ACQUIRE); i++) nd_cb((int)(i & 0xff));
    return NULL;
}
// Returns the number of signals whose handler called back.
int cbt_needm_deadlock(cb_t cb, long n, int senders, int per) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = nd_handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, &old);
    nd_cb = cb;
    nd_n = n;
    nd_ready = 0;
    nd_stop = 0;
    nd_handled = 0;
    pthread_t t, s[16];
    struct nd_arg a;
    if (senders > 16) return -1;
    if (start(&t, 0, nd_target, NULL)) return -1;
    while (!__atomic_load_n(&nd_ready, __ATOMIC_ACQUIRE)) usleep(10);
    a.target = t;
    a.per = per;
    for (int i = 0; i < senders; i++) start(&s[i], 0, nd_sender, &a);
    for (int i = 0; i < senders; i++) pthread_join(s[i], NULL);
    __atomic_store_n(&nd_stop, 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    sigaction(SIGCHLD, &old, NULL);
    return nd_handled;
}

// The same as cbt_call / cbt_loop, declared "C-unwind" on the Rust side: a panic
// propagated out of the callback unwinds through these frames (built with unwind
// tables), which have nothing to clean up.
int cbt_call_unwind(cb_t cb, int x) { return cb(x) + 0 * x; }
long cbt_loop_unwind(cb_t cb, long n) {
    long s = 0;
    for (long i = 0; i < n; i++) s += cb((int)(i & 0xff));
    return s;
}

// A handler for `sig` that calls `cb(sig)` and keeps its result: the signal scenarios
// raise `sig` on a thread in the middle of attaching or returning its context.
static cb_t sig_cb;
static volatile int sig_result = -1;
static void calling_handler(int sig) { sig_result = sig_cb(sig); }
void cbt_install_calling_handler(int sig, cb_t cb) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = calling_handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sig_cb = cb;
    sigaction(sig, &sa, NULL);
}
// The last result of the handler's callback (-1: none yet), reset to -1.
int cbt_take_handler_result(void) { return __atomic_exchange_n(&sig_result, -1, __ATOMIC_SEQ_CST); }

// Attach + exit timed inside the thread, without thread creation and joining (whose
// noise, tens of microseconds, hides the difference): a new C thread reads the clock,
// calls `cb` once (or not, when NULL), and a thread-key destructor reads the clock again
// at the very end of the thread's destructors. The key is created after the callback
// crate's (which `callback::init` creates), and glibc runs key destructors in creation
// order after the thread-local (Rust) destructors, so the span covers the attach, the
// callback, the thread-local teardown and the return of the context. Returns the span in
// nanoseconds, or -1 if the thread could not be created.
static pthread_key_t timed_key;
static pthread_once_t timed_once = PTHREAD_ONCE_INIT;
struct timed_arg {
    cb_t cb;
    struct timespec t0;
    long ns;
};
static void timed_end(void *p) {
    struct timed_arg *a = p;
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    a->ns = (t1.tv_sec - a->t0.tv_sec) * 1000000000L + (t1.tv_nsec - a->t0.tv_nsec);
}
static void timed_make_key(void) { pthread_key_create(&timed_key, timed_end); }
static void *timed_thread(void *p) {
    struct timed_arg *a = p;
    clock_gettime(CLOCK_MONOTONIC, &a->t0);
    if (a->cb) a->cb(0);
    pthread_setspecific(timed_key, a);
    return NULL;
}
long cbt_timed_thread(cb_t cb) {
    pthread_once(&timed_once, timed_make_key);
    pthread_t t;
    struct timed_arg a = {cb, {0, 0}, -1};
    if (start(&t, 0, timed_thread, &a)) return -1;
    pthread_join(t, NULL);
    return a.ns;
}

/* ---- tests/go_destructor_callback.rs (Go's TestDestructorCallback) ----
 * A C destructor that calls back into Rust while the process exits: after
 * `exit` ran the exiting thread's thread-local destructors. The callback is
 * stored by the test; every other process of the test binary stores none. */
static int (*cbt_exit_cb)(int);

void cbt_call_at_exit(int (*cb)(int)) { cbt_exit_cb = cb; }

__attribute__((destructor)) static void cbt_destructor_calls_back(void) {
    if (cbt_exit_cb == NULL) {
        return;
    }
    static const char ok[] = "CBT_DESTRUCTOR_CALLBACK_OK\n";
    static const char bad[] = "CBT_DESTRUCTOR_CALLBACK_WRONG_RESULT\n";
    if (cbt_exit_cb(41) == 42) {
        (void)!write(1, ok, sizeof ok - 1);
    } else {
        (void)!write(1, bad, sizeof bad - 1);
    }
}

/* ---- Go's TestSigStackSwapping (tests/foreign_threads.rs) ----
 * A C thread that installed its own alternate signal stack calls in `n` times;
 * after every callback its alternate stack must still be its own. Returns 1 if
 * it was each time, 0 if not, -1 if the thread could not be set up. */
struct sigstack_args {
    cb_t cb;
    int n;
    int ok;
};

static void *sigstack_main(void *p) {
    struct sigstack_args *a = p;
    size_t size = 64 * 1024;
    stack_t mine = {0};
    mine.ss_sp = malloc(size);
    mine.ss_size = size;
    if (mine.ss_sp == NULL || sigaltstack(&mine, NULL) != 0) {
        a->ok = -1;
        return NULL;
    }
    int ok = 1;
    for (int i = 0; i < a->n; i++) {
        if (a->cb(i) != i) ok = 0;
        stack_t now;
        if (sigaltstack(NULL, &now) != 0 || now.ss_sp != mine.ss_sp || now.ss_size != size ||
            (now.ss_flags & SS_DISABLE)) {
            ok = 0;
        }
    }
    /* Off before the memory goes (the thread's exit may still run Rust code). */
    stack_t off = {0};
    off.ss_flags = SS_DISABLE;
    sigaltstack(&off, NULL);
    free(mine.ss_sp);
    a->ok = ok;
    return NULL;
}

int cbt_sigstack_thread(cb_t cb, int n) {
    struct sigstack_args a = {cb, n, 0};
    pthread_t t;
    if (pthread_create(&t, NULL, sigstack_main, &a) != 0) return -1;
    pthread_join(t, NULL);
    return a.ok;
}
