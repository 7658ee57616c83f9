//! [`Certificate`]: an ACM certificate, either created and validated by DNS records in a
//! [`HostedZone`] (CloudFormation writes the records), or issued already, by ARN per region.
//! The regional ALBs use one per region of their stack set; CloudFront uses one in us-east-1.
//!
//! ```
//! use std::collections::BTreeMap;
//! use haplat_core::{App, Value};
//! use haplat_constructs::certificate::{Certificate, CertificateProps};
//! use haplat_constructs::zone::HostedZone;
//!
//! let app = App::new("demo");
//! let edge = app.stack("Edge", "us-east-1");
//! let zone = HostedZone::existing("Z0123456789ABCDEFGHIJ", "example.com");
//! let cert = Certificate::dns_validated(&edge, "Certificate", CertificateProps {
//!     alternative_names: vec![Value::from("www.example.com")],
//!     ..CertificateProps::new("example.com", &zone)
//! });
//! assert!(cert.resource.is_some());
//! let t = app.synth().unwrap().template("demo-Edge").unwrap();
//! let props = &t["Resources"]["Certificate"]["Properties"];
//! assert_eq!(props["ValidationMethod"], "DNS");
//! assert_eq!(props["DomainValidationOptions"][1]["DomainName"], "www.example.com");
//!
//! let api = app.stack_set("Api", &["us-east-1", "eu-west-1"]);
//! let arns = BTreeMap::from([
//!     ("us-east-1".to_owned(), "arn:aws:acm:us-east-1:111111111111:certificate/a".to_owned()),
//!     ("eu-west-1".to_owned(), "arn:aws:acm:eu-west-1:111111111111:certificate/b".to_owned()),
//! ]);
//! assert!(Certificate::from_arns(&api, &arns).resource.is_none());
//! ```

use std::collections::BTreeMap;

use haplat_core::resources::certificatemanager as acm;
use haplat_core::value::{List, Value};
use haplat_core::{Handle, Scope, Stack};

use crate::zone::HostedZone;

/// What a DNS-validated [`Certificate`] covers and where it is validated.
#[derive(Clone, Debug, PartialEq)]
pub struct CertificateProps {
    /// The certificate's domain name (`api.example.com`).
    pub domain_name: Value<String>,
    /// More names it covers (`${AWS::Region}.api.example.com`). Default: none.
    pub alternative_names: Vec<Value<String>>,
    /// The zone the validation records go into.
    pub zone: HostedZone,
}

impl CertificateProps {
    /// `domain_name` alone, validated in `zone`.
    pub fn new(domain_name: impl Into<Value<String>>, zone: &HostedZone) -> Self {
        CertificateProps { domain_name: domain_name.into(), alternative_names: Vec::new(), zone: zone.clone() }
    }
}

/// An ACM certificate of the stack's region (see the [module](self) docs).
#[derive(Clone, Debug, PartialEq)]
pub struct Certificate {
    /// The certificate's ARN (in a stack set, the ARN of each instance's region).
    pub arn: Value<String>,
    /// The certificate resource when haplat created it.
    pub resource: Option<Handle<acm::Certificate>>,
}

impl Certificate {
    /// A certificate at `scope/id` for the domain name and alternative names, each validated by
    /// a DNS record CloudFormation writes in the zone.
    pub fn dns_validated(scope: &Scope, id: &str, props: CertificateProps) -> Certificate {
        // ACM: each literal name 1 to 253 characters, in the zone that validates it, once.
        let mut seen: Vec<&str> = Vec::new();
        for n in std::iter::once(&props.domain_name).chain(&props.alternative_names) {
            let haplat_core::value::Expr::String(n) = n.expr() else { continue };
            let shown: String = n.chars().take(64).collect();
            let zone = &props.zone.name;
            if !(1..=253).contains(&n.chars().count()) {
                scope.error(format!(
                    "certificate {id}: name {shown:?} has {} characters; ACM takes 1 to 253",
                    n.chars().count()
                ));
            } else if !(zone.is_empty() || n == zone || n.ends_with(&format!(".{zone}"))) {
                scope.error(format!("certificate {id}: name {shown:?} is not in the zone {zone} that validates it"));
            }
            if seen.contains(&n.as_str()) {
                scope.error(format!("certificate {id}: name {shown:?} is listed twice"));
            }
            seen.push(n);
        }
        let names: Vec<Value<String>> =
            std::iter::once(props.domain_name.clone()).chain(props.alternative_names.iter().cloned()).collect();
        let resource = scope.add(
            id,
            acm::Certificate {
                domain_name: props.domain_name,
                subject_alternative_names: (!props.alternative_names.is_empty())
                    .then(|| List::items(props.alternative_names)),
                validation_method: Some("DNS".into()),
                domain_validation_options: Some(List::items(
                    names
                        .into_iter()
                        .map(|n| acm::certificate::DomainValidationOption {
                            domain_name: Some(n),
                            hosted_zone_id: Some(props.zone.id.clone()),
                            ..Default::default()
                        })
                        .collect(),
                )),
                ..Default::default()
            },
        );
        Certificate { arn: resource.ref_(), resource: Some(resource) }
    }

    /// Issued certificates, one per region of `stack` (`region → arn`), read from the
    /// template's `RegionConfig` mapping (`CertificateArn`) by `AWS::Region`. An ARN that is not
    /// an ACM certificate ARN of its region is reported on the stack.
    pub fn from_arns(stack: &Stack, arns: &BTreeMap<String, String>) -> Certificate {
        for (region, arn) in arns {
            if !arn.starts_with("arn:") || !arn.contains(":acm:") || !arn.contains(&format!(":{region}:")) {
                stack.error(format!("certificate {arn:?} of {region} is not an ACM certificate ARN of that region"));
            }
        }
        Certificate {
            arn: stack.region_value("CertificateArn", arns.iter().map(|(r, a)| (r.clone(), a.clone()))),
            resource: None,
        }
    }
}
