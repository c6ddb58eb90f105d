/* C side of the tour example. */
#include <errno.h>
#include <stdint.h>
#include <time.h>

/* An empty function: what a call costs by itself. */
void tour_empty(void) {}

/* Sleeps ms milliseconds: a C call that blocks. */
int tour_sleep_ms(int ms) {
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
    return ms;
}

/* A little arithmetic, so results can be checked. */
int64_t tour_square(int64_t x) { return x * x; }

/* Reads the n pointer-sized words at p (a C function given an array of pointers). */
uintptr_t tour_sum_words(const uintptr_t *p, uintptr_t n) {
    uintptr_t s = 0;
    for (uintptr_t i = 0; i < n; i++) s += p[i];
    return s;
}

/* Also empty: declared #[nocallback] #[noescape] on the Rust side. */
void tour_empty_nc(void) {}

/* --- Part 2: C calling back into Rust (functions passed as pointers). --- */
#include <pthread.h>

typedef int64_t (*tour_cb)(int64_t);

/* Calls cb(x): Rust -> C -> Rust. */
int64_t tour_apply(tour_cb cb, int64_t x) { return cb(x) + 0; }

/* The same, declared #[nocallback] on the Rust side (the tour's violation). */
int64_t tour_apply_nc(tour_cb cb, int64_t x) { return cb(x) + 0; }

struct tour_loop { tour_cb cb; int64_t n, sum, ns; };

static void *tour_loop_main(void *p) {
    struct tour_loop *a = p;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int64_t s = 0;
    for (int64_t i = 0; i < a->n; i++) s += a->cb(i);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    a->sum = s;
    a->ns = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec);
    return 0;
}

/* A pthread created here calls cb(0..n); returns the sum (INT64_MIN if the thread
 * cannot be created), *ns the loop's duration. */
int64_t tour_thread_loop(tour_cb cb, int64_t n, int64_t *ns) {
    struct tour_loop a = { cb, n, 0, 0 };
    pthread_t t;
    if (pthread_create(&t, 0, tour_loop_main, &a) != 0) return INT64_MIN;
    pthread_join(t, 0);
    *ns = a.ns;
    return a.sum;
}

/* A stored callback: a call that calls back without a pointer argument. */
static tour_cb tour_stored;
void tour_store(tour_cb cb) { tour_stored = cb; }
int64_t tour_call_stored(int64_t x) { return tour_stored(x) + 0; }
