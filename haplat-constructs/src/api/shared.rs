//! What the services of the API share, in its own stack: the cluster, the Cloud Map
//! namespace, the certificate, the CloudFront fronting and the ALBs.

use haplat_core::resources::{ecs, servicediscovery as sd};
use haplat_core::value::{List, Value};
use haplat_core::{Handle, Stack};

use super::{ApiCertificate, ApiProps};
use crate::certificate::{Certificate, CertificateProps};
use crate::kms::KmsKey;
use crate::load_balancer::{Alb, AlbProps, Fronting, cloudfront_prefix_list};
use crate::logs::{LogGroup, LogGroupProps};
use crate::network::Network;

/// The ECS cluster `Cluster` with Container Insights, and its performance log group
/// `ContainerInsightsLogGroup`.
pub(super) fn cluster(
    stack: &Stack,
    key: &KmsKey,
    props: &ApiProps,
    connect_namespace: Option<Handle<sd::HttpNamespace>>,
) -> Handle<ecs::Cluster> {
    // Container Insights writes its performance events to
    // /aws/ecs/containerinsights/<cluster>/performance, which ECS would create outside the
    // template: unencrypted, never expiring, left behind. The template makes it first, with
    // the logs key, a retention and Retain; so the cluster has a name known in advance, the
    // stack's own (unique per account and region), and is created after its log group.
    let cluster_name: Value<String> = Value::sub("${AWS::StackName}");
    let insights_logs = LogGroup::new(
        stack,
        "ContainerInsightsLogGroup",
        LogGroupProps {
            name: Some(Value::sub("/aws/ecs/containerinsights/${AWS::StackName}/performance")),
            retention_days: props.container_insights_retention_days,
            key,
        },
    )
    .handle;
    if props.container_insights_retention_days < 365 {
        stack.options(insights_logs).suppress(
            "CT.CLOUDWATCH.PR.2",
            "Container Insights performance events are the raw input of metrics CloudWatch keeps 15 months; \
             ApiProps::container_insights_retention_days chooses how long the raw events stay",
        );
    }
    let cluster = stack.add(
        "Cluster",
        ecs::Cluster {
            cluster_name: Some(cluster_name),
            cluster_settings: Some(List::items(vec![ecs::cluster::ClusterSettings {
                name: Some("containerInsights".into()),
                value: Some("enabled".into()),
            }])),
            service_connect_defaults: connect_namespace
                .map(|ns| ecs::cluster::ServiceConnectDefaults { namespace: Some(ns.attr_arn()) }),
            ..Default::default()
        },
    );
    stack.options(cluster).depends_on(insights_logs);
    cluster
}

/// The Cloud Map private DNS namespace `Namespace`.
pub(super) fn namespace(
    stack: &Stack,
    id: &str,
    props: &ApiProps,
    network: &Network,
) -> Handle<sd::PrivateDnsNamespace> {
    stack.add(
        "Namespace",
        sd::PrivateDnsNamespace {
            name: props.namespace.clone().into(),
            vpc: Some(network.vpc.ref_()),
            description: Some(format!("Service discovery of {id}").into()),
            ..Default::default()
        },
    )
}

/// The Cloud Map HTTP namespace `ConnectNamespace` of ECS Service Connect, named after the
/// stack (namespace names are unique per account and region, like the stack's).
pub(super) fn connect_namespace(stack: &Stack, id: &str) -> Handle<sd::HttpNamespace> {
    stack.add(
        "ConnectNamespace",
        sd::HttpNamespace {
            name: Value::sub("${AWS::StackName}"),
            description: Some(format!("ECS Service Connect of {id}").into()),
            ..Default::default()
        },
    )
}

/// The certificate ARN of the ALBs: created (`Certificate`) or issued, per region.
/// The internal ALB's name in each region, `<region>.internal.<name>` (a `Fn::Sub` text).
pub(super) fn internal_alb_name(domain_name: &str) -> String {
    format!("${{AWS::Region}}.internal.{domain_name}")
}

/// The internal ALB's name in the API's zone (with a DNS-validated certificate, whose zone it
/// is): an alias record `<region>.internal.<name>` in each region, which the certificate names,
/// so callers outside ECS reach it over verified TLS. The answer is the ALB's private addresses,
/// reachable only from the VPC (and what is peered with it).
pub(super) fn internal_alb_record(stack: &Stack, props: &ApiProps, alb: Option<&Alb>) {
    let (Some(alb), ApiCertificate::DnsValidated { zone }) = (alb, &props.certificate) else { return };
    stack.add(
        "InternalAlbName",
        haplat_core::resources::route53::RecordSet {
            hosted_zone_id: Some(zone.id.clone()),
            name: Value::sub(format!("{}.", internal_alb_name(&props.domain_name))),
            type_: "A".into(),
            alias_target: Some(haplat_core::resources::route53::record_set::AliasTarget {
                dns_name: alb.load_balancer.attr_dns_name(),
                hosted_zone_id: alb.load_balancer.attr_canonical_hosted_zone_id(),
                evaluate_target_health: Some(false.into()),
            }),
            ..Default::default()
        },
    );
}

/// The certificate's other names: `<region>.<name>` (the edge's probe route and origin group),
/// `<region>.internal.<name>` with an internal ALB ([`internal_alb_record`]),
/// and with several standbys in active-passive mode their latency set's name,
/// `standby.<name>`, which the edge's origin group requests
/// ([`standby_origin_name`](crate::dns::standby_origin_name)).
fn certificate_names(props: &ApiProps) -> Vec<Value<String>> {
    let mut names = vec![Value::sub(format!("${{AWS::Region}}.{}", props.domain_name))];
    if props.services.iter().any(|s| s.internal && s.load_balanced()) {
        names.push(Value::sub(internal_alb_name(&props.domain_name)));
    }
    let standbys = props.regions.iter().filter(|r| r.role == crate::platform::RegionRole::Secondary).count();
    if props.mode == crate::platform::DrMode::ActivePassive && standbys > 1 {
        names.push(Value::from(crate::dns::standby_origin_name(&props.domain_name)));
    }
    names
}

pub(super) fn certificate(stack: &Stack, props: &ApiProps) -> Value<String> {
    let certificate = match &props.certificate {
        ApiCertificate::Arns(arns) => Certificate::from_arns(stack, arns),
        ApiCertificate::DnsValidated { zone } => Certificate::dns_validated(
            stack,
            "Certificate",
            CertificateProps {
                alternative_names: certificate_names(props),
                ..CertificateProps::new(props.domain_name.clone(), zone)
            },
        ),
    };
    certificate.arn
}

/// The fronting of the public ALB: the origin header and the origin-facing prefix list of each
/// region.
pub(super) fn fronting(stack: &Stack, props: &ApiProps) -> Option<Fronting> {
    // CloudFront fronting: the origin-facing prefix list of each region.
    props.fronted_by_cloudfront.as_ref().map(|ov| {
        let mut ids = Vec::new();
        for r in &props.regions {
            match props.cloudfront_prefix_lists.get(&r.region).map(String::as_str).or_else(|| cloudfront_prefix_list(&r.region)) {
                Some(id) => ids.push((r.region.clone(), id.to_owned())),
                None => stack.error(format!(
                    "no CloudFront origin-facing prefix list id known for {}; give it in ApiProps::cloudfront_prefix_lists",
                    r.region
                )),
            }
        }
        if ov.header_name.is_empty() || ov.secret_name.is_empty() {
            stack.error("the origin verify header name and secret name cannot be empty");
        }
        Fronting { origin_verify: ov.clone(), prefix_list_id: stack.region_value("CloudFrontPrefixList", ids) }
    })
}

/// The public ALB `PublicAlb` (when a service is public) and the internal one `InternalAlb`
/// (when an internal service is served by it: not when every internal service is
/// Cloud-Map-only).
pub(super) fn albs(
    stack: &Stack,
    props: &ApiProps,
    network: &Network,
    certificate_arn: &Value<String>,
    fronting: Option<&Fronting>,
) -> (Option<Alb>, Option<Alb>) {
    let make_alb = |id: &str, internal: bool| {
        let subnets = if internal { &network.private_subnets } else { &network.public_subnets };
        Alb::new(
            stack,
            id,
            AlbProps {
                vpc_id: network.vpc.ref_(),
                subnets: subnets.iter().map(|s| s.ref_()).collect(),
                certificate_arn: certificate_arn.clone(),
                internal,
                fronting: if internal { None } else { fronting.cloned() },
            },
        )
    };
    let public_alb = props.services.iter().any(|s| !s.internal).then(|| make_alb("PublicAlb", false));
    let internal_alb =
        props.services.iter().any(|s| s.internal && s.load_balanced()).then(|| make_alb("InternalAlb", true));
    (public_alb, internal_alb)
}
