//! `mpirun -np K logit train DATA --distributed ...`: every rank reads its part, the ranks
//! agree on the schema, fit with every pass's sums added across ranks (the same solver steps on
//! every rank), and rank 0 writes the model and prints the report.

use std::io::Cursor;
use std::sync::Arc;

use super::agree::{concat, relayout, unify, Meta};
use super::comm::Comm;
use super::split::{self, Part};
use super::{agree_on, Timed};
use crate::cli::TrainArgs;
use crate::commands::train::{read_training_data, train_on_data, TrainConfig};
use crate::console;
use crate::data::design::DesignChoice;
use crate::data::encode::{read_training, TrainingData, TrainingSelection};
use crate::data::fast;
use crate::data::input::{check_destination, delimiter_for, Source};
use crate::data::missing::MissingPolicy;
use crate::data::schema::ClassWeight;
use crate::error::{Error, Result};
use crate::evaluate::report;
use crate::exit::ExitStatus;
use crate::fit::reduce::Reduce;
use crate::fit::solvers::SolverKind;

/// Options whose single-process meaning needs every row in one place, refused up front.
fn refuse(config: &TrainConfig) -> Result<()> {
    let refused = |what: &str, why: &str| {
        Err(Error::Usage(format!(
            "{what} is not supported with --distributed: {why}"
        )))
    };
    match config.fit.solver {
        SolverKind::Lbfgs | SolverKind::Newton => {}
        other => {
            return refused(
                &format!("--solver {other}"),
                "only lbfgs and newton run on passes summed across ranks",
            )
        }
    }
    if config.l1 > 0.0 {
        return refused(
            "--l1",
            "coordinate descent reads the design's columns directly",
        );
    }
    if config.cross_check {
        return refused(
            "--cross-check",
            "linfa needs the whole matrix in one process",
        );
    }
    if matches!(config.missing, MissingPolicy::Mean | MissingPolicy::Median) {
        return refused(
            "--missing mean|median",
            "fill values would be each part's own; use --missing drop or error",
        );
    }
    if matches!(config.class_weight, Some(ClassWeight::Balanced)) {
        return refused(
            "--class-weight balanced",
            "it needs the class weight sums of all parts; give LABEL=W,... instead",
        );
    }
    if config.design == DesignChoice::Sparse {
        return refused("--design sparse", "the ranks build dense design matrices");
    }
    if config.pick_threshold.is_some() {
        return refused(
            "--pick-threshold",
            "choose the threshold afterwards with `logit threshold`",
        );
    }
    if config.output == "-" {
        return refused("-o -", "write the model to a file");
    }
    if config.ooc.is_some() {
        return refused(
            "--max-memory",
            "each rank holds its part of the design in memory; use more ranks instead",
        );
    }
    if config.network.is_some() {
        return refused("--hidden", "networks train in one process only");
    }
    Ok(())
}

/// Reads one rank's part: its byte range (messages name the file's own line numbers) or its
/// shards one after another, on one schema.
fn read_part(config: &TrainConfig, part: &Part) -> Result<TrainingData> {
    let selection = TrainingSelection {
        design: DesignChoice::Dense,
        ..config.selection()
    };
    match part {
        Part::Range {
            path,
            header_end,
            start,
            end,
        } => {
            let text = split::read_range(path, *header_end, *start, *end)?;
            read_text(config, &selection, path, text).map_err(|e| match e {
                Error::Data(mut d) if d.location.file == *path => {
                    if let Some(line) = d.location.line.filter(|&l| l >= 2) {
                        if let Ok(before) = split::lines_before(path, *start) {
                            d.location.line = Some(line + before - 1);
                        }
                    }
                    Error::Data(d)
                }
                other => other,
            })
        }
        Part::Shards(shards) => {
            let mut parts = Vec::with_capacity(shards.len());
            let mut metas = Vec::with_capacity(shards.len());
            for shard in shards {
                let shard_config = TrainConfig {
                    data: shard.clone(),
                    delimiter: delimiter_for(shard, None),
                    ..config.clone()
                };
                let data = read_training_data(&shard_config, &selection)?;
                metas.push(Meta::of(shard, &data));
                parts.push(data);
            }
            let schema = unify(&metas)?;
            let parts = parts
                .into_iter()
                .map(|p| relayout(p, &schema))
                .collect::<Result<Vec<_>>>()?;
            Ok(concat(parts))
        }
    }
}

/// Training data from one CSV text in memory: the fast reader when it suits, else the csv path.
fn read_text(
    config: &TrainConfig,
    selection: &TrainingSelection,
    name: &str,
    text: Vec<u8>,
) -> Result<TrainingData> {
    if let Some(data) = fast::read_training_fast_bytes(
        &text,
        name,
        config.delimiter,
        selection,
        fast::MIN_FAST_BYTES,
    )? {
        return Ok(data);
    }
    let source = Source::from_stream(name, Box::new(Cursor::new(text)))?;
    read_training(source, config.delimiter, selection)
}

/// What the part is, for messages.
fn describe(part: &Part) -> String {
    match part {
        Part::Range {
            path, start, end, ..
        } => format!("{path} bytes {start}..{end}"),
        Part::Shards(s) if s.is_empty() => "no shard".to_string(),
        Part::Shards(s) => s.join(","),
    }
}

/// The distributed `train`.
pub fn train<C: Comm + 'static>(args: &TrainArgs, comm: Arc<Timed<C>>) -> Result<ExitStatus> {
    let (rank, size) = (comm.rank(), comm.size());
    let mut config = TrainConfig::from_args(args)?;
    refuse(&config)?;
    let lead = rank == 0;
    agree_on(comm.as_ref(), || {
        if lead {
            check_destination(&config.output, &[config.data.as_str()])
        } else {
            Ok(())
        }
    })?;
    let part = split::part_of(&config.data, rank, size)?;
    let name = format!("rank {rank} ({})", describe(&part));
    let data = agree_on(comm.as_ref(), || {
        let empty = match &part {
            Part::Range { start, end, .. } => start == end,
            Part::Shards(s) => s.is_empty(),
        };
        if empty {
            return Err(Error::Usage(format!(
                "{name} has no rows to read: use fewer ranks than {size} for this data"
            )));
        }
        let data = read_part(&config, &part)?;
        // Weights are checked here, where every rank reports, rather than inside the fit.
        data.sample_weights(config.class_weight.as_ref())?;
        Ok(data)
    })?;
    let metas: Vec<Meta> = comm
        .allgather(
            serde_json::to_string(&Meta::of(&name, &data))
                .expect("serialisable")
                .as_bytes(),
        )
        .iter()
        .map(|b| serde_json::from_slice(b).expect("written by a rank above"))
        .collect();
    let schema = unify(&metas)?;
    let mut data = relayout(data, &schema)?;
    data.class_counts = schema.class_counts.clone();
    data.rows_dropped = schema.rows_dropped;
    let local_weights = data.sample_weights(config.class_weight.as_ref())?;
    let mut totals = [local_weights.weight_sum, local_weights.n_zero_weight as f64];
    comm.sum(&mut totals);
    config.reducer = Some(comm.clone() as Arc<dyn Reduce>);
    comm.reset();

    let mut progress = crate::commands::progress::TrainingProgress::new(
        config.quiet || !lead,
        config.fit.solver.as_str(),
    );
    let mut history = Vec::new();
    let fitted = train_on_data(&config, data, &mut |it| {
        progress.update(it);
        if config.plot.is_some() {
            history.push(*it);
        }
    });
    progress.finish();
    let (passes, seconds) = comm.stats();
    let waited = comm.waited();
    let (mut model, warnings, _) = agree_on(comm.as_ref(), || fitted)?;
    model.training.n_rows = schema.rows;
    model.training.weight_sum = totals[0];
    model.training.n_zero_weight = totals[1] as usize;
    agree_on(comm.as_ref(), || {
        if !lead {
            return Ok(());
        }
        for w in &warnings {
            console::warning(w);
        }
        if !config.quiet {
            console::eprint(report::training_report(&model, None));
            let per_iteration = |s: f64| 1e3 * s / model.fit.iterations.max(1) as f64;
            let waited = waited.map_or(String::new(), |w| {
                format!(
                    "; waiting for the slowest rank before them {w:.3} s ({:.3} ms per \
                     iteration)",
                    per_iteration(w)
                )
            });
            console::eprint(format!(
                "distributed: {size} ranks, {} rows; {passes} reductions took {seconds:.3} s \
                 on rank 0 ({:.3} ms per solver iteration){waited}\n",
                schema.rows,
                per_iteration(seconds),
            ));
        }
        if args.summary {
            match crate::inference::summary::ModelSummary::of(&model) {
                Some(summary) => console::eprint(crate::commands::summary::render(&summary)),
                None => console::eprint("no summary for a one-vs-rest model\n"),
            }
        }
        if let Some(path) = &config.plot {
            let svg = crate::evaluate::plot::training_svg(
                &history,
                config.fit.tol,
                config.fit.solver.as_str(),
            )
            .map_err(|e| e.at(path))?;
            let mut out =
                crate::data::input::Output::create(path, &[config.data.as_str(), &config.output])?;
            std::io::Write::write_all(&mut out, svg.as_bytes())
                .map_err(|e| Error::io(path, "write it", e))?;
            out.commit()?;
        }
        model.save(&config.output, &[&config.data])?;
        if !config.quiet {
            console::eprint(format!("model written to {}\n", config.output));
        }
        Ok(())
    })?;
    Ok(ExitStatus::Success)
}

/// Separation over rows split among ranks, and the exact end game's agreement, between threads.
#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use clap::Parser;

    use super::super::{silent_unless_lead, Comm, ThreadGroup, Timed};
    use crate::cli::{Cli, Command, TrainArgs};
    use crate::commands::train::{train as train_single, TrainConfig};
    use crate::fit::solvers::StopReason;
    use crate::model::Model;

    fn args(argv: &[&str]) -> TrainArgs {
        let Command::Train(a) = Cli::try_parse_from(argv).unwrap().command else {
            unreachable!()
        };
        a
    }

    /// Rank 0's model of `logit train DATA -o OUT OPTS --distributed` on `size` threads.
    fn distributed(size: usize, data: &str, out: &str, opts: &[&str]) -> Model {
        let mut argv = vec![
            "logit",
            "train",
            data,
            "-o",
            out,
            "--quiet",
            "--distributed",
        ];
        argv.extend_from_slice(opts);
        let a = args(&argv);
        std::thread::scope(|scope| {
            let handles: Vec<_> = ThreadGroup::new(size)
                .into_iter()
                .map(|member| {
                    let a = &a;
                    scope.spawn(move || {
                        let comm = Arc::new(Timed::new(member));
                        let rank = comm.rank();
                        silent_unless_lead(rank, super::train(a, comm)).unwrap()
                    })
                })
                .collect();
            handles.into_iter().for_each(|h| {
                h.join().unwrap();
            });
        });
        Model::load(out).unwrap()
    }

    fn single(data: &str, out: &str, opts: &[&str]) -> Model {
        let mut argv = vec!["logit", "train", data, "-o", out, "--quiet"];
        argv.extend_from_slice(opts);
        train_single(&TrainConfig::from_args(&args(&argv)).unwrap())
            .unwrap()
            .0
    }

    /// Quasi-complete separation (y = 1 exactly when x2 > 0, both labels at x2 = 0) and complete
    /// separation (by x1 + x2), with the labels spread over the file: every rank count gives the
    /// single process's stop reason.
    #[test]
    fn separation_is_found_over_the_rows_of_every_rank() {
        let dir = tempfile::tempdir().unwrap();
        let mut quasi = String::from("x1,x2,y\n");
        let mut complete = String::from("x1,x2,y\n");
        for i in 0..90 {
            let x1 = ((i * 37) % 23) as f64 / 7.0 - 1.5;
            let x2 = (i % 9) as f64 - 4.0;
            let y = if x2 > 0.0 {
                1
            } else if x2 < 0.0 {
                0
            } else {
                i % 2
            };
            quasi.push_str(&format!("{x1},{x2},{y}\n"));
            let x2 = ((i * 11) % 17) as f64 / 5.0 - 1.7;
            if (x1 + x2).abs() >= 0.2 {
                complete.push_str(&format!("{x1},{x2},{}\n", u8::from(x1 + x2 > 0.0)));
            }
        }
        for (name, text) in [("quasi.csv", quasi), ("complete.csv", complete)] {
            let data = dir.path().join(name);
            std::fs::write(&data, text).unwrap();
            let data = data.to_string_lossy();
            let out = dir.path().join("m.json");
            let out = out.to_string_lossy();
            let opts = ["--target", "y", "--l2", "0"];
            let want = single(&data, &out, &opts);
            assert_eq!(want.fit.stop_reason, StopReason::Separation, "{name}");
            for size in [2, 3] {
                let got = distributed(size, &data, &out, &opts);
                assert_eq!(
                    got.fit.stop_reason,
                    StopReason::Separation,
                    "{name} on {size}"
                );
            }
        }
    }
}
