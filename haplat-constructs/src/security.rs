//! Least privilege, one mechanism for all constructs: a [`Permission`] is a set of IAM actions
//! on concrete resource ARNs; a [`Grantable`] (a table, a secret, a key, a topic …) says which
//! permissions its access levels need; a [`Grantee`] (a service's task role) receives them as
//! statements of its own policy.
//!
//! ```
//! use haplat_constructs::security::{Grantable, Permission, SecretRef};
//!
//! let secret = SecretRef::new("prod/db-password");
//! let p: Permission = secret.read();
//! assert_eq!(p.actions, vec!["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]);
//! assert!(p.problems().is_empty());
//! assert_eq!(
//!     p.statement().to_json(),
//!     serde_json::json!({
//!         "Effect": "Allow",
//!         "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
//!         "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:prod/db-password-??????"}],
//!     })
//! );
//! ```

use haplat_core::value::{Expr, Pseudo, Value};

/// IAM actions allowed on concrete resources: one `Allow` statement of a policy.
///
/// `resources` are ARNs (values: usually `Fn::GetAtt`/`Fn::Sub` of the resource granted on),
/// never `*` for data actions: [`Permission::problems`] says what is wrong with one.
#[derive(Clone, Debug, PartialEq)]
pub struct Permission {
    /// IAM actions, `service:Action` (no wildcards).
    pub actions: Vec<String>,
    /// The ARNs the actions apply to.
    pub resources: Vec<Value<String>>,
    /// The regions where the resources exist, when not every region (a global table's
    /// replicas): a grantee deployed anywhere else is refused, since its role would be granted
    /// on a resource that is not there. `None`: wherever the grantee is.
    pub regions: Option<Vec<String>>,
}

impl Permission {
    /// A permission of these actions on these resources (actions are sorted and deduplicated).
    pub fn new<A: Into<String>>(
        actions: impl IntoIterator<Item = A>,
        resources: impl IntoIterator<Item = Value<String>>,
    ) -> Self {
        let mut actions: Vec<String> = actions.into_iter().map(Into::into).collect();
        actions.sort();
        actions.dedup();
        Permission { actions, resources: resources.into_iter().collect(), regions: None }
    }

    /// Adds the actions and resources of `other` (for an access level that is a superset of
    /// another: read-write = read + write).
    #[must_use]
    pub fn and(mut self, other: Permission) -> Self {
        self.actions.extend(other.actions);
        self.actions.sort();
        self.actions.dedup();
        for r in other.resources {
            if !self.resources.contains(&r) {
                self.resources.push(r);
            }
        }
        self.regions = match (self.regions, other.regions) {
            (Some(a), Some(b)) => Some(a.into_iter().filter(|r| b.contains(r)).collect()),
            (a, b) => a.or(b),
        };
        self
    }

    /// The same permission, on resources that exist only in `regions`.
    #[must_use]
    pub fn only_in(mut self, regions: &[String]) -> Self {
        self.regions = Some(regions.to_vec());
        self
    }

    /// The regions of `grantee_regions` where the resources do not exist (see
    /// [`Permission::regions`]).
    pub fn missing_in(&self, grantee_regions: &[String]) -> Vec<String> {
        match &self.regions {
            Some(there) => grantee_regions.iter().filter(|r| !there.contains(r)).cloned().collect(),
            None => Vec::new(),
        }
    }

    /// What makes this permission unfit for least privilege: no actions, no resources, a
    /// wildcard action, or a `*` resource. Grantees report these as construct errors.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.actions.is_empty() {
            out.push("a permission needs at least one action".to_owned());
        }
        if self.resources.is_empty() {
            out.push(format!("permission {} names no resource", self.actions.join(", ")));
        }
        for a in &self.actions {
            if a.contains('*') || a.contains('?') {
                out.push(format!("action {a:?} is a wildcard; name the actions needed"));
            } else if a.split_once(':').is_none_or(|(s, n)| s.is_empty() || n.is_empty()) {
                out.push(format!("action {a:?} is not of the form service:Action"));
            }
        }
        for r in &self.resources {
            if matches!(r.expr(), Expr::String(s) if s == "*") {
                out.push(format!(
                    "permission {} is on every resource (\"*\"); name the resources",
                    self.actions.join(", ")
                ));
            }
        }
        out
    }

    /// The IAM policy statement (`Effect: Allow`, `Action`, `Resource`).
    pub fn statement(&self) -> Expr {
        haplat_core::expr_map! {
            "Effect" => "Allow",
            "Action" => Expr::List(self.actions.iter().map(|a| Expr::from(a.as_str())).collect()),
            "Resource" => Expr::List(self.resources.iter().map(Expr::from).collect()),
        }
    }
}

/// Something access can be granted on: it knows its ARNs and which actions each access level
/// needs. Implemented by [`SecretRef`], [`KmsKey`](crate::kms::KmsKey), and the data constructs
/// (a global table grants on the table, its indexes and its stream in each region).
pub trait Grantable {
    /// Read-only access.
    fn read(&self) -> Permission;
    /// Read and write access (a superset of [`Grantable::read`]).
    fn read_write(&self) -> Permission;

    /// Grants [`Grantable::read`] to `grantee` (`table.grant_read(&service)`): grants go one
    /// way, from the resource to whoever receives them.
    fn grant_read(&self, grantee: &dyn Grantee) {
        grantee.grant(&self.read());
    }

    /// Grants [`Grantable::read_write`] to `grantee` (`table.grant_read_write(&service)`).
    fn grant_read_write(&self, grantee: &dyn Grantee) {
        grantee.grant(&self.read_write());
    }
}

/// Something that can receive permissions: a service's task role.
pub trait Grantee {
    /// Adds an `Allow` statement for `permission` to this grantee's policy. A permission with
    /// [`Permission::problems`] is reported as a construct error naming the grantee's path.
    fn grant(&self, permission: &Permission);
}

/// A Secrets Manager secret, by name or by ARN: what a service's `secrets` read, and a
/// [`Grantable`].
///
/// **By name** (`SecretRef::new("prod/db")`): the secret of that name in the account and in
/// *each* region the reader is deployed to — a stack set reads `prod/db` of us-east-1 in
/// us-east-1 and of eu-west-1 in eu-west-1, so the secret must exist in every region, as a
/// replica or not. The ARN of a secret ends with a six-character random suffix, so the ARN is
/// matched as `secret:<name>-??????`, which names exactly this secret (not `<name>-other`).
///
/// **By ARN** (`SecretRef::new("arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db-AbCdEf")`):
/// exactly that secret, in its account, and in other regions its replicas, which Secrets
/// Manager gives the same name and suffix
/// (<https://docs.aws.amazon.com/secretsmanager/latest/userguide/create-manage-multi-region-secrets.html>).
/// It exists in the ARN's region only until [`SecretRef::replicated_to`] names the replicas'
/// regions: a reader deployed anywhere else is a synthesis error naming the missing regions.
#[derive(Clone, Debug, PartialEq)]
pub struct SecretRef {
    /// The secret's name (`prod/db-password`), without the random suffix of its ARN.
    pub name: String,
    /// The customer-managed KMS key the secret is encrypted with (its ARN), when not the
    /// account's `aws/secretsmanager` key: whoever reads the secret also needs `kms:Decrypt` on
    /// it (a service's execution role gets it for its `secrets`).
    pub kms_key: Option<Value<String>>,
    /// The account and the random suffix of a secret given by ARN.
    pub exact: Option<ExactSecret>,
    /// The regions where the secret exists; `None`: wherever it is read (a secret by name).
    pub regions: Option<Vec<String>>,
}

/// What an ARN says of a secret beyond its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExactSecret {
    /// The account that holds it.
    pub account: String,
    /// The six characters Secrets Manager appended to the name (`AbCdEf`).
    pub suffix: String,
}

impl SecretRef {
    /// The secret of this name, or of this ARN (see the type's docs), encrypted with the AWS
    /// managed key. A malformed ARN is reported by [`SecretRef::name_problem`].
    pub fn new(name_or_arn: impl Into<String>) -> Self {
        let text: String = name_or_arn.into();
        if let Some((region, account, name, suffix)) = parse_secret_arn(&text) {
            return SecretRef {
                name,
                kms_key: None,
                exact: Some(ExactSecret { account, suffix }),
                regions: Some(vec![region]),
            };
        }
        SecretRef { name: text, kms_key: None, exact: None, regions: None }
    }

    /// The same secret, encrypted with this customer-managed KMS key (its ARN).
    ///
    /// ```
    /// use haplat_constructs::security::SecretRef;
    /// let s = SecretRef::new("shop/db").with_key("arn:aws:kms:us-east-1:111111111111:key/abc".into());
    /// assert!(s.kms_key.is_some());
    /// ```
    #[must_use]
    pub fn with_key(mut self, key_arn: Value<String>) -> Self {
        self.kms_key = Some(key_arn);
        self
    }

    /// The same secret, replicated to these regions as well (Secrets Manager replicas).
    ///
    /// ```
    /// use haplat_constructs::security::SecretRef;
    /// let s = SecretRef::new("arn:aws:secretsmanager:us-east-1:111111111111:secret:shop/db-AbCdEf")
    ///     .replicated_to(&["eu-west-1"]);
    /// assert_eq!(s.regions, Some(vec!["us-east-1".to_owned(), "eu-west-1".to_owned()]));
    /// ```
    #[must_use]
    pub fn replicated_to(mut self, regions: &[&str]) -> Self {
        let there = self.regions.get_or_insert_with(Vec::new);
        for r in regions {
            if !there.iter().any(|x| x == r) {
                there.push((*r).to_owned());
            }
        }
        self
    }

    /// The key to decrypt the secret with in the reader's region: the key given, or for a
    /// multi-Region key given as a literal ARN (`…:key/mrk-…`), its replica in the reader's region
    /// (multi-Region keys share their id;
    /// <https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html>).
    pub fn key_in_region(&self) -> Option<Value<String>> {
        let key = self.kms_key.as_ref()?;
        if let Expr::String(arn) = key.expr()
            && let Some((head, id)) = arn.split_once(":key/mrk-")
            && let [_arn, _partition, _kms, _region, account] = head.splitn(5, ':').collect::<Vec<_>>()[..]
        {
            return Some(Value::sub(format!("arn:${{AWS::Partition}}:kms:${{AWS::Region}}:{account}:key/mrk-{id}")));
        }
        Some(key.clone())
    }

    /// Why the secret cannot be decrypted in every region of `reader_regions`: a key given as the
    /// literal ARN of a single-Region key, read in several regions, where each replica of the
    /// secret is encrypted with a key of its own region.
    pub fn key_problem(&self, reader_regions: &[String]) -> Option<String> {
        let Expr::String(arn) = self.kms_key.as_ref()?.expr() else { return None };
        (reader_regions.len() > 1 && !arn.contains(":key/mrk-")).then(|| {
            format!(
                "the secret's key {arn} is a key of one region, but the secret is read in {}, where each replica \
                 is encrypted with a key of its own region: use a multi-Region key (its ARN has key/mrk-), whose \
                 replica haplat names in each region",
                reader_regions.join(", ")
            )
        })
    }

    /// The regions of `reader_regions` where the secret does not exist.
    pub fn missing_in(&self, reader_regions: &[String]) -> Vec<String> {
        self.read().missing_in(reader_regions)
    }

    /// What ECS `ValueFrom` takes: for a secret by name, its partial ARN in the stack's own
    /// region and account, without the random suffix (`arn:…:secret:<name>`; a bare name would
    /// be read as an SSM parameter), which Secrets Manager resolves unless the name itself ends
    /// with a hyphen and six characters (see [`SecretRef::partial_arn_problem`]); for a secret
    /// by ARN, its full ARN in the stack's region.
    pub fn partial_arn(&self) -> Value<String> {
        match &self.exact {
            Some(_) => self.arn(),
            None => Value::sub(format!(
                "arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{}",
                self.name
            )),
        }
    }

    /// Why [`SecretRef::partial_arn`] may not find the secret: a name ending with a hyphen and
    /// six characters (`db-secret`) looks like a full ARN's suffix to Secrets Manager. A secret
    /// given by ARN has no such problem.
    pub fn partial_arn_problem(&self) -> Option<String> {
        if self.exact.is_some() {
            return None;
        }
        let tail = self.name.rsplit_once('-').map(|(_, t)| t);
        tail.filter(|t| t.len() == 6 && t.chars().all(|c| c.is_ascii_alphanumeric())).map(|t| {
            format!(
                "secret name {:?} ends with a hyphen and six characters (-{t}), which Secrets Manager takes for the random suffix of a full ARN, so it cannot be found by name; rename it, or give the secret by its ARN",
                self.name
            )
        })
    }

    /// The secret's ARN in the stack's own region: exact for a secret by ARN (its account and
    /// suffix), a pattern in the stack's account for a secret by name.
    pub fn arn(&self) -> Value<String> {
        match &self.exact {
            Some(e) => Value::sub(format!(
                "arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:{}:secret:{}-{}",
                e.account, self.name, e.suffix
            )),
            None => Value::sub(format!(
                "arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{}-??????",
                self.name
            )),
        }
    }

    /// Whether the name is one Secrets Manager accepts (1–512 of `A-Za-z0-9/_+=.@-`), and an
    /// ARN one of a secret.
    pub fn name_problem(&self) -> Option<String> {
        if self.name.starts_with("arn:") {
            return Some(format!(
                "{:?} is not the ARN of a Secrets Manager secret (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 characters>)",
                self.name
            ));
        }
        let ok = !self.name.is_empty()
            && self.name.len() <= 512
            && self.name.chars().all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c));
        (!ok).then(|| {
            format!("secret name {:?} is invalid: use 1 to 512 of the characters A-Z a-z 0-9 / _ + = . @ -", self.name)
        })
    }
}

/// `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<suffix>` → its region,
/// account, name and suffix.
fn parse_secret_arn(arn: &str) -> Option<(String, String, String, String)> {
    let mut parts = arn.splitn(7, ':');
    let (Some("arn"), Some(partition), Some("secretsmanager"), Some(region), Some(account), Some("secret"), Some(rest)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let (name, suffix) = rest.rsplit_once('-')?;
    let fits = !partition.is_empty()
        && !region.is_empty()
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && !name.is_empty()
        && suffix.len() == 6
        && suffix.chars().all(|c| c.is_ascii_alphanumeric());
    fits.then(|| (region.to_owned(), account.to_owned(), name.to_owned(), suffix.to_owned()))
}

impl Grantable for SecretRef {
    fn read(&self) -> Permission {
        let p = Permission::new(["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], [self.arn()]);
        match &self.regions {
            Some(r) => p.only_in(r),
            None => p,
        }
    }
    fn read_write(&self) -> Permission {
        self.read().and(Permission::new(
            ["secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"],
            [self.arn()],
        ))
    }
}

/// An IAM policy document of these statements.
pub fn policy_document(statements: Vec<Expr>) -> Expr {
    haplat_core::expr_map! { "Version" => "2012-10-17", "Statement" => Expr::List(statements) }
}

/// Service principals whose role assumptions carry `aws:SourceAccount`, so a trust policy can be
/// limited to this account (the confused-deputy guard) without locking the service out. Each
/// is in the service's own documentation of its role trust policy (ECS task roles, FIS
/// experiment roles, VPC flow log roles) or AWS's published examples (Lambda). A service that is
/// not listed (AWS Backup, whose documentation gives no such key) gets the plain trust policy:
/// the condition would make the role impossible to assume, and the failure would only show when
/// the first backup job runs.
pub const SOURCE_ACCOUNT_SERVICES: &[&str] =
    &["ecs-tasks.amazonaws.com", "fis.amazonaws.com", "lambda.amazonaws.com", "vpc-flow-logs.amazonaws.com"];

/// The trust policy of a role that `service` (`ecs-tasks.amazonaws.com`) may assume, limited to
/// this account with `aws:SourceAccount` when the service sends it ([`SOURCE_ACCOUNT_SERVICES`]).
pub fn trust_policy(service: &str) -> Expr {
    let mut statement = haplat_core::expr_map! {
        "Effect" => "Allow",
        "Principal" => haplat_core::expr_map! { "Service" => service },
        "Action" => "sts:AssumeRole",
    };
    if SOURCE_ACCOUNT_SERVICES.contains(&service)
        && let Expr::Map(m) = &mut statement
    {
        m.insert(
            "Condition".into(),
            haplat_core::expr_map! {
                "StringEquals" => haplat_core::expr_map! { "aws:SourceAccount" => Pseudo::AccountId.expr() },
            },
        );
    }
    policy_document(vec![statement])
}

/// An `Allow` statement for actions that IAM cannot scope to a resource (`xray:PutTraceSegments`,
/// `ecr:GetAuthorizationToken`, `elasticloadbalancing:Describe…`, `ec2:Describe…`): the only
/// place haplat writes `"Resource": "*"`.
///
/// # Panics
///
/// When an action is not in [`UNSCOPED_ACTIONS`], in release builds too: the actions are the
/// crate's own constants, so one missing from the list is a bug of haplat (an action that has a
/// resource should be granted on it with a [`Permission`]), never something a user's input
/// causes; it stops synthesis before any template is written.
pub fn unscoped_statement(actions: &[&str]) -> Expr {
    if let Some(a) = actions.iter().find(|a| !UNSCOPED_ACTIONS.contains(a)) {
        panic!(
            "unscoped_statement: {a} is not in security::UNSCOPED_ACTIONS; grant it on its resources with a Permission, \
             or add it to the list if IAM really has no resource for it"
        );
    }
    haplat_core::expr_map! {
        "Effect" => "Allow",
        "Action" => Expr::List(actions.iter().map(|a| Expr::from(*a)).collect()),
        "Resource" => "*",
    }
}

/// The actions that support no resource-level permission, which haplat may grant on `*`
/// (none of them reads or writes data).
pub const UNSCOPED_ACTIONS: &[&str] = &[
    // A Synthetics canary publishes its metrics (the statement limits the namespace with
    // `cloudwatch:namespace`) and lists the buckets before it uploads its artifacts.
    "cloudwatch:PutMetricData",
    // The FIS network disruption (`aws:network:disrupt-connectivity`) looks up the subnets, their
    // VPC and network ACLs and the managed prefix lists before it swaps the ACLs: IAM's
    // `Describe*` calls of EC2 take no resource.
    "ec2:DescribeManagedPrefixLists",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
    "ecr:GetAuthorizationToken",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "s3:ListAllMyBuckets",
    "xray:GetSamplingRules",
    "xray:GetSamplingStatisticSummaries",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unscoped_statements_grant_only_listed_actions_on_every_resource() {
        let st = unscoped_statement(&["ec2:DescribeSubnets", "xray:PutTraceSegments"]).to_json();
        assert_eq!(st["Resource"], "*");
        assert_eq!(st["Action"], serde_json::json!(["ec2:DescribeSubnets", "xray:PutTraceSegments"]));
    }

    #[test]
    #[should_panic(expected = "dynamodb:GetItem is not in security::UNSCOPED_ACTIONS")]
    fn an_action_with_a_resource_is_refused_on_every_resource_in_release_builds_too() {
        unscoped_statement(&["xray:PutTraceSegments", "dynamodb:GetItem"]);
    }
}
