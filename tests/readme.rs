//! The README as a new user meets it (issue 8, item 20): its command examples run as written
//! from the repository's root, the files they name exist, the bare `logit` is explained before
//! it is used, and the pipeline that sorts probabilities sorts them numerically.

use std::path::Path;
use std::process::Command;

use crate::util::Dir;

/// The README's code blocks, with the language tag of each (`sh`, `console`, ...).
fn code_blocks() -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let mut blocks = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in text.lines() {
        if let Some(tag) = line.strip_prefix("```") {
            match current.take() {
                Some(block) => blocks.push(block),
                None => current = Some((tag.trim().to_string(), Vec::new())),
            }
        } else if let Some((_, lines)) = current.as_mut() {
            lines.push(line.to_string());
        }
    }
    blocks
}

/// The command lines of the shell examples: `sh` blocks whole, `console` lines after `$ `.
fn commands() -> Vec<String> {
    examples().into_iter().map(|e| e.command).collect()
}

/// A shell example and whether the README shows it failing (a `logit: error:` line follows it).
struct Example {
    command: String,
    shown_failing: bool,
}

fn examples() -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    for (tag, lines) in code_blocks() {
        for line in lines {
            let command = match tag.as_str() {
                "sh" => Some(line.as_str()),
                "console" => line.strip_prefix("$ "),
                _ => None,
            };
            match command.map(str::trim) {
                // Launcher lines (`mpirun`, `srun`) need the `mpi` build and a cluster's files;
                // .ci/mpi_check.py runs the distributed commands for real.
                Some(c) if c.starts_with("mpirun ") || c.starts_with("srun ") => {}
                Some(c) if !c.is_empty() && !c.starts_with('#') => out.push(Example {
                    command: c.to_string(),
                    shown_failing: false,
                }),
                Some(_) => {}
                None if line.starts_with("logit: error:") => {
                    if let Some(last) = out.last_mut() {
                        last.shown_failing = true;
                    }
                }
                None => {}
            }
        }
    }
    out
}

/// Is this example one that a user pastes into the repository's root as it stands (and not one
/// that installs shell completions into their home directory)?
fn runnable(command: &str) -> bool {
    command.contains("logit ")
        && !command.contains("completions")
        && !command.contains("man ")
        && !command.starts_with("cargo ")
}

#[test]
fn readme_explains_how_to_get_a_bare_logit_before_using_it() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let install = text
        .find("cargo install --path .")
        .expect("README says how to install logit");
    let first_bare = commands()
        .into_iter()
        .find(|c| c.starts_with("logit ") || c.contains("| logit "))
        .expect("README has logit examples");
    let at = text.find(&first_bare).expect("command is in the text");
    assert!(
        install < at,
        "the first bare `logit` ({first_bare}) comes before `cargo install --path .`"
    );
}

#[test]
fn readme_examples_name_files_that_exist_or_that_an_earlier_example_writes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut written: Vec<String> = Vec::new();
    for command in commands() {
        let words: Vec<&str> = command.split_whitespace().collect();
        for (i, word) in words.iter().enumerate() {
            let word = word.trim_matches(|c| c == '\'' || c == '"');
            let is_output =
                i > 0 && matches!(words[i - 1], "-o" | ">" | "--plot") || word.starts_with('>');
            if is_output {
                written.push(word.trim_start_matches('>').to_string());
                continue;
            }
            let data_like = word.ends_with(".csv") || word.ends_with(".json");
            if data_like && !written.iter().any(|w| w == word) {
                assert!(
                    root.join(word).exists(),
                    "README example `{command}` reads {word}, which neither exists in the \
                     repository nor is written by an earlier example"
                );
            }
        }
    }
}

#[test]
fn readme_sorts_probabilities_as_general_numbers() {
    for command in commands() {
        if command.contains("logit predict") && command.contains("| sort") {
            let sort = &command[command.find("| sort").unwrap()..];
            assert!(
                sort.split_whitespace().any(|w| w.starts_with('-')
                    && !w.starts_with("--")
                    && w.contains('g')
                    || w == "--general-numeric-sort"),
                "`{command}` must sort with -g: probabilities such as 4.9e-06 are not plain decimals"
            );
        }
    }
}

#[test]
fn readme_examples_run_as_written_from_the_repository_root() {
    let dir = Dir::new();
    let fixtures = dir.path().join("fixtures");
    std::fs::create_dir(&fixtures).unwrap();
    for entry in std::fs::read_dir(crate::util::fixtures()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), fixtures.join(entry.file_name())).unwrap();
        }
    }
    // Issue 13's example trains on a generated set kept under tests/fixtures/nn.
    let nn = dir.path().join("tests").join("fixtures").join("nn");
    std::fs::create_dir_all(&nn).unwrap();
    let nn_source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nn");
    for entry in std::fs::read_dir(nn_source).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), nn.join(entry.file_name())).unwrap();
    }
    // `logit` on PATH as `cargo install --path .` would put it, and `target/release/logit` as
    // a clone's release build has it.
    let bin = Path::new(env!("CARGO_BIN_EXE_logit"));
    let release = dir.path().join("target").join("release");
    std::fs::create_dir_all(&release).unwrap();
    std::os::unix::fs::symlink(bin, release.join("logit")).unwrap();
    let path = format!(
        "{}:{}",
        release.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let first = Command::new(bin)
        .args(["train", "fixtures/pima_train.csv", "--target", "type"])
        .args(["-o", "model.json", "-q"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(first.success(), "the quick start's train command fails");
    let mut ran = 0;
    for example in examples().into_iter().filter(|e| runnable(&e.command)) {
        let command = example.command;
        let output = Command::new("bash")
            .args(["-c", &format!("set -o pipefail; {command}")])
            .env("PATH", &path)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.success(),
            !example.shown_failing,
            "README example `{command}` ({:?}): {stderr}",
            output.status
        );
        assert!(!stderr.contains("panicked"), "`{command}`: {stderr}");
        ran += 1;
    }
    assert!(ran >= 8, "only {ran} README examples found to run");
}
