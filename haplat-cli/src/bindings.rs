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
        let key = (producer.to_owned(), region.to_owned());
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
        let stack =
            match client.read(producer, "describe stack", || client.cfn.instance_stack(producer, &instance)).await {
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
    /// read from the producers (in `account`).
    pub async fn resolve<C: CloudFormation>(
        &self,
        client: &Client<'_, C>,
        account: &str,
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
                        let outputs = match self.output(client, account, stack, pr).await {
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

/// The cache, even after a panic elsewhere poisoned its lock (it only holds finished reads).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
