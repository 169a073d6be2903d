//! [`Comm`] over MPI (rsmpi): reductions as a reduce to rank 0 and a broadcast, so that every
//! rank holds rank 0's bits (MPI does not promise that an allreduce gives every rank the same
//! rounding, and the solvers' branches must agree), and a variable-size allgather.

use mpi::collective::SystemOperation;
use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use mpi::Threading;

use super::comm::Comm;
use crate::error::{Error, Result};
use crate::fit::reduce::Reduce;

/// `MPI_COMM_WORLD`.
pub struct MpiComm {
    world: SimpleCommunicator,
}

impl std::fmt::Debug for MpiComm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MpiComm(rank {} of {})", self.rank(), self.size())
    }
}

// SAFETY: MPI is initialised with MPI_THREAD_FUNNELED and only the thread that initialised it
// calls it: the objective reduces after its worker threads have joined, on the calling
// thread, and nothing else holds the communicator.
unsafe impl Sync for MpiComm {}
unsafe impl Send for MpiComm {}

impl MpiComm {
    /// Initialises MPI (once per process; a singleton without `mpirun`).
    pub fn init() -> Result<Universe> {
        mpi::initialize_with_threading(Threading::Funneled)
            .map(|(universe, _)| universe)
            .ok_or_else(|| Error::Usage("MPI could not be initialised".to_string()))
    }

    pub fn new(universe: &Universe) -> MpiComm {
        MpiComm {
            world: universe.world(),
        }
    }

    fn reduce(&self, v: &mut [f64], op: SystemOperation) {
        let root = self.world.process_at_rank(0);
        if self.world.rank() == 0 {
            let mut out = vec![0.0; v.len()];
            root.reduce_into_root(&v[..], &mut out[..], op);
            v.copy_from_slice(&out);
        } else {
            root.reduce_into(&v[..], op);
        }
        root.broadcast_into(v);
    }
}

impl Reduce for MpiComm {
    fn sum(&self, v: &mut [f64]) {
        self.reduce(v, SystemOperation::sum());
    }

    fn min(&self, v: &mut [f64]) {
        self.reduce(v, SystemOperation::min());
    }
}

impl Comm for MpiComm {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn size(&self) -> usize {
        self.world.size() as usize
    }

    fn gather(&self, bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
        let root = self.world.process_at_rank(0);
        let len = i32::try_from(bytes.len()).expect("a gathered message under 2 GiB");
        if self.world.rank() != 0 {
            root.gather_into(&len);
            root.gather_varcount_into(bytes);
            return None;
        }
        let mut counts = vec![0i32; self.size()];
        root.gather_into_root(&len, &mut counts[..]);
        let displs = displacements(&counts);
        let total: i32 = counts.iter().sum();
        let mut buf = vec![0u8; total as usize];
        {
            let mut partition = PartitionMut::new(&mut buf[..], &counts[..], &displs[..]);
            root.gather_varcount_into_root(bytes, &mut partition);
        }
        Some(split_at(&buf, &counts, &displs))
    }

    fn allgather(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
        let size = self.size();
        let mut counts = vec![0i32; size];
        let len = i32::try_from(bytes.len()).expect("an agreement message under 2 GiB");
        self.world.all_gather_into(&len, &mut counts[..]);
        let displs = displacements(&counts);
        let total: i32 = counts.iter().sum();
        let mut buf = vec![0u8; total as usize];
        {
            let mut partition = PartitionMut::new(&mut buf[..], &counts[..], &displs[..]);
            self.world.all_gather_varcount_into(bytes, &mut partition);
        }
        split_at(&buf, &counts, &displs)
    }
}

/// Where each rank's bytes start in the gathered buffer.
fn displacements(counts: &[i32]) -> Vec<i32> {
    counts
        .iter()
        .scan(0i32, |at, &c| {
            let d = *at;
            *at += c;
            Some(d)
        })
        .collect()
}

/// The gathered buffer cut into the ranks' messages.
fn split_at(buf: &[u8], counts: &[i32], displs: &[i32]) -> Vec<Vec<u8>> {
    counts
        .iter()
        .zip(displs)
        .map(|(&c, &d)| buf[d as usize..(d + c) as usize].to_vec())
        .collect()
}
