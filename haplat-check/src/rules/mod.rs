//! Every rule of `haplat check`, as data. A new rule gets the next id, a row here, a check
//! function in the module of its area, and a test with a template that breaks it and one that
//! passes (`haplat-check/tests/it/rules.rs`); `docs/checks.md` is generated from this list.

mod account;
mod alarms;
mod data;
mod images;
mod lifecycle;
mod objectives;
mod realtime;

pub use lifecycle::{DELETION_PROTECTION_PARAMETER, fixed_name};
mod regions;
mod scaling;
mod synthetics;
mod traffic;

pub use synthetics::{DEPRECATED_RUNTIMES, deprecated_runtime};

use crate::rule::{Rule, Severity};

/// The rules, by id.
pub static RULES: &[Rule] = &[
    Rule {
        id: "HAP001",
        name: "DeletionProtectionBlocksDelete",
        severity: Severity::Error,
        title: "Deletion protection is on but the DeletionPolicy deletes the resource",
        aws_rule: "A resource with deletion protection on (a load balancer's deletion_protection.enabled, \
                   RDS/Aurora DeletionProtection, DynamoDB DeletionProtectionEnabled, …) cannot be deleted until \
                   protection is turned off. CloudFormation deletes a resource whose DeletionPolicy is Delete, \
                   Snapshot or absent (the default deletes) when the stack is deleted or the resource is removed, \
                   so that delete fails: the resource and the stack end in DELETE_FAILED, and what it sits in \
                   (subnets, security groups, VPC) cannot be deleted either.",
        docs: "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html",
        fix: "Bind the protection to the stack parameter HaplatDeletionProtection (Default true; haplat-constructs' \
              `protection::on`), which `haplat destroy` sets to false and waits for before deleting the stack; or \
              keep the resource (DeletionPolicy Retain, and say so in what destroy keeps).",
        check: lifecycle::deletion_protection,
    },
    Rule {
        id: "HAP002",
        name: "RetainedResourceHoldsDeletedNetwork",
        severity: Severity::Error,
        title: "A retained resource uses subnets, security groups or a subnet group that the stack deletes",
        aws_rule: "DeletionPolicy Retain (or RetainExceptOnCreate) keeps a resource when its stack is deleted, \
                   but CloudFormation still deletes every other resource. A kept database keeps its network \
                   interfaces in its subnets and security groups and its DB subnet group: EC2 refuses to delete \
                   a security group or subnet in use (DependencyViolation) and RDS a subnet group in use \
                   (InvalidDBSubnetGroupStateFault), so the stack ends in DELETE_FAILED.",
        docs: "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html",
        fix: "Retain the network the kept resource needs too (subnet group, security groups, subnets, VPC), or \
              delete the resource with the stack (Snapshot for a database), or have destroy remove it first.",
        check: lifecycle::retained_network,
    },
    Rule {
        id: "HAP003",
        name: "RetainedFixedNameCollides",
        severity: Severity::Warning,
        title: "A retained resource has a fixed name that collides on the next deploy",
        aws_rule: "A retained resource outlives its stack. Names of backup vaults, secrets, log groups, DB \
                   cluster and global cluster identifiers, tables and buckets are unique per account and region \
                   (buckets: globally), so creating the stack again (or adding the region to the stack set) \
                   fails with AlreadyExists while the kept one is there.",
        docs: "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html",
        fix: "Let CloudFormation generate the name, or plan the redeploy: delete or import the kept resource \
              first. Suppress with the reason when the name is kept on purpose.",
        check: lifecycle::retained_fixed_names,
    },
    Rule {
        id: "HAP004",
        name: "ApiGatewayLogsNeedAccountRole",
        severity: Severity::Warning,
        title: "An API Gateway stage logs to CloudWatch, which needs the account's API Gateway logging role",
        aws_rule: "REST and WebSocket API stages write execution and access logs to CloudWatch Logs through the \
                   IAM role set in API Gateway's account settings (CloudWatchRoleArn), once per account and \
                   region. Without it, creating or updating the stage fails: \"CloudWatch Logs role ARN must be \
                   set in account settings to enable logging\". HTTP APIs do not need it.",
        docs: "https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html",
        fix: "Set the role in every region the stage is deployed to (`haplat bootstrap`, or an \
              AWS::ApiGateway::Account resource in one stack per region); `haplat doctor` checks it.",
        check: account::api_gateway_logging_role,
    },
    Rule {
        id: "HAP005",
        name: "ContinuousBackupContradictsRetention",
        severity: Severity::Error,
        title: "A database sets BackupRetentionPeriod while a continuous-backup rule of AWS Backup selects it",
        aws_rule: "When an AWS Backup rule with EnableContinuousBackup selects an RDS or Aurora database, AWS \
                   Backup manages its point-in-time recovery and its retention. RDS then rejects a modify request \
                   that sends another BackupRetentionPeriod (it may be blank or the current value), and the \
                   CloudFormation handler sends the template's value on every update of the cluster, even a tag \
                   change.",
        docs: "https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery.html",
        fix: "Leave BackupRetentionPeriod out of clusters that a continuous-backup rule selects, or do not \
              select them (use snapshot rules only).",
        check: data::continuous_backup_retention,
    },
    Rule {
        id: "HAP006",
        name: "CacheBehaviourRefusesApiMethods",
        severity: Severity::Error,
        title: "A CloudFront cache behaviour allows only read methods on paths an API route serves",
        aws_rule: "A cache behaviour whose AllowedMethods are GET and HEAD (or GET, HEAD and OPTIONS) makes \
                   CloudFront answer 403 to any other method on the paths it matches, before the request reaches \
                   the origin; a load balancer rule that routes those paths to a service never sees a write.",
        docs: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-403-invalid-method.html",
        fix: "Allow GET, HEAD, OPTIONS, PUT, PATCH, POST and DELETE in behaviours in front of API routes (cache \
              policy decides what is cached), or narrow the behaviour's path pattern to read-only paths.",
        check: traffic::cache_methods_vs_routes,
    },
    Rule {
        id: "HAP007",
        name: "BlueGreenListenerRuleChanged",
        severity: Severity::Error,
        title: "A change to a listener rule that ECS blue/green deployments manage",
        aws_rule: "With an ECS service's AdvancedConfiguration (blue/green, linear or canary deployments), ECS \
                   moves traffic by changing the forward weights of the production (and test) listener rule, so \
                   after a deployment the live weights may be the opposite of the template's. CloudFormation \
                   updates a resource only when its template changes, and then writes the whole rule with the \
                   template's weights, moving traffic to the group ECS drained. This rule compares the new \
                   template with the deployed one (`haplat deploy`, `haplat check --baseline DIR`); without one \
                   it cannot tell and says nothing.",
        docs: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-deployment-implementation.html",
        fix: "Keep the rule as deployed (its priority, conditions and actions): haplat derives them from the route, \
              so change a service's paths or listener only deliberately. When it must change, deploy when the live \
              weights equal the template's (after an even number of deployments, or after one more) and suppress \
              HAP007 on the rule for that deploy with that reason, or route the new paths through a new rule.",
        check: traffic::blue_green_listener_rule,
    },
    Rule {
        id: "HAP008",
        name: "SecretResolvedWhereItDoesNotExist",
        severity: Severity::Error,
        title: "A dynamic reference resolves a secret by name in a region where the assembly does not create it",
        aws_rule: "CloudFormation resolves {{resolve:secretsmanager:name}} in the region of the stack being \
                   deployed. A secret exists in the region of its stack and in its ReplicaRegions; anywhere else \
                   the reference fails and so does the stack operation.",
        docs: "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html",
        fix: "Replicate the secret to every region of the stacks that resolve it (ReplicaRegions), or resolve it \
              only where it exists.",
        check: data::secret_regions,
    },
    Rule {
        id: "HAP009",
        name: "CriticalAlarmWithoutActions",
        severity: Severity::Error,
        title: "An alarm labelled critical has no actions",
        aws_rule: "A CloudWatch alarm does nothing but change state unless it has AlarmActions (an SNS topic, an \
                   Auto Scaling or EC2 action, a Systems Manager incident) and ActionsEnabled is true.",
        docs: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html",
        fix: "Send it to the alarm topic, or feed it into a composite alarm or Route 53 health check that acts; \
              if it is not critical, do not call it so.",
        check: alarms::critical_alarm_actions,
    },
    Rule {
        id: "HAP010",
        name: "ShieldAdvancedNeedsSubscription",
        severity: Severity::Warning,
        title: "A Shield Advanced protection needs an active subscription in the account",
        aws_rule: "AWS::Shield::Protection can only be created in an account subscribed to Shield Advanced; the \
                   subscription is a one-year commitment with a monthly fee, made once per account (or \
                   organization), not by a template.",
        docs: "https://docs.aws.amazon.com/waf/latest/developerguide/enable-ddos-prem.html",
        fix: "Subscribe before the first deploy (`haplat doctor` checks it), or leave Shield Advanced out of \
              environments without a subscription.",
        check: account::shield_subscription,
    },
    Rule {
        id: "HAP011",
        name: "AuroraGlobalVersionPerRegion",
        severity: Severity::Warning,
        title: "An Aurora global database pins an engine version that every region must offer",
        aws_rule: "Aurora global databases support only some engine versions, and regions add versions at \
                   different times (Serverless v2 likewise). A secondary cluster in a region that does not offer \
                   the global cluster's version with global-database support cannot be created.",
        docs: "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.GlobalDatabase.html",
        fix: "Pick a version listed for global databases in every region of the stack set; `haplat doctor` \
              checks the versions each region offers.",
        check: account::aurora_global_version,
    },
    Rule {
        id: "HAP012",
        name: "ZoneChosenByName",
        severity: Severity::Warning,
        title: "Subnets pick availability zones by name where Fargate or interface endpoints need the zone ID",
        aws_rule: "Availability zone names are mapped to physical zones (zone IDs) differently in each account, \
                   and Fn::GetAZs lists names. Fargate and some interface endpoint services are not offered in \
                   every zone ID (for example use1-az3), so a subnet chosen by name may land where they cannot \
                   run.",
        docs: "https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html",
        fix: "Choose subnets by AvailabilityZoneId, or let `haplat doctor` check the zone IDs behind the names \
              against Fargate and the endpoints.",
        check: account::zone_names,
    },
    Rule {
        id: "HAP013",
        name: "ImageCannotServePortOrHealthCheck",
        severity: Severity::Error,
        title: "A container's port or health check path is one its image does not serve",
        aws_rule: "A load balancer marks a target healthy only when the health check path answers on the \
                   registered port. An image that listens elsewhere, or answers 404 on the path, never gets a \
                   healthy target; ECS's deployment circuit breaker then fails the deployment and CloudFormation \
                   rolls the stack back.",
        docs: "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html",
        fix: "Run an image that listens on the container port and serves the health check path, or set the \
              port and path to what the image serves (nginx and httpd: port 80, path /).",
        check: traffic::image_port_and_health,
    },
    Rule {
        id: "HAP014",
        name: "GlobalTableCreatedOnceAmongReplicas",
        severity: Severity::Error,
        title: "A DynamoDB global table is declared in a stack set over several regions or outside its replicas",
        aws_rule: "An AWS::DynamoDB::GlobalTable resource creates the table in every region of its Replicas. It \
                   must be created from one stack, in a region listed among the replicas (\"The Replicas section \
                   must contain an entry for the current region\"); a stack set deployed to several regions would \
                   create the same table once per instance, and every instance after the first fails.",
        docs: "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-dynamodb-globaltable.html",
        fix: "Declare the global table in a stack deployed to one region and list that region among its \
              replicas; the other regions are replicas, not stack instances.",
        check: regions::global_table_regions,
    },
    Rule {
        id: "HAP015",
        name: "CloudFrontPartsInUsEast1",
        severity: Severity::Error,
        title: "What CloudFront uses (certificate, CLOUDFRONT web ACL, Lambda@Edge) is made outside us-east-1",
        aws_rule: "CloudFront is a global service configured from us-east-1: a distribution accepts only ACM \
                   certificates requested in us-east-1, AWS WAF web ACLs with Scope CLOUDFRONT can only be created \
                   in us-east-1, and Lambda@Edge functions must be created there too.",
        docs: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cnames-and-https-requirements.html",
        fix: "Deploy the certificate, the web ACL and edge functions in a stack in us-east-1, and pass their \
              ARNs to the distribution.",
        check: regions::cloudfront_us_east_1,
    },
    Rule {
        id: "HAP016",
        name: "AccountWideNameInSeveralRegions",
        severity: Severity::Error,
        title: "A stack set deployed to several regions gives an account-wide name to a resource",
        aws_rule: "IAM names (roles, policies, users, groups, instance profiles) are unique in an account across \
                   all regions, S3 bucket names across all of AWS, and global cluster identifiers per account. A \
                   stack set creates its resources once per region, so a fixed name without the region in it \
                   exists after the first instance and every other instance fails.",
        docs: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html",
        fix: "Put ${AWS::Region} in the name, or leave the name out so that CloudFormation generates one.",
        check: regions::account_wide_names,
    },
    Rule {
        id: "HAP017",
        name: "BackupCopyToMissingVault",
        severity: Severity::Error,
        title: "A backup rule copies to a vault that does not exist in the destination region",
        aws_rule: "An AWS Backup copy action sends each recovery point to the vault named by \
                   DestinationBackupVaultArn. The vault must exist in that region (and account) when the copy \
                   runs; otherwise every copy job fails and the plan keeps no copy in the other region.",
        docs: "https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html",
        fix: "Deploy the vault to every destination region (the backup stack set in those regions), or change \
              the copy destination to a region that has it.",
        check: data::backup_copy_vaults,
    },
    Rule {
        id: "HAP018",
        name: "HealthCheckAlarmInOtherRegion",
        severity: Severity::Error,
        title: "A Route 53 health check looks for its CloudWatch alarm in a region the alarm is not in",
        aws_rule: "A CLOUDWATCH_METRIC health check names an alarm and the region it was created in \
                   (AlarmIdentifier); Route 53 reads the alarm's state from that region only. An alarm of that \
                   name elsewhere is not seen: the health check has insufficient data and reports what \
                   InsufficientDataHealthStatus says, not the alarm.",
        docs: "https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html",
        fix: "Give AlarmIdentifier.Region the region of the stack instance the alarm's name is read from.",
        check: alarms::health_check_alarm_region,
    },
    Rule {
        id: "HAP019",
        name: "GlobalTableReplicasChangedByMoreThanOne",
        severity: Severity::Error,
        title: "An update adds or removes more than one replica of a DynamoDB global table",
        aws_rule: "A global table is created with as many replicas as needed, but afterwards CloudFormation adds \
                   or removes only a single replica in each update; an update that changes more fails, and when \
                   it rolls back while adding a replica that replica may have to be deleted by hand. This rule \
                   compares the new template with the deployed one (`haplat deploy`, `haplat check --baseline \
                   DIR`); without one it cannot tell.",
        docs: "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-globaltable.html",
        fix: "Add (or remove) the regions one per deploy: deploy the environment with one region more, then the next.",
        check: regions::global_table_replica_changes,
    },
    Rule {
        id: "HAP020",
        name: "DesiredCountResetsAutoscaling",
        severity: Severity::Error,
        title: "An auto-scaled ECS service sets DesiredCount in the template",
        aws_rule: "Application Auto Scaling changes an ECS service's desired count within the scalable target's \
                   MinCapacity and MaxCapacity. CloudFormation sends the template's DesiredCount with every update \
                   of the service (a new task definition, a tag, a deployment setting), which sets the count back to \
                   the template's value in every region at once until scaling catches up; without DesiredCount, an \
                   update keeps the count as it is (\"For existing services, if a desired count is not specified, it \
                   is omitted from the operation\"), and registering the scalable target raises a new service to \
                   MinCapacity.",
        docs: "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecs-service.html",
        fix: "Leave DesiredCount out of services that a scalable target scales, and set the floor with MinCapacity \
              (haplat's services do; `FargateServiceProps::desired_count: None`).",
        check: scaling::desired_count_with_autoscaling,
    },
    Rule {
        id: "HAP021",
        name: "RequestScalingOnOneBlueGreenTargetGroup",
        severity: Severity::Error,
        title: "A blue/green ECS service scales on ALBRequestCountPerTarget of one target group",
        aws_rule: "The predefined metric ALBRequestCountPerTarget follows the one target group its ResourceLabel \
                   names, and ECS's blue/green, canary and linear deployments move the live tasks to the alternate \
                   target group and back with each deployment (ECS lists ALBRequestCountPerTarget as not supported \
                   for blue/green). While the traffic is on the other group the metric has no data, and a target \
                   tracking policy does not scale on insufficient data.",
        docs: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-autoscaling-targettracking.html",
        fix: "Track requests per target over both target groups with a customized metric (metric math: the sum of \
              RequestCount over the sum of HealthyHostCount; haplat's services do), or scale on CPU and memory only.",
        check: scaling::request_scaling_with_blue_green,
    },
    Rule {
        id: "HAP022",
        name: "WafLogsGrowSharedLogPolicy",
        severity: Severity::Warning,
        title: "WAF logs go to a CloudWatch Logs group that no resource policy of the stack grants",
        aws_rule: "Logging a web ACL to CloudWatch Logs needs a resource policy letting delivery.logs.amazonaws.com \
                   write to the group. When none grants it, WAF creates or extends the account's shared AWSWAF-LOGS \
                   resource policy in the region; resource policies are limited to 5,120 characters and 10 per \
                   region, so with enough web ACLs and log groups (every environment's edge in us-east-1 adds one) \
                   PutLoggingConfiguration fails with WAFLogDestinationPermissionIssueException.",
        docs: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html",
        fix: "Declare an AWS::Logs::ResourcePolicy for the log group (delivery.logs.amazonaws.com, \
              logs:CreateLogStream and logs:PutLogEvents, aws:SourceAccount) and make the logging configuration \
              depend on it (`WebAcl::log_to` does).",
        check: account::waf_log_delivery_policy,
    },
    Rule {
        id: "HAP023",
        name: "EmailSubscriptionExpiresUnconfirmed",
        severity: Severity::Warning,
        title: "Alarms notify e-mail subscriptions that must be confirmed within 48 hours in every region",
        aws_rule: "An SNS e-mail subscription stays PendingConfirmation until the recipient follows the link of the \
                   confirmation mail; SNS deletes it after 48 hours unconfirmed. CloudFormation reports the \
                   subscription created either way and never creates it again. A stack set sends one mail per \
                   address and region, each from that region's topic.",
        docs: "https://docs.aws.amazon.com/sns/latest/dg/sns-delete-subscription-topic.html",
        fix: "Confirm every mail within 48 hours of each region's first deploy (docs/first-deploy.md), or subscribe \
              an endpoint that needs no confirmation by a person (an HTTPS endpoint or chat integration); suppress \
              with the reason once the team owns that step.",
        check: account::email_subscriptions,
    },
    Rule {
        id: "HAP024",
        name: "RetainedMemberBlocksContainerDelete",
        severity: Severity::Error,
        title: "A retained member keeps a container that the stack deletes from being deleted",
        aws_rule: "Some containers cannot be deleted while they have members: RDS refuses to delete a DB cluster \
                   that still contains DB instances, and a global cluster that still has member clusters. With \
                   DeletionPolicy Retain on the member, CloudFormation leaves the member in place and then deletes \
                   the container (Delete or Snapshot), which fails, so the stack ends in DELETE_FAILED.",
        docs: "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_DeleteCluster.html",
        fix: "Give the member the container's fate: an Aurora instance holds no data of its own, so Delete it with \
              a cluster that is deleted with a snapshot; or retain the container too.",
        check: lifecycle::retained_member,
    },
    Rule {
        id: "HAP025",
        name: "FailoverSlowerThanObjective",
        severity: Severity::Error,
        title: "A region's failure can take longer to route around than the app's failover objective",
        aws_rule: "Route 53 stops answering with a record once its health check is unhealthy, and resolvers keep the \
                   old answer for the record's TTL (an alias to a load balancer: 60 s). An endpoint check turns \
                   unhealthy after FailureThreshold failed requests RequestInterval apart (each failing after 4 s to \
                   connect and 2 s to answer); a check on a CloudWatch alarm after the alarm's DatapointsToAlarm \
                   periods, behind what feeds the metric (a target group's UnhealthyThresholdCount checks \
                   HealthCheckIntervalSeconds apart); a calculated check once fewer than HealthThreshold children \
                   are healthy. The sum is the worst case before traffic leaves the failed region.",
        docs: "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html",
        fix: "Shorten the slowest links the message names: an endpoint check every 10 s with a low failure threshold, \
              shorter target-group health checks, fewer alarm periods; or relax the objective \
              (docs/availability.md shows the model and its costs).",
        check: objectives::app_failover,
    },
    Rule {
        id: "HAP026",
        name: "DataLossObjectiveNotWatched",
        severity: Severity::Error,
        title: "Replicated data can fall further behind than the app's data-loss objective without anyone paged",
        aws_rule: "A DynamoDB global table in multi-Region eventual consistency replicates asynchronously, typically \
                   within a second, with no bound AWS guarantees: a region lost while replication lags loses what \
                   was not replicated yet. ReplicationLatency (per receiving region, in ms) is the only measure of \
                   that window; an average over minutes hides the peaks that lose data. Multi-Region strong \
                   consistency replicates synchronously and loses nothing. An Aurora global database replicates \
                   to its secondary clusters asynchronously too, typically under a second; they publish \
                   AuroraGlobalDBReplicationLag (ms).",
        docs: "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html",
        fix: "Alarm on ReplicationLatency (AuroraGlobalDBReplicationLag for Aurora) with the Maximum statistic \
              at or below the objective, with actions (haplat-constructs' monitoring takes the threshold from \
              Thresholds::replication_latency_ms, RegionalMonitoringProps::tables and ::databases), or use \
              DynamoDB multi-Region strong consistency.",
        check: objectives::data_loss,
    },
    Rule {
        id: "HAP027",
        name: "RegionProbeWithoutRoute",
        severity: Severity::Error,
        title: "A Route 53 region probe requests a path the distribution does not route to that region",
        aws_rule: "An HTTPS health check of `https://<edge name>/_haplat/probe/<region>/…` reaches the region only \
                   through a cache behaviour for `/_haplat/probe/<region>/*` to that region's origin (with the \
                   prefix stripped). Without it the request goes to the default behaviour: the latency-routed \
                   origin, so the probe follows whichever region is nearest the checker, not the one it is for, or \
                   the listener's 403, so the region is always unhealthy. When every region is unhealthy Route 53 \
                   answers with all of them, and failover silently stops working.",
        docs: "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-problems.html",
        fix: "Front the API with haplat-constructs' EdgeDistribution (it adds the probe routes for every endpoint \
              it is given), with the same regions as the API; or unset ApiProps::edge_probe_domain.",
        check: objectives::probe_routes,
    },
    Rule {
        id: "HAP028",
        name: "PagingAlarmWithoutRunbook",
        severity: Severity::Warning,
        title: "An alarm that pages does not say which runbook to open",
        aws_rule: "CloudWatch sends an alarm's AlarmDescription (up to 1024 characters) with every notification \
                   of its actions: it is all the person paged at night has in hand. An alarm labelled critical that \
                   notifies someone should say what is wrong and where the procedure is.",
        docs: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html",
        fix: "Name the runbook in the description (`runbook: <where>`); haplat-constructs' alarms take a \
              monitoring::Runbook (docs/runbooks/).",
        check: alarms::paging_alarm_runbook,
    },
    Rule {
        id: "HAP029",
        name: "AlarmActionInAnotherRegion",
        severity: Severity::Error,
        title: "An alarm notifies an SNS topic of another region",
        aws_rule: "A CloudWatch alarm's actions run in the alarm's region: an SNS action must name a topic of that \
                   region (cross-region notification is not supported). CloudFormation creates the alarm anyway; \
                   when it fires, the action fails and nobody is told.",
        docs: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html",
        fix: "Give each region an alarm topic (haplat-constructs' AlarmTopic, or the API's monitoring topic) and \
              read it in the alarm's own region (`.in_region` of the alarm's region, or a stack set reading its \
              own region's instance).",
        check: alarms::alarm_action_region,
    },
    Rule {
        id: "HAP030",
        name: "MutableImageTagInProduction",
        severity: Severity::Warning,
        title: "A production service's container image is named by a tag, not a digest",
        aws_rule: "ECS resolves a container image tag to a digest once per service deployment and starts that \
                   deployment's tasks from the digest (container image resolution). Each region's service resolves \
                   the tag at its own deployment: when the tag was moved in between (or pushed again where tags are \
                   mutable), regions run different code, and the next deployment of any change (a scaling setting, \
                   a failover region's update) silently picks up whatever the tag names then; the template shows no \
                   change. A digest (repository@sha256:…) names exactly one image in every region.",
        docs: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html#deployment-container-image-stability",
        fix: "Name the image by digest in the environment (CI writes it after the push, docs/images.md). A task \
              definition is production when haplat-constructs marks it (ServiceProps::production, metadata \
              haplat:production).",
        check: images::mutable_tag_in_production,
    },
    Rule {
        id: "HAP031",
        name: "ReplicationConfigurationTwice",
        severity: Severity::Error,
        title: "Two ECR replication configurations for one registry",
        aws_rule: "A private registry (account and region) has one replication configuration: \
                   PutReplicationConfiguration, which AWS::ECR::ReplicationConfiguration calls, replaces the whole \
                   configuration. Two resources for one registry overwrite each other's rules at every deploy, and \
                   deleting either deletes the registry's replication.",
        docs: "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutReplicationConfiguration.html",
        fix: "Keep one configuration per registry with one rule per repository prefix (haplat-constructs' \
              ImageRepositories with Replication::Owned in one stack, Replication::External in the others).",
        check: images::replication_owned_twice,
    },
    Rule {
        id: "HAP032",
        name: "ReplicaWithoutCreationTemplate",
        severity: Severity::Warning,
        title: "ECR replicates repositories to a region with no repository creation template for them",
        aws_rule: "Replicas are created by ECR in the destination region on the first replicated push, not by \
                   CloudFormation, and do not copy the source repository's settings: they take the destination \
                   registry's repository creation template for their prefix (applied for REPLICATION), and without \
                   one ECR's defaults: AES256 encryption, mutable tags, no lifecycle policy.",
        docs: "https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html",
        fix: "Add a repository creation template for the prefix in every destination region, with the region's KMS \
              key, immutable tags and the lifecycle policy (haplat-constructs' RepositoryTemplates in a stack set \
              over the platform's regions, deployed before the first push).",
        check: images::replicas_without_template,
    },
    Rule {
        id: "HAP033",
        name: "CreationTemplateKeyWithoutRole",
        severity: Severity::Error,
        title: "A repository creation template names a KMS key or resource tags but no role for ECR",
        aws_rule: "To create repositories with a template's KMS key or resource tags, ECR assumes the template's \
                   custom role (CustomRoleArn): a role trusting ecr.amazonaws.com that may create and tag \
                   repositories, replicate images and create grants on the key. Without it, ECR cannot apply them \
                   and the replicas or cached repositories are not created as the template says.",
        docs: "https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates-create.html",
        fix: "Give the template a CustomRoleArn (haplat-constructs' RepositoryTemplates makes the role, scoped to \
              its prefixes and the region's key).",
        check: images::template_key_without_role,
    },
    Rule {
        id: "HAP034",
        name: "ServiceConnectWithExternalDeployments",
        severity: Severity::Error,
        title: "An ECS service uses Service Connect with the CODE_DEPLOY or EXTERNAL deployment controller",
        aws_rule: "ECS Service Connect is part of the deployments ECS itself runs: the rolling update and ECS \
                   blue/green, whose managed traffic shifting covers Service Connect. Services deployed by \
                   CodeDeploy (CODE_DEPLOY) or an external controller (EXTERNAL) cannot use it (ECS maintainers: \
                   github.com/aws/amazon-ecs-service-connect-agent/issues/74; containers-roadmap#1993), so creating \
                   or updating such a service fails.",
        docs: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-deployment-implementation.html",
        fix: "Deploy the service with the ECS controller (haplat's Deployment strategies are all ECS native), or \
              leave Service Connect off for it and call it through its load balancer.",
        check: images::service_connect_needs_ecs_deployments,
    },
    Rule {
        id: "HAP035",
        name: "AliasEvaluatesIdleTargetGroup",
        severity: Severity::Error,
        title: "A routed alias record evaluates the health of a load balancer with an empty target group",
        aws_rule: "With EvaluateTargetHealth, an alias to an Application or Network Load Balancer is healthy only \
                   while every target group of the load balancer has a healthy target, and a target group that has \
                   no registered targets is considered unhealthy. A blue/green service's idle target group has none \
                   between deployments, so the record is unhealthy at rest in every region; when all the records of \
                   a routing policy are unhealthy Route 53 answers with all of them, and failover silently stops.",
        docs: "https://docs.aws.amazon.com/Route53/latest/APIReference/API_AliasTarget.html",
        fix: "Set EvaluateTargetHealth to false on records that carry a health check (haplat-constructs' FailoverDns \
              does), and let the health check watch the services' target groups.",
        check: traffic::alias_evaluates_idle_group,
    },
    Rule {
        id: "HAP036",
        name: "CalculatedCheckThresholdFixed",
        severity: Severity::Error,
        title: "A calculated health check's HealthThreshold fixes its status whatever its children say",
        aws_rule: "A CALCULATED health check is healthy while at least HealthThreshold of its children are healthy. \
                   With a number greater than the number of child health checks, Route 53 always considers it \
                   unhealthy; with 0, always healthy. Records that follow it then never route to its endpoint, or \
                   never fail over. (`haplat failover` sets a threshold above the children on purpose, outside the \
                   template, to take a region out; `haplat failback` puts the template's value back.)",
        docs: "https://docs.aws.amazon.com/Route53/latest/APIReference/API_UpdateHealthCheck.html",
        fix: "Set HealthThreshold between 1 and the number of ChildHealthChecks; to move traffic by hand, use \
              `haplat failover`, not the template.",
        check: traffic::calculated_threshold_fixed,
    },
    Rule {
        id: "HAP040",
        name: "CanaryRuntimeDeprecated",
        severity: Severity::Error,
        title: "A Synthetics canary runs on a runtime AWS has deprecated",
        aws_rule: "When any component of a Synthetics runtime version is no longer supported, the runtime is \
                   deprecated: no canary can be created on it (the stack's create or replacement fails), and canaries \
                   that already use it keep running without updates until moved to a supported runtime.",
        docs: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Runtime_Support_Policy.html",
        fix: "Set RuntimeVersion to a supported runtime (haplat's canaries use the most recent Node.js one, \
              haplat_constructs::canary::CANARY_RUNTIME) and check that the script runs on it.",
        check: synthetics::canary_runtime_deprecated,
    },
    Rule {
        id: "HAP041",
        name: "CanaryNeverStarts",
        severity: Severity::Warning,
        title: "A Synthetics canary is created stopped, so it never runs",
        aws_rule: "StartCanaryAfterCreation defaults to false: CloudFormation then leaves the canary in the READY \
                   state, and it runs only after a StartCanary call. A stopped canary publishes no SuccessPercent, so \
                   an alarm on it (and a Route 53 health check or FIS stop condition that follows the alarm) never \
                   sees a failure.",
        docs: "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-synthetics-canary.html",
        fix: "Set StartCanaryAfterCreation to true (haplat's Canaries do), or suppress the finding with the reason \
              when the canary is started on purpose by hand.",
        check: synthetics::canary_never_starts,
    },
    Rule {
        id: "HAP044",
        name: "WebSocketAuthorizerOutsideConnect",
        severity: Severity::Error,
        title: "A WebSocket API route other than $connect has an authorizer, or a WebSocket API has a JWT authorizer",
        aws_rule: "API Gateway runs a WebSocket API's Lambda REQUEST authorizer only on $connect (\"You can only use a \
                   Lambda authorizer function for the $connect route\"); later messages travel on the connection it \
                   let in. JWT authorizers exist for HTTP APIs only. A route or authorizer otherwise fails to create.",
        docs: "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html",
        fix: "Put the authorizer on $connect only (haplat-constructs' RealtimeApi does), and verify a JWT inside a \
              Lambda REQUEST authorizer.",
        check: realtime::authorizer_outside_connect,
    },
    Rule {
        id: "HAP045",
        name: "WebSocketDomainNotRegional",
        severity: Severity::Error,
        title: "A WebSocket API's custom domain is not Regional, not TLS 1.2, or has a certificate of another region",
        aws_rule: "Custom domain names of WebSocket APIs: \"Only Regional custom domain names are supported\" and \
                   \"For the minimum TLS version, only TLS 1.2 is supported\"; a Regional custom domain needs an ACM \
                   certificate \"in the same Region as your API\". Otherwise creating the domain name fails.",
        docs: "https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-custom-domain-names.html",
        fix: "Make the domain REGIONAL with SecurityPolicy TLS_1_2 and a certificate created in each region of the \
              stack set beside it (haplat-constructs' RealtimeApi with a RealtimeDomain; certificate::Certificate).",
        check: realtime::websocket_domain_not_regional,
    },
    Rule {
        id: "HAP046",
        name: "WebSocketStageUnthrottled",
        severity: Severity::Warning,
        title: "A WebSocket API stage sets no throttling of its own",
        aws_rule: "AWS WAF cannot be associated with a WebSocket API (its regional resources are REST APIs, ALBs, \
                   AppSync, Cognito user pools, App Runner, Verified Access and Amplify), so a WebSocket stage's \
                   throttles and its $connect authorizer are its only protection; without its own limits a stage \
                   runs up to the account's regional throttle, shared by every API of the account.",
        docs: "https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-associating-aws-resource.html",
        fix: "Set ThrottlingRateLimit and ThrottlingBurstLimit in DefaultRouteSettings (and per route in RouteSettings; \
              haplat-constructs' RealtimeProps::stage_throttle and route_throttles).",
        check: realtime::websocket_stage_unthrottled,
    },
    Rule {
        id: "HAP047",
        name: "DeadLettersExpireFirst",
        severity: Severity::Warning,
        title: "A standard queue's dead-letter queue keeps messages no longer than the queue",
        aws_rule: "For standard queues, a message moved to a dead-letter queue keeps its original enqueue timestamp, \
                   and its expiration is counted from it: AWS recommends a dead-letter queue retention longer than \
                   the source queue's, or failed messages expire in the dead-letter queue soon after arriving.",
        docs: "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html",
        fix: "Give the dead-letter queue a longer MessageRetentionPeriod (14 days, 1209600 s; haplat-constructs' \
              WorkQueue does).",
        check: realtime::dead_letters_expire_first,
    },
    Rule {
        id: "HAP048",
        name: "ManageConnectionsOnAnyApi",
        severity: Severity::Warning,
        title: "execute-api:ManageConnections is allowed on every API of the account",
        aws_rule: "A backend replies to WebSocket clients with the @connections API, authorized by IAM \
                   (execute-api:ManageConnections on arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/<method>/@connections/<id>). \
                   A wildcard API id (or \"*\") lets the principal post to, read and close the connections of every \
                   WebSocket API in the account.",
        docs: "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-control-access-iam.html",
        fix: "Name the API and stage: …:<api-id>/<stage>/POST/@connections/* (haplat-constructs' RealtimeWorkers \
              grants exactly that for each region's API).",
        check: realtime::manage_connections_on_any_api,
    },
    Rule {
        id: "HAP049",
        name: "ManageConnectionsWrongArn",
        severity: Severity::Warning,
        title: "execute-api:ManageConnections is allowed on an ARN that is not the @connections API's",
        aws_rule: "The @connections API of a WebSocket API is authorized on \
                   arn:aws:execute-api:<region>:<account>:<api-id>/<stage-name>/POST/@connections (the REST form, \
                   with the method), not on a route's ARN <api-id>/<stage-name>/<route-key>, which is what Invoke \
                   takes. A permission on the route form lets the backend post to no connection: every \
                   PostToConnection is refused with 403.",
        docs: "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-control-access-iam.html",
        fix: "Grant on …:<api-id>/<stage>/POST/@connections/* (haplat-constructs' RealtimeApi::connections_arn), and \
              call the management endpoint https://<api-id>.execute-api.<region>.amazonaws.com/<stage> (or the \
              custom domain and base path), not the wss:// URL.",
        check: realtime::manage_connections_wrong_arn,
    },
    Rule {
        id: "HAP050",
        name: "PerRequestTimeoutOnTcpPort",
        severity: Severity::Error,
        title: "A Service Connect per-request timeout on a port published as TCP",
        aws_rule: "Service Connect's per-request timeout can be set only when the port's application protocol is \
                   not TCP; a port mapping without AppProtocol is TCP, and for it ECS accepts only the idle \
                   timeout, so creating or updating the service fails.",
        docs: "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TimeoutConfiguration.html",
        fix: "Give the port mapping its application protocol (http, http2 or grpc) when the task speaks it in the \
              clear, or keep only IdleTimeoutSeconds for a port that serves TLS itself (haplat-constructs' \
              TargetProtocol::Https with per_request_seconds 0).",
        check: images::per_request_timeout_on_tcp_port,
    },
    Rule {
        id: "HAP051",
        name: "SecondAccountSingleton",
        severity: Severity::Error,
        title: "Two GuardDuty detectors, Security Hub hubs, Config recorders or delivery channels in one region",
        aws_rule: "GuardDuty, Security Hub and AWS Config are enabled once per account and region: one detector, \
                   one hub subscription, one customer managed configuration recorder and one delivery channel. \
                   Creating a second fails, and an account where Control Tower or a delegated administrator \
                   already enabled them refuses even the first.",
        docs: "https://docs.aws.amazon.com/guardduty/latest/APIReference/API_CreateDetector.html",
        fix: "Declare each once per region (haplat-constructs' AccountBaseline, one per account), and turn off \
              the parts the account already has (AccountBaselineProps::guardduty, security_hub, config).",
        check: account::one_per_region,
    },
    Rule {
        id: "HAP052",
        name: "ConfigRecorderAndChannelWaitForEachOther",
        severity: Severity::Error,
        title: "A Config recorder that starts on create and its delivery channel depend on each other",
        aws_rule: "A configuration recorder starts recording when CloudFormation creates it (StartedOnCreate \
                   defaults to true), and AWS Config starts a recorder only when a delivery channel exists \
                   (NoAvailableDeliveryChannelException); a delivery channel can be created only once a \
                   recorder exists. A DependsOn or reference between the two, either way, makes one wait for \
                   what cannot exist yet: the create fails or hangs.",
        docs: "https://docs.aws.amazon.com/config/latest/APIReference/API_StartConfigurationRecorder.html",
        fix: "Create them in the same template with no dependency between them (the delivery channel may wait \
              for its bucket's policy), as haplat-constructs' AccountBaseline does.",
        check: account::config_recorder_and_channel,
    },
    Rule {
        id: "HAP053",
        name: "ServiceConnectAppProtocolChanged",
        severity: Severity::Error,
        title: "A Service Connect port's application protocol changed on a deployed service",
        aws_rule: "The appProtocol of a port mapping is immutable in a Service Connect service: changing it needs \
                   the service deleted and deployed again, so the stack update fails. Compared with the deployed \
                   template (haplat check --baseline, or haplat diff and deploy, which read it).",
        docs: "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PortMapping.html",
        fix: "Keep the protocol (for instance keep TargetProtocol::Http), or deploy the service under another \
              name and remove the old one once traffic has moved.",
        check: images::app_protocol_changed,
    },
    Rule {
        id: "HAP054",
        name: "RoutingControlsWithoutSafetyRule",
        severity: Severity::Error,
        title: "A control panel's routing controls can all be turned off",
        aws_rule: "Route 53 ARC applies a routing control state change only when the control panel's safety rules \
                   still hold afterwards. Without an assertion rule that keeps at least one of the panel's routing \
                   controls on (ATLEAST with a threshold of 1 or more, or OR, not inverted, over every control), an \
                   operator or a script can turn every region off at once, and no region is left to serve.",
        docs: "https://docs.aws.amazon.com/r53recovery/latest/dg/routing-control.safety-rules.html",
        fix: "Add an AWS::Route53RecoveryControl::SafetyRule with an AssertionRule over every routing control of \
              the panel and RuleConfig Type ATLEAST, Threshold 1, Inverted false (haplat-constructs' \
              RecoveryControl makes it).",
        check: traffic::routing_controls_without_safety_rule,
    },
    Rule {
        id: "HAP055",
        name: "RoutedRecordIgnoresRoutingControl",
        severity: Severity::Error,
        title: "A routing control moves no traffic, or the record it gates lost its automatic failover",
        aws_rule: "A routing control reroutes traffic only through a RECOVERY_CONTROL health check that a routed \
                   record follows: one that nothing follows changes no DNS answer when turned off. A record takes a \
                   single health check, so a record that follows a routing control keeps automatic, health-based \
                   failover only when it is an alias that evaluates the health of a record that follows the \
                   region's own check (an alias whose target records are all unhealthy is unhealthy itself).",
        docs: "https://docs.aws.amazon.com/r53recovery/latest/dg/routing-control.create-health-check.html",
        fix: "Give each routing control a RECOVERY_CONTROL health check and each region's routed record that \
              check, aliased with EvaluateTargetHealth true to a weighted record that follows the region's own \
              health check (haplat-constructs' FailoverDns with routing_controls does both).",
        check: traffic::routed_record_ignores_routing_control,
    },
    Rule {
        id: "HAP056",
        name: "DeploymentWithoutLoadBalancer",
        severity: Severity::Error,
        title: "An ECS service deploys blue/green with CodeDeploy, or shifts traffic with ECS, with nothing to shift \
                it on",
        aws_rule: "An ECS service with the CODE_DEPLOY deployment controller must use an Application or Network \
                   Load Balancer (AWS::ECS::Service LoadBalancer: \"the service is required to use either an \
                   Application Load Balancer or Network Load Balancer\"); without LoadBalancers the service cannot \
                   be created. ECS-controlled blue/green, canary and linear deployments shift traffic on a load \
                   balancer or Service Connect; a service with neither gets none of the traffic shifting.",
        docs: "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-ecs-service-loadbalancer.html",
        fix: "Deploy a service that no load balancer serves (a Cloud-Map-only internal service, a worker) with \
              ECS rolling deployments and the circuit breaker's rollback (haplat's Deployment::Rolling, which \
              ServiceProps::cloud_map_only sets), or put it behind a load balancer.",
        check: traffic::deployment_without_load_balancer,
    },
    Rule {
        id: "HAP057",
        name: "SloLooserThanObjective",
        severity: Severity::Error,
        title: "A declared service level objective has no SLO alarming on it, or an SLO is looser than it",
        aws_rule: "CloudWatch alarms only on what is configured: an availability or latency objective that no \
                   burn-rate alarm evaluates, or evaluates against a looser target (a lower percentage, a higher \
                   latency threshold), lets the error budget run out without anyone being paged. A composite \
                   alarm with no AlarmActions changes state and notifies no one.",
        docs: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Composite_Alarm.html",
        fix: "Give every load-balanced service and the entry point an SLO at the declared objective with the \
              platform's topic as action (haplat-constructs' MultiRegionApi::availability_slos and latency_slo \
              with the objective), or relax the declared objective (docs/availability.md).",
        check: objectives::service_levels,
    },
    Rule {
        id: "HAP058",
        name: "PartFailoverSlowerThanObjective",
        severity: Severity::Warning,
        title: "One part of a region failing alone (a service, another tier) takes longer to route around than \
                the app's failover objective",
        aws_rule: "A region's calculated Route 53 health check is unhealthy once fewer than HealthThreshold of its \
                   children are healthy. When one service of the region fails while the others and the region's \
                   probe pass, only that service's own children see it: a CloudWatch-alarm child turns unhealthy \
                   after the target group's UnhealthyThresholdCount checks, the alarm's DatapointsToAlarm \
                   one-minute periods and the metric's delay (about 4 minutes), an HTTPS child after \
                   FailureThreshold requests RequestInterval apart. Route 53's checkers request only public \
                   endpoints, so an internal service can only be watched through alarms.",
        docs: "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-types.html",
        fix: "Give the part a check that sees it fail quickly: for a public service behind the edge, a health \
              check path one of its path patterns covers (/catalog/health under /catalog/*), which \
              haplat-constructs' MultiRegionApi probes through the edge every 10 s; an internal or \
              Cloud-Map-only service is watched by its alarms only, so either accept the figure or make it \
              public behind the edge (docs/availability.md).",
        check: objectives::part_failover,
    },
    Rule {
        id: "HAP059",
        name: "RegionRecoverySlowerThanObjective",
        severity: Severity::Error,
        title: "The other regions can take longer to carry a failed region's load than the app's region-recovery \
                objective",
        aws_rule: "Once traffic has left a failed region, the surviving regions serve it with the tasks they run. \
                   A target tracking policy scales an ECS service out in proportion to its metric: on requests per \
                   target, in one scale-out; on utilization, which tops out at 100 %, by at most 100 / target per \
                   scale-out, the next one after ScaleOutCooldown. AWS manages the scale-out alarm (one-minute \
                   datapoints); a new Fargate task then starts and passes its target group's HealthyThresholdCount \
                   checks. A service cannot exceed its MaxCapacity, and target tracking does not scale a service \
                   with no task.",
        docs: "https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html",
        fix: "Scale on requests per target (haplat-constructs' services do when load-balanced), raise the minimum \
              count in the regions that take over (a warm standby needs fewer scale-outs), raise MaxCapacity to at \
              least the survivor's minimum plus the failed region's, shorten ScaleOutCooldown; or relax the \
              objective (docs/availability.md).",
        check: objectives::region_recovery,
    },
    Rule {
        id: "HAP070",
        name: "WriteForwardingUnsupported",
        severity: Severity::Error,
        title: "A secondary Aurora PostgreSQL cluster asks for global write forwarding its version does not have",
        aws_rule: "Global write forwarding of an Aurora PostgreSQL global database is supported in every minor \
                   version of 16 and later, from 15.4 in 15 and from 14.9 in 14; an older version cannot enable \
                   it (EnableGlobalWriteForwarding), so the secondary cluster cannot be created or modified.",
        docs: "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-write-forwarding-apg.html",
        fix: "Use Aurora PostgreSQL 16 or later (or 15.4+, 14.9+), or leave the secondary regions read-only \
              (haplat-constructs' AuroraGlobalProps::secondary_writes).",
        check: data::write_forwarding_version,
    },
];
