// C side of tests/go_zero_arg_callback.rs.
//
// The canonical frame address (CFA) is the stack pointer of the caller just
// before its call instruction: the three ABIs (x86-64 System V, AAPCS64,
// RISC-V LP64D) all require it to be a multiple of 16, so CFA mod 16 tells
// whether whoever switched stacks on the way here kept the alignment.

#include <stdint.h>

typedef void (*ss_zero_arg_callback)(void);

uintptr_t ss_entry_misalignment(void) {
    return (uintptr_t)__builtin_dwarf_cfa() % 16;
}

// Calls a callback that takes no arguments and returns nothing; returns the
// misalignment this function itself was entered with.
uintptr_t ss_call_zero_arg(ss_zero_arg_callback cb) {
    uintptr_t mis = (uintptr_t)__builtin_dwarf_cfa() % 16;
    cb();
    return mis;
}
