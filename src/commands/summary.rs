//! `logit summary MODEL [--json]`: the statsmodels-style coefficient table of a model, from the
//! model file alone (the statistics live in [`crate::inference::summary`]; this file loads, renders and
//! prints): one table for a binary model, one per non-reference class for a multinomial one
//! (statsmodels `MNLogit`). `train --summary` prints the same text to stderr through [`render`].

use std::fmt::Write as _;

use crate::cli::SummaryArgs;
use crate::console;
use crate::error::{Error, Result};
use crate::evaluate::report::{display_name, format_significant};
use crate::exit::ExitStatus;
use crate::inference::summary::{
    ContrastTerm, Flag, ModelSummary, MultinomialSummary, Summary, Term,
};
use crate::model::inference::CovarianceSource;
use crate::model::{Model, ModelKind};

/// Width of the text table's lines (and of the notes' wrapping).
const WIDTH: usize = 120;

pub fn run(args: &SummaryArgs) -> Result<ExitStatus> {
    let model = Model::load(&args.model)?;
    if model.is_network() {
        super::eval::warn_about_fit(&args.model, &model);
        console::print(network_text(&model))?;
        return Ok(ExitStatus::Success);
    }
    refuse_lasso(&args.model, &model, "summary", None)?;
    check_multinomial_inference(&args.model, &model)?;
    let Some(summary) = ModelSummary::of(&model) else {
        return Err(Error::Usage(format!(
            "{}: summary shows the classical inference of binary and multinomial models; this \
             is a one-vs-rest model of {} classes ({}), {} separate binary fits with no joint \
             likelihood: train with --multiclass multinomial for statsmodels MNLogit's table, \
             or fit one binary model per class",
            args.model,
            model.n_classes(),
            model.classes.join(", "),
            model.n_classes()
        )));
    };
    let text = if args.json {
        let mut s = serde_json::to_string_pretty(&summary).expect("a summary always serialises");
        s.push('\n');
        s
    } else {
        render(&summary)
    };
    super::eval::warn_about_fit(&args.model, &model);
    console::print(text)?;
    Ok(ExitStatus::Success)
}

/// `logit summary` of a network model: no coefficient table (a network's weights have no
/// classical standard errors: hidden units can be permuted and rescaled without changing the
/// fit, so the likelihood has no unique maximum and its Hessian is singular), the training
/// report with the per-layer gradients instead.
pub fn network_text(model: &Model) -> String {
    let Some(network) = &model.network else {
        return String::new();
    };
    let mut s = String::from(
        "classical standard errors, z values and p-values do not exist for a network: its \
         hidden units can be permuted (and, for relu, rescaled) without changing the fit, so \
         the likelihood has no unique maximum and no invertible Hessian; the network's \
         training report instead:\n",
    );
    s.push_str(&crate::evaluate::report::network::training_report(
        model, network,
    ));
    s
}

/// A model fitted with `--l1` has no classical summary: the lasso chose which coefficients are
/// non-zero and shrank the rest towards 0 on the same data, so Wald standard errors, z,
/// p-values and intervals computed as if the selected model had been fixed in advance are
/// biased and overconfident (post-selection inference; Hastie, Tibshirani, Wainwright,
/// *Statistical Learning with Sparsity*, 2015, ch. 6). The way out, said in the message, is an
/// unpenalised refit of the selected columns. `what` names the command or flag, `data` the
/// training file in the suggested command when known.
pub fn refuse_lasso(path: &str, model: &Model, what: &str, data: Option<&str>) -> Result<()> {
    if !model.is_lasso() {
        return Ok(());
    }
    let selected = model.selected_columns();
    let refit = if selected.is_empty() {
        "every coefficient is 0, so there is nothing to test".to_string()
    } else {
        format!(
            "for a table, refit the {} selected feature column(s) without --l1: logit train {} \
             --target {} --features {}",
            selected.len(),
            data.unwrap_or("DATA"),
            model.target,
            selected.join(",")
        )
    };
    Err(Error::Usage(format!(
        "{path}: {what} shows classical standard errors, z, p-values and intervals, which do \
         not apply to a model fitted with --l1 {} (the lasso selected and shrank its \
         coefficients on the same data, which biases them); {refit}",
        model.objective.l1
    )))
}

/// `Model::load` checks a binary model's stored inference; a multinomial one's blocks are
/// checked here, against the model's features and classes.
fn check_multinomial_inference(path: &str, model: &Model) -> Result<()> {
    let (Some(inference), ModelKind::Multinomial) = (&model.inference, &model.kind) else {
        return Ok(());
    };
    let names: Vec<&str> = model.features.iter().map(|f| f.name.as_str()).collect();
    inference
        .check(&names, model.objective.fit_intercept)
        .and_then(|()| inference.check_classes(&model.classes, true))
        .map_err(|why| Error::Model {
            path: path.to_string(),
            message: format!("the stored inference is damaged: {why}"),
        })
}

/// A coefficient or standard error: 5 significant digits, scientific outside [1e-4, 1e6).
fn number(v: Option<f64>) -> String {
    v.map_or_else(|| "--".to_string(), |v| format_significant(v, 5))
}

/// A p-value: 4 decimals down to 1e-4 (as statsmodels' 3, one more), then scientific.
fn p_value(v: Option<f64>) -> String {
    match v {
        None => "--".to_string(),
        Some(p) if p >= 1e-4 => format!("{p:.4}"),
        Some(p) if p > 0.0 => format!("{p:.1e}"),
        Some(_) => "<1e-300".to_string(),
    }
}

/// One table row: the term's binary columns (with odds ratios).
fn row(s: &mut String, name_width: usize, term: &Term) {
    let cells = [
        number(term.estimate),
        number(term.std_error),
        z_value(term.z),
        p_value(term.p_value),
        number(term.ci_low),
        number(term.ci_high),
        number(term.odds_ratio),
        number(term.odds_ratio_ci_low),
        number(term.odds_ratio_ci_high),
    ];
    table_row(s, name_width, &term.name, &cells, term.flag);
}

/// A Wald statistic, 3 decimals.
fn z_value(z: Option<f64>) -> String {
    z.map_or_else(|| "--".to_string(), |z| format!("{z:.3}"))
}

/// The name, the right-aligned cells and the flag of one table row.
fn table_row(s: &mut String, name_width: usize, name: &str, cells: &[String], flag: Option<Flag>) {
    let _ = write!(s, "{:<name_width$}", display_name(name));
    for cell in cells {
        let _ = write!(s, " {cell:>11}");
    }
    if let Some(flag) = flag {
        let _ = write!(s, "  [{}]", flag.describe());
    }
    s.push('\n');
}

/// Greedy word wrap of `text` to `width` columns, continuation lines indented by `indent`.
fn wrap(text: &str, first: &str, indent: usize, width: usize) -> String {
    let mut out = String::from(first);
    let mut column = first.chars().count();
    let mut line_empty = true;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if !line_empty && column + 1 + len > width {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            column = indent;
            line_empty = true;
        }
        if !line_empty {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += len;
        line_empty = false;
    }
    out.push('\n');
    out
}

/// The text of any summary.
pub fn render(summary: &ModelSummary) -> String {
    match summary {
        ModelSummary::Binary(s) => render_text(s),
        ModelSummary::Multinomial(s) => render_multinomial(s),
    }
}

/// The number of observations: the row count, or the weight total and the rows with weights.
fn observations(n: usize, n_weighted: Option<f64>) -> String {
    match n_weighted {
        None => n.to_string(),
        Some(s) if s.fract() == 0.0 => format!("{s} ({n} rows)"),
        Some(s) => format!("{s:.2} ({n} rows)"),
    }
}

/// The two columns of fit statistics under the title line (the statsmodels header block).
fn header_block(s: &mut String, left: &[(&str, String)], right: &[(&str, String)]) {
    for ((l, lv), (r, rv)) in left.iter().zip(right.iter()) {
        let line = format!("{l:<18}{lv:>16}        {r:<27}{rv:>16}");
        let _ = writeln!(s, "{}", line.trim_end());
    }
}

fn fixed(v: f64, decimals: usize) -> String {
    format!("{v:.decimals$}")
}

fn optional(v: Option<f64>, f: &dyn Fn(f64) -> String) -> String {
    v.map_or_else(|| "--".to_string(), f)
}

fn standard_errors(source: Option<CovarianceSource>) -> String {
    match source {
        Some(CovarianceSource::InverseHessian) => "classical",
        Some(CovarianceSource::InversePenalizedHessian) => "penalised",
        None => "none",
    }
    .to_string()
}

fn method(l2: f64) -> String {
    if l2 > 0.0 {
        format!("penalised maximum likelihood, l2 = {l2}")
    } else {
        "maximum likelihood".to_string()
    }
}

/// The numbered notes, wrapped to the table width.
fn render_notes(s: &mut String, notes: &[String]) {
    if !notes.is_empty() {
        let _ = writeln!(s, "Notes:");
        for (i, note) in notes.iter().enumerate() {
            let first = format!("[{}] ", i + 1);
            let indent = first.len();
            s.push_str(&wrap(note, &first, indent, WIDTH));
        }
    }
}

/// One row of a multinomial equation (statsmodels `MNLogit`'s columns: no odds ratios).
fn contrast_row(s: &mut String, name_width: usize, term: &ContrastTerm) {
    let cells = [
        number(term.estimate),
        number(term.std_error),
        z_value(term.z),
        p_value(term.p_value),
        number(term.ci_low),
        number(term.ci_high),
    ];
    table_row(s, name_width, &term.name, &cells, term.flag);
}

/// The multinomial text: the header block, then one table per non-reference class headed
/// `target=class` (as statsmodels prints `y=k`), then the notes.
pub fn render_multinomial(summary: &MultinomialSummary) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Multinomial logistic regression: target {:?}, reference class {:?}, {}",
        display_name(&summary.target),
        display_name(&summary.reference_class),
        method(summary.l2)
    );
    let double = "=".repeat(WIDTH);
    let single = "-".repeat(WIDTH);
    let _ = writeln!(s, "{double}");
    let left = [
        (
            "No. observations:",
            observations(summary.n, summary.n_weighted),
        ),
        ("Classes:", summary.classes.len().to_string()),
        ("Df model:", summary.df_model.to_string()),
        ("Df residuals:", summary.df_residuals.to_string()),
        (
            "Converged:",
            if summary.converged { "True" } else { "False" }.to_string(),
        ),
        ("Iterations:", summary.iterations.to_string()),
        ("Solver:", summary.solver.clone()),
        ("Std. errors:", standard_errors(summary.standard_errors)),
        (
            "Condition no.:",
            optional(summary.condition_number, &|v| format_significant(v, 4)),
        ),
    ];
    let llr_label = format!("LLR chi2({}):", summary.llr_df);
    let right = [
        (
            "Log-likelihood:",
            optional(summary.log_likelihood, &|v| fixed(v, 3)),
        ),
        ("LL-null:", fixed(summary.null_log_likelihood, 3)),
        (
            "Pseudo R-squ. (McFadden):",
            optional(summary.pseudo_r2, &|v| fixed(v, 4)),
        ),
        (&*llr_label, optional(summary.llr, &|v| fixed(v, 3))),
        (
            "LLR p-value:",
            optional(summary.llr_p_value, &|v| format_significant(v, 4)),
        ),
        ("Deviance:", optional(summary.deviance, &|v| fixed(v, 3))),
        ("AIC:", optional(summary.aic, &|v| fixed(v, 3))),
        ("BIC:", optional(summary.bic, &|v| fixed(v, 3))),
        ("", String::new()),
    ];
    header_block(&mut s, &left, &right);
    let _ = writeln!(s, "{double}");
    let name_width = summary
        .equations
        .iter()
        .flat_map(|e| e.intercept.iter().chain(&e.coefficients))
        .map(|t| display_name(&t.name).chars().count())
        .chain(summary.equations.iter().map(|e| {
            format!(
                "{}={}",
                display_name(&summary.target),
                display_name(&e.class)
            )
            .chars()
            .count()
        }))
        .max()
        .unwrap_or(0)
        .max(11);
    for (i, equation) in summary.equations.iter().enumerate() {
        if i > 0 {
            let _ = writeln!(s, "{single}");
        }
        let title = format!(
            "{}={}",
            display_name(&summary.target),
            display_name(&equation.class)
        );
        let _ = write!(s, "{title:<name_width$}");
        for heading in ["coef", "std err", "z", "P>|z|", "[0.025", "0.975]"] {
            let _ = write!(s, " {heading:>11}");
        }
        s.push('\n');
        let _ = writeln!(s, "{single}");
        for term in equation.intercept.iter().chain(&equation.coefficients) {
            contrast_row(&mut s, name_width, term);
        }
    }
    let _ = writeln!(s, "{double}");
    render_notes(&mut s, &summary.notes);
    s
}

/// The text table: a header block of fit statistics, the coefficient table, then notes.
pub fn render_text(summary: &Summary) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Logistic regression: target {:?}, positive label {:?}, {}",
        display_name(&summary.target),
        display_name(&summary.positive_label),
        method(summary.l2)
    );
    let double = "=".repeat(WIDTH);
    let single = "-".repeat(WIDTH);
    let _ = writeln!(s, "{double}");
    let left = [
        (
            "No. observations:",
            observations(summary.n, summary.n_weighted),
        ),
        ("Df model:", summary.df_model.to_string()),
        ("Df residuals:", summary.df_residuals.to_string()),
        (
            "Converged:",
            if summary.converged { "True" } else { "False" }.to_string(),
        ),
        ("Iterations:", summary.iterations.to_string()),
        ("Solver:", summary.solver.clone()),
        ("Std. errors:", standard_errors(summary.standard_errors)),
        (
            "Condition no.:",
            optional(summary.condition_number, &|v| format_significant(v, 4)),
        ),
    ];
    let right = [
        (
            "Log-likelihood:",
            optional(summary.log_likelihood, &|v| fixed(v, 3)),
        ),
        ("LL-null:", fixed(summary.null_log_likelihood, 3)),
        (
            "Pseudo R-squ. (McFadden):",
            optional(summary.pseudo_r2, &|v| fixed(v, 4)),
        ),
        (
            &*format!("LLR chi2({}):", summary.llr_df),
            optional(summary.llr, &|v| fixed(v, 3)),
        ),
        (
            "LLR p-value:",
            optional(summary.llr_p_value, &|v| format_significant(v, 4)),
        ),
        ("Deviance:", optional(summary.deviance, &|v| fixed(v, 3))),
        ("AIC:", optional(summary.aic, &|v| fixed(v, 3))),
        ("BIC:", optional(summary.bic, &|v| fixed(v, 3))),
    ];
    header_block(&mut s, &left, &right);
    let _ = writeln!(s, "{double}");
    let terms: Vec<&Term> = summary
        .intercept
        .iter()
        .chain(&summary.coefficients)
        .collect();
    let name_width = terms
        .iter()
        .map(|t| display_name(&t.name).chars().count())
        .max()
        .unwrap_or(0)
        .max(11);
    let _ = write!(s, "{:<name_width$}", "");
    for heading in [
        "coef",
        "std err",
        "z",
        "P>|z|",
        "[0.025",
        "0.975]",
        "odds ratio",
        "[0.025",
        "0.975]",
    ] {
        let _ = write!(s, " {heading:>11}");
    }
    s.push('\n');
    let _ = writeln!(s, "{single}");
    for term in terms {
        row(&mut s, name_width, term);
    }
    let _ = writeln!(s, "{double}");
    render_notes(&mut s, &summary.notes);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_values_switch_to_scientific_below_1e_4() {
        assert_eq!(p_value(Some(0.0254)), "0.0254");
        assert_eq!(p_value(Some(2.5e-7)), "2.5e-7");
        assert_eq!(p_value(Some(0.0)), "<1e-300");
        assert_eq!(p_value(None), "--");
    }

    #[test]
    fn notes_wrap_at_the_width_with_a_hanging_indent() {
        let text = wrap("aaa bbb ccc ddd", "[1] ", 4, 12);
        assert_eq!(text, "[1] aaa bbb\n    ccc ddd\n");
    }
}
