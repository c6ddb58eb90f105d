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
