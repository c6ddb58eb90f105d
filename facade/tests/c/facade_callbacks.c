/* C side of the callback scenarios (tests, benches, tour): C code that calls
 * functions exported from Rust with facade::export!, on the calling thread and on
 * threads it creates itself. Callbacks are passed as function pointers, so this
 * library references no Rust symbol. Compiled with unwind tables (build.rs) so a
 * Rust panic may propagate through these frames (PanicPolicy::Propagate). */
#include <pthread.h>
#include <stdint.h>
#include <time.h>

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
