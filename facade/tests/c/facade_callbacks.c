/* C side of the callback scenarios (tests, benches, tour): C code that calls
 * functions exported from Rust with facade::export!, on the calling thread and on
 * threads it creates itself. Callbacks are passed as function pointers, so this
 * library references no Rust symbol. Compiled with unwind tables (build.rs) so a
 * Rust panic may propagate through these frames (PanicPolicy::Propagate). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <ucontext.h>

typedef int64_t (*facade_cb)(int64_t);

/* Calls cb(x) and returns its result (may call back: declared without nocallback). */
int64_t facade_cb_call(facade_cb cb, int64_t x) { return cb(x) + 0; }

/* The same, declared #[nocallback] on the Rust side: calling back is a violation. */
int64_t facade_cb_call_nocallback(facade_cb cb, int64_t x) { return cb(x) + 0; }

struct loop_args {
    facade_cb cb;
    int64_t n;
    int64_t sum;
    int64_t ns;
};

static void *loop_main(void *p) {
    struct loop_args *a = p;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int64_t s = 0;
    for (int64_t i = 0; i < a->n; i++) s += a->cb(i);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    a->sum = s;
    a->ns = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec);
    return 0;
}

/* Creates a pthread that calls cb(0), cb(1), ... cb(n-1), joins it and returns the
 * sum of the results; *ns receives the loop's duration in nanoseconds (NULL: not
 * wanted). Returns INT64_MIN if the thread cannot be created. */
int64_t facade_cb_thread_loop(facade_cb cb, int64_t n, int64_t *ns) {
    struct loop_args a = { cb, n, 0, 0 };
    pthread_t t;
    if (pthread_create(&t, 0, loop_main, &a) != 0) return INT64_MIN;
    pthread_join(t, 0);
    if (ns) *ns = a.ns;
    return a.sum;
}

static void *plain_main(void *p) { return p; }

/* Creates and joins a thread that does nothing (0 on success). */
int facade_thread_plain(void) {
    pthread_t t;
    if (pthread_create(&t, 0, plain_main, 0) != 0) return -1;
    return pthread_join(t, 0);
}

/* A stored callback, so a call that calls back needs no pointer argument (the
 * shape of Go's callback benchmark, whose C function calls a fixed export). */
static facade_cb stored_cb;
void facade_cb_store(facade_cb cb) { stored_cb = cb; }
int64_t facade_cb_stored(int64_t x) { return stored_cb(x) + 0; }

// Attach + callback + exit timed inside a new thread, without thread creation and
// joining (their tens of microseconds of noise hide the difference): the thread reads
// the clock, calls `cb` once (or not, when NULL), and a thread-key destructor reads the
// clock again. The key is created on the first use, after the runtime registered the
// callback crate (which creates its own key then); glibc runs key destructors in
// creation order, after the thread-local (Rust) destructors, so the span covers the
// attach, the callback, the thread-local teardown and the return of the extra context.
// Returns the span in nanoseconds, or -1 if the thread could not be created.
static pthread_key_t timed_key;
static pthread_once_t timed_once = PTHREAD_ONCE_INIT;
struct timed_arg {
    facade_cb cb;
    struct timespec t0;
    int64_t ns;
};
static void timed_end(void *p) {
    struct timed_arg *a = p;
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    a->ns = (int64_t)(t1.tv_sec - a->t0.tv_sec) * 1000000000 + (t1.tv_nsec - a->t0.tv_nsec);
}
static void timed_make_key(void) { pthread_key_create(&timed_key, timed_end); }
static void *timed_main(void *p) {
    struct timed_arg *a = p;
    clock_gettime(CLOCK_MONOTONIC, &a->t0);
    if (a->cb) a->cb(0);
    pthread_setspecific(timed_key, a);
    return 0;
}
int64_t facade_timed_thread(const void *cb) {
    pthread_once(&timed_once, timed_make_key);
    pthread_t t;
    struct timed_arg a = {(facade_cb)cb, {0, 0}, -1};
    if (pthread_create(&t, 0, timed_main, &a) != 0) return -1;
    pthread_join(t, 0);
    return a.ns;
}

/* Go issue 1328: a C function that really uses `kib` KiB of its stack (every
 * 512th byte written), then calls cb(x); returns its result, or INT64_MIN if
 * the callback clobbered this frame. */
int64_t facade_cb_big_stack(facade_cb cb, int64_t kib, int64_t x) {
    size_t bytes = (size_t)kib * 1024;
    volatile unsigned char buf[bytes];
    for (size_t i = 0; i < bytes; i += 512) buf[i] = (unsigned char)(i >> 9);
    int64_t r = cb(x);
    for (size_t i = 0; i < bytes; i += 512)
        if (buf[i] != (unsigned char)(i >> 9)) return INT64_MIN;
    return r;
}

/* Go issue 62440: a C thread calls in from its own stack, then from two distinct
 * malloc'ed 64 KiB makecontext stacks, then from its own stack again. */
struct mc_state {
    facade_cb cb;
    int64_t x;
    int64_t r;
    ucontext_t back;
    ucontext_t ctx;
};

static __thread struct mc_state *mc_current;

static void mc_entry(void) { mc_current->r = mc_current->cb(mc_current->x); }

static int64_t mc_call_on(struct mc_state *s, void *stack, size_t size) {
    if (getcontext(&s->ctx) != 0) return INT64_MIN;
    s->ctx.uc_stack.ss_sp = stack;
    s->ctx.uc_stack.ss_size = size;
    s->ctx.uc_link = &s->back;
    makecontext(&s->ctx, mc_entry, 0);
    mc_current = s;
    if (swapcontext(&s->back, &s->ctx) != 0) return INT64_MIN;
    return s->r;
}

static void *mc_main(void *p) {
    struct mc_state *s = p;
    enum { SIZE = 64 * 1024 };
    void *a = malloc(SIZE), *b = malloc(SIZE);
    if (a == NULL || b == NULL) {
        s->r = INT64_MIN;
    } else {
        int64_t sum = s->cb(s->x);
        sum += mc_call_on(s, a, SIZE);
        sum += mc_call_on(s, b, SIZE);
        sum += s->cb(s->x);
        s->r = sum;
    }
    free(a);
    free(b);
    return 0;
}

/* Runs the scenario on a new C thread; returns the sum of the four results
 * (INT64_MIN on failure). */
int64_t facade_cb_makecontext_thread(facade_cb cb, int64_t x) {
    struct mc_state s;
    s.cb = cb;
    s.x = x;
    s.r = 0;
    pthread_t t;
    if (pthread_create(&t, 0, mc_main, &s) != 0) return INT64_MIN;
    pthread_join(t, 0);
    return s.r;
}
