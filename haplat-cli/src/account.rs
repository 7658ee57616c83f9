//! What `haplat doctor` (and bootstrap's API Gateway step) asks of the account beyond
//! CloudFormation, as a trait over plain types: implemented over the AWS SDK by
//! `crate::sdk::Aws` and by a fake in tests, like [`crate::cfn::CloudFormation`]. Every call is
//! a read except [`Account::set_apigateway_cloudwatch_role`]. Errors are [`crate::cfn::CfnError`]s, sorted
//! the same way (a denied call is a `Service` error whose code says so).

use std::future::Future;

use crate::cfn::CfnResult;

/// An Aurora engine version as `rds:DescribeDBEngineVersions` offers it in a region.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EngineVersion {
    /// `17.7`.
    pub version: String,
    /// `SupportsGlobalDatabases`.
    pub global_databases: bool,
    /// Whether it runs Serverless v2 (`ServerlessV2FeaturesSupport` present).
    pub serverless_v2: bool,
}

/// An Availability Zone: the name an account sees, and the zone ID behind it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Zone {
    /// `us-east-1a` (the account's name, in `Fn::GetAZs` order).
    pub name: String,
    /// `use1-az3` (the same physical zone in every account).
    pub id: String,
}

/// A quota a deploy can run into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quota {
    /// VPCs per Region (`vpc` `L-F678F1CE`).
    Vpcs,
    /// EC2-VPC Elastic IPs (`ec2` `L-0263D0A3`).
    ElasticIps,
    /// Application Load Balancers per Region (`elasticloadbalancing` `L-53DA6B97`). The ELB
    /// guide names the quota (default 50, adjustable:
    /// <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html>)
    /// but prints no quota code; `L-53DA6B97` is the code Service Quotas lists for that name
    /// (`aws service-quotas list-service-quotas --service-code elasticloadbalancing`), and
    /// doctor says "not checked" if Service Quotas does not know it.
    Albs,
}

impl Quota {
    /// The Service Quotas service code and quota code.
    pub fn codes(self) -> (&'static str, &'static str) {
        match self {
            Quota::Vpcs => ("vpc", "L-F678F1CE"),
            Quota::ElasticIps => ("ec2", "L-0263D0A3"),
            Quota::Albs => ("elasticloadbalancing", "L-53DA6B97"),
        }
    }

    /// Its name in the Service Quotas console.
    pub fn name(self) -> &'static str {
        match self {
            Quota::Vpcs => "VPCs per Region",
            Quota::ElasticIps => "EC2-VPC Elastic IPs",
            Quota::Albs => "Application Load Balancers per Region",
        }
    }
}

/// The account-level reads (and the one write) haplat makes outside CloudFormation. Calls that
/// take a `region` go to that region; Shield and Route 53 are global.
pub trait Account: Sync {
    /// Whether trusted access between CloudFormation StackSets and Organizations is enabled
    /// (`cloudformation:DescribeOrganizationsAccess` in the administration region, with
    /// `call_as` as `CallAs`), which service-managed stack sets need
    /// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeOrganizationsAccess.html>,
    /// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-activate-trusted-access.html>).
    fn stacksets_organizations_access(
        &self,
        call_as: Option<haplat_core::manifest::CallAs>,
    ) -> impl Future<Output = CfnResult<bool>> + Send;
    /// The API Gateway account setting `cloudwatchRoleArn` in `region` (`apigateway:GetAccount`),
    /// `None` when unset.
    fn apigateway_cloudwatch_role(&self, region: &str) -> impl Future<Output = CfnResult<Option<String>>> + Send;
    /// Sets it (`apigateway:UpdateAccount`).
    fn set_apigateway_cloudwatch_role(&self, region: &str, arn: &str) -> impl Future<Output = CfnResult<()>> + Send;
    /// Whether the Shield Advanced subscription is active (`shield:GetSubscriptionState`).
    fn shield_subscription_active(&self) -> impl Future<Output = CfnResult<bool>> + Send;
    /// The versions of `engine` offered in `region` (`rds:DescribeDBEngineVersions`), only
    /// `version` when given.
    fn engine_versions(
        &self,
        region: &str,
        engine: &str,
        version: &str,
    ) -> impl Future<Output = CfnResult<Vec<EngineVersion>>> + Send;
    /// The region's available zones, in name order (`ec2:DescribeAvailabilityZones`).
    fn zones(&self, region: &str) -> impl Future<Output = CfnResult<Vec<Zone>>> + Send;
    /// The zone names an endpoint service is offered in (`ec2:DescribeVpcEndpointServices`);
    /// `None` when the region does not offer the service.
    fn endpoint_service_zones(
        &self,
        region: &str,
        service: &str,
    ) -> impl Future<Output = CfnResult<Option<Vec<String>>>> + Send;
    /// Whether AWS Backup manages DynamoDB with its advanced features in `region`
    /// (`backup:DescribeRegionSettings`, `ResourceTypeManagementPreference["DynamoDB"]`);
    /// `None` when the answer does not say.
    fn backup_dynamodb_advanced(&self, region: &str) -> impl Future<Output = CfnResult<Option<bool>>> + Send;
    /// Whether the hosted zone exists (`route53:GetHostedZone`).
    fn hosted_zone_exists(&self, id: &str) -> impl Future<Output = CfnResult<bool>> + Send;
    /// The ids of the account's hosted zones named `name` (`route53:ListHostedZonesByName`;
    /// `name` with or without its trailing dot), as CloudFormation looks a `HostedZoneName` up.
    fn hosted_zones_named(&self, name: &str) -> impl Future<Output = CfnResult<Vec<String>>> + Send;
    /// The applied quota value in `region` (`servicequotas:GetServiceQuota`), `None` when
    /// Service Quotas does not know it.
    fn quota(&self, region: &str, quota: Quota) -> impl Future<Output = CfnResult<Option<f64>>> + Send;
    /// How many the region holds now, where that is one cheap call (`ec2:DescribeVpcs`,
    /// `ec2:DescribeAddresses`); `None` where haplat does not count: load balancers, which only
    /// the ELB API (`DescribeLoadBalancers`) or CloudWatch's `AWS/Usage` metrics would count,
    /// and haplat links neither SDK crate.
    fn usage(&self, region: &str, quota: Quota) -> impl Future<Output = CfnResult<Option<u32>>> + Send;
}
