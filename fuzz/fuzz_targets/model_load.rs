//! Model file bytes -> `logit::model::Model::from_slice`, with a JSON round trip on success.
//! The body and its invariants are in `logit_fuzz::model_load`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = logit_fuzz::model_load(data);
});
