//! Which compiled copy of the vectorisable loops runs, and the macro that compiles a loop once
//! per copy. Lives in `data/` because the design matrices' block operations are compiled per
//! kernel too, and `data/` may not import `fit/` (which re-exports everything here from
//! `fit::numerics`).

/// Which compiled copy of the slice loops runs. The loops use only `+ - * /`, selects and bit
/// casts (never `mul_add`, and Rust never contracts `a * b + c` on its own), and their sums have
/// a fixed association, so the copies compiled for wider vectors give bit-identical results,
/// only faster. `Scalar` is the x86-64 baseline build (SSE2), the reference.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    Scalar,
    Avx2,
    Avx512,
}

impl Kernel {
    /// Every kernel, whether or not this CPU has it.
    pub const ALL: [Kernel; 3] = [Kernel::Scalar, Kernel::Avx2, Kernel::Avx512];

    /// The name used by `LOGIT_KERNEL` (`scalar`, `avx2`, `avx512`).
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Scalar => "scalar",
            Kernel::Avx2 => "avx2",
            Kernel::Avx512 => "avx512",
        }
    }

    /// Whether this CPU can run the kernel.
    pub fn supported(self) -> bool {
        match self {
            Kernel::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => is_x86_feature_detected!("avx512f"),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The widest kernel this CPU supports.
    pub fn best() -> Kernel {
        *Kernel::ALL
            .iter()
            .rev()
            .find(|k| k.supported())
            .unwrap_or(&Kernel::Scalar)
    }

    /// The kernel used by default: `LOGIT_KERNEL` when set to a supported kernel (a test and
    /// benchmarking knob, read once), otherwise [`Kernel::best`].
    pub fn active() -> Kernel {
        static ACTIVE: std::sync::OnceLock<Kernel> = std::sync::OnceLock::new();
        *ACTIVE.get_or_init(|| {
            let Some(wanted) = std::env::var_os("LOGIT_KERNEL") else {
                return Kernel::best();
            };
            let found = Kernel::ALL
                .into_iter()
                .find(|k| std::ffi::OsStr::new(k.name()) == wanted);
            match found {
                Some(k) if k.supported() => k,
                _ => {
                    let best = Kernel::best();
                    knob_note(&format!(
                        "LOGIT_KERNEL={} is not a kernel this CPU runs (scalar, avx2, avx512); using {}",
                        wanted.to_string_lossy(),
                        best.name()
                    ));
                    best
                }
            }
        })
    }

    /// `self`, after checking that the CPU runs it (the wide copies are unsafe otherwise).
    ///
    /// # Panics
    /// If the CPU lacks the kernel's features.
    #[inline]
    pub fn checked(self) -> Kernel {
        assert!(
            self.supported(),
            "the {} kernel needs CPU features this machine lacks",
            self.name()
        );
        self
    }
}

/// One line on stderr about a test knob that was set but cannot be used (never fails).
#[doc(hidden)]
pub fn knob_note(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "logit: note: {message}");
}

/// Defines `fn $name(kernel, args..)` that runs `$body(args..)` compiled for the chosen
/// [`Kernel`]: the same source in every copy, so the same operations in the same order.
macro_rules! kernel_copies {
    ($vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? = $body:ident) => {
        #[allow(clippy::too_many_arguments)]
        $vis fn $name(kernel: $crate::data::design::kernel::Kernel, $($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx512($($arg: $ty),*) $(-> $ret)? {
                    $body($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx2($($arg: $ty),*) $(-> $ret)? {
                    $body($($arg),*)
                }
                match kernel.checked() {
                    // SAFETY: `checked` has confirmed that the CPU supports AVX-512F.
                    $crate::data::design::kernel::Kernel::Avx512 => return unsafe { avx512($($arg),*) },
                    // SAFETY: `checked` has confirmed that the CPU supports AVX2 and FMA.
                    $crate::data::design::kernel::Kernel::Avx2 => return unsafe { avx2($($arg),*) },
                    $crate::data::design::kernel::Kernel::Scalar => {}
                }
            }
            #[cfg(not(target_arch = "x86_64"))]
            let _ = kernel;
            $body($($arg),*)
        }
    };
}
pub(crate) use kernel_copies;
