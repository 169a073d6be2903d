//! Charts as SVG text: ROC, precision-recall and reliability (calibration) charts of an
//! evaluation, and the training curve of a fit.
//!
//! This module owns the drawing (with plotters' SVG backend, in memory); it leaves the numbers to
//! [`crate::evaluate::threshold`], [`crate::evaluate::calibration`] and [`crate::evaluate::metrics`], and writing the files
//! (atomically, through [`crate::data::input::Output`]) to the commands. Every chart has labelled
//! axes; the ROC, precision-recall and reliability charts span `[0, 1]` on both axes, and the ROC
//! and reliability charts draw the diagonal as a dashed reference line. Only SVG is produced:
//! PNG text would need system fonts (font-kit) or a bundled font file.
//!
//! Text is ASCII only: plotters' built-in font metrics (used without a font library) estimate
//! widths per byte.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use crate::data::input::{check_destination, Output};
use crate::error::{Error, Result};
use crate::evaluate::calibration::Calibration;
use crate::evaluate::threshold::ThresholdPoint;
use crate::fit::solvers::Iteration;

mod cv;
mod multiclass;
mod network;
mod path;

pub use cv::cv_curve_svg;
pub use network::layer_gradients_svg;
pub use path::coefficient_paths_svg;

pub use multiclass::{multiclass_calibration_svg, ovr_roc_svg, RocCurve};

/// Matplotlib's default palette, readable on white and for the common colour-vision deficiencies.
const CURVE: RGBColor = RGBColor(31, 119, 180);
const SECOND: RGBColor = RGBColor(255, 127, 14);
const MARK: RGBColor = RGBColor(214, 39, 40);
const REFERENCE: RGBColor = RGBColor(110, 110, 110);
const GRID: RGBColor = RGBColor(232, 232, 232);
const FONT: &str = "sans-serif";

/// A chart that could not be drawn (a plotters error, in words).
#[derive(Debug, Clone, PartialEq)]
pub struct PlotError(pub String);

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PlotError {}

impl PlotError {
    /// As a crate error about the chart file `path`.
    pub fn at(self, path: &str) -> Error {
        Error::io(path, "draw the chart", std::io::Error::other(self.0))
    }
}

/// Writes one SVG document to `path` atomically (temporary file, then rename); `inputs` may not
/// be overwritten.
pub fn save_svg(path: &str, text: &str, inputs: &[&str]) -> Result<()> {
    let mut out = Output::create(path, inputs)?;
    out.write_all(text.as_bytes())
        .map_err(|e| Error::io(path, "write it", e))?;
    out.commit()
}

/// A directory that receives charts (`eval --plot DIR`), checked before any work is done.
#[derive(Debug, Clone)]
pub struct ChartDir {
    dir: PathBuf,
}

/// The files `eval --plot` writes.
pub const EVAL_CHARTS: [&str; 3] = ["roc.svg", "pr.svg", "calibration.svg"];

impl ChartDir {
    /// Checks that `dir` is a directory or does not exist yet, and that none of the chart files
    /// in it is one of `inputs`.
    pub fn check(dir: &str, inputs: &[&str]) -> Result<ChartDir> {
        if dir.is_empty() {
            // An empty path would join to bare file names and write into the working directory.
            return Err(Error::Usage(
                "--plot needs a directory name, found an empty string".into(),
            ));
        }
        if dir == "-" {
            return Err(Error::Usage(
                "--plot needs a directory for roc.svg, pr.svg and calibration.svg, not \"-\""
                    .into(),
            ));
        }
        let path = Path::new(dir);
        if path.exists() && !path.is_dir() {
            return Err(Error::Usage(format!(
                "--plot {dir:?} is a file; expected a directory (it receives {})",
                EVAL_CHARTS.join(", ")
            )));
        }
        if path.is_dir() {
            for name in EVAL_CHARTS {
                check_destination(&path.join(name).to_string_lossy(), inputs)?;
            }
        }
        Ok(ChartDir {
            dir: path.to_path_buf(),
        })
    }

    /// Writes `charts` (file name, drawn document) into the directory, creating it if needed.
    /// Nothing is written unless every chart was drawn; the files go to temporary files first
    /// and are renamed into place only once all are complete. A directory created here is
    /// removed again if writing fails.
    pub fn write(&self, charts: &[(&str, std::result::Result<String, PlotError>)]) -> Result<()> {
        let mut drawn = Vec::with_capacity(charts.len());
        for (name, chart) in charts {
            let path = self.dir.join(name).to_string_lossy().into_owned();
            match chart {
                Ok(text) => drawn.push((path, text)),
                Err(e) => return Err(e.clone().at(&path)),
            }
        }
        let created = !self.dir.exists();
        if created {
            std::fs::create_dir_all(&self.dir)
                .map_err(|e| Error::io(&self.dir.to_string_lossy(), "create the directory", e))?;
        }
        let result = (|| {
            let mut outputs = Vec::with_capacity(drawn.len());
            for (path, text) in &drawn {
                let mut out = Output::create(path, &[])?;
                out.write_all(text.as_bytes())
                    .map_err(|e| Error::io(path, "write it", e))?;
                outputs.push(out);
            }
            outputs.into_iter().try_for_each(Output::commit)
        })();
        if result.is_err() && created {
            let _ = std::fs::remove_dir(&self.dir);
        }
        result
    }
}

fn plot_err<E: fmt::Display>(e: E) -> PlotError {
    PlotError(e.to_string())
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Draws on an SVG canvas of `size` pixels and returns the document.
fn svg(
    size: (u32, u32),
    draw: impl FnOnce(&Area) -> Result<(), PlotError>,
) -> Result<String, PlotError> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        draw(&root)?;
        root.present().map_err(plot_err)?;
    }
    text.push('\n');
    Ok(text)
}

/// A legend swatch: a short line in `style`.
fn swatch(style: ShapeStyle) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], style)
}

/// A legend swatch for a dashed reference line.
fn dashed_swatch(
    style: ShapeStyle,
) -> impl Fn((i32, i32)) -> DashedPathElement<std::vec::IntoIter<(i32, i32)>, i32> {
    move |(x, y)| DashedPathElement::new(vec![(x, y), (x + 22, y)], 5, 3, style)
}

/// A `[0, 1] x [0, 1]` chart with a light grid, labelled axes and ticks every 0.1.
/// The dashed reference diagonal y = x of the ROC and calibration charts, with its legend entry.
fn draw_diagonal(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    label: &str,
) -> Result<(), PlotError> {
    let diagonal = ShapeStyle::from(&REFERENCE).stroke_width(1);
    chart
        .draw_series(DashedLineSeries::new(
            vec![(0.0, 0.0), (1.0, 1.0)],
            6,
            5,
            diagonal,
        ))
        .map_err(plot_err)?
        .label(label)
        .legend(dashed_swatch(diagonal));
    Ok(())
}

fn unit_chart<'a, 'b>(
    area: &'b Area<'a>,
    title: &str,
    x_desc: &str,
    y_desc: &str,
) -> Result<ChartContext<'b, SVGBackend<'a>, Cartesian2d<RangedCoordf64, RangedCoordf64>>, PlotError>
{
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 22))
        .margin(18)
        .x_label_area_size(48)
        .y_label_area_size(58)
        .build_cartesian_2d(0f64..1f64, 0f64..1f64)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_labels(11)
        .y_labels(11)
        .x_label_formatter(&|v| format!("{v:.1}"))
        .y_label_formatter(&|v| format!("{v:.1}"))
        .axis_desc_style((FONT, 16))
        .label_style((FONT, 13))
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .draw()
        .map_err(plot_err)?;
    Ok(chart)
}

/// `"0.852"` or `"undefined"`.
fn three(v: Option<f64>) -> String {
    v.map_or_else(|| "undefined".to_string(), |v| format!("{v:.3}"))
}

/// The ROC curve through every cut point (`cuts` in the descending order of
/// [`crate::evaluate::threshold::Sweep::cut_points`]), the AUC in the legend, the chance diagonal, and the
/// operating point at the model's threshold.
pub fn roc_svg(
    cuts: &[ThresholdPoint],
    auc: Option<f64>,
    operating: &ThresholdPoint,
) -> Result<String, PlotError> {
    let mut points = vec![(0.0, 0.0)];
    points.extend(cuts.iter().map(|p| (p.fpr(), p.tpr())));
    svg((640, 620), |root| {
        let mut chart = unit_chart(
            root,
            "ROC curve",
            "False positive rate (1 - specificity)",
            "True positive rate (recall)",
        )?;
        draw_diagonal(&mut chart, "chance (AUC = 0.5)")?;
        let line = ShapeStyle::from(&CURVE).stroke_width(2);
        chart
            .draw_series(LineSeries::new(points, line))
            .map_err(plot_err)?
            .label(format!("ROC (AUC = {})", three(auc)))
            .legend(swatch(line));
        let (x, y) = (operating.fpr(), operating.tpr());
        chart
            .draw_series(std::iter::once(Circle::new((x, y), 6, MARK.filled())))
            .map_err(plot_err)?
            .label(format!(
                "threshold {}: FPR {x:.3}, TPR {y:.3}",
                operating.threshold
            ))
            .legend(|(x, y)| Circle::new((x + 11, y), 5, MARK.filled()));
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// The precision-recall curve as the step function whose area is the average precision (each
/// cut point's precision held from the previous recall to its own), the AP in the legend, the
/// no-skill line at the base rate, and the operating point at the model's threshold (when
/// precision is defined there).
pub fn pr_svg(
    cuts: &[ThresholdPoint],
    average_precision: Option<f64>,
    base_rate: Option<f64>,
    operating: &ThresholdPoint,
) -> Result<String, PlotError> {
    let mut points = Vec::with_capacity(2 * cuts.len());
    let mut previous_recall = 0.0;
    for p in cuts {
        let precision = p.precision.unwrap_or(0.0);
        points.push((previous_recall, precision));
        points.push((p.tpr(), precision));
        previous_recall = p.tpr();
    }
    svg((640, 620), |root| {
        let mut chart = unit_chart(
            root,
            "Precision-recall curve",
            "Recall (true positive rate)",
            "Precision",
        )?;
        if let Some(rate) = base_rate {
            let style = ShapeStyle::from(&REFERENCE).stroke_width(1);
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(0.0, rate), (1.0, rate)],
                    6,
                    5,
                    style,
                ))
                .map_err(plot_err)?
                .label(format!("no skill (base rate {rate:.3})"))
                .legend(dashed_swatch(style));
        }
        let line = ShapeStyle::from(&CURVE).stroke_width(2);
        chart
            .draw_series(LineSeries::new(points, line))
            .map_err(plot_err)?
            .label(format!("PR (AP = {})", three(average_precision)))
            .legend(swatch(line));
        if let (Some(precision), Some(recall)) = (operating.precision, operating.recall) {
            chart
                .draw_series(std::iter::once(Circle::new(
                    (recall, precision),
                    6,
                    MARK.filled(),
                )))
                .map_err(plot_err)?
                .label(format!(
                    "threshold {}: recall {recall:.3}, precision {precision:.3}",
                    operating.threshold
                ))
                .legend(|(x, y)| Circle::new((x + 11, y), 5, MARK.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::LowerLeft)
    })
}

/// The reliability diagram (observed positive rate against mean predicted probability per bin,
/// the ECE in the legend, the diagonal of perfect calibration, the threshold as a vertical line)
/// above a histogram of the number of rows per bin.
pub fn calibration_svg(cal: &Calibration, threshold: f64) -> Result<String, PlotError> {
    reliability_svg(
        cal,
        Some(threshold),
        "Calibration (reliability diagram)",
        "Mean predicted probability",
        "Observed positive rate",
    )
}

/// The reliability diagram with its labels, and the threshold line when given.
fn reliability_svg(
    cal: &Calibration,
    threshold: Option<f64>,
    title: &str,
    x_desc: &str,
    y_desc: &str,
) -> Result<String, PlotError> {
    let points: Vec<(f64, f64)> = cal
        .bins
        .iter()
        .filter_map(|b| Some((b.mean_predicted?, b.observed_rate?)))
        .collect();
    svg((640, 780), |root| {
        let (top, bottom) = root.split_vertically(600);
        let mut chart = unit_chart(&top, title, x_desc, y_desc)?;
        draw_diagonal(&mut chart, "perfectly calibrated")?;
        if let Some(threshold) = threshold {
            let mark = ShapeStyle::from(&MARK).stroke_width(1);
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(threshold, 0.0), (threshold, 1.0)],
                    3,
                    4,
                    mark,
                ))
                .map_err(plot_err)?
                .label(format!("threshold {threshold}"))
                .legend(dashed_swatch(mark));
        }
        let line = ShapeStyle::from(&CURVE).stroke_width(2);
        chart
            .draw_series(LineSeries::new(points.clone(), line))
            .map_err(plot_err)?
            .label(format!(
                "model (ECE = {}, {} bins)",
                three(cal.ece),
                cal.bins.len()
            ))
            .legend(swatch(line));
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 4, CURVE.filled())))
            .map_err(plot_err)?;
        legend(&mut chart, SeriesLabelPosition::UpperLeft)?;

        let max_count = cal.bins.iter().map(|b| b.count).max().unwrap_or(0).max(1) as f64;
        let mut hist = ChartBuilder::on(&bottom)
            .margin_left(18)
            .margin_right(18)
            .margin_bottom(8)
            .x_label_area_size(40)
            .y_label_area_size(58)
            .build_cartesian_2d(0f64..1f64, 0f64..max_count * 1.1)
            .map_err(plot_err)?;
        hist.configure_mesh()
            .x_desc("Predicted probability (bin)")
            .y_desc("Rows")
            .x_labels(11)
            .y_labels(4)
            .x_label_formatter(&|v| format!("{v:.1}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .axis_desc_style((FONT, 14))
            .label_style((FONT, 12))
            .light_line_style(WHITE)
            .bold_line_style(GRID)
            .draw()
            .map_err(plot_err)?;
        let bars = || cal.bins.iter().filter(|b| b.count > 0);
        hist.draw_series(bars().map(|b| {
            Rectangle::new(
                [(b.lower, 0.0), (b.upper, b.count as f64)],
                CURVE.mix(0.55).filled(),
            )
        }))
        .map_err(plot_err)?;
        hist.draw_series(bars().map(|b| {
            Rectangle::new(
                [(b.lower, 0.0), (b.upper, b.count as f64)],
                WHITE.stroke_width(1),
            )
        }))
        .map_err(plot_err)?;
        Ok(())
    })
}

/// The training curve: the objective (top) and the gradient's infinity norm on a log scale with
/// the tolerance (bottom), against the iteration.
pub fn training_svg(history: &[Iteration], tol: f64, solver: &str) -> Result<String, PlotError> {
    let last = history.last().map_or(1, |it| it.iteration.max(1)) as f64;
    let objectives: Vec<(f64, f64)> = history
        .iter()
        .map(|it| (it.iteration as f64, it.objective))
        .collect();
    let (mut lo, mut hi) = objectives
        .iter()
        .filter(|p| p.1.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.1), hi.max(p.1))
        });
    if !(lo.is_finite() && hi.is_finite()) {
        (lo, hi) = (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(hi.abs().max(1e-12) * 1e-9);
    let (lo, hi) = (lo - pad, hi + pad);
    // The log axis needs positive values: a zero gradient is drawn at the bottom of the axis.
    let positive = |v: f64| v.is_finite() && v > 0.0;
    let g_min = history
        .iter()
        .map(|it| it.gradient_norm)
        .filter(|&v| positive(v))
        .fold(tol, f64::min);
    let g_max = history
        .iter()
        .map(|it| it.gradient_norm)
        .filter(|&v| positive(v))
        .fold(tol, f64::max);
    let (g_lo, g_hi) = (g_min / 4.0, g_max * 4.0);
    let gradients: Vec<(f64, f64)> = history
        .iter()
        .map(|it| {
            (
                it.iteration as f64,
                if positive(it.gradient_norm) {
                    it.gradient_norm
                } else {
                    g_lo
                },
            )
        })
        .collect();

    svg((760, 720), |root| {
        let root = root
            .titled(&format!("Training curve ({solver})"), (FONT, 22))
            .map_err(plot_err)?;
        let (top, bottom) = root.split_vertically(330);
        let mut chart = iteration_chart(
            &top,
            last,
            lo..hi,
            ("Iteration", "Objective (penalised mean log loss)"),
            &|v| format!("{v:.4}"),
        )?;
        let line = ShapeStyle::from(&CURVE).stroke_width(2);
        chart
            .draw_series(LineSeries::new(objectives.clone(), line))
            .map_err(plot_err)?
            .label(format!(
                "objective (final {:.6})",
                history.last().map_or(f64::NAN, |it| it.objective)
            ))
            .legend(swatch(line));
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;

        let mut chart = iteration_chart(
            &bottom,
            last,
            (g_lo..g_hi).log_scale(),
            ("Iteration", "Gradient max-norm (log scale)"),
            &|v| format!("{v:.0e}"),
        )?;
        let line = ShapeStyle::from(&SECOND).stroke_width(2);
        chart
            .draw_series(LineSeries::new(gradients.clone(), line))
            .map_err(plot_err)?
            .label("gradient max-norm")
            .legend(swatch(line));
        let style = ShapeStyle::from(&REFERENCE).stroke_width(1);
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, tol), (last, tol)],
                6,
                5,
                style,
            ))
            .map_err(plot_err)?
            .label(format!("tolerance {tol:e}"))
            .legend(dashed_swatch(style));
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// A chart of a quantity against the iteration (or epoch) `0..=last`: the layout, mesh and
/// fonts every training chart shares. `descriptions` are the x and y axis descriptions;
/// `y_label` formats the y ticks (the x ticks are whole numbers).
fn iteration_chart<'a, 'b, Y>(
    area: &'b Area<'a>,
    last: f64,
    y: Y,
    descriptions: (&str, &str),
    y_label: &dyn Fn(&f64) -> String,
) -> Result<
    ChartContext<'b, SVGBackend<'a>, Cartesian2d<RangedCoordf64, Y::CoordDescType>>,
    PlotError,
>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .margin(18)
        .x_label_area_size(40)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..last, y)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc(descriptions.0)
        .y_desc(descriptions.1)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(y_label)
        .axis_desc_style((FONT, 15))
        .label_style((FONT, 12))
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .draw()
        .map_err(plot_err)?;
    Ok(chart)
}

fn legend<'a, 'b: 'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
) -> Result<(), PlotError> {
    chart
        .configure_series_labels()
        .position(position)
        .margin(12)
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.9))
        .border_style(REFERENCE)
        .draw()
        .map_err(plot_err)
}

#[cfg(test)]
mod tests;
