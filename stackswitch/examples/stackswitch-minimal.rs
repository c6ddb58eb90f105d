//! Minimal à-la-carte use of `stackswitch` on its own: two green threads
//! interleaved by a tiny round-robin loop, each calling "C" (here a Rust
//! function) on the thread's system stack, plus one deep computation on a
//! dedicated large stack.

use stackswitch::{Context, Resume, Stack, StackPool, on_stack, on_system_stack, remaining_stack};

fn main() -> Result<(), stackswitch::StackError> {
    let pool = StackPool::new(64 * 1024, 8);
    let mut threads: Vec<Context<String>> = Vec::new();
    for name in ["ping", "pong"] {
        threads.push(Context::new(pool.take()?, move |y, _| {
            for round in 0..3 {
                let room = on_system_stack(|| remaining_stack().unwrap_or(0));
                println!(
                    "{name}: round {round}, {} KiB free on the system stack",
                    room / 1024
                );
                y.suspend(round);
            }
            format!("{name} done")
        }));
    }
    while !threads.is_empty() {
        threads.retain_mut(|t| match t.resume(0) {
            Resume::Suspended(_) => true,
            Resume::Returned(msg) => {
                println!("{msg}");
                false
            }
            Resume::Panicked(_) => {
                eprintln!("a green thread panicked");
                false
            }
        });
    }
    let mut big = Stack::new(16 << 20)?;
    let depth = on_stack(&mut big, || {
        fn down(n: u64) -> u64 {
            if n == 0 {
                0
            } else {
                1 + down(std::hint::black_box(n - 1))
            }
        }
        down(100_000)
    });
    println!("recursed {depth} levels on stack #{}", big.id());
    Ok(())
}
