//! Rules about how ECS services scale: a desired count that every update resets (HAP020), and
//! request scaling that follows one target group of a blue/green service (HAP021).

use serde_json::Value as Json;

use crate::assembly::{Assembly, Res, refs_in};
use crate::rule::Findings;

/// The ECS services of the stack whose count a scalable target of `r`'s stack scales, with
/// that target: `ResourceId` refers to the service (`service/${Cluster}/${Service.Name}`).
fn scaled_services<'a>(a: &'a Assembly) -> Vec<(Res<'a>, Res<'a>)> {
    let mut out = Vec::new();
    for t in a.of_type("AWS::ApplicationAutoScaling::ScalableTarget") {
        if t.prop_str("ScalableDimension") != Some("ecs:service:DesiredCount") {
            continue;
        }
        let Some(id) = t.prop("ResourceId") else { continue };
        for name in refs_in(id) {
            if let Some(s) = a.res(t.stack, &name).filter(|s| s.type_name() == "AWS::ECS::Service") {
                out.push((s, t));
            }
        }
    }
    out
}

pub(crate) fn desired_count_with_autoscaling(a: &Assembly, f: &mut Findings) {
    for (service, target) in scaled_services(a) {
        if service.prop("DesiredCount").is_none() {
            continue;
        }
        f.at(
            &service,
            vec![],
            format!(
                "sets DesiredCount while the scalable target {} scales it: CloudFormation sends the template's count \
                 with every update of the service (a new image, a tag), which resets the tasks autoscaling started \
                 in every region at once; leave DesiredCount out and let MinCapacity set the floor",
                target.path()
            ),
        );
    }
}

pub(crate) fn request_scaling_with_blue_green(a: &Assembly, f: &mut Findings) {
    let scaled = scaled_services(a);
    for p in a.of_type("AWS::ApplicationAutoScaling::ScalingPolicy") {
        let predefined = p
            .prop("TargetTrackingScalingPolicyConfiguration")
            .and_then(|c| c.get("PredefinedMetricSpecification"))
            .and_then(|m| m.get("PredefinedMetricType"))
            .and_then(Json::as_str);
        if predefined != Some("ALBRequestCountPerTarget") {
            continue;
        }
        let Some(target) = p.prop("ScalingTargetId").and_then(|v| a.target(p.stack, v)) else { continue };
        let blue_green = scaled.iter().filter(|(_, t)| t.stack == target.stack && t.id == target.id).find(|(s, _)| {
            s.prop("LoadBalancers")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .any(|lb| lb.get("AdvancedConfiguration").and_then(|c| c.get("AlternateTargetGroupArn")).is_some())
        });
        if let Some((service, _)) = blue_green {
            f.at(
                &p,
                vec![],
                format!(
                    "scales {} on ALBRequestCountPerTarget, which follows one target group, while the service's \
                     blue/green deployments move its live tasks to the alternate group and back: after every other \
                     deployment the policy sees no requests and never scales out on them",
                    service.path()
                ),
            );
        }
    }
}
