//! Every suite, in the order `cargo xtask test` runs them.

use crate::harness::Suite;

mod core;
mod http;
mod tokio;
mod tokio_echo;

pub static ALL: &[Suite] = &[
    core::CORE_EPOLL,
    core::CORE_POLL,
    core::FEATURE_MATRIX,
    core::LINT,
    tokio::TOKIO,
    http::HTTP,
];
