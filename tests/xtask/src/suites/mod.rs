//! Every suite, in the order `cargo xtask test` runs them.

use crate::harness::Suite;

mod core;
mod examples;
mod http;
mod kqueue;
mod package;
mod regen;
mod tokio;
mod tokio_echo;
mod wasip1;
mod wasip2;
mod wasip3;
mod windows;

pub static ALL: &[Suite] = &[
    core::CORE_EPOLL,
    core::CORE_POLL,
    core::FEATURE_MATRIX,
    core::LINT,
    examples::EXAMPLES,
    regen::REGEN_CHECK,
    kqueue::KQUEUE_TARGETS,
    windows::WINDOWS_WINE,
    wasip2::WASIP2,
    wasip3::WASIP3,
    wasip1::WASIP1,
    tokio::TOKIO,
    http::HTTP,
    package::PACKAGE,
];
