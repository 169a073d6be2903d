//! `train --hidden ... --plot`: the RMS gradient of every layer's weights over the iterations
//! (epochs for adam) on a log scale, one line per layer, so vanishing gradients show as the
//! first layers' lines lying orders of magnitude below the last one's.

use plotters::prelude::*;

use super::multiclass::colour;
use super::{iteration_chart, legend, plot_err, svg, swatch, PlotError, FONT};
use crate::fit::network::NetworkStep;

/// The per-layer chart of `history` (`layer_rms[l]` per step); `what` names the solver in the
/// title (`lbfgs`, `adam`) and the x axis (iterations or epochs).
pub fn layer_gradients_svg(history: &[NetworkStep], solver: &str) -> Result<String, PlotError> {
    let layers = history.first().map_or(0, |s| s.layer_rms.len());
    let last = history.last().map_or(1, |s| s.iteration.max(1)) as f64;
    let positive = |v: &f64| v.is_finite() && *v > 0.0;
    let values = || {
        history
            .iter()
            .flat_map(|s| s.layer_rms.iter())
            .filter(|v| positive(v))
    };
    let lo = values().fold(f64::INFINITY, |a, &v| a.min(v));
    let hi = values().fold(0.0f64, |a, &v| a.max(v));
    let (lo, hi) = if lo.is_finite() && hi > 0.0 {
        (lo / 3.0, hi * 3.0)
    } else {
        (1e-12, 1.0)
    };
    let x_desc = if solver == "adam" {
        "Epoch"
    } else {
        "Iteration"
    };
    svg((760, 480), |root| {
        let root = root
            .titled(&format!("RMS gradient per layer ({solver})"), (FONT, 22))
            .map_err(plot_err)?;
        let mut chart = iteration_chart(
            &root,
            last,
            (lo..hi).log_scale(),
            (x_desc, "RMS gradient of the layer's weights (log scale)"),
            &|v| format!("{v:.0e}"),
        )?;
        for l in 0..layers {
            let points: Vec<(f64, f64)> = history
                .iter()
                .filter_map(|s| {
                    let v = *s.layer_rms.get(l)?;
                    positive(&v).then_some((s.iteration as f64, v))
                })
                .collect();
            let name = if l + 1 == layers {
                format!("layer {} (output)", l + 1)
            } else {
                format!("layer {}", l + 1)
            };
            let line = ShapeStyle::from(&colour(l)).stroke_width(2);
            chart
                .draw_series(LineSeries::new(points, line))
                .map_err(plot_err)?
                .label(name)
                .legend(swatch(line));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}
