//! haplat-cli's integration tests: one binary, a shared harness.
//!
//! - `cli`: the binary offline (synth, list, diff --against, deploy --dry-run, usage errors).
//! - `executor`: the plan executor against a fake CloudFormation with real StackSet semantics.
//! - `e2e` and `faults`: the binary against moto's CloudFormation on 127.0.0.1.
//! - `real_app`: the reference platform (prod, three regions) through the binary on moto, as far
//!   as moto goes, and its dry-run plan.
//! - `demo_app`: the README's emulator deploy (`apps/emulator-demo`), every wave, on moto.
//! - `bootstrap`: StackSet roles that already exist are adopted; the API Gateway logs role is
//!   made and set where none is set.
//! - `destroy`: the reference platform (prod) destroyed against the fake: protection lifted,
//!   secondaries before the primary, nothing left but what it lists as kept.
//! - `db`: `haplat db status`, `switchover` and `failover` against the fake CloudFormation and a
//!   fake of RDS's global clusters: agreeing and disagreeing, the wait, a timeout, the refusals
//!   with nothing changed, deploy's preflight.
//! - `doctor`: each account check against the fake: ok, missing, denied or unreachable.
//! - `drift`: `haplat drift` against the fake (moto has no drift calls): none, drifted regions
//!   by construct path, throttling, a detection stuck RUNNING, denied calls; `diff`'s mention.
//! - `operate`: `haplat health`, `failover`/`failback` and `drill` against the fake CloudFormation
//!   and a fake of the operators' calls (`observe_fake`): healthy, unhealthy, throttled, denied,
//!   a region that does not answer, the last healthy region kept, timelines, drill verdicts.
//! - `restore_aurora`: `haplat restore-test --resource aurora` against a fake of `Recovery` and
//!   `ClusterRecovery`: passed, a failed job, timeouts, throttling, access denied, a region that
//!   does not answer, a cleanup that fails; the scratch identifiers; the binary's usage errors.
//! - `restore_test`: `haplat restore-test` against a fake of `Recovery`: passed, a failed job,
//!   a timeout, throttling, access denied, an invalid table, the RTO missed; cleanup in every case.
//! - `rollout`: progressive rollout: the plan, the executor's stages and the health bake.
//! - `files`: every file haplat reads, made hostile (empty, truncated, not UTF-8, huge, wrong
//!   types, unknown keys, a directory): one line naming the file, the exit code, no panic.
//! - `shared_lock`: the app's lock in the bootstrap bucket, refused, forced, released.
//! - `concurrent`: two real `haplat deploy` processes of one app at once on moto, in one project
//!   (the lock beside the assembly) and from two (the lock in the bootstrap bucket).

// Most of these tests run the commands that call AWS (against moto or a fake).
#[cfg(not(feature = "aws"))]
compile_error!(
    "haplat-cli's tests run the commands that call AWS: `cargo test -p haplat-cli --features aws` (scripts/test.sh passes it)"
);

mod harness;

mod accounts;
mod answers;
mod arc;
mod bootstrap;
mod cli;
mod concurrent;
mod db;
mod demo_app;
mod destroy;
mod doctor;
mod drift;
mod e2e;
mod executor;
mod fake;
mod faults;
mod files;
mod graph;
mod init;
mod layers;
mod observe_fake;
mod operate;
mod real_app;
mod restore_aurora;
mod restore_test;
mod rollout;
mod shared_lock;
