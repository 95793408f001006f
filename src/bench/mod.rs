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

/// The CPU time this process has used so far (every thread, user and system),
/// in seconds, from Linux's `/proc/self/stat` (in its clock ticks of 1/100 s);
/// None where there is no such file.
pub fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the command's name in parentheses: state, then 10 more fields, then
    // utime and stime (fields 14 and 15 of the whole line).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |index: usize| fields.get(index)?.parse::<f64>().ok();
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_used_some_cpu_and_the_count_only_grows() {
        let before = process_cpu_seconds().expect("Linux's /proc");
        let spin = std::time::Instant::now();
        let mut sum = 0u64;
        while spin.elapsed() < std::time::Duration::from_millis(50) {
            sum = sum.wrapping_add(std::hint::black_box(1));
        }
        let after = process_cpu_seconds().expect("Linux's /proc");
        assert!(after >= before && sum > 0, "{before} then {after}");
    }
}
