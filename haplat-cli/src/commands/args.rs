//! The arguments several commands share: where the assembly comes from and how to reach AWS,
//! each turned into the options of [`crate::ops`].

use std::path::PathBuf;

use clap::Args;

use crate::ops::{AssemblySource, AwsAccess};

/// Text for people or JSON for tools (`list`, `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum OutputFormat {
    /// Text.
    #[default]
    Text,
    /// JSON.
    Json,
}

/// Where the assembly comes from.
#[derive(Debug, Clone, Args, Default)]
pub struct AssemblyArgs {
    /// The app command (default: `app` in haplat.toml). When there is one, commands synthesize
    /// first.
    #[arg(long, value_name = "CMD")]
    pub app: Option<String>,
    /// The assembly directory (default: haplat.out at the project root).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The environment name passed to the app (HAPLAT_ENV).
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// Context for the app, `key=value` (repeatable; HAPLAT_CONTEXT).
    #[arg(long = "context", short = 'c', value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub context: Vec<(String, String)>,
    /// Use the assembly already in the directory; do not run the app.
    #[arg(long)]
    pub no_synth: bool,
}

/// How to reach AWS.
#[derive(Debug, Clone, Args, Default)]
pub struct AwsArgs {
    /// The AWS profile (default: the standard chain: AWS_PROFILE, environment, SSO…).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// The administration region, where the stack sets live (default: AWS_REGION or the
    /// profile's).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// `CallAs` on every StackSets call: `DELEGATED_ADMIN` from an account registered as
    /// delegated administrator for service-managed stack sets, `SELF` from the organization's
    /// management account (default: not sent; self-managed stack sets).
    #[arg(long, value_name = "SELF|DELEGATED_ADMIN", value_parser = haplat_core::manifest::CallAs::parse)]
    pub call_as: Option<haplat_core::manifest::CallAs>,
}

fn parse_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("expected key=value, got {s:?}")),
    }
}

impl AssemblyArgs {
    /// As options.
    pub fn source(&self) -> AssemblySource {
        AssemblySource {
            app: self.app.clone(),
            out: self.out.clone(),
            env: self.env.clone(),
            context: self.context.clone(),
            no_synth: self.no_synth,
        }
    }
}

impl AwsArgs {
    /// As options.
    pub fn access(&self) -> AwsAccess {
        AwsAccess { profile: self.profile.clone(), region: self.region.clone(), call_as: self.call_as }
    }
}

/// A duration on the command line: `90s`, `10m`, `1h` (a bare number is seconds), above zero.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let (n, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: u64 = n.parse().map_err(|_| format!("{s:?}: expected a duration such as 90s, 10m or 1h"))?;
    let secs = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => return Err(format!("{s:?}: the unit must be s, m or h")),
    };
    if secs == 0 {
        return Err(format!("{s:?}: must be more than zero"));
    }
    Ok(std::time::Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_have_a_unit_and_are_positive() {
        assert_eq!(parse_duration("90"), Ok(std::time::Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Ok(std::time::Duration::from_secs(1800)));
        assert_eq!(parse_duration("1h"), Ok(std::time::Duration::from_secs(3600)));
        assert!(parse_duration("0m").unwrap_err().contains("more than zero"));
        assert!(parse_duration("5d").unwrap_err().contains("unit must be"));
        assert!(parse_duration("soon").unwrap_err().contains("expected a duration"));
    }
}
