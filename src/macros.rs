//! The feature-gating vocabulary of the crate: every public item that depends
//! on a cargo feature is wrapped in one of these macros, so the rest of the
//! code reads without `#[cfg]` noise and the docs show the required feature.

/// Items that need the `os-poll` feature (a real selector).
macro_rules! cfg_os_poll {
    ($($item:item)*) => {
        $(
            #[cfg(feature = "os-poll")]
            #[cfg_attr(docsrs, doc(cfg(feature = "os-poll")))]
            $item
        )*
    }
}

/// Items that need the `net` feature.
macro_rules! cfg_net {
    ($($item:item)*) => {
        $(
            #[cfg(feature = "net")]
            #[cfg_attr(docsrs, doc(cfg(feature = "net")))]
            $item
        )*
    }
}

/// Items needed by either `net` or `os-ext` (both build on `IoSource`).
macro_rules! cfg_io_source {
    ($($item:item)*) => {
        $(
            #[cfg(any(feature = "net", all(unix, feature = "os-ext")))]
            $item
        )*
    }
}



/// Conversions between the crate's sockets and std's (`from_std`).
///
/// Absent on the wasm32-wasip2 backend: there a std socket is a wasi-libc
/// file descriptor whose `wasi:sockets` handles live in wasi-libc's private
/// descriptor table, whose layout changes between wasi-sdk releases, and the
/// crate's sockets hold `wasi:sockets` handles with no descriptor at all.
/// Converting would mean reading (or writing) that private table for one
/// exact toolchain, so the conversion is not offered rather than offered
/// half-working. This is the one place that condition is written.
#[allow(unused_macros)] // used by `net` only
macro_rules! cfg_std_interop {
    ($($item:item)*) => {
        $(
            #[cfg(not(all(target_os = "wasi", target_env = "p2", feature = "os-poll")))]
            #[cfg_attr(docsrs, doc(cfg(not(all(target_os = "wasi", target_env = "p2")))))]
            $item
        )*
    }
}

/// Logging that compiles to nothing without the `log` feature.
macro_rules! trace {
    ($($t:tt)*) => { log!(trace, $($t)*) }
}

macro_rules! log {
    ($level:ident, $($t:tt)*) => {
        #[cfg(feature = "log")]
        { log::$level!($($t)*) }
        // Keep the arguments "used" when logging is off, so no warnings
        // depend on the feature set.
        #[cfg(not(feature = "log"))]
        { if false { let _ = format_args!($($t)*); } }
    }
}
