//! Every suite, in the order `cargo xtask test` runs them.

use crate::harness::Suite;

mod core;
mod examples;

pub static ALL: &[Suite] = &[
    core::CORE_EPOLL,
    core::CORE_POLL,
    core::FEATURE_MATRIX,
    core::LINT,
    examples::EXAMPLES,
];
