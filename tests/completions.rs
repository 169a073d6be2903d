//! `logit completions SHELL` and `logit man [SUBCOMMAND]`, generated from the clap definitions.

use crate::util::Dir;

const SUBCOMMANDS: [&str; 5] = ["train", "predict", "eval", "threshold", "completions"];

#[test]
fn completion_scripts_mention_every_subcommand_and_key_options() {
    let dir = Dir::new();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef logit"),
        ("fish", "complete -c logit"),
    ] {
        let out = dir.run(&["completions", shell]).ok().stdout();
        assert!(out.contains(marker), "{shell}: no {marker:?}\n{out}");
        for sub in SUBCOMMANDS {
            assert!(out.contains(sub), "{shell}: no subcommand {sub}");
        }
        for flag in ["--target", "--thresholds", "--pick", "--plot"] {
            assert!(
                out.contains(flag.trim_start_matches('-')),
                "{shell}: no {flag}"
            );
        }
    }
    dir.run(&["completions", "tcsh"])
        .expect_code(2)
        .stderr_has(&["tcsh"]);
}

#[test]
fn man_pages_are_roff_generated_from_the_cli() {
    let dir = Dir::new();
    let page = dir.run(&["man"]).ok().stdout();
    assert!(
        page.starts_with(".ie") || page.contains(".TH logit 1"),
        "{}",
        &page[..200.min(page.len())]
    );
    assert!(page.contains(".TH logit 1"), "{page}");
    for sub in SUBCOMMANDS {
        assert!(page.contains(sub), "man page lacks {sub}");
    }
    let train = dir.run(&["man", "train"]).ok().stdout();
    assert!(train.contains(".TH logit-train 1"), "{train}");
    assert!(
        train.contains("\\-\\-pick\\-threshold") && train.contains("\\-\\-plot"),
        "{train}"
    );
    dir.run(&["man", "nope"])
        .expect_code(2)
        .stderr_has(&["\"nope\"", "train"]);
}
