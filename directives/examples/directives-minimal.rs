//! Minimal à-la-carte use of `directives` on its own: parse a preamble, resolve it for a
//! target, print the flags, and show what an unsafe flag looks like.

use directives::{Context, Preamble, ResolveOptions};

fn main() {
    let text = "#cgo CFLAGS: -DVERSION=2\n#cgo linux LDFLAGS: -lm\n#cgo darwin LDFLAGS: -framework CoreFoundation\n";
    let preamble = Preamble::parse("demo.h", text);
    for triple in ["x86_64-unknown-linux-gnu", "aarch64-apple-darwin"] {
        let ctx = Context::for_target(triple).expect("known triple");
        match preamble.resolve(&ResolveOptions::new(ctx)) {
            Ok(r) => println!("{triple}: cflags={:?} ldflags={:?}", r.cflags, r.ldflags),
            Err(e) => println!("{triple}: {e}"),
        }
    }
    let bad = Preamble::parse("bad.h", "#cgo CFLAGS: -fplugin=evil.so\n");
    let ctx = Context::for_target("x86_64-unknown-linux-gnu").expect("known triple");
    if let Err(e) = bad.resolve(&ResolveOptions::new(ctx)) {
        println!("{e}");
    }
}
