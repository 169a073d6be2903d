//! `logit export MODEL -o model.onnx [--precision f64|f32] [--describe]`: the model as an
//! ONNX graph (see [`crate::model::onnx`]), written atomically (temporary file, then rename),
//! and with `--describe` the graph's contract (input column order, outputs, classes) on stdout.

use std::io::Write;

use crate::cli::{ExportArgs, PrecisionArg};
use crate::console;
use crate::data::input::check_destination;
use crate::data::output::Output;
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::model::onnx::{self, Precision};
use crate::model::Model;

/// A validated `export` configuration.
#[derive(Debug, Clone)]
pub struct ExportConfig {
    pub model: String,
    /// `None`: `--describe` only.
    pub output: Option<String>,
    pub precision: Precision,
    pub describe: bool,
}

impl ExportConfig {
    pub fn from_args(args: &ExportArgs) -> Result<ExportConfig> {
        if args.describe && args.output.as_deref() == Some("-") {
            return Err(Error::Usage(
                "export: --describe prints text on stdout, so -o - (the graph on stdout) \
                 cannot go with it; write the graph to a file"
                    .into(),
            ));
        }
        Ok(ExportConfig {
            model: args.model.clone(),
            output: args.output.clone(),
            precision: match args.precision {
                PrecisionArg::F64 => Precision::F64,
                PrecisionArg::F32 => Precision::F32,
            },
            describe: args.describe,
        })
    }
}

pub fn run(args: &ExportArgs) -> Result<ExitStatus> {
    let config = ExportConfig::from_args(args)?;
    if let Some(out) = &config.output {
        // MODEL may not be overwritten by the graph. Checked before reading anything.
        check_destination(out, &[&config.model])?;
    }
    let model = Model::load(&config.model)?;
    if let Some(path) = &config.output {
        let bytes = onnx::export(&model, &config.model, config.precision)?;
        write(path, &config.model, &bytes)?;
    }
    if config.describe {
        let text = onnx::describe(&model, &config.model, config.precision)?;
        console::print(text)?;
    }
    Ok(ExitStatus::Success)
}

/// Writes `bytes` to `path` through a temporary file and a rename (`-`: stdout).
fn write(path: &str, model: &str, bytes: &[u8]) -> Result<()> {
    let mut out = Output::create(path, &[model])?;
    let written = out
        .write_all(bytes)
        .map_err(|e| Error::io(path, "write it", e))
        .and_then(|()| out.commit());
    match written {
        // `-o - | head -c`: the reader has what it wanted (see `console`).
        Err(e) if e.is_broken_pipe() => Ok(()),
        other => other,
    }
}
