//! WAFv2: [`WebAcl`], a web ACL that allows by default and blocks through a per-IP rate limit and
//! AWS managed rule groups, with every rule visible in CloudWatch and its logs in an encrypted
//! log group ([`WebAcl::log_to`]).
//!
//! ```
//! use haplat_core::App;
//! use haplat_constructs::waf::{WebAcl, WebAclProps};
//!
//! let app = App::new("shop");
//! let edge = app.stack("Edge", "us-east-1");
//! let acl = WebAcl::new(&edge, "WebAcl", WebAclProps::new("Acl", "In front of the API"));
//! let t = app.synth().unwrap().template("shop-Edge").unwrap();
//! let rules = t["Resources"]["WebAcl"]["Properties"]["Rules"].as_array().unwrap();
//! assert_eq!(rules[0]["Name"], "RateLimitPerIp");
//! # let _ = acl;
//! ```

use haplat_core::resources::logs::resource_policy::ResourcePolicy;
use haplat_core::resources::wafv2::logging_configuration::LoggingConfiguration;
use haplat_core::resources::wafv2::web_acl::{
    AggregateKeyType, AllowAction, BlockAction, CountAction, DefaultAction, ManagedRuleGroupStatement, OverrideAction,
    RateBasedStatement, Rule, RuleAction, RuleActionOverride, Scope as WafScope, Statement, VisibilityConfig,
    WebAcl as CfnWebAcl,
};
use haplat_core::value::{List, Value};
use haplat_core::{Handle, Scope, expr_map};

use crate::logs::LogGroup;

/// The AWS managed rule groups a web ACL gets by default, in priority order.
pub const MANAGED_RULE_GROUPS: [&str; 4] = [
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
];

/// What a [`WebAcl`] checks.
#[derive(Clone, Debug, PartialEq)]
pub struct WebAclProps {
    /// The metric name of the web ACL itself (its rules' metrics are named after the rules).
    pub metric_name: String,
    /// The web ACL's description.
    pub description: String,
    /// Where the web ACL is used. Default: `CLOUDFRONT` (the ACL must then be in us-east-1).
    pub scope: WafScope,
    /// Requests per IP per 5 minutes over which the first rule blocks (100 to 2000000000).
    /// Default: 2000.
    pub rate_limit: i64,
    /// The AWS managed rule groups, after the rate limit in this order. Default:
    /// [`MANAGED_RULE_GROUPS`].
    pub managed_rule_groups: Vec<String>,
    /// `(group, rule)` pairs whose rule only counts instead of taking its action. Default: none.
    pub counted_rules: Vec<(String, String)>,
}

impl WebAclProps {
    /// A CloudFront web ACL with the defaults of every field.
    pub fn new(metric_name: &str, description: &str) -> Self {
        WebAclProps {
            metric_name: metric_name.to_owned(),
            description: description.to_owned(),
            scope: WafScope::Cloudfront,
            rate_limit: 2000,
            managed_rule_groups: MANAGED_RULE_GROUPS.iter().map(|g| (*g).to_owned()).collect(),
            counted_rules: Vec::new(),
        }
    }
}

/// A WAFv2 web ACL (`AWS::WAFv2::WebACL`).
#[derive(Clone, Copy, Debug)]
pub struct WebAcl {
    /// The web ACL resource.
    pub handle: Handle<CfnWebAcl>,
}

fn visibility(name: &str) -> VisibilityConfig {
    VisibilityConfig {
        cloud_watch_metrics_enabled: true.into(),
        metric_name: name.into(),
        sampled_requests_enabled: true.into(),
    }
}

impl WebAcl {
    /// Adds the web ACL as `scope/id`; a rate limit WAF refuses is reported at `scope`.
    pub fn new(scope: &Scope, id: &str, props: WebAclProps) -> WebAcl {
        // WAF: a metric name of 1 to 255 of A-Z a-z 0-9 _ # : . - / (no spaces, ASCII).
        let name = &props.metric_name;
        if !((1..=255).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "_#:.-/".contains(c)))
        {
            scope.error(format!(
                "web ACL {id}: metric name {:?} ({} characters): use 1 to 255 of A-Z a-z 0-9 _ # : . - /",
                name.chars().take(64).collect::<String>(),
                name.chars().count()
            ));
        }
        if props.description.chars().count() > 256 {
            scope.error(format!(
                "web ACL {id}: description of {} characters; WAF takes at most 256",
                props.description.chars().count()
            ));
        }
        if !(100..=2_000_000_000).contains(&props.rate_limit) {
            scope.error(format!(
                "web ACL {id}: rate limit {} per 5 minutes: WAF accepts 100 to 2000000000",
                props.rate_limit
            ));
        }
        let mut rules = vec![Rule {
            name: "RateLimitPerIp".into(),
            priority: 0.into(),
            action: Some(RuleAction { block: Some(BlockAction::default()), ..Default::default() }),
            statement: Statement {
                rate_based_statement: Some(Box::new(RateBasedStatement {
                    aggregate_key_type: AggregateKeyType::Ip.into(),
                    limit: props.rate_limit.into(),
                    evaluation_window_sec: Some(300.into()),
                    ..Default::default()
                })),
                ..Default::default()
            },
            visibility_config: visibility("RateLimitPerIp"),
            ..Default::default()
        }];
        for (i, group) in props.managed_rule_groups.iter().enumerate() {
            // Each group is a rule named after it: WAF refuses two rules of one name, or none.
            if group.is_empty() || group.len() > 128 {
                scope.error(format!("web ACL {id}: managed rule group {i} has a name of {} characters", group.len()));
            } else if props.managed_rule_groups[..i].contains(group) {
                scope.error(format!("web ACL {id}: managed rule group {group} is listed twice"));
            }
            let counted: Vec<RuleActionOverride> = props
                .counted_rules
                .iter()
                .filter(|(g, _)| g == group)
                .map(|(_, rule)| RuleActionOverride {
                    name: rule.into(),
                    action_to_use: RuleAction { count: Some(CountAction::default()), ..Default::default() },
                })
                .collect();
            rules.push(Rule {
                name: group.into(),
                priority: (i as i64 + 1).into(),
                override_action: Some(OverrideAction { none: Some(expr_map! {}), count: None }),
                statement: Statement {
                    managed_rule_group_statement: Some(Box::new(ManagedRuleGroupStatement {
                        vendor_name: "AWS".into(),
                        name: group.into(),
                        rule_action_overrides: (!counted.is_empty()).then(|| List::items(counted)),
                        ..Default::default()
                    })),
                    ..Default::default()
                },
                visibility_config: visibility(group),
                ..Default::default()
            });
        }
        let handle = scope.add(
            id,
            CfnWebAcl {
                scope: props.scope.into(),
                description: Some(props.description.into()),
                default_action: DefaultAction { allow: Some(AllowAction::default()), block: None },
                rules: Some(List::items(rules)),
                visibility_config: visibility(&props.metric_name),
                ..Default::default()
            },
        );
        WebAcl { handle }
    }

    /// The web ACL's ARN, what a distribution or load balancer names.
    pub fn arn(&self) -> Value<String> {
        self.handle.attr_arn()
    }

    /// Sends the web ACL's logs to `logs` (whose name must start with `aws-waf-logs-`), as the
    /// logging configuration `scope/id`, with the CloudWatch Logs resource policy `<id>Delivery`
    /// that lets the log delivery service write to exactly that log group.
    ///
    /// Without a policy of its own, WAF adds the group to the account's shared `AWSWAF-LOGS`
    /// resource policy of the region, which grows with every web ACL and deploy until it reaches
    /// CloudWatch Logs' 5,120-character limit and WAF refuses the logging configuration
    /// (docs/aws-review.md, finding 9). A policy that already grants the delivery is used as it
    /// is; the account holds at most 10 such policies per region (`haplat doctor` counts them).
    pub fn log_to(&self, scope: &Scope, id: &str, logs: &LogGroup) -> Handle<LoggingConfiguration> {
        let policy = scope.add(
            &format!("{id}Delivery"),
            ResourcePolicy {
                policy_name: Value::sub(format!("${{AWS::StackName}}-{}", id.to_ascii_lowercase())),
                // CloudFormation takes the document as a JSON string.
                policy_document: Value::sub_with(
                    concat!(
                        r#"{"Version":"2012-10-17","Statement":[{"Sid":"WafLogDelivery","Effect":"Allow","#,
                        r#""Principal":{"Service":"delivery.logs.amazonaws.com"},"#,
                        r#""Action":["logs:CreateLogStream","logs:PutLogEvents"],"#,
                        r#""Resource":"arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Group}:log-stream:*","#,
                        r#""Condition":{"StringEquals":{"aws:SourceAccount":"${AWS::AccountId}"},"#,
                        r#""ArnLike":{"aws:SourceArn":"arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"}}}]}"#,
                    ),
                    [("Group", logs.name())],
                )
                .into(),
            },
        );
        let logging = scope.add(
            id,
            LoggingConfiguration {
                resource_arn: self.arn(),
                log_destination_configs: List::items(vec![Value::sub_with(
                    "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Group}",
                    [("Group", logs.name())],
                )]),
                ..Default::default()
            },
        );
        scope.options(logging).depends_on(policy);
        logging
    }
}
