//! The fast training reader (`logit::data::fast::read_training_fast`) against the csv path on
//! the same bytes (written to a temporary file). The body is `logit_fuzz::csv_fast`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = logit_fuzz::csv_fast(data);
});
