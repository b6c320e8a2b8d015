//! Criterion benches for arena: placeholder until that part lands.
fn main() {}
