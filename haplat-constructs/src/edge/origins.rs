//! The distribution's origins and behaviors: the routed name, in active-passive mode an origin
//! group over the primary's regional name and the standby's (with several standbys, their
//! latency set's name) serving the read-only paths, and per region the probe route
//! Route 53 checks the region through (`/_haplat/probe/<region>/…` to `<region>.<origin name>`).

use haplat_core::resources::cloudfront::distribution::{
    CacheBehavior, CustomOriginConfig, DefaultCacheBehavior, FunctionAssociation, Origin, OriginCustomHeader,
    OriginGroup, OriginGroupFailoverCriteria, OriginGroupMember, OriginGroupMembers, OriginGroups, StatusCodes,
    ViewerProtocolPolicy,
};
use haplat_core::value::{List, Value};

use crate::dns::{regional_origin_name, standby_origin_name};
use crate::platform::{OriginVerify, PROBE_PREFIX, RegionalEndpoint};

/// The managed cache policy `CachingDisabled`.
pub const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/// The managed origin request policy `AllViewerExceptHostHeader`.
pub const ALL_VIEWER_EXCEPT_HOST_HEADER: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
/// The managed response headers policy `SecurityHeadersPolicy` (HSTS, nosniff, frame options…).
pub const SECURITY_HEADERS: &str = "67f7725c-6f97-4210-82d7-5512b31e9d03";

/// The id of the origin of the routed name, the default behavior's target.
const ROUTED: &str = "routed";
/// The id of the active-passive origin group.
const FAILOVER: &str = "failover";

/// What the distribution config takes from here.
pub(super) struct Origins {
    pub origins: Vec<Origin>,
    pub groups: Option<OriginGroups>,
    pub behaviors: Vec<CacheBehavior>,
    pub default_behavior: DefaultCacheBehavior,
}

/// A failover pair of regions and the paths their origin group serves.
pub(super) struct Failover<'a> {
    pub primary: &'a RegionalEndpoint,
    pub secondary: &'a RegionalEndpoint,
    /// Several standbys: the group's second origin is their latency set
    /// ([`standby_origin_name`]), the nearest healthy one, rather than `secondary` alone.
    pub standbys: bool,
    pub read_only_paths: &'a [String],
}

/// How long CloudFront waits for each connection to an origin, and how many times it tries
/// (at worst 15 s, a term of the failover chain: docs/availability.md). CloudFront's default,
/// 10 s, would add 30 s to every failover.
const CONNECTION_TIMEOUT: i64 = 5;
const CONNECTION_ATTEMPTS: i64 = 3;

/// An HTTPS-only origin at `domain`, sending the origin header when there is one.
fn origin(id: &str, domain: &str, verify: Option<&OriginVerify>) -> Origin {
    Origin {
        id: id.into(),
        domain_name: domain.into(),
        connection_attempts: Some(CONNECTION_ATTEMPTS.into()),
        connection_timeout: Some(CONNECTION_TIMEOUT.into()),
        custom_origin_config: Some(CustomOriginConfig {
            origin_protocol_policy: "https-only".into(),
            https_port: Some(443.into()),
            origin_ssl_protocols: Some(List::items(vec!["TLSv1.2".into()])),
            origin_read_timeout: Some(30.into()),
            origin_keepalive_timeout: Some(5.into()),
            ..Default::default()
        }),
        origin_custom_headers: verify.map(|v| {
            List::items(vec![OriginCustomHeader {
                header_name: v.header_name.clone().into(),
                header_value: v.dynamic_reference().into(),
            }])
        }),
        ..Default::default()
    }
}

/// The probe routes: per region an origin at its regional name and a behavior for
/// `/_haplat/probe/<region>/*` that `probe_function` strips of its prefix.
pub(super) struct Probes<'a> {
    pub regions: Vec<&'a str>,
    pub probe_function: Value<String>,
}

/// The origins of the routed name `routed_name`, with `failover` the regional pair, and the
/// probe routes.
pub(super) fn origins(
    routed_name: &str,
    verify: Option<&OriginVerify>,
    failover: Option<Failover<'_>>,
    probes: Option<Probes<'_>>,
) -> Origins {
    let mut origins = vec![origin(ROUTED, routed_name, verify)];
    let mut groups = None;
    let mut behaviors = Vec::new();
    for region in probes.iter().flat_map(|p| p.regions.iter()) {
        let id = format!("probe-{region}");
        origins.push(origin(&id, &regional_origin_name(region, routed_name), verify));
    }
    if let Some(f) = failover {
        let pid = format!("primary-{}", f.primary.region);
        origins.push(origin(&pid, &regional_origin_name(&f.primary.region, routed_name), verify));
        // A group holds exactly two origins: with several standbys, the second is the name Route
        // 53 answers with the nearest healthy standby, so a request fails over to any of them.
        let sid = if f.standbys {
            origins.push(origin("standbys", &standby_origin_name(routed_name), verify));
            "standbys".to_owned()
        } else {
            let sid = format!("secondary-{}", f.secondary.region);
            origins.push(origin(&sid, &regional_origin_name(&f.secondary.region, routed_name), verify));
            sid
        };
        groups = Some(failover_group(pid, sid));
        behaviors = f.read_only_paths.iter().map(|path| read_only_behavior(path)).collect();
    }
    // The probe routes first: CloudFront takes the first behaviour whose pattern matches, and a
    // broad read-only pattern (`/*`) would otherwise send the probes to the origin group.
    if let Some(p) = &probes {
        let probes: Vec<CacheBehavior> = p.regions.iter().map(|r| probe_behavior(r, &p.probe_function)).collect();
        behaviors.splice(0..0, probes);
    }
    let all_methods: Vec<Value<String>> =
        ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"].iter().map(|m| Value::from(*m)).collect();
    let default_behavior = DefaultCacheBehavior {
        target_origin_id: ROUTED.into(),
        viewer_protocol_policy: ViewerProtocolPolicy::HttpsOnly.into(),
        allowed_methods: Some(List::items(all_methods)),
        cached_methods: Some(List::items(vec!["GET".into(), "HEAD".into()])),
        cache_policy_id: Some(CACHING_DISABLED.into()),
        origin_request_policy_id: Some(ALL_VIEWER_EXCEPT_HOST_HEADER.into()),
        response_headers_policy_id: Some(SECURITY_HEADERS.into()),
        compress: Some(true.into()),
        ..Default::default()
    };
    Origins { origins, groups, behaviors, default_behavior }
}

/// The origin group failing over from `primary` to `secondary` on 500, 502, 503 and 504.
fn failover_group(primary: String, secondary: String) -> OriginGroups {
    OriginGroups {
        quantity: 1.into(),
        items: Some(List::items(vec![OriginGroup {
            id: FAILOVER.into(),
            failover_criteria: OriginGroupFailoverCriteria {
                status_codes: StatusCodes {
                    quantity: 4.into(),
                    items: List::items(vec![500.into(), 502.into(), 503.into(), 504.into()]),
                },
            },
            members: OriginGroupMembers {
                quantity: 2.into(),
                items: List::items(vec![
                    OriginGroupMember { origin_id: primary.into() },
                    OriginGroupMember { origin_id: secondary.into() },
                ]),
            },
            selection_criteria: None,
        }])),
    }
}

/// The probe route of `region`: GET and HEAD of `/_haplat/probe/<region>/*`, uncached, to the
/// region's own origin, the prefix stripped by `function` before CloudFront picks the origin path.
fn probe_behavior(region: &str, function: &Value<String>) -> CacheBehavior {
    CacheBehavior {
        path_pattern: format!("{PROBE_PREFIX}{region}/*").into(),
        target_origin_id: format!("probe-{region}").into(),
        viewer_protocol_policy: "https-only".into(),
        allowed_methods: Some(List::items(vec!["GET".into(), "HEAD".into()])),
        cached_methods: Some(List::items(vec!["GET".into(), "HEAD".into()])),
        cache_policy_id: Some(CACHING_DISABLED.into()),
        origin_request_policy_id: Some(ALL_VIEWER_EXCEPT_HOST_HEADER.into()),
        function_associations: Some(List::items(vec![FunctionAssociation {
            event_type: Some("viewer-request".into()),
            function_arn: Some(function.clone()),
        }])),
        ..Default::default()
    }
}

/// The CloudFront Function (cloudfront-js-2.0) of the probe routes: `/_haplat/probe/<region>/x`
/// becomes `/x`.
pub(super) fn probe_function_code() -> String {
    format!(
        "function handler(event) {{\n  var request = event.request;\n  request.uri = request.uri.replace(/^{}[a-z0-9-]+/, '') || '/';\n  return request;\n}}\n",
        PROBE_PREFIX.replace('/', "\\/")
    )
}

/// The behavior of a read-only path: GET, HEAD and OPTIONS through the origin group.
fn read_only_behavior(path: &str) -> CacheBehavior {
    CacheBehavior {
        path_pattern: path.into(),
        target_origin_id: FAILOVER.into(),
        viewer_protocol_policy: "https-only".into(),
        allowed_methods: Some(List::items(vec!["GET".into(), "HEAD".into(), "OPTIONS".into()])),
        cached_methods: Some(List::items(vec!["GET".into(), "HEAD".into()])),
        cache_policy_id: Some(CACHING_DISABLED.into()),
        origin_request_policy_id: Some(ALL_VIEWER_EXCEPT_HOST_HEADER.into()),
        response_headers_policy_id: Some(SECURITY_HEADERS.into()),
        compress: Some(true.into()),
        ..Default::default()
    }
}
