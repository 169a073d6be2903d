//! Array-sigmoid micro-benchmark, Rust side.
//!
//! Reads little-endian f64 scores from Z_FILE (written by bench/py/sigmoid_numpy.py, so both
//! sides see the same values), applies the kernel REPS times into a preallocated buffer
//! (single thread), keeps the best time, writes the results to OUT_FILE for the ulp check
//! against the high-precision reference on the Python side, and prints one JSON line with the
//! throughput and the largest difference in ulps from the scalar `logit::fit::numerics::sigmoid`.
//!
//! Usage: sigmoid-harness Z_FILE OUT_FILE REPS

use std::time::Instant;

#[cfg(feature = "fast")]
use logit::fit::numerics::sigmoid_slice_fast as kernel;
#[cfg(not(feature = "fast"))]
use logit::fit::numerics::sigmoid_slice as kernel;

const KERNEL: &str = if cfg!(feature = "fast") {
    "sigmoid_slice_fast"
} else {
    "sigmoid_slice"
};

fn ulps(a: f64, b: f64) -> f64 {
    if a == b {
        return 0.0;
    }
    let ulp = |v: f64| {
        let m = v.abs();
        f64::from_bits(m.to_bits() + 1) - m
    };
    (a - b).abs() / ulp(b)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bytes = std::fs::read(&args[1]).expect("read scores");
    let reps: usize = args[3].parse().expect("REPS");
    let z: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let mut out = vec![0.0; z.len()];
    kernel(&z, &mut out); // warm-up: page in the output buffer
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        let t = Instant::now();
        kernel(std::hint::black_box(&z), &mut out);
        best = best.min(t.elapsed().as_secs_f64());
        std::hint::black_box(&out);
    }
    let max_vs_scalar = z
        .iter()
        .zip(&out)
        .map(|(&zi, &o)| ulps(o, logit::fit::numerics::sigmoid(zi)))
        .fold(0.0, f64::max);
    let raw: Vec<u8> = out.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&args[2], raw).expect("write results");
    println!(
        "{{\"kernel\":\"{KERNEL}\",\"n\":{},\"best_seconds\":{best:?},\"values_per_second\":{:?},\"max_ulps_vs_scalar_sigmoid\":{max_vs_scalar:?}}}",
        z.len(),
        z.len() as f64 / best
    );
}
