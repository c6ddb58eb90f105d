/* C side of the facade's tests and benches. */
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <errno.h>

/* An empty function: the cost of the call itself. */
void facade_empty(void) {}

/* An empty function taking a pointer (noescape/nocallback benches). */
void facade_empty_ptr(void *p) { (void)p; }

/* A function that computes something checkable. */
int64_t facade_mix(int64_t x) { return x * 3 + 1; }

/* Fills n bytes at p with v. */
void facade_fill(uint8_t *p, size_t n, uint8_t v) {
    for (size_t i = 0; i < n; i++) p[i] = v;
}

/* Sums n pointer-sized words at p (a C function taking an array of pointers). */
uintptr_t facade_sum_words(const uintptr_t *p, size_t n) {
    uintptr_t s = 0;
    for (size_t i = 0; i < n; i++) s += p[i];
    return s;
}

/* Sleeps ms milliseconds, retrying on EINTR: a blocking call. Returns ms. */
int facade_sleep_ms(int ms) {
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
    return ms;
}

/* Busy-waits about us microseconds without blocking (monitor retake tests). */
int facade_spin_us(int us) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &b);
        long d = (b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000L;
        if (d >= us) return us;
    }
}

/* Uses a 256 KiB stack frame: fine on the system stack, fatal on 64 KiB. */
int facade_big_frame(int x) {
    volatile char buf[256 * 1024];
    for (size_t i = 0; i < sizeof buf; i += 4096) buf[i] = (char)x;
    return buf[4096] + 1;
}

/* Same as facade_sum_words, declared #[nocallback] #[noescape] on the Rust side. */
uintptr_t facade_sum_words_ne(const uintptr_t *p, size_t n) { return facade_sum_words(p, n); }

/* Calls f once: a C function that calls back through a plain function pointer. */
void facade_call_fn(void (*f)(void)) { f(); }
