//! `--distributed`: train and eval on data split among MPI ranks, cv with its folds divided
//! among them.
//!
//! The objective is a sum over rows, so a fit over rows spread among processes needs only
//! each pass's summed partials added across them ([`crate::fit::reduce::Reduce`]). Each rank
//! reads its own part ([`split`]), the ranks agree on one schema ([`agree`]), every rank runs
//! the same solver on the same reduced sums, and rank 0 writes the model. `eval` tallies each
//! rank's part and merges the tallies on rank 0 ([`eval`]); `cv` divides the folds among the
//! ranks ([`cv`]). Errors reading or writing on any rank stop every rank with that rank's
//! message (exit 2): the steps that can fail on one rank alone end with an agreement
//! ([`agree_on`]).
//!
//! MPI itself is behind the cargo feature `mpi` ([`mpi_comm`]); without it `--distributed`
//! says logit was built without MPI. The same code runs between threads ([`ThreadGroup`]) in
//! the unit tests.

mod agree;
pub mod comm;
pub mod cv;
#[cfg(test)]
mod cv_tests;
pub mod eval;
#[cfg(test)]
mod eval_tests;
#[cfg(feature = "mpi")]
mod mpi_comm;
pub mod split;
#[cfg(test)]
mod tests;
pub mod train;

use std::sync::{Arc, Mutex};
use std::time::Instant;

pub use comm::{Comm, ThreadGroup};

use crate::cli::Command;
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::fit::reduce::Reduce;

/// Runs `command`: its distributed form when `--distributed` is given, else as usual.
pub fn run(command: &Command) -> Result<ExitStatus> {
    match command {
        Command::Train(args) if args.distributed => with_mpi(|comm| train::train(args, comm)),
        Command::Eval(args) if args.distributed => with_mpi(|comm| eval::eval(args, comm)),
        Command::Cv(args) if args.distributed => with_mpi(|comm| cv::cv(args, comm)),
        other => crate::commands::run(other),
    }
}

#[cfg(not(feature = "mpi"))]
fn with_mpi<F>(_run: F) -> Result<ExitStatus>
where
    F: FnOnce(Arc<Timed<ThreadGroup>>) -> Result<ExitStatus>,
{
    Err(Error::Usage(
        "--distributed needs MPI, and this logit was built without it: rebuild with \
         `cargo build --release --features mpi` (Open MPI or MPICH and libclang installed), \
         then run `mpirun -np K logit ... --distributed`"
            .to_string(),
    ))
}

#[cfg(feature = "mpi")]
fn with_mpi<F>(run: F) -> Result<ExitStatus>
where
    F: FnOnce(Arc<Timed<mpi_comm::MpiComm>>) -> Result<ExitStatus>,
{
    let universe = mpi_comm::MpiComm::init()?;
    let comm = Arc::new(Timed::new(mpi_comm::MpiComm::new(&universe)));
    let rank = comm.rank();
    let result = run(Arc::clone(&comm));
    drop(comm);
    // MPI_Finalize when `universe` drops, after the communicator's last use.
    drop(universe);
    silent_unless_lead(rank, result)
}

/// Rank 0 reports an error (every rank knows it, see [`agree_on`]); the others exit 2 quietly.
pub fn silent_unless_lead(rank: usize, result: Result<ExitStatus>) -> Result<ExitStatus> {
    match result {
        Err(_) if rank != 0 => Ok(ExitStatus::Error),
        other => other,
    }
}

/// Runs `step` on every rank, then shares whether it failed: when some rank failed, every rank
/// returns the first failing rank's message, prefixed with its rank.
pub fn agree_on<T>(comm: &dyn Comm, step: impl FnOnce() -> Result<T>) -> Result<T> {
    let result = step();
    let mine = match &result {
        Ok(_) => vec![0u8],
        Err(e) => {
            let mut b = vec![1u8];
            b.extend(e.to_string().as_bytes());
            b
        }
    };
    let all = comm.allgather(&mine);
    match all.iter().enumerate().find(|(_, b)| b.first() == Some(&1)) {
        None => result,
        Some((r, b)) => Err(Error::Usage(format!(
            "rank {r} of {}: {}",
            comm.size(),
            String::from_utf8_lossy(&b[1..])
        ))),
    }
}

/// A communicator that counts its reductions and the time they take (the report's
/// communication time per iteration). With `LOGIT_COMM_WAIT=1` (benchmarks) every reduction
/// is preceded by an untimed-for-communication barrier whose time is counted apart as waiting
/// for the slowest rank, so the reduction's own time is the communication alone.
#[derive(Debug)]
pub struct Timed<C> {
    inner: C,
    stats: Mutex<(usize, f64)>,
    wait: Option<Mutex<f64>>,
}

impl<C: Comm> Timed<C> {
    pub fn new(inner: C) -> Timed<C> {
        let split = std::env::var_os("LOGIT_COMM_WAIT").is_some_and(|v| v == "1");
        Timed {
            inner,
            stats: Mutex::new((0, 0.0)),
            wait: split.then(|| Mutex::new(0.0)),
        }
    }

    /// Seconds spent waiting for the slowest rank before reductions (`LOGIT_COMM_WAIT=1`).
    pub fn waited(&self) -> Option<f64> {
        self.wait
            .as_ref()
            .map(|w| *w.lock().expect("no panics while held"))
    }

    /// Reductions so far and their seconds.
    pub fn stats(&self) -> (usize, f64) {
        *self.stats.lock().expect("no panics while held")
    }

    pub fn reset(&self) {
        *self.stats.lock().expect("no panics while held") = (0, 0.0);
        if let Some(w) = &self.wait {
            *w.lock().expect("no panics while held") = 0.0;
        }
    }

    fn timed(&self, f: impl FnOnce()) {
        if let Some(w) = &self.wait {
            let t = Instant::now();
            self.inner.allgather(&[0]);
            *w.lock().expect("no panics while held") += t.elapsed().as_secs_f64();
        }
        let t = Instant::now();
        f();
        let mut s = self.stats.lock().expect("no panics while held");
        s.0 += 1;
        s.1 += t.elapsed().as_secs_f64();
    }
}

impl<C: Comm> Reduce for Timed<C> {
    fn sum(&self, v: &mut [f64]) {
        self.timed(|| self.inner.sum(v));
    }

    fn min(&self, v: &mut [f64]) {
        self.timed(|| self.inner.min(v));
    }
}

impl<C: Comm> Comm for Timed<C> {
    fn rank(&self) -> usize {
        self.inner.rank()
    }

    fn size(&self) -> usize {
        self.inner.size()
    }

    fn allgather(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
        self.inner.allgather(bytes)
    }

    fn gather(&self, bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
        self.inner.gather(bytes)
    }
}
