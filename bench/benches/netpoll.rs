//! Criterion benches for netpoll: placeholder until that part lands.
fn main() {}
