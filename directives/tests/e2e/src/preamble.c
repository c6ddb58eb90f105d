// A Go-style preamble: the #cgo lines are read by the build script and blanked before
// the C compiler sees this file.
#cgo CFLAGS: -DE2E_SCALE=2 -I${SRCDIR}/include -Wall
#cgo linux LDFLAGS: -lm
#cgo !linux LDFLAGS: -lm
#cgo windows CFLAGS: -DE2E_NEVER_ON_LINUX=1
#cgo pkg-config: zlib
#cgo noescape e2e_crc32
#cgo nocallback e2e_crc32
#cgo nocallback e2e_sqrt_scaled

#include <math.h>
#include <zlib.h>
#include "e2e.h"

#ifdef E2E_NEVER_ON_LINUX
#error "a windows-only #cgo line was applied"
#endif

double e2e_sqrt_scaled(double x) { return E2E_SCALE * sqrt(x); }

const char *e2e_zlib_version(void) { return zlibVersion(); }

unsigned long e2e_crc32(const unsigned char *p, unsigned len) {
    return crc32(crc32(0L, Z_NULL, 0), p, len);
}
