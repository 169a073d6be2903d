//! The report line of `train`, `path` and `cv` saying which design matrix the fit runs on,
//! dense or sparse (CSR), and why: what `--design` asked, or what `--design auto` saw.

use crate::data::design::{DesignChoice, Matrix};

/// `design: sparse (CSR), 60000 rows x 50001 columns, 110000 stored entries (density 3.7e-5):
/// --design auto chose it ...`, one line with its newline.
pub fn note(choice: DesignChoice, x: &Matrix) -> String {
    let (n, p, nnz) = (x.n_rows(), x.n_cols(), x.nnz());
    if let Matrix::Cached(c) = x {
        let kept = if c.is_kept() {
            "kept (--keep-cache)"
        } else {
            "removed after the fit"
        };
        return format!(
            "design: out-of-core row cache {} ({}, blocks of {} rows; {kept}), {n} rows x {p} \
             columns (density {}): the dense matrix ({}) would not fit --max-memory\n",
            c.path().display(),
            super::ooc::shown_size(c.data_bytes()),
            c.block_rows(),
            shown_density(x.density_of(nnz)),
            super::ooc::shown_size(n as u64 * p as u64 * 8),
        );
    }
    let cells = n as f64 * p as f64;
    let density = shown_density(x.density_of(nnz));
    let what = if x.is_sparse() {
        format!("sparse (CSR), {n} rows x {p} columns, {nnz} stored entries (density {density})")
    } else {
        format!("dense, {n} rows x {p} columns (density {density})")
    };
    let auto_sparse = DesignChoice::Auto.resolve(n, p, nnz);
    let why = match choice {
        DesignChoice::Dense => "as --design dense asks".to_string(),
        DesignChoice::Sparse => "as --design sparse asks".to_string(),
        DesignChoice::Auto if x.is_sparse() && !auto_sparse => {
            "--design auto keeps the sparse rows this input format is read into".to_string()
        }
        DesignChoice::Auto if x.is_sparse() => format!(
            "--design auto chose it: density below {AUTO_DENSITY} over {cells:.2e} cells (the \
             dense matrix would take {:.1} GiB)",
            cells * 8.0 / f64::from(1u32 << 30)
        ),
        DesignChoice::Auto if cells < AUTO_MIN_CELLS => format!(
            "--design auto chose it: {cells} cells, fewer than the {AUTO_MIN_CELLS} from which a \
             sparse design is considered"
        ),
        DesignChoice::Auto => {
            format!("--design auto chose it: density {density} is not below {AUTO_DENSITY}")
        }
    };
    format!("design: {what}; {why}\n")
}

/// `--design auto`'s rule, as [`DesignChoice::resolve`] applies it (data/design/choice.rs's
/// constants, private there; repeated for the words only).
const AUTO_DENSITY: f64 = 0.25;
const AUTO_MIN_CELLS: f64 = 1_000_000.0;

/// A density in three significant digits: `0.818`, `3.33e-5`.
fn shown_density(density: f64) -> String {
    if density >= 1e-3 {
        format!("{density:.3}")
    } else {
        format!("{density:.2e}")
    }
}
