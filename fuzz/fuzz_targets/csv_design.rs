//! CSV bytes -> design matrix (`logit::data::encode::read_training_from`), then the row scorer
//! over the same records. The body and its invariants are in `logit_fuzz::csv_design`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = logit_fuzz::csv_design(data);
});
