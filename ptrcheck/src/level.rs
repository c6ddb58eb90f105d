//! Check levels: Go's `GODEBUG=cgocheck` and `GOEXPERIMENT=cgocheck2` as one knob.

use core::fmt;
use std::sync::OnceLock;

/// Name of the environment variable read (once per process) for the default
/// level: `0`, `1` or `2`.
pub const ENV_VAR: &str = "CGO_RS_PTRCHECK";

/// How much the checker checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Level {
    /// No checks (Go's `cgocheck=0`).
    Off = 0,
    /// Arguments passed to C and results returned to C are checked (Go's
    /// default, `cgocheck=1`).
    Calls = 1,
    /// Also every checked store and bulk copy into non-managed memory (Go's
    /// `GOEXPERIMENT=cgocheck2` write checks).
    Writes = 2,
}

/// A level string that is not `0`, `1` or `2`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseLevelError {
    /// The rejected text.
    pub text: String,
}

impl fmt::Display for ParseLevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ptrcheck: {:?} is not a check level; use 0 (off), 1 (arguments and results, the default) or 2 (also stores into C memory)",
            self.text
        )
    }
}

impl std::error::Error for ParseLevelError {}

impl Level {
    /// Parses `0`, `1` or `2` (surrounding whitespace allowed).
    pub fn parse(text: &str) -> Result<Level, ParseLevelError> {
        match text.trim() {
            "0" => Ok(Level::Off),
            "1" => Ok(Level::Calls),
            "2" => Ok(Level::Writes),
            _ => Err(ParseLevelError {
                text: text.to_string(),
            }),
        }
    }

    pub(crate) fn from_u8(v: u8) -> Level {
        match v {
            0 => Level::Off,
            1 => Level::Calls,
            _ => Level::Writes,
        }
    }

    /// The level named by [`ENV_VAR`], read and parsed once per process;
    /// [`Level::Calls`] when the variable is unset.
    ///
    /// # Panics
    ///
    /// If the variable is set to anything but `0`, `1` or `2` (with a message
    /// saying so): a mistyped level must not silently turn checks off.
    ///
    /// # References
    ///
    /// Go: `runtime/runtime1.go` `parsedebugvars` (the `cgocheck` setting).
    pub fn from_env() -> Level {
        static ENV: OnceLock<Result<Level, ParseLevelError>> = OnceLock::new();
        let parsed = ENV.get_or_init(|| match std::env::var(ENV_VAR) {
            Ok(text) => Level::parse(&text),
            Err(std::env::VarError::NotPresent) => Ok(Level::Calls),
            Err(std::env::VarError::NotUnicode(raw)) => Err(ParseLevelError {
                text: raw.to_string_lossy().into_owned(),
            }),
        });
        match parsed {
            Ok(level) => *level,
            Err(e) => panic!("{e} (read from the environment variable {ENV_VAR})"),
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Off => "0 (off)",
            Level::Calls => "1 (arguments and results)",
            Level::Writes => "2 (arguments, results and writes)",
        })
    }
}
