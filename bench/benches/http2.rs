//! Criterion benches for http2: placeholder until that part lands.
fn main() {}
