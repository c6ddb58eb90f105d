// C side of tests/c_callback.rs and tests/go_stack_switch_callback.rs.
//
// ss_use_stack_then_call: a C function that really uses `bytes` of its own
// stack (every page written) and then calls back into Rust, as in the Go
// change that set the system-stack guard from the real thread stack size.
//
// ss_stack_switch_callback: a C thread calls into Rust on its own stack, then
// from two malloc'ed 64 KiB makecontext/swapcontext stacks, then from a stack
// whose top sits 128 bytes above the previous estimate's low end, then on its
// own stack again (Go issue 62440, testprogcgo StackSwitchCallback).

#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

typedef uintptr_t (*ss_callback)(void *arg, int which);

uintptr_t ss_use_stack_then_call(size_t bytes, ss_callback cb, void *arg) {
    volatile unsigned char buf[bytes];
    for (size_t i = 0; i < bytes; i += 512) {
        buf[i] = (unsigned char)i;
    }
    uintptr_t r = cb(arg, (int)(bytes / 1024));
    // The callback must not have clobbered this frame.
    for (size_t i = 0; i < bytes; i += 512) {
        if (buf[i] != (unsigned char)i) {
            return (uintptr_t)-1;
        }
    }
    return r;
}

struct switch_state {
    ss_callback cb;
    void *arg;
    int which;
    uintptr_t last;
    ucontext_t main_ctx;
    ucontext_t ctx;
};

static struct switch_state *current_state;

static void on_context(void) {
    struct switch_state *s = current_state;
    s->last = s->cb(s->arg, s->which);
    // Returning follows uc_link back to main_ctx.
}

static int run_on_stack(struct switch_state *s, void *lo, size_t size, int which) {
    if (getcontext(&s->ctx) != 0) {
        return -1;
    }
    s->ctx.uc_stack.ss_sp = lo;
    s->ctx.uc_stack.ss_size = size;
    s->ctx.uc_link = &s->main_ctx;
    s->which = which;
    current_state = s;
    makecontext(&s->ctx, on_context, 0);
    if (swapcontext(&s->main_ctx, &s->ctx) != 0) {
        return -1;
    }
    return 0;
}

static void *stack_switch_thread(void *p) {
    struct switch_state *s = p;
    // 1. On the thread's own stack.
    s->last = s->cb(s->arg, 0);
    // 2, 3. Two distinct malloc'ed 64 KiB stacks.
    for (int i = 1; i <= 2; i++) {
        void *stack = malloc(64 * 1024);
        if (stack == NULL || run_on_stack(s, stack, 64 * 1024, i) != 0) {
            return (void *)1;
        }
        free(stack);
    }
    // 4. A stack whose top is 128 bytes above the low end of the estimate made
    // for the previous call, so its stack pointer lies inside that stale
    // estimate. The callback must re-derive rather than trust it.
    unsigned char *block = malloc(160 * 1024);
    if (block == NULL) {
        return (void *)1;
    }
    if (run_on_stack(s, block + 96 * 1024, 64 * 1024, 30) != 0) {
        return (void *)1;
    }
    uintptr_t top = (s->last + 128) & ~(uintptr_t)15;
    if (top < (uintptr_t)block + 32 * 1024 || top > (uintptr_t)block + 160 * 1024) {
        return (void *)2;
    }
    if (run_on_stack(s, (void *)(top - 32 * 1024), 32 * 1024, 3) != 0) {
        return (void *)1;
    }
    free(block);
    // 5. Back on the thread's own stack.
    s->last = s->cb(s->arg, 4);
    return NULL;
}

int ss_stack_switch_callback(ss_callback cb, void *arg) {
    struct switch_state s;
    memset(&s, 0, sizeof s);
    s.cb = cb;
    s.arg = arg;
    pthread_t t;
    if (pthread_create(&t, NULL, stack_switch_thread, &s) != 0) {
        return -1;
    }
    void *res;
    if (pthread_join(t, &res) != 0) {
        return -1;
    }
    return (int)(uintptr_t)res;
}
