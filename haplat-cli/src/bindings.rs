//! Parameter bindings: a parameter bound to another stack set's output is read, at deploy time,
//! from the producer's CURRENT stack instance in the region the binding names. [`Outputs`]
//! reads them through the retry/wait [`Client`] and keeps what it read for the rest of the
//! command; [`Outputs::resolve`] gives every region of a stack plan its values.
//!
//! Uses [`crate::client`], [`crate::plan`] (the bindings) and [`crate::failure`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use crate::cfn::{CfnError, CloudFormation};
use crate::client::Client;
use crate::failure::{ExecError, OutputError};
use crate::plan::{ParamValue, StackPlan};

/// Producer outputs read so far: (stack set, region) → outputs.
#[derive(Debug, Default)]
pub struct Outputs {
    cache: Mutex<HashMap<(String, String), BTreeMap<String, String>>>,
}

impl Outputs {
    /// Forgets what was read of `stack` (it is being deployed: its outputs may change).
    pub fn forget(&self, stack: &str) {
        lock(&self.cache).retain(|(s, _), _| s != stack);
    }

    /// Reads an output of a stack set's instance in a region, through the retrying read path.
    /// Only a CURRENT instance is read: another one's outputs may be stale or half-made.
    pub async fn output<C: CloudFormation>(
        &self,
        client: &Client<'_, C>,
        account: &str,
        producer: &str,
        region: &str,
    ) -> Result<BTreeMap<String, String>, OutputError> {
        self.output_in(client, account, account, producer, region).await
    }

    /// [`Outputs::output`] of the producer's instance in `account`, called from `caller` (the
    /// administration account): in another account the stack is read there, through the read
    /// role `haplat bootstrap` creates in each target account ([`read_role_arn`]).
    pub async fn output_in<C: CloudFormation>(
        &self,
        client: &Client<'_, C>,
        caller: &str,
        account: &str,
        producer: &str,
        region: &str,
    ) -> Result<BTreeMap<String, String>, OutputError> {
        let key = (producer.to_owned(), format!("{account}/{region}"));
        if let Some(o) = lock(&self.cache).get(&key) {
            return Ok(o.clone());
        }
        let instance = match client
            .read(producer, "describe stack instance", || client.cfn.describe_stack_instance(producer, account, region))
            .await
        {
            Ok(i) => i,
            Err(ExecError::Call { source: CfnError::StackSetNotFound { .. }, .. }) => {
                return Err(OutputError::Problem(format!("stack set {producer} is not deployed")));
            }
            Err(ExecError::Call { source: CfnError::Service { code, .. }, .. })
                if code == "StackInstanceNotFoundException" =>
            {
                return Err(OutputError::Problem(format!("stack set {producer} has no instance in {region}")));
            }
            Err(e) => return Err(OutputError::Exec(e)),
        };
        if !instance.status.is_current() {
            return Err(OutputError::Problem(format!(
                "its instance in {region} is {}{}: its outputs may be stale; deploy {producer} there first",
                instance.status,
                instance.status_reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
            )));
        }
        let role = (account != caller).then(|| read_role_arn(account, region));
        let read = || async {
            match &role {
                Some(role) => client.cfn.instance_stack_as(producer, &instance, role).await,
                None => client.cfn.instance_stack(producer, &instance).await,
            }
        };
        let what = format!("read its stack's outputs in {region}");
        let stack = match client.read(producer, &what, read).await {
            Ok(Some(s)) => s,
            Ok(None) => {
                return Err(OutputError::Problem(format!(
                    "its instance in {region} has no stack (status {})",
                    instance.status
                )));
            }
            Err(e) => return Err(OutputError::Exec(e)),
        };
        lock(&self.cache).insert(key, stack.outputs.clone());
        Ok(stack.outputs)
    }

    /// Resolves every parameter of a stack plan, per region: literals as they are, bindings
    /// read from the producers, each in its account (`producers`: producer → account; absent:
    /// `account`, the caller's).
    pub async fn resolve<C: CloudFormation>(
        &self,
        client: &Client<'_, C>,
        account: &str,
        producers: &BTreeMap<String, String>,
        s: &StackPlan,
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>, ExecError> {
        let mut out = BTreeMap::new();
        for region in &s.regions {
            let params = &s.parameters[region];
            let mut values = BTreeMap::new();
            for (name, v) in params {
                let value = match v {
                    ParamValue::Literal(v) => v.clone(),
                    ParamValue::Output { stack, output, region: pr, source } => {
                        let err = |problem: String| ExecError::Binding {
                            stack: s.name.clone(),
                            parameter: name.clone(),
                            region: region.clone(),
                            producer: stack.clone(),
                            output: output.clone(),
                            producer_region: pr.clone(),
                            source_path: source.clone(),
                            problem,
                        };
                        let producer_account = producers.get(stack).map_or(account, String::as_str);
                        let outputs = match self.output_in(client, account, producer_account, stack, pr).await {
                            Ok(o) => o,
                            Err(OutputError::Problem(p)) => return Err(err(p)),
                            Err(OutputError::Exec(e)) => return Err(e),
                        };
                        match outputs.get(output) {
                            Some(v) => v.clone(),
                            None => {
                                let have: Vec<&str> = outputs.keys().map(String::as_str).collect();
                                return Err(err(format!(
                                    "its stack in {pr} has no such output (outputs: {})",
                                    if have.is_empty() { "none".to_owned() } else { have.join(", ") }
                                )));
                            }
                        }
                    }
                };
                values.insert(name.clone(), value);
            }
            out.insert(region.clone(), values);
        }
        Ok(out)
    }
}

/// The name of the role `haplat bootstrap --admin-account` creates in a target account: it
/// allows reads only ([`crate::bootstrap::READ_ROLE_ACTIONS`]) and trusts the administration
/// account, so that a binding reads a producer's outputs where they are (never through exports)
/// and a rollout's bake reads the health of its first account.
pub const READ_ROLE_NAME: &str = "haplat-outputs-reader";

/// The ARN of [`READ_ROLE_NAME`] in `account`, in the partition of `region`.
pub fn read_role_arn(account: &str, region: &str) -> String {
    let partition = if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    };
    format!("arn:{partition}:iam::{account}:role/{READ_ROLE_NAME}")
}

/// The account a binding reads a producer in: the one account its stack set deploys to. A
/// producer in several accounts, or in organizational units (accounts known only at deploy
/// time), cannot be bound from: which account's outputs would be meant is not said.
pub fn producer_account(
    deployment: &haplat_core::manifest::Deployment,
    producer: &str,
    caller: &str,
) -> Result<String, String> {
    use haplat_core::manifest::Deployment;
    match deployment {
        Deployment::ThisAccount => Ok(caller.to_owned()),
        Deployment::Accounts { accounts } if accounts.len() == 1 => Ok(accounts[0].clone()),
        Deployment::Accounts { accounts } => Err(format!(
            "stack set {producer} deploys to {} accounts ({}): a binding reads one producer; bind from a stack set in one account",
            accounts.len(),
            accounts.join(", ")
        )),
        Deployment::OrganizationalUnits { .. } => Err(format!(
            "stack set {producer} is service-managed (its accounts are those of its OUs at deploy time): a binding cannot name which one to read"
        )),
    }
}

/// The cache, even after a panic elsewhere poisoned its lock (it only holds finished reads).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
