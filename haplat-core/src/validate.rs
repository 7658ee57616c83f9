//! Checks CloudFormation makes at deploy time, made at synth instead.

/// Regions CloudFormation StackSets can deploy to (commercial, GovCloud, China).
pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// CloudFormation's template limits.
pub mod limits {
    /// Resources in one template.
    pub const RESOURCES: usize = 500;
    /// Parameters in one template.
    pub const PARAMETERS: usize = 200;
    /// Outputs in one template.
    pub const OUTPUTS: usize = 200;
    /// Mappings in one template.
    pub const MAPPINGS: usize = 200;
    /// Bytes of a template uploaded to S3.
    pub const TEMPLATE_BYTES: usize = 1_000_000;
    /// Characters of a logical id.
    pub const LOGICAL_ID: usize = 255;
    /// Tags of a stack set: 50, one of which is haplat's ownership tag
    /// ([`OWNER_TAG`](crate::manifest::OWNER_TAG)) that deploy adds.
    pub const STACK_TAGS: usize = 50;
}

/// Whether `region` is a region StackSets deploys to; the error says which are.
pub fn check_region(region: &str) -> Result<(), String> {
    if KNOWN_REGIONS.contains(&region) {
        return Ok(());
    }
    let close: Vec<&str> =
        KNOWN_REGIONS.iter().copied().filter(|r| r.split('-').next() == region.split('-').next()).collect();
    let hint = if close.is_empty() { "e.g. us-east-1, eu-west-1".to_owned() } else { close.join(", ") };
    Err(format!("unknown region {region:?} (known regions like it: {hint})"))
}

/// The problems of a list of regions a construct was given (`what`: the field, e.g.
/// `replicate_to`): each must be a region StackSets deploys to ([`check_region`]), and none
/// listed twice. One line each; the constructs that take regions report them at their path.
pub fn region_list_problems<S: AsRef<str>>(what: &str, regions: &[S]) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, r) in regions.iter().enumerate() {
        let r = r.as_ref();
        if let Err(e) = check_region(r) {
            problems.push(format!("{what}: {e}"));
        }
        if regions[..i].iter().any(|x| x.as_ref() == r) {
            problems.push(format!("{what}: region {r:?} is listed twice"));
        }
    }
    problems
}

/// CloudFormation stack and stack set names: a letter, then letters, digits and hyphens, at
/// most 128 characters.
pub fn check_stack_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first_ok {
        return Err("must start with an ASCII letter".into());
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
        return Err(format!("contains {c:?}; only ASCII letters, digits and '-' are allowed"));
    }
    if name.len() > 128 {
        return Err(format!("is {} characters; at most 128 are allowed", name.len()));
    }
    Ok(())
}

/// Whether a logical id is one CloudFormation accepts.
pub fn is_valid_logical_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= limits::LOGICAL_ID && id.chars().all(|c| c.is_ascii_alphanumeric())
}

/// A tag key and value CloudFormation accepts.
pub fn check_tag(key: &str, value: &str) -> Result<(), String> {
    if key.is_empty() || key.chars().count() > 128 {
        return Err("keys are 1 to 128 characters".into());
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err("keys starting with \"aws:\" are reserved by AWS".into());
    }
    if value.chars().count() > 256 {
        return Err("values are at most 256 characters".into());
    }
    Ok(())
}
