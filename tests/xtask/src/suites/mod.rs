//! Every suite, in the order `cargo xtask test` runs them.

use crate::harness::Suite;

mod core;
mod wasip2;
mod wasip3;

pub static ALL: &[Suite] = &[
    core::CORE_EPOLL,
    core::CORE_POLL,
    core::FEATURE_MATRIX,
    core::LINT,
    wasip2::WASIP2,
    wasip3::WASIP3,
];
