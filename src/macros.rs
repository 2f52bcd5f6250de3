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
