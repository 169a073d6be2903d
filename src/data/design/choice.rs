//! `--design auto|dense|sparse`: which storage the readers build the design matrix in.

/// The user's choice of design storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DesignChoice {
    /// Sparse when the matrix is mostly zeros and large enough for it to matter.
    #[default]
    Auto,
    Dense,
    Sparse,
}

/// Below this many cells a dense matrix costs nothing worth saving (8 MB), so `auto` keeps it.
pub const AUTO_MIN_CELLS: f64 = 1_000_000.0;

/// `auto` goes sparse below this density: a CSR entry (8-byte value, 4-byte index) costs 1.5
/// dense cells, and the sparse kernels gather, so the saving must be large.
pub const AUTO_MAX_DENSITY: f64 = 0.25;

impl DesignChoice {
    pub fn name(self) -> &'static str {
        match self {
            DesignChoice::Auto => "auto",
            DesignChoice::Dense => "dense",
            DesignChoice::Sparse => "sparse",
        }
    }

    /// Whether an `n_rows x n_cols` design with `nnz` non-zero cells is stored sparse.
    pub fn resolve(self, n_rows: usize, n_cols: usize, nnz: usize) -> bool {
        match self {
            DesignChoice::Dense => false,
            DesignChoice::Sparse => true,
            DesignChoice::Auto => {
                let cells = n_rows as f64 * n_cols as f64;
                cells >= AUTO_MIN_CELLS && (nnz as f64) < AUTO_MAX_DENSITY * cells
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_goes_sparse_only_for_large_mostly_zero_matrices() {
        assert!(DesignChoice::Auto.resolve(60_000, 50_000, 60_000));
        assert!(!DesignChoice::Auto.resolve(60_000, 50_000, 1_000_000_000));
        assert!(!DesignChoice::Auto.resolve(100, 100, 10));
        assert!(DesignChoice::Sparse.resolve(100, 100, 10_000));
        assert!(!DesignChoice::Dense.resolve(60_000, 50_000, 60_000));
    }
}
