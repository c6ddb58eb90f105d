//! Parsing a 1 MiB preamble (target: under 10 ms), and resolving it; plus the flag checker on
//! a typical flag list. One group per workload, so ratios come from one run.

// criterion_group!/criterion_main! generate undocumented items.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use directives::flags::{FlagClass, Overrides, check_flags_all};
use directives::{Context, Env, Preamble, ResolveOptions};

/// About 1 MiB of realistic preamble: C declarations, definitions with bodies, comments,
/// and a `#cgo` line every few lines.
/// (Directive-dense: three `#cgo` lines every nine lines, far more than real preambles.)
fn preamble_1mib() -> String {
    let mut s = String::with_capacity(1 << 20);
    let mut i = 0u32;
    while s.len() < (1 << 20) {
        s.push_str(&format!(
            "/* helper {i}: computes things */\n\
             #cgo linux,amd64 CFLAGS: -DHELPER_{i}=1 -I${{SRCDIR}}/include/{i} -O2\n\
             #cgo !windows LDFLAGS: -L${{SRCDIR}}/lib -lhelper{i} -Wl,-rpath,$ORIGIN\n\
             #cgo noescape helper_{i}\n\
             static inline int helper_{i}(const char *p, int n) {{\n\
             \x20   int acc = 0; for (int k = 0; k < n; k++) {{ acc += p[k] * \"{{}}\"[k & 1]; }}\n\
             \x20   return acc;\n}}\n\
             extern double helper_ext_{i}(double x, struct opts *o);\n"
        ));
        i += 1;
    }
    s
}

/// About 1 MiB of C as a large real preamble looks: declarations and inline definitions with a
/// handful of `#cgo` lines at the top.
fn typical_1mib() -> String {
    let mut s = String::from(
        "#cgo CFLAGS: -DNDEBUG -I${SRCDIR}/include\n#cgo linux LDFLAGS: -lm -ldl\n#cgo darwin LDFLAGS: -framework Security\n\
         #cgo pkg-config: zlib\n#cgo noescape fn_1\n#cgo nocallback fn_1\n",
    );
    let mut i = 0u32;
    while s.len() < (1 << 20) {
        s.push_str(&format!(
            "/* Returns the {i}th thing. */\nstatic inline int fn_{i}(const struct ctx *c, size_t n) {{ return c->v[n % {i}u + 1]; }}\n\
             typedef struct s{i} {{ int a; char *b; }} s{i}_t;\nextern void cb_{i}(void (*f)(int), void *arg);\n"
        ));
        i += 1;
    }
    s
}

fn bench_parse(c: &mut Criterion) {
    let typical = typical_1mib();
    let mut g = c.benchmark_group("preamble_1mib_typical");
    g.throughput(Throughput::Bytes(typical.len() as u64));
    g.bench_function("split_lines_baseline", |b| {
        b.iter(|| {
            black_box(&typical)
                .split('\n')
                .filter(|l| l.contains("#cgo"))
                .count()
        })
    });
    g.bench_function("parse", |b| {
        b.iter(|| Preamble::parse("typical.h", black_box(&typical)))
    });
    g.finish();

    let text = preamble_1mib();
    let mut g = c.benchmark_group("preamble_1mib");
    g.throughput(Throughput::Bytes(text.len() as u64));
    // Baseline: just walking the lines, the least any parser must do.
    g.bench_function("split_lines_baseline", |b| {
        b.iter(|| {
            black_box(&text)
                .split('\n')
                .filter(|l| l.contains("#cgo"))
                .count()
        })
    });
    g.bench_function("parse", |b| {
        b.iter(|| Preamble::parse("big.h", black_box(&text)))
    });
    let p = Preamble::parse("big.h", &text);
    let mut o = ResolveOptions::new(Context::for_go("linux", "amd64"));
    o.srcdir = "/src/pkg".into();
    o.env = Env::from_pairs::<_, String, String>([]);
    g.sample_size(10);
    g.bench_function("resolve_checked", |b| {
        b.iter(|| p.resolve(black_box(&o)).expect("valid"))
    });
    g.finish();
}

fn bench_flags(c: &mut Criterion) {
    let flags: Vec<String> = [
        "-O2",
        "-g",
        "-Wall",
        "-DFOO=1",
        "-I/usr/include/x",
        "-fPIC",
        "-std=c11",
        "-march=native",
        "-pthread",
        "-x",
        "c",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut g = c.benchmark_group("check_flags_11");
    g.bench_function("compiler", |b| {
        b.iter(|| {
            check_flags_all(
                FlagClass::Compiler,
                "#cgo CFLAGS",
                black_box(&flags),
                &Overrides::none(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench_parse, bench_flags);
criterion_main!(benches);
