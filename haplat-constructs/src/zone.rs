//! [`HostedZone`]: the crate's one Route 53 hosted zone type, new or existing, for whatever
//! writes records or validates certificates in it.
//!
//! ```
//! use haplat_core::App;
//! use haplat_constructs::zone::HostedZone;
//!
//! let existing = HostedZone::existing("Z0123456789ABCDEFGHIJ", "Example.com.");
//! assert_eq!(existing.name, "example.com");
//! assert!(existing.zone.is_none());
//!
//! let app = App::new("demo");
//! let edge = app.stack("Edge", "us-east-1");
//! let created = HostedZone::new(&edge, "Zone", "example.com");
//! let t = app.synth().unwrap().template("demo-Edge").unwrap();
//! assert_eq!(t["Resources"]["Zone"]["Properties"]["Name"], "example.com.");
//! assert!(created.zone.is_some());
//! ```

use haplat_core::resources::route53::hosted_zone::{self, HostedZoneConfig};
use haplat_core::value::Value;
use haplat_core::{Handle, Scope};

/// A Route 53 hosted zone: its id and domain name, and the zone resource when haplat made it.
#[derive(Clone, Debug, PartialEq)]
pub struct HostedZone {
    /// The zone id (`Z0123…`, or a `Ref` of the zone haplat made).
    pub id: Value<String>,
    /// The domain (`example.com`: lowercase, no trailing dot).
    pub name: String,
    /// The zone resource when haplat created it; `None` for [`HostedZone::existing`].
    pub zone: Option<Handle<hosted_zone::HostedZone>>,
}

impl HostedZone {
    /// A new public hosted zone at `scope/id` for `domain`. Its name servers must be delegated
    /// to from the parent domain.
    pub fn new(scope: &Scope, id: &str, domain: &str) -> HostedZone {
        let domain = normalized(domain);
        if let Some(why) = domain_problem(&domain) {
            scope.error(format!("hosted zone {id}: {why}"));
        }
        let zone = scope.add(
            id,
            hosted_zone::HostedZone {
                name: Some(format!("{domain}.").into()),
                hosted_zone_config: Some(HostedZoneConfig {
                    comment: Some(format!("{domain}, managed by haplat").into()),
                }),
                ..Default::default()
            },
        );
        HostedZone { id: zone.ref_(), name: domain, zone: Some(zone) }
    }

    /// A zone that exists already, by id and domain (normalized like [`HostedZone::new`]'s).
    pub fn existing(id: impl Into<Value<String>>, domain: &str) -> HostedZone {
        HostedZone { id: id.into(), name: normalized(domain), zone: None }
    }
}

fn normalized(domain: &str) -> String {
    domain.trim_end_matches('.').to_ascii_lowercase()
}

/// What is wrong with a domain name, if anything.
pub(crate) fn domain_problem(domain: &str) -> Option<String> {
    let labels: Vec<&str> = domain.split('.').collect();
    let ok = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    (!ok).then(|| format!("{domain:?} is not a domain name (labels of letters, digits and hyphens, separated by dots)"))
}
