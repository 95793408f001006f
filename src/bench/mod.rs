//! `passage bench …`: measurements that print their figures. Each starts what it
//! measures on 127.0.0.1 — in this process on SQLite by default, on PostgreSQL and
//! as separate processes when asked ([`servers`]) — and stops it afterwards.

pub mod import;
pub mod matching;
pub mod notify;
pub mod scale;
pub mod search;
pub mod servers;
pub mod smtp_receiver;
pub mod snapshot;
pub mod stats;
pub mod sync;
pub mod web;

/// The `q`-quantile (0..=1) of `values`, which are sorted here.
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let index = ((values.len() - 1) as f64 * q).round() as usize;
    values[index.min(values.len() - 1)]
}

/// A small deterministic generator (xorshift), so every run measures the same
/// data.
pub struct Dice(pub u64);

impl Dice {
    pub fn roll(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.roll() % from.len() as u64) as usize]
    }
}
