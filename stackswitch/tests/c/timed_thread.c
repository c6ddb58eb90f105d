// C side of the `register_current_thread` bench (benches/switch.rs).
//
// ss_timed_thread: a new C thread reads the clock, calls `work` (or nothing
// when NULL), and a thread-key destructor reads the clock again at the end of
// the thread's destructors. glibc runs the thread-local (Rust) destructors
// before the key destructors, so the span covers `work` and the teardown it
// causes, without thread creation and joining (tens of microseconds of noise).
// Returns the span in nanoseconds, or -1 if the thread could not be created.

#define _GNU_SOURCE
#include <pthread.h>
#include <time.h>

typedef void (*ss_work)(void);

struct timed_arg {
    ss_work work;
    struct timespec t0;
    long ns;
};

static pthread_key_t timed_key;
static pthread_once_t timed_once = PTHREAD_ONCE_INIT;

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
    if (a->work) a->work();
    pthread_setspecific(timed_key, a);
    return NULL;
}

long ss_timed_thread(ss_work work) {
    pthread_once(&timed_once, timed_make_key);
    pthread_t t;
    struct timed_arg a = {work, {0, 0}, -1};
    if (pthread_create(&t, NULL, timed_thread, &a)) return -1;
    pthread_join(t, NULL);
    return a.ns;
}
