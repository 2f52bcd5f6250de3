//! Every suite, in the order `cargo xtask test` runs them.

use crate::harness::Suite;

mod core;
mod wasip1;

pub static ALL: &[Suite] = &[
    core::CORE_EPOLL,
    core::CORE_POLL,
    core::FEATURE_MATRIX,
    core::LINT,
    wasip1::WASIP1,
];
