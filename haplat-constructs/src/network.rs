//! The network of one region: a VPC over 2 to 6 availability zones with public subnets (load
//! balancers and NAT gateways only) and private subnets (everything else), NAT, flow logs to an
//! encrypted log group, gateway endpoints for S3 and DynamoDB, and optionally interface endpoints
//! so tasks reach ECR, CloudWatch Logs and Secrets Manager without NAT (other AWS APIs, such as
//! X-Ray, STS, KMS and CloudWatch metrics, and images from public.ecr.aws still go through NAT).
//!
//! Subnets are carved from the VPC CIDR with `Fn::Cidr` and placed in the zone IDs given
//! ([`NetworkProps::zone_ids`], from the stack set's `RegionConfig` mapping: the same physical
//! zones in every account), or else with `Fn::Select [i, Fn::GetAZs ""]`, so one template serves
//! every region of a stack set: the VPC CIDR itself comes from the `RegionConfig` mapping too.
//! Zone names map to different physical zones in each account
//! (<https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html>), and not every
//! zone ID runs Fargate
//! (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AWS_Fargate-Regions.html>):
//! where names are used, the subnets carry a suppression of HAP012 saying that `haplat doctor`
//! (run by `haplat deploy` first) resolves the names to zone IDs in the account and refuses one
//! without Fargate or without the interface endpoints.
//!
//! ```
//! use haplat_core::App;
//! use haplat_constructs::network::{NatMode, Network, NetworkProps};
//! use haplat_constructs::kms::{KeyUser, KmsKey};
//!
//! let app = App::new("demo");
//! let stack = app.stack("Net", "eu-west-1");
//! let key = KmsKey::new(&stack, "Key", "logs", &[KeyUser::CloudWatchLogs]);
//! let net = Network::new(&stack, "Network", NetworkProps {
//!     cidr: "10.0.0.0/16".into(),
//!     subnet_bits: 12.into(),
//!     azs: 2,
//!     nat: NatMode::Single,
//!     ..NetworkProps::new(&key)
//! });
//! assert_eq!(net.private_subnets.len(), 2);
//! let t = app.synth().unwrap().template("demo-Net").unwrap();
//! let nats = t["Resources"].as_object().unwrap().values()
//!     .filter(|r| r["Type"] == "AWS::EC2::NatGateway").count();
//! assert_eq!(nats, 1);
//! ```

use std::collections::BTreeMap;

use haplat_core::resources::{ec2, iam, logs};
use haplat_core::value::{List, Value};
use haplat_core::{Handle, Scope, expr_map};

use crate::kms::KmsKey;
use crate::logs::LogGroupProps;
use crate::security::{policy_document, trust_policy};

/// How private subnets reach the internet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum NatMode {
    /// One NAT gateway per availability zone: losing a zone loses no egress (production).
    #[default]
    PerAz,
    /// One NAT gateway shared by every zone: cheaper, one zone's failure cuts egress (dev).
    Single,
}

/// Availability zones a new account can use per region: how many subnets
/// `Fn::Select [i, Fn::GetAZs ""]` can place before the index runs past the list and the
/// deployment fails.
///
/// Source: the AWS "Regions and Availability Zones" documentation and `aws ec2
/// describe-availability-zones` in accounts created since 2020. Caveats: `Fn::GetAZs` lists what
/// the *account* may use, which differs by account age: us-west-1 has three zones but gives
/// accounts created since 2014 two of them; ap-northeast-1 has four but no longer offers
/// ap-northeast-1b (the smaller, newer-account count is the one here). Regions missing here
/// are assumed to have 3 (every region AWS has opened since 2014 launched with at least 3);
/// [`NetworkProps::az_counts`] (or `ApiProps::az_counts`) corrects a count for an account.
pub const REGION_AZS: &[(&str, usize)] = &[
    ("af-south-1", 3),
    ("ap-east-1", 3),
    ("ap-northeast-1", 3),
    ("ap-northeast-2", 4),
    ("ap-northeast-3", 3),
    ("ap-south-1", 3),
    ("ap-south-2", 3),
    ("ap-southeast-1", 3),
    ("ap-southeast-2", 3),
    ("ap-southeast-3", 3),
    ("ap-southeast-4", 3),
    ("ca-central-1", 3),
    ("ca-west-1", 3),
    ("eu-central-1", 3),
    ("eu-central-2", 3),
    ("eu-north-1", 3),
    ("eu-south-1", 3),
    ("eu-south-2", 3),
    ("eu-west-1", 3),
    ("eu-west-2", 3),
    ("eu-west-3", 3),
    ("il-central-1", 3),
    ("me-central-1", 3),
    ("me-south-1", 3),
    ("sa-east-1", 3),
    ("us-east-1", 6),
    ("us-east-2", 3),
    ("us-west-1", 2),
    ("us-west-2", 4),
];

/// The availability zones assumed usable in `region`: [`REGION_AZS`], else 3.
///
/// ```
/// use haplat_constructs::network::usable_azs;
/// assert_eq!(usable_azs("us-west-1"), 2);
/// assert_eq!(usable_azs("us-east-1"), 6);
/// assert_eq!(usable_azs("xx-nowhere-1"), 3);
/// ```
pub fn usable_azs(region: &str) -> usize {
    REGION_AZS.iter().find(|(r, _)| *r == region).map_or(3, |(_, n)| *n)
}

/// The per-region zone IDs of `regions` as one region value per zone (`ZoneId1`, `ZoneId2` …
/// in the stack's `RegionConfig` mapping), for [`NetworkProps::zone_ids`]: empty when no region
/// names zone IDs. Errors on `stack` (naming the region) when some regions name them and others
/// do not (one template cannot use both), when a region names other than `azs` of them, names
/// one twice, or names something that is not a zone ID (`use1-az1`).
///
/// ```
/// use haplat_core::App;
/// use haplat_constructs::{RegionSpec, network::zone_id_values};
/// let app = App::new("demo");
/// let stack = app.stack_set("Net", &["us-east-1", "eu-west-1"]);
/// let regions = [
///     RegionSpec::primary("us-east-1").with_zone_ids(&["use1-az1", "use1-az2"]),
///     RegionSpec::secondary("eu-west-1").with_zone_ids(&["euw1-az1", "euw1-az2"]),
/// ];
/// assert_eq!(zone_id_values(&stack, &regions, 2).len(), 2);
/// assert!(zone_id_values(&stack, &[RegionSpec::primary("us-east-1")], 2).is_empty());
/// ```
pub fn zone_id_values(stack: &haplat_core::Stack, regions: &[crate::RegionSpec], azs: usize) -> Vec<Value<String>> {
    let with: Vec<&crate::RegionSpec> = regions.iter().filter(|r| !r.zone_ids.is_empty()).collect();
    if with.is_empty() {
        return Vec::new();
    }
    let mut ok = true;
    if with.len() != regions.len() {
        let without: Vec<&str> = regions.iter().filter(|r| r.zone_ids.is_empty()).map(|r| r.region.as_str()).collect();
        stack.error(format!(
            "zone_ids are given for some regions but not for {}: give them for every region or for none",
            without.join(", ")
        ));
        ok = false;
    }
    for r in &with {
        if r.zone_ids.len() != azs {
            stack.error(format!(
                "region {}: {} zone_ids given for {azs} availability zones; give one per zone",
                r.region,
                r.zone_ids.len()
            ));
            ok = false;
        }
        for (i, id) in r.zone_ids.iter().enumerate() {
            if !is_zone_id(id) {
                stack.error(format!(
                    "region {}: zone_ids[{i}] {id:?} is not a zone ID (like use1-az1; `aws ec2 describe-availability-zones --region {}` lists them)",
                    r.region, r.region
                ));
                ok = false;
            } else if r.zone_ids[..i].contains(id) {
                stack.error(format!("region {}: zone_ids[{i}] {id} is listed twice", r.region));
                ok = false;
            }
        }
    }
    if !ok {
        return Vec::new();
    }
    (0..azs)
        .map(|i| {
            stack.region_value(
                &format!("ZoneId{}", i + 1),
                regions.iter().map(|r| (r.region.clone(), r.zone_ids[i].clone())),
            )
        })
        .collect()
}

/// `use1-az1`, `apne1-az4`, `usw2-lax1-az1`: lowercase letters and digits, a `-az` and a number.
fn is_zone_id(id: &str) -> bool {
    let Some((prefix, n)) = id.rsplit_once("-az") else { return false };
    !prefix.is_empty()
        && prefix.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !n.is_empty()
        && n.chars().all(|c| c.is_ascii_digit())
}

/// The interface endpoints [`NetworkProps::interface_endpoints`] creates (service name suffixes).
pub const INTERFACE_ENDPOINTS: &[&str] = &["ecr.api", "ecr.dkr", "logs", "secretsmanager"];

/// What a [`Network`] is made of.
#[derive(Clone, Debug)]
pub struct NetworkProps {
    /// The VPC CIDR (a literal, or the stack set's per-region value). Default: `10.0.0.0/16`.
    pub cidr: Value<String>,
    /// Host bits of each subnet for `Fn::Cidr` (see [`crate::cidr::subnet_bits`]). Default: 13.
    pub subnet_bits: Value<i64>,
    /// Number of availability zones, 2 to 6, and at most what every region of the stack has
    /// ([`usable_azs`], corrected by `az_counts`). Default: 3.
    pub azs: usize,
    /// Usable availability zones of regions where [`REGION_AZS`] is wrong for this account
    /// (`region → count`). Default: none.
    pub az_counts: BTreeMap<String, usize>,
    /// NAT gateways per zone or one shared. Default: [`NatMode::PerAz`].
    pub nat: NatMode,
    /// The zone ID of each zone (`azs` of them, a literal or the stack set's per-region value,
    /// see [`zone_id_values`]): subnets set `AvailabilityZoneId`. Empty: the first `azs` zones
    /// of `Fn::GetAZs`. Default: empty.
    pub zone_ids: Vec<Value<String>>,
    /// Interface endpoints for ECR, Logs and Secrets Manager. Default: `false`.
    pub interface_endpoints: bool,
    /// Days flow logs are kept. Default: 365.
    pub flow_log_retention_days: i64,
    /// The key that encrypts the flow log group (its policy must allow CloudWatch Logs).
    pub key: KmsKey,
}

impl NetworkProps {
    /// Defaults: a literal 10.0.0.0/16 in 3 zones with a NAT per zone, no interface endpoints,
    /// flow logs kept a year.
    pub fn new(key: &KmsKey) -> Self {
        NetworkProps {
            cidr: "10.0.0.0/16".into(),
            subnet_bits: 13.into(),
            azs: 3,
            az_counts: BTreeMap::new(),
            zone_ids: Vec::new(),
            nat: NatMode::PerAz,
            interface_endpoints: false,
            flow_log_retention_days: 365,
            key: key.clone(),
        }
    }
}

/// One region's network.
#[derive(Clone, Debug)]
pub struct Network {
    /// The VPC.
    pub vpc: Handle<ec2::Vpc>,
    /// The VPC CIDR (for security group rules that admit the VPC).
    pub cidr: Value<String>,
    /// Public subnets, one per zone: only load balancers and NAT gateways live there.
    pub public_subnets: Vec<Handle<ec2::Subnet>>,
    /// Private subnets, one per zone: tasks and interface endpoints.
    pub private_subnets: Vec<Handle<ec2::Subnet>>,
    /// Route tables of the private subnets (one per zone).
    pub private_route_tables: Vec<Handle<ec2::RouteTable>>,
    /// NAT gateways.
    pub nat_gateways: Vec<Handle<ec2::NatGateway>>,
    /// The flow log group.
    pub flow_log_group: Handle<logs::LogGroup>,
    /// The security group of the interface endpoints, when there are any.
    pub endpoint_security_group: Option<Handle<ec2::SecurityGroup>>,
    /// The gateway attachment (public routes depend on it).
    pub gateway_attachment: Handle<ec2::VpcGatewayAttachment>,
}

/// The egress rule CloudFormation cannot express otherwise: setting one rule that matches no
/// traffic removes the default allow-all egress of a security group.
pub(crate) fn no_egress() -> ec2::security_group::Egress {
    ec2::security_group::Egress {
        cidr_ip: Some("255.255.255.255/32".into()),
        description: Some("Disallow all traffic".into()),
        from_port: Some(252.into()),
        to_port: Some(86.into()),
        ip_protocol: "icmp".into(),
        ..Default::default()
    }
}

impl Network {
    /// The network in `scope`. An AZ count outside 2..=6 is a construct error.
    pub fn new(parent: &Scope, id: &str, props: NetworkProps) -> Network {
        let scope = parent.child(id);
        // A literal block is checked here (one from a mapping or a parameter, where it is made).
        if let haplat_core::value::Expr::String(cidr) = props.cidr.expr() {
            match cidr.parse::<crate::cidr::Ipv4Cidr>().and_then(|c| c.check_vpc()) {
                Ok(()) => {}
                Err(e) => scope.error(format!("cidr: {e}")),
            }
        }
        // A subnet is /16 to /28 (16 to 4 host bits) and smaller than its VPC.
        if let haplat_core::value::Expr::Number(n) = props.subnet_bits.expr() {
            let vpc_prefix = match props.cidr.expr() {
                haplat_core::value::Expr::String(c) => c.parse::<crate::cidr::Ipv4Cidr>().map(|c| c.prefix()).ok(),
                _ => None,
            };
            let fits =
                n.as_i64().is_some_and(|b| (4..=16).contains(&b) && vpc_prefix.is_none_or(|p| b < 32 - i64::from(p)));
            if !fits {
                scope.error(format!(
                    "subnet_bits {n}: use 4 to 16 host bits (subnets /28 to /16), fewer than the VPC's"
                ));
            }
        }
        crate::logs::check_retention(&scope, props.flow_log_retention_days);
        if !(2..=6).contains(&props.azs) {
            scope.error(format!("{} availability zones asked; use 2 to 6", props.azs));
        }
        let by_id = !props.zone_ids.is_empty();
        if by_id && props.zone_ids.len() != props.azs {
            scope.error(format!(
                "{} zone IDs given for {} availability zones; give one per zone",
                props.zone_ids.len(),
                props.azs
            ));
        }
        // Without zone IDs, subnets take the i-th zone of Fn::GetAZs in every region of the
        // stack: a region with fewer zones fails at deploy time, so say so now.
        let counts: Vec<(String, usize)> = if by_id {
            Vec::new()
        } else {
            scope
                .stack()
                .regions()
                .into_iter()
                .map(|r| {
                    let n = props.az_counts.get(&r).copied().unwrap_or_else(|| usable_azs(&r));
                    (r, n)
                })
                .collect()
        };
        if let Some(fewest) = counts.iter().map(|(_, n)| *n).min().filter(|n| props.azs > *n) {
            let short: Vec<String> =
                counts.iter().filter(|(_, n)| *n < props.azs).map(|(r, n)| format!("{r} has {n}")).collect();
            scope.error(format!(
                "{} availability zones asked, but Fn::GetAZs has fewer in a region of the stack ({}, for most accounts); use at most {fewest}, or give the account's count in az_counts",
                props.azs,
                short.join(", ")
            ));
        }
        let azs = props.azs.clamp(2, 6);
        let vpc = scope.add(
            "Vpc",
            ec2::Vpc {
                cidr_block: Some(props.cidr.clone()),
                enable_dns_hostnames: Some(true.into()),
                enable_dns_support: Some(true.into()),
                ..Default::default()
            },
        );
        let igw = scope.add("InternetGateway", ec2::InternetGateway::default());
        let attachment = scope.add(
            "GatewayAttachment",
            ec2::VpcGatewayAttachment {
                internet_gateway_id: Some(igw.ref_()),
                vpc_id: vpc.ref_(),
                ..Default::default()
            },
        );

        let blocks: List<Value<String>> =
            List::cidr(props.cidr.clone(), ((2 * azs) as i64).into(), props.subnet_bits.clone());
        let az = |i: usize| Value::<String>::select(i as i64, List::get_azs(""));
        // (AvailabilityZone, AvailabilityZoneId) of the i-th zone.
        let zone = |i: usize| match props.zone_ids.get(i) {
            Some(id) => (None, Some(id.clone())),
            None => (Some(az(i)), None),
        };
        let by_name_reason = "the zone is chosen by name (Fn::GetAZs) because no zone IDs were given for this region: \
            `haplat deploy` runs `haplat doctor` first, which resolves the names to zone IDs in the account \
            (ec2:DescribeAvailabilityZones) and stops the deploy on a zone ID without Fargate or without the \
            interface endpoints (ec2:DescribeVpcEndpointServices); give zone_ids to choose them here";
        let block = |i: usize| Value::<String>::select(i as i64, blocks.clone());

        let public_rt = scope.add("PublicRouteTable", ec2::RouteTable { vpc_id: vpc.ref_(), ..Default::default() });
        let default_route = scope.add(
            "PublicDefaultRoute",
            ec2::Route {
                route_table_id: public_rt.ref_(),
                destination_cidr_block: Some("0.0.0.0/0".into()),
                gateway_id: Some(igw.ref_()),
                ..Default::default()
            },
        );
        scope.options(default_route).depends_on(attachment);

        let mut public_subnets = Vec::new();
        let mut private_subnets = Vec::new();
        let mut private_route_tables = Vec::new();
        let mut nat_gateways = Vec::new();
        for i in 0..azs {
            let n = i + 1;
            let public = scope.add(
                &format!("PublicSubnet{n}"),
                ec2::Subnet {
                    vpc_id: vpc.ref_(),
                    availability_zone: zone(i).0,
                    availability_zone_id: zone(i).1,
                    cidr_block: Some(block(i)),
                    map_public_ip_on_launch: Some(false.into()),
                    ..Default::default()
                },
            );
            scope.add(
                &format!("PublicSubnet{n}RouteTableAssociation"),
                ec2::SubnetRouteTableAssociation { route_table_id: public_rt.ref_(), subnet_id: public.ref_() },
            );
            let private = scope.add(
                &format!("PrivateSubnet{n}"),
                ec2::Subnet {
                    vpc_id: vpc.ref_(),
                    availability_zone: zone(i).0,
                    availability_zone_id: zone(i).1,
                    cidr_block: Some(block(azs + i)),
                    map_public_ip_on_launch: Some(false.into()),
                    ..Default::default()
                },
            );
            if i == 0 || props.nat == NatMode::PerAz {
                let eip =
                    scope.add(&format!("NatEip{n}"), ec2::Eip { domain: Some("vpc".into()), ..Default::default() });
                scope.options(eip).depends_on(attachment);
                let nat = scope.add(
                    &format!("NatGateway{n}"),
                    ec2::NatGateway {
                        allocation_id: Some(eip.attr_allocation_id()),
                        subnet_id: Some(public.ref_()),
                        ..Default::default()
                    },
                );
                nat_gateways.push(nat);
            }
            let rt = scope
                .add(&format!("PrivateRouteTable{n}"), ec2::RouteTable { vpc_id: vpc.ref_(), ..Default::default() });
            let nat = nat_gateways[if props.nat == NatMode::PerAz { i } else { 0 }];
            scope.add(
                &format!("PrivateDefaultRoute{n}"),
                ec2::Route {
                    route_table_id: rt.ref_(),
                    destination_cidr_block: Some("0.0.0.0/0".into()),
                    nat_gateway_id: Some(nat.ref_()),
                    ..Default::default()
                },
            );
            scope.add(
                &format!("PrivateSubnet{n}RouteTableAssociation"),
                ec2::SubnetRouteTableAssociation { route_table_id: rt.ref_(), subnet_id: private.ref_() },
            );
            if zone(i).1.is_none() {
                scope.options(public).suppress("HAP012", by_name_reason);
                scope.options(private).suppress("HAP012", by_name_reason);
            }
            public_subnets.push(public);
            private_subnets.push(private);
            private_route_tables.push(rt);
        }

        // Flow logs: every accepted and rejected flow, to an encrypted, retained log group, written
        // by a role that may only write to that group.
        let flow_log_group = crate::logs::LogGroup::new(
            &scope,
            "FlowLogGroup",
            LogGroupProps { name: None, retention_days: props.flow_log_retention_days, key: &props.key },
        )
        .handle;
        let flow_role = scope.add(
            "FlowLogRole",
            iam::Role {
                assume_role_policy_document: trust_policy("vpc-flow-logs.amazonaws.com"),
                description: Some("Delivers this VPC's flow logs to its log group".into()),
                policies: Some(List::items(vec![iam::role::Policy {
                    policy_name: "deliver-flow-logs".into(),
                    policy_document: policy_document(vec![expr_map! {
                        "Effect" => "Allow",
                        "Action" => haplat_core::expr_list!["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                        "Resource" => haplat_core::expr_list![flow_log_group.attr_arn()],
                    }]),
                }])),
                ..Default::default()
            },
        );
        scope.add(
            "FlowLog",
            ec2::FlowLog {
                resource_id: vpc.ref_(),
                resource_type: ec2::flow_log::ResourceType::Vpc.into(),
                traffic_type: Some(ec2::flow_log::TrafficType::All.into()),
                log_destination_type: Some(ec2::flow_log::LogDestinationType::CloudWatchLogs.into()),
                log_group_name: Some(flow_log_group.ref_()),
                deliver_logs_permission_arn: Some(flow_role.attr_arn()),
                max_aggregation_interval: Some(60.into()),
                ..Default::default()
            },
        );

        // Gateway endpoints: S3 (ECR layers live there) and DynamoDB, free and off the NAT.
        for (name, service) in [("S3Endpoint", "s3"), ("DynamoDbEndpoint", "dynamodb")] {
            scope.add(
                name,
                ec2::VpcEndpoint {
                    vpc_id: vpc.ref_(),
                    service_name: Some(Value::sub(format!("com.amazonaws.${{AWS::Region}}.{service}"))),
                    vpc_endpoint_type: Some(ec2::vpc_endpoint::VpcEndpointType::Gateway.into()),
                    route_table_ids: Some(List::items(private_route_tables.iter().map(|r| r.ref_()).collect())),
                    ..Default::default()
                },
            );
        }

        let endpoint_security_group = props.interface_endpoints.then(|| {
            let sg = scope.add(
                "EndpointSecurityGroup",
                ec2::SecurityGroup {
                    group_description: "Interface endpoints: HTTPS from the VPC only".into(),
                    vpc_id: Some(vpc.ref_()),
                    security_group_ingress: Some(List::items(vec![ec2::security_group::Ingress {
                        cidr_ip: Some(props.cidr.clone()),
                        description: Some("HTTPS from the VPC".into()),
                        from_port: Some(443.into()),
                        to_port: Some(443.into()),
                        ip_protocol: "tcp".into(),
                        ..Default::default()
                    }])),
                    security_group_egress: Some(List::items(vec![no_egress()])),
                    ..Default::default()
                },
            );
            for service in INTERFACE_ENDPOINTS {
                let id = format!("{}Endpoint", crate::naming::pascal(service));
                scope.add(
                    &id,
                    ec2::VpcEndpoint {
                        vpc_id: vpc.ref_(),
                        service_name: Some(Value::sub(format!("com.amazonaws.${{AWS::Region}}.{service}"))),
                        vpc_endpoint_type: Some(ec2::vpc_endpoint::VpcEndpointType::Interface.into()),
                        private_dns_enabled: Some(true.into()),
                        subnet_ids: Some(List::items(private_subnets.iter().map(|s| s.ref_()).collect())),
                        security_group_ids: Some(List::items(vec![sg.attr_group_id()])),
                        ..Default::default()
                    },
                );
            }
            sg
        });

        Network {
            vpc,
            cidr: props.cidr,
            public_subnets,
            private_subnets,
            private_route_tables,
            nat_gateways,
            flow_log_group,
            endpoint_security_group,
            gateway_attachment: attachment,
        }
    }

    /// The private subnet ids.
    pub fn private_subnet_ids(&self) -> List<Value<String>> {
        List::items(self.private_subnets.iter().map(|s| s.ref_()).collect())
    }

    /// The public subnet ids.
    pub fn public_subnet_ids(&self) -> List<Value<String>> {
        List::items(self.public_subnets.iter().map(|s| s.ref_()).collect())
    }
}
