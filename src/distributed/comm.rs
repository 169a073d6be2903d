//! What the distributed commands need from the processes' communicator: rank, size, an
//! allgather of bytes and the reductions of [`Reduce`]. MPI provides it with `--features mpi`
//! ([`super::mpi_comm`]); [`ThreadGroup`] provides it between threads of one process, so the
//! distributed code paths are tested by a plain `cargo test`, without MPI.

use std::sync::{Arc, Barrier, Mutex};

use crate::fit::reduce::Reduce;

/// A group of processes (or threads) working on one command.
pub trait Comm: Reduce {
    /// This member's index, `0 .. size()`.
    fn rank(&self) -> usize;
    fn size(&self) -> usize;
    /// Every member's `bytes`, in rank order (every member gets the same list).
    fn allgather(&self, bytes: &[u8]) -> Vec<Vec<u8>>;
    /// Every member's `bytes`, in rank order, on rank 0 only (`None` elsewhere): what a
    /// member sends travels once, to rank 0.
    fn gather(&self, bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
        let all = self.allgather(bytes);
        (self.rank() == 0).then_some(all)
    }
}

/// `v`'s values as little-endian bytes.
pub(crate) fn to_bytes(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The inverse of [`to_bytes`].
pub(crate) fn from_bytes(b: &[u8]) -> Vec<f64> {
    b.chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect()
}

/// Members of one group that are threads of this process: each thread holds one
/// `ThreadGroup` (see [`ThreadGroup::new`]). Sums are taken in rank order, so every member
/// gets the same bits.
#[derive(Debug)]
pub struct ThreadGroup {
    rank: usize,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    slots: Mutex<Vec<Vec<u8>>>,
    barrier: Barrier,
}

impl ThreadGroup {
    /// `size` members, one to hand to each thread.
    pub fn new(size: usize) -> Vec<ThreadGroup> {
        let shared = Arc::new(Shared {
            slots: Mutex::new(vec![Vec::new(); size]),
            barrier: Barrier::new(size),
        });
        (0..size)
            .map(|rank| ThreadGroup {
                rank,
                shared: Arc::clone(&shared),
            })
            .collect()
    }

    fn combine(&self, v: &mut [f64], op: fn(f64, f64) -> f64) {
        let all = self.allgather(&to_bytes(v));
        let mut acc = from_bytes(&all[0]);
        for part in &all[1..] {
            for (a, b) in acc.iter_mut().zip(from_bytes(part)) {
                *a = op(*a, b);
            }
        }
        v.copy_from_slice(&acc);
    }
}

impl Reduce for ThreadGroup {
    fn sum(&self, v: &mut [f64]) {
        self.combine(v, |a, b| a + b);
    }

    fn min(&self, v: &mut [f64]) {
        self.combine(v, f64::min);
    }
}

impl Comm for ThreadGroup {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.shared.barrier_size()
    }

    fn allgather(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
        self.shared.slots.lock().expect("no panics while held")[self.rank] = bytes.to_vec();
        self.shared.barrier.wait();
        let all = self
            .shared
            .slots
            .lock()
            .expect("no panics while held")
            .clone();
        // Nobody writes the next round's slot before everyone has read this one.
        self.shared.barrier.wait();
        all
    }
}

impl Shared {
    fn barrier_size(&self) -> usize {
        self.slots.lock().expect("no panics while held").len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_group_gathers_and_sums_in_rank_order() {
        let group = ThreadGroup::new(3);
        let results: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = group
                .iter()
                .map(|m| {
                    scope.spawn(move || {
                        let r = m.rank() as f64;
                        let all = m.allgather(&[m.rank() as u8; 2]);
                        let mut s = vec![r, 1.0];
                        m.sum(&mut s);
                        let mut lo = vec![r + 5.0, -r];
                        m.min(&mut lo);
                        (all, s, lo)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (all, s, lo) in results {
            assert_eq!(all, vec![vec![0, 0], vec![1, 1], vec![2, 2]]);
            assert_eq!(s, vec![3.0, 3.0]);
            assert_eq!(lo, vec![5.0, -2.0]);
        }
    }
}
