//! Issue 8, output side: closed and full streams (item 1), `-o` naming devices, FIFOs and
//! symlinks (6), signals during a write (12) and causes printed once (15); model files (items 5
//! and 11) in [`model_files`]. Each test failed on 1.0.

mod model_files;

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};

use crate::util::{trained, Dir};

/// Every command that writes to stdout, with arguments that make it succeed in a directory
/// prepared by `pima_dir` (quiet, so stderr stays empty).
const STDOUT_COMMANDS: &[&[&str]] = &[
    &[
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "--positive",
        "Yes",
        "-o",
        "-",
        "-q",
    ],
    &["predict", "m.json", "pima_test.csv"],
    &[
        "eval",
        "m.json",
        "pima_test.csv",
        "--thresholds",
        "--grid",
        "all",
    ],
    &["eval", "m.json", "pima_test.csv", "--json"],
    &["summary", "m.json"],
    &[
        "threshold",
        "m.json",
        "pima_test.csv",
        "--pick",
        "f1",
        "-o",
        "-",
        "-q",
    ],
    &["completions", "bash"],
    &["man"],
    &["--help"],
    &["--version"],
];

/// The eval run whose gate fails: ROC AUC on pima_test is about 0.85.
const FAILING_GATE: &[&str] = &["eval", "m.json", "pima_test.csv", "--min", "roc_auc=0.99"];

fn pima_dir() -> Dir {
    let dir = Dir::new();
    trained(&dir, "pima", "type", "Yes", "0.01");
    dir
}

fn logit(dir: &Dir, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logit"));
    cmd.args(args).current_dir(dir.path()).stdin(Stdio::null());
    cmd
}

/// Runs `cmd` with stdout a pipe whose reading end is closed before the child starts, so its
/// first write meets a closed pipe whatever the scheduling.
fn with_closed_stdout(mut cmd: Command) -> (ExitStatus, String) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let child = cmd
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn logit");
    drop(cmd); // The parent's copy of the writing end.
    finish(child)
}

fn finish(mut child: Child) -> (ExitStatus, String) {
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    (child.wait().expect("wait"), stderr)
}

fn describe(args: &[&str], status: ExitStatus, stderr: &str) -> String {
    format!(
        "logit {}\nstatus: {status:?}\nstderr: {stderr}",
        args.join(" ")
    )
}

#[test]
fn every_command_with_a_closed_stdout_ends_quietly_with_exit_0() {
    let dir = pima_dir();
    for args in STDOUT_COMMANDS {
        let (status, stderr) = with_closed_stdout(logit(&dir, args));
        let what = describe(args, status, &stderr);
        assert_eq!(status.code(), Some(0), "{what}");
        assert!(stderr.is_empty(), "{what}");
    }
}

#[test]
fn eval_with_a_closed_stdout_still_exits_1_when_a_gate_fails() {
    let dir = pima_dir();
    let (status, stderr) = with_closed_stdout(logit(&dir, FAILING_GATE));
    let what = describe(FAILING_GATE, status, &stderr);
    assert_eq!(status.code(), Some(1), "{what}");
    assert!(
        stderr.starts_with("logit: gate failed: roc_auc = 0.8") && !stderr.contains("panicked"),
        "{what}"
    );
}

#[test]
fn every_command_with_a_full_stdout_fails_with_one_line_and_exit_2() {
    let dir = pima_dir();
    for args in STDOUT_COMMANDS {
        let out = logit(&dir, args)
            .stdout(File::create("/dev/full").expect("open /dev/full"))
            .stderr(Stdio::piped())
            .output()
            .expect("run logit");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let what = describe(args, out.status, &stderr);
        assert_eq!(out.status.code(), Some(2), "{what}");
        assert_eq!(
            stderr,
            "logit: error: <stdout>: cannot write it: No space left on device (os error 28)\n",
            "{what}"
        );
    }
}

#[test]
fn a_full_stderr_never_panics_and_every_exit_code_is_kept() {
    let dir = pima_dir();
    let cases: &[(&[&str], i32)] = &[
        // Not quiet: the training report goes to the full stderr.
        (
            &[
                "train",
                "pima_train.csv",
                "--target",
                "type",
                "--positive",
                "Yes",
                "-o",
                "m2.json",
                "--summary",
            ],
            0,
        ),
        (FAILING_GATE, 1),
        (
            &[
                "threshold",
                "m.json",
                "pima_test.csv",
                "--pick",
                "f1",
                "-o",
                "m3.json",
            ],
            0,
        ),
        (&["predict", "missing.json", "pima_test.csv"], 2),
        (
            &["eval", "m.json", "pima_test.csv", "--min", "nonsense=1"],
            2,
        ),
        (&["predict", "m.json", "pima_test.csv", "-o", "p.csv"], 0),
    ];
    for (args, code) in cases {
        let out = logit(&dir, args)
            .stdout(Stdio::null())
            .stderr(File::create("/dev/full").expect("open /dev/full"))
            .output()
            .expect("run logit");
        assert_eq!(out.status.code(), Some(*code), "logit {}", args.join(" "));
    }
    // The run whose every message was lost still did its work.
    let model: serde_json::Value = serde_json::from_str(&dir.read("m2.json")).expect("json");
    assert_eq!(model["training"]["n_rows"], 372);
    assert_eq!(dir.read("p.csv").lines().count(), 161);
}

#[test]
fn stdout_and_stderr_in_one_closed_pipe_keep_the_exit_code() {
    // `logit ... 2>&1 | head -1`, with the reading end closed before anything is written.
    let dir = pima_dir();
    let cases: &[(&[&str], i32)] = &[
        (
            &[
                "train",
                "pima_train.csv",
                "--target",
                "type",
                "--positive",
                "Yes",
                "-o",
                "m2.json",
            ],
            0,
        ),
        (FAILING_GATE, 1),
        (&["predict", "missing.json", "pima_test.csv"], 2),
    ];
    for (args, code) in cases {
        let (reader, writer) = std::io::pipe().expect("pipe");
        let mut cmd = logit(&dir, args);
        cmd.stdout(writer.try_clone().expect("clone"))
            .stderr(writer);
        drop(reader); // Closed before the child starts: its first write meets a closed pipe.
        let mut child = cmd.spawn().expect("spawn logit");
        drop(cmd); // The parent's copies of the writing end.
        let status = child.wait().expect("wait");
        assert_eq!(status.code(), Some(*code), "logit {}", args.join(" "));
    }
    assert!(dir.exists("m2.json"));
}

#[cfg(unix)]
fn file_type(path: &Path) -> fs::FileType {
    fs::symlink_metadata(path).expect("lstat").file_type()
}

#[cfg(unix)]
#[test]
fn output_through_a_symlink_to_a_character_device_writes_the_device_and_keeps_the_link() {
    use std::os::unix::fs::{symlink, FileTypeExt};
    let dir = pima_dir();
    symlink("/dev/null", dir.path().join("null")).expect("symlink");
    symlink("/dev/full", dir.path().join("full")).expect("symlink");
    dir.run(&["predict", "m.json", "pima_test.csv", "-o", "null"])
        .ok();
    dir.run(&[
        "train",
        "pima_train.csv",
        "--target",
        "type",
        "--positive",
        "Yes",
        "-q",
        "-o",
        "null",
    ])
    .ok();
    dir.run(&["predict", "m.json", "pima_test.csv", "-o", "full"])
        .expect_code(2)
        .stderr_has(&["full: cannot write it: No space left on device (os error 28)"]);
    for link in ["null", "full"] {
        let path = dir.path().join(link);
        assert!(file_type(&path).is_symlink(), "{link} was replaced");
        assert!(fs::metadata(&path).unwrap().file_type().is_char_device());
    }
    assert_eq!(
        dir.listing(),
        ["full", "m.json", "null", "pima_test.csv", "pima_train.csv"]
    );
}

#[cfg(unix)]
#[test]
fn output_to_a_fifo_is_written_through_and_the_fifo_is_kept() {
    use std::os::unix::fs::FileTypeExt;
    let dir = pima_dir();
    let fifo = dir.path().join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let reader_path = fifo.clone();
    let reader = std::thread::spawn(move || fs::read_to_string(reader_path).expect("read fifo"));
    dir.run(&["predict", "m.json", "pima_test.csv", "-o", "pipe"])
        .ok();
    // Checked before joining: had the FIFO been replaced, the reader would wait forever.
    assert!(file_type(&fifo).is_fifo(), "the FIFO was replaced");
    let through_fifo = reader.join().expect("reader");
    let to_stdout = dir
        .run(&["predict", "m.json", "pima_test.csv"])
        .ok()
        .stdout();
    assert_eq!(through_fifo, to_stdout);
    assert_eq!(through_fifo.lines().count(), 161);
}

#[cfg(unix)]
#[test]
fn output_through_a_symlink_replaces_its_target_and_keeps_the_link() {
    use std::os::unix::fs::symlink;
    let dir = pima_dir();
    fs::create_dir(dir.path().join("elsewhere")).unwrap();
    dir.write("elsewhere/real.csv", "old\n");
    symlink("elsewhere/real.csv", dir.path().join("link.csv")).unwrap();
    // A link whose target does not exist yet: the target is created, the link kept.
    symlink("elsewhere/new.csv", dir.path().join("dangling.csv")).unwrap();
    dir.run(&["predict", "m.json", "pima_test.csv", "-o", "link.csv"])
        .ok();
    dir.run(&["predict", "m.json", "pima_test.csv", "-o", "dangling.csv"])
        .ok();
    let expected = dir
        .run(&["predict", "m.json", "pima_test.csv"])
        .ok()
        .stdout();
    for (link, target) in [("link.csv", "real.csv"), ("dangling.csv", "new.csv")] {
        assert!(
            file_type(&dir.path().join(link)).is_symlink(),
            "{link} was replaced"
        );
        assert_eq!(dir.read(&format!("elsewhere/{target}")), expected);
    }
    let mut beside: Vec<String> = fs::read_dir(dir.path().join("elsewhere"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    beside.sort();
    assert_eq!(beside, ["new.csv", "real.csv"], "a temporary file was left");
}

#[cfg(unix)]
#[test]
fn an_output_that_resolves_to_an_input_is_refused_through_links() {
    use std::os::unix::fs::symlink;
    let dir = pima_dir();
    let data = dir.read_bytes("pima_test.csv");
    symlink("pima_test.csv", dir.path().join("soft.csv")).unwrap();
    fs::hard_link(
        dir.path().join("pima_test.csv"),
        dir.path().join("hard.csv"),
    )
    .unwrap();
    for alias in ["soft.csv", "hard.csv"] {
        dir.run(&["predict", "m.json", "pima_test.csv", "-o", alias])
            .expect_code(2)
            .stderr_has(&["is the same file as input \"pima_test.csv\""]);
    }
    assert_eq!(dir.read_bytes("pima_test.csv"), data);
    assert_eq!(dir.read_bytes("hard.csv"), data);
}

/// Sends `signal` (a name for kill(1), e.g. "TERM") to the child.
fn send(child: &Child, signal: &str) {
    let sent = Command::new("kill")
        .args(["-s", signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
}

#[test]
fn a_signal_during_predict_removes_the_temp_file_and_keeps_the_old_output() {
    let dir = pima_dir();
    let test = dir.read("pima_test.csv");
    let (header, rows) = test.split_once('\n').unwrap();
    for (signal, code) in [("TERM", 143), ("INT", 130), ("HUP", 129)] {
        dir.write("out.csv", "old output\n");
        let mut child = logit(&dir, &["predict", "m.json", "-", "-o", "out.csv"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // Some rows, and the input kept open: predict is mid-write when the signal comes.
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{header}").unwrap();
        stdin.write_all(&rows.as_bytes()[..rows.len() / 2]).unwrap();
        stdin.flush().unwrap();
        let temp = |d: &Dir| d.listing().into_iter().any(|n| n.starts_with(".logit-"));
        let mut waited = 0;
        while !temp(&dir) {
            assert!(waited < 2000, "predict never created its temporary file");
            std::thread::sleep(std::time::Duration::from_millis(5));
            waited += 1;
        }
        send(&child, signal);
        let (status, stderr) = finish(child);
        drop(stdin);
        assert_eq!(
            status.code(),
            Some(code),
            "SIG{signal}: {status:?} {stderr}"
        );
        assert!(!temp(&dir), "SIG{signal} left {:?}", dir.listing());
        assert_eq!(dir.read("out.csv"), "old output\n");
    }
}

#[test]
fn an_io_error_names_its_cause_once() {
    let dir = pima_dir();
    let cases: &[(&[&str], &str)] = &[
        (
            &["predict", "missing.json", "pima_test.csv"],
            "missing.json: cannot open the model: No such file or directory (os error 2)",
        ),
        (
            &["predict", "m.json", "missing.csv"],
            "missing.csv: cannot open it: No such file or directory (os error 2)",
        ),
        (
            &["predict", "m.json", "pima_test.csv", "-o", "no/dir/out.csv"],
            "no/dir/out.csv: cannot write it: directory no/dir does not exist",
        ),
    ];
    for (args, message) in cases {
        let run = dir.run(args);
        run.expect_code(2);
        assert_eq!(
            run.stderr(),
            format!("logit: error: {message}\n"),
            "logit {}",
            args.join(" ")
        );
    }
}
