//! Informational events to the region's alarm topic: EventBridge rules for ECS deployments
//! (started, completed, failed), ECS service warnings and errors of the watched clusters (task
//! placement failures and the like) and their services scaled out to their maximum, and for AWS
//! Backup, copy and restore jobs that fail.
//!
//! EventBridge publishes to an SNS topic only when the topic's policy lets `events.amazonaws.com`
//! publish (here: only these rules, `aws:SourceArn`) and, for a topic encrypted with a
//! customer-managed key, when the key policy lets it use the key
//! ([`KeyUser::EventBridge`](crate::kms::KeyUser::EventBridge)):
//! <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions>.
//! A topic policy replaces SNS's default one, so it also keeps what that allowed the platform:
//! the account's administration through IAM, and CloudWatch alarms of the account publishing
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html>).

use haplat_core::resources::events::rule::{Rule, Target};
use haplat_core::resources::sns::topic::Topic;
use haplat_core::resources::sns::topic_policy::TopicPolicy;
use haplat_core::value::{Expr, List, Value};
use haplat_core::{Handle, Scope, expr_list, expr_map};

use crate::alarm::Runbook;

/// The rules of `clusters` (cluster names; none: no ECS rules) and, with `backup`, of AWS
/// Backup, under `scope/Events`, to `topic`, with the topic's policy.
pub(super) fn event_rules(
    scope: &Scope,
    topic: Handle<Topic>,
    clusters: &[Value<String>],
    backup: bool,
) -> Vec<Handle<Rule>> {
    let scope = scope.child("Events");
    let target =
        || Some(List::items(vec![Target { arn: topic.ref_(), id: "AlarmTopic".into(), ..Default::default() }]));
    let mut rules = Vec::new();
    for (i, cluster) in clusters.iter().enumerate() {
        let suffix = if clusters.len() > 1 { format!("{i}") } else { String::new() };
        let service_prefix = Value::<String>::sub_with(
            "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/${Cluster}/",
            [("Cluster", cluster.clone())],
        );
        let cluster_arn = Value::<String>::sub_with(
            "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/${Cluster}",
            [("Cluster", cluster.clone())],
        );
        rules.push(scope.add(
            &format!("Deployments{suffix}"),
            Rule {
                description: Some("ECS deployments of the platform's services: started, completed, failed".into()),
                event_pattern: Some(expr_map! {
                    "source" => expr_list!["aws.ecs"],
                    "detail-type" => expr_list!["ECS Deployment State Change"],
                    "resources" => Expr::List(vec![expr_map! { "prefix" => service_prefix }]),
                }),
                targets: target(),
                ..Default::default()
            },
        ));
        rules.push(scope.add(
            &format!("ServiceWarnings{suffix}"),
            Rule {
                description: Some("ECS service warnings and errors (task placement failures …)".into()),
                event_pattern: Some(expr_map! {
                    "source" => expr_list!["aws.ecs"],
                    "detail-type" => expr_list!["ECS Service Action"],
                    "detail" => expr_map! {
                        "clusterArn" => Expr::List(vec![cluster_arn.into()]),
                        "eventType" => expr_list!["WARN", "ERROR"],
                    },
                }),
                targets: target(),
                ..Default::default()
            },
        ));
        // Application Auto Scaling's only service event: a scalable target scaled out to its
        // maximum, so demand beyond it is not served (ECS resource ids are
        // `service/<cluster>/<service>`):
        // https://docs.aws.amazon.com/autoscaling/application/userguide/monitoring-eventbridge.html
        rules.push(scope.add(
            &format!("ScaledToMax{suffix}"),
            Rule {
                description: Some(
                    "ECS services of the platform that autoscaling scaled out to their maximum task count".into(),
                ),
                event_pattern: Some(expr_map! {
                    "source" => expr_list!["aws.application-autoscaling"],
                    "detail-type" => expr_list!["Application Auto Scaling Scaling Activity State Change"],
                    "detail" => expr_map! {
                        "serviceNamespace" => expr_list!["ecs"],
                        "resourceId" => Expr::List(vec![expr_map! {
                            "prefix" => Value::<String>::sub_with("service/${Cluster}/", [("Cluster", cluster.clone())]),
                        }]),
                    },
                }),
                targets: target(),
                ..Default::default()
            },
        ));
    }
    if backup {
        // Backup and copy jobs report `state`, restore jobs `status`
        // (https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html).
        rules.push(
            scope.add(
                "BackupFailures",
                Rule {
                    description: Some(
                        Runbook::Restore
                            .describe("AWS Backup and copy jobs of the region that fail or complete partly")
                            .into(),
                    ),
                    event_pattern: Some(expr_map! {
                        "source" => expr_list!["aws.backup"],
                        "detail-type" => expr_list!["Backup Job State Change", "Copy Job State Change"],
                        "detail" => expr_map! { "state" => expr_list!["FAILED", "ABORTED", "EXPIRED", "PARTIAL"] },
                    }),
                    targets: target(),
                    ..Default::default()
                },
            ),
        );
        rules.push(scope.add(
            "RestoreFailures",
            Rule {
                description: Some(Runbook::Restore.describe("AWS Backup restore jobs of the region that fail").into()),
                event_pattern: Some(expr_map! {
                    "source" => expr_list!["aws.backup"],
                    "detail-type" => expr_list!["Restore Job State Change"],
                    "detail" => expr_map! { "status" => expr_list!["FAILED", "ABORTED"] },
                }),
                targets: target(),
                ..Default::default()
            },
        ));
    }
    if !rules.is_empty() {
        let rule_arns: Vec<Expr> = rules.iter().map(|r| r.attr_arn().into()).collect();
        scope.add(
            "TopicPolicy",
            TopicPolicy {
                topics: List::items(vec![topic.ref_()]),
                policy_document: expr_map! {
                    "Version" => "2012-10-17",
                    "Statement" => Expr::List(vec![
                        expr_map! {
                            "Sid" => "AccountAdministers",
                            "Effect" => "Allow",
                            "Principal" => expr_map! { "AWS" => Value::<String>::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root") },
                            "Action" => expr_list![
                                "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:AddPermission",
                                "sns:RemovePermission", "sns:DeleteTopic", "sns:Subscribe",
                                "sns:ListSubscriptionsByTopic", "sns:Publish"
                            ],
                            "Resource" => topic.ref_(),
                        },
                        expr_map! {
                            "Sid" => "CloudWatchAlarmsOfThisAccount",
                            "Effect" => "Allow",
                            "Principal" => expr_map! { "Service" => "cloudwatch.amazonaws.com" },
                            "Action" => "sns:Publish",
                            "Resource" => topic.ref_(),
                            "Condition" => expr_map! {
                                "StringEquals" => expr_map! { "aws:SourceAccount" => Value::<String>::sub("${AWS::AccountId}") },
                            },
                        },
                        expr_map! {
                            "Sid" => "TheseEventRules",
                            "Effect" => "Allow",
                            "Principal" => expr_map! { "Service" => "events.amazonaws.com" },
                            "Action" => "sns:Publish",
                            "Resource" => topic.ref_(),
                            "Condition" => expr_map! { "ArnEquals" => expr_map! { "aws:SourceArn" => Expr::List(rule_arns) } },
                        },
                    ]),
                },
            },
        );
    }
    rules
}
