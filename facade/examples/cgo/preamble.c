/* A cgo-style C preamble, used by examples/cgo.rs through the facade's build flow:
 * facade/build.rs resolves the #cgo lines below with `facade::build` (directives),
 * compiles this file with the flags they give, links what LDFLAGS says, and writes
 * $OUT_DIR/cgo_functions.rs, whose noescape/nocallback marks `c_functions!` applies
 * to the matching declarations (#![preamble(...)]). */

#cgo CFLAGS: -DPREAMBLE_SCALE=3 -O2
#cgo linux LDFLAGS: -lm
#cgo noescape preamble_sum
#cgo nocallback preamble_sum
#cgo nocallback preamble_scale
#cgo nocallback preamble_apply_nc

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* Multiplies by PREAMBLE_SCALE, which only the #cgo CFLAGS line defines. */
int64_t preamble_scale(int64_t x) { return x * PREAMBLE_SCALE; }

/* Sums n bytes (noescape + nocallback: the call may skip level-1 checks). */
uint64_t preamble_sum(const uint8_t *p, size_t n) {
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++) s += p[i];
    return s;
}

/* Uses libm (linked because of the LDFLAGS line). */
double preamble_hypot(double a, double b) { return hypot(a, b); }

/* Calls back into Rust: not marked nocallback. */
int64_t preamble_apply(int64_t (*f)(int64_t), int64_t x) { return f(x); }

/* The same, but marked nocallback above: calling back from it is a violation the
 * runtime refuses (tests/build_flow.rs), although the Rust declaration says nothing. */
int64_t preamble_apply_nc(int64_t (*f)(int64_t), int64_t x) { return f(x); }
