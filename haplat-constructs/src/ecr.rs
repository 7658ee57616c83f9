//! Images in every region: the platform's private ECR repositories ([`ImageRepositories`], in
//! the home region, replicated to every other region of the platform), the settings of the
//! replicas ECR creates ([`RepositoryTemplates`], in every region), and pull-through cache rules
//! for public images ([`PullThroughCache`], in every region). docs/images.md says how CI pushes
//! and how a digest reaches the environment file.
//!
//! - **Replication is one configuration per registry** (account and region):
//!   `AWS::ECR::ReplicationConfiguration` replaces the registry's whole configuration
//!   (<https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html>). haplat writes
//!   one rule, filtered by the platform's prefix (`<prefix>/`), and only where
//!   [`Replication::Owned`] says this app owns the registry's configuration; with
//!   [`Replication::External`] it writes none and the registry's owner adds the prefix filter
//!   and the destinations to theirs. `haplat check` (HAP031) refuses two configurations for one
//!   registry in one app.
//! - **Replicas** are created by ECR in each destination region on the first replicated push,
//!   not by CloudFormation: they take the settings of the destination registry's repository
//!   creation template for their prefix, else ECR's defaults (AES256, mutable tags, no lifecycle)
//!   (<https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html>).
//!   [`RepositoryTemplates`] gives them the region's own KMS key (a KMS key is regional; the
//!   template's key "must exist in the same Region as the repository"), immutable tags and the
//!   same lifecycle rules, through a role ECR assumes (needed for a template with a KMS key:
//!   <https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates-create.html>).
//!   `haplat check` warns when a destination region has no template for a replicated prefix
//!   (HAP032) and refuses a template with a key but no role (HAP033).
//! - **Deletion**: the home repositories are `Retain`ed (stateful by default in haplat): they hold
//!   the images every region's running tasks were started from; destroy leaves them, and the
//!   replicas, which CloudFormation never owned. Their fixed names (what CI pushes to, what the
//!   replicas carry) collide on the next deploy: HAP003 is suppressed with that reason, and
//!   docs/images.md says how to import or delete them first.
//! - **Scanning**: each repository scans on push (basic scanning). Enhanced scanning (Amazon
//!   Inspector, continuous, OS and language packages) is the better place, but it is a registry
//!   setting like replication (`AWS::ECR::RegistryScanningConfiguration`, one per registry and
//!   region, <https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-enhanced.html>):
//!   haplat leaves it to the account's owner.
//!
//! Middle layer: uses `kms`, `security` and `image`.

use std::collections::BTreeMap;

use haplat_core::resources::{ecr, iam};
use haplat_core::value::{Expr, List, Value};
use haplat_core::{Handle, Scope};

use crate::image::{Image, ImageRef, repository_name_problem};
use crate::security::{Permission, policy_document, trust_policy};

/// What a repository creation template applies to.
pub use haplat_core::resources::ecr::repository_creation_template::AppliedForItem as AppliedFor;

/// Who owns the registry's replication configuration in the home region.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Replication {
    /// This app: it writes the registry's one `AWS::ECR::ReplicationConfiguration` (replacing
    /// any other) with a rule for its prefix. Default.
    #[default]
    Owned,
    /// Someone else: no configuration is written; the owner must replicate `<prefix>/` to the
    /// platform's regions.
    External,
}

/// How long images are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageLifecycle {
    /// Untagged images (layers of a moved or deleted tag) expire this many days after their
    /// push. Default: 7.
    pub untagged_days: u32,
    /// The newest images kept; older ones expire. A digest pinned in an environment must stay
    /// among them (CI pushes each build once). Default: 100.
    pub keep_images: u32,
}

impl Default for ImageLifecycle {
    fn default() -> Self {
        ImageLifecycle { untagged_days: 7, keep_images: 100 }
    }
}

impl ImageLifecycle {
    /// The ECR lifecycle policy text (<https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html>).
    pub fn policy_text(&self) -> String {
        serde_json::json!({
            "rules": [
                {
                    "rulePriority": 1,
                    "description": format!("untagged images expire {} days after their push", self.untagged_days),
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": self.untagged_days,
                    },
                    "action": { "type": "expire" },
                },
                {
                    "rulePriority": 2,
                    "description": format!("the newest {} images are kept", self.keep_images),
                    "selection": {
                        "tagStatus": "any",
                        "countType": "imageCountMoreThan",
                        "countNumber": self.keep_images,
                    },
                    "action": { "type": "expire" },
                },
            ]
        })
        .to_string()
    }

    fn problem(&self) -> Option<String> {
        (self.untagged_days == 0 || self.keep_images == 0)
            .then(|| "image lifecycle: untagged_days and keep_images must be at least 1".to_owned())
    }
}

/// The platform's repositories (see the [module](self) docs).
#[derive(Clone, Debug)]
pub struct ImageRepositoriesProps {
    /// The repositories' prefix (`shop-prod`): every repository is `<prefix>/<name>`, and
    /// replication and the creation templates match `<prefix>/`.
    pub prefix: String,
    /// The repositories (`orders`, `catalog`).
    pub names: Vec<String>,
    /// The KMS key of the home region (its ARN). Default: `None`, ECR's AWS managed key.
    pub key: Option<Value<String>>,
    /// The regions images are replicated to (the platform's other regions).
    pub replicate_to: Vec<String>,
    /// Who owns the registry's replication configuration. Default: [`Replication::Owned`].
    pub replication: Replication,
    /// How long images are kept. Default: [`ImageLifecycle::default`].
    pub lifecycle: ImageLifecycle,
}

impl ImageRepositoriesProps {
    /// Repositories `<prefix>/<name>` replicated to `replicate_to`, with the defaults.
    pub fn new(prefix: &str, names: &[&str], replicate_to: &[&str]) -> Self {
        ImageRepositoriesProps {
            prefix: prefix.to_owned(),
            names: names.iter().map(|n| (*n).to_owned()).collect(),
            key: None,
            replicate_to: replicate_to.iter().map(|r| (*r).to_owned()).collect(),
            replication: Replication::Owned,
            lifecycle: ImageLifecycle::default(),
        }
    }
}

/// Why the repositories' fixed names are kept after destroy (HAP003's suppression).
pub const KEPT_REPOSITORY: &str = "the repository holds the images every region's tasks were started from; its \
     name is what CI pushes to and what the replicas in the other regions carry; before deploying again after a \
     destroy, import it or delete it (docs/images.md, \"Destroy\")";

/// The platform's private repositories in the home region, and the registry's replication
/// configuration ([`Replication::Owned`]).
///
/// ```
/// use haplat_core::App;
/// use haplat_constructs::ecr::{ImageRepositories, ImageRepositoriesProps};
/// use haplat_constructs::image::{Image, ImageRef};
///
/// let app = App::new("shop");
/// let home = app.stack("Global", "us-east-1");
/// let repos = ImageRepositories::new(&home, "Images",
///     ImageRepositoriesProps::new("shop-prod", &["orders"], &["us-west-2", "eu-west-1"]));
/// let image = repos.image("orders", ImageRef::Tag("1.4.2".into())).unwrap();
/// assert_eq!(image, Image::Repository { name: "shop-prod/orders".into(), reference: ImageRef::Tag("1.4.2".into()) });
/// let t = app.synth().unwrap().template("shop-Global").unwrap();
/// let rules = &t["Resources"].as_object().unwrap().values()
///     .find(|r| r["Type"] == "AWS::ECR::ReplicationConfiguration").unwrap()
///     ["Properties"]["ReplicationConfiguration"]["Rules"];
/// assert_eq!(rules[0]["RepositoryFilters"][0]["Filter"], "shop-prod/");
/// assert_eq!(rules[0]["Destinations"].as_array().unwrap().len(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct ImageRepositories {
    /// The repositories' prefix.
    pub prefix: String,
    /// The repositories, by name (without the prefix).
    pub repositories: BTreeMap<String, Handle<ecr::Repository>>,
    /// The registry's replication configuration, when this app owns it.
    pub replication: Option<Handle<ecr::ReplicationConfiguration>>,
}

impl ImageRepositories {
    /// Adds the repositories (`<Name>Repository`) and the replication configuration
    /// (`Replication`) under `scope.child(id)`; `scope` is a stack of one region, the home one.
    pub fn new(scope: &Scope, id: &str, props: ImageRepositoriesProps) -> ImageRepositories {
        let scope = scope.child(id);
        if let Some(p) = repository_name_problem(&props.prefix) {
            scope.error(format!("prefix: {p}"));
        }
        if let Some(p) = props.lifecycle.problem() {
            scope.error(p);
        }
        let home = scope.stack().regions();
        if home.len() != 1 {
            scope.error(format!(
                "the repositories belong in a stack of one region (the home region), not {}; replication copies \
                 them to the others",
                home.join(", ")
            ));
        }
        for p in haplat_core::validate::region_list_problems("replicate_to", &props.replicate_to) {
            scope.error(p);
        }
        for r in &props.replicate_to {
            if home.contains(r) {
                scope.error(format!("replicate_to lists {r}, the repositories' own region"));
            }
        }
        let mut repositories = BTreeMap::new();
        for name in &props.names {
            let full = format!("{}/{name}", props.prefix);
            if let Some(p) = repository_name_problem(&full) {
                scope.error(p);
                continue;
            }
            let repo = scope.add(
                &format!("{}Repository", crate::naming::pascal(name)),
                ecr::Repository {
                    repository_name: Some(full.clone().into()),
                    image_tag_mutability: Some(ecr::repository::ImageTagMutability::Immutable.into()),
                    image_scanning_configuration: Some(ecr::repository::ImageScanningConfiguration {
                        scan_on_push: Some(true.into()),
                    }),
                    encryption_configuration: Some(ecr::repository::EncryptionConfiguration {
                        encryption_type: ecr::types::EncryptionType::Kms.into(),
                        kms_key: props.key.clone(),
                    }),
                    lifecycle_policy: Some(ecr::repository::LifecyclePolicy {
                        lifecycle_policy_text: Some(props.lifecycle.policy_text().into()),
                        registry_id: None,
                    }),
                    ..Default::default()
                },
            );
            scope.options(repo).suppress("HAP003", KEPT_REPOSITORY);
            repositories.insert(name.clone(), repo);
        }
        let replication = (props.replication == Replication::Owned && !props.replicate_to.is_empty()).then(|| {
            use ecr::replication_configuration as rc;
            scope.add(
                "Replication",
                ecr::ReplicationConfiguration {
                    replication_configuration: rc::ReplicationConfigurationProperty {
                        rules: List::items(vec![rc::ReplicationRule {
                            destinations: List::items(
                                props
                                    .replicate_to
                                    .iter()
                                    .map(|r| rc::ReplicationDestination {
                                        region: r.clone().into(),
                                        registry_id: haplat_core::Pseudo::AccountId.value(),
                                    })
                                    .collect(),
                            ),
                            repository_filters: Some(List::items(vec![rc::RepositoryFilter {
                                filter: format!("{}/", props.prefix).into(),
                                filter_type: rc::FilterType::PrefixMatch.into(),
                            }])),
                        }]),
                    },
                },
            )
        });
        ImageRepositories { prefix: props.prefix, repositories, replication }
    }

    /// The image `reference` of repository `name`, pulled in each region from its replica; `None`
    /// when there is no such repository.
    pub fn image(&self, name: &str, reference: ImageRef) -> Option<Image> {
        self.repositories
            .contains_key(name)
            .then(|| Image::Repository { name: format!("{}/{name}", self.prefix), reference })
    }
}

/// The settings of repositories ECR creates in a region (replicas, pull-through caches): a
/// repository creation template per prefix, with the region's KMS key, immutable tags (replicas)
/// and the lifecycle rules, and the role ECR assumes to apply the key. Goes in a stack set over
/// every region, deployed before the first push.
#[derive(Clone, Debug)]
pub struct RepositoryTemplates {
    /// The templates, by prefix.
    pub templates: BTreeMap<String, Handle<ecr::RepositoryCreationTemplate>>,
    /// The role ECR assumes to create the repositories with the key.
    pub role: Handle<iam::Role>,
}

impl RepositoryTemplates {
    /// Adds, under `scope.child(id)`, the role `Role` and one template per entry of `prefixes`
    /// (prefix → what it applies to): replicated repositories get immutable tags, pull-through
    /// caches mutable ones (ECR moves a cached tag when upstream moves it). `key` is the KMS key
    /// ARN of the stack's region.
    pub fn new(
        scope: &Scope,
        id: &str,
        prefixes: &[(String, AppliedFor)],
        key: Value<String>,
        lifecycle: &ImageLifecycle,
    ) -> RepositoryTemplates {
        use ecr::repository_creation_template as rct;
        let scope = scope.child(id);
        let repos: Vec<Value<String>> = prefixes
            .iter()
            .map(|(p, _)| {
                Value::sub(format!(
                    "arn:${{AWS::Partition}}:ecr:${{AWS::Region}}:${{AWS::AccountId}}:repository/{}/*",
                    p.trim_end_matches('/')
                ))
            })
            .collect();
        // The policy of the docs' repository creation role, scoped to the prefixes and the key.
        let statements: Vec<Expr> = vec![
            Permission::new(["ecr:CreateRepository", "ecr:ReplicateImage", "ecr:TagResource"], repos).statement(),
            Permission::new(["kms:CreateGrant", "kms:DescribeKey", "kms:RetireGrant"], [key.clone()]).statement(),
        ];
        let role = scope.add(
            "Role",
            iam::Role {
                assume_role_policy_document: trust_policy("ecr.amazonaws.com"),
                description: Some("ECR creates the platform's replicas and caches with the region's key".into()),
                policies: Some(List::items(vec![iam::role::Policy {
                    policy_name: "repository-creation".into(),
                    policy_document: policy_document(statements),
                }])),
                ..Default::default()
            },
        );
        let mut templates = BTreeMap::new();
        for (prefix, applied) in prefixes {
            let mutability = if *applied == AppliedFor::PullThroughCache {
                rct::ImageTagMutability::Mutable
            } else {
                rct::ImageTagMutability::Immutable
            };
            let t = scope.add(
                &format!("{}Template", crate::naming::pascal(prefix.trim_end_matches('/'))),
                ecr::RepositoryCreationTemplate {
                    prefix: prefix.clone().into(),
                    applied_for: List::items(vec![applied.clone().into()]),
                    description: Some(format!("haplat: repositories ECR creates under {prefix}").into()),
                    custom_role_arn: Some(role.attr_arn()),
                    encryption_configuration: Some(rct::EncryptionConfiguration {
                        encryption_type: ecr::types::EncryptionType::Kms.into(),
                        kms_key: Some(key.clone()),
                    }),
                    image_tag_mutability: Some(mutability.into()),
                    lifecycle_policy: Some(lifecycle.policy_text().into()),
                    ..Default::default()
                },
            );
            templates.insert(prefix.clone(), t);
        }
        RepositoryTemplates { templates, role }
    }
}

/// A public registry a [`PullThroughCache`] caches.
#[derive(Clone, Debug, PartialEq)]
pub enum Upstream {
    /// Amazon ECR Public (`public.ecr.aws`), prefix `ecr-public`; no credential.
    EcrPublic,
    /// Quay (`quay.io`), prefix `quay`; no credential.
    Quay,
    /// The Kubernetes registry (`registry.k8s.io`), prefix `k8s`; no credential.
    Kubernetes,
    /// Docker Hub (`registry-1.docker.io`, images written `docker.io/…`), prefix `docker-hub`:
    /// needs the ARN of a Secrets Manager secret named `ecr-pullthroughcache/…` in each region
    /// (<https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-creating-secret.html>).
    DockerHub {
        /// The secret's ARN in the stack's region.
        credential_arn: Value<String>,
    },
}

impl Upstream {
    /// (ECR's name of the registry, its URL, the hosts images are written with, the prefix).
    fn facts(
        &self,
    ) -> (ecr::pull_through_cache_rule::UpstreamRegistry, &'static str, &'static [&'static str], &'static str) {
        use ecr::pull_through_cache_rule::UpstreamRegistry as U;
        match self {
            Upstream::EcrPublic => (U::EcrPublic, "public.ecr.aws", &["public.ecr.aws"], "ecr-public"),
            Upstream::Quay => (U::Quay, "quay.io", &["quay.io"], "quay"),
            Upstream::Kubernetes => (U::K8s, "registry.k8s.io", &["registry.k8s.io"], "k8s"),
            Upstream::DockerHub { .. } => {
                (U::DockerHub, "registry-1.docker.io", &["docker.io", "registry-1.docker.io"], "docker-hub")
            }
        }
    }

    /// The repository prefix of the cached images.
    pub fn prefix(&self) -> &'static str {
        self.facts().3
    }
}

/// Pull-through cache rules in every region of a stack set
/// (<https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-creating-rule.html>):
/// a task pulls a public image from its own region's registry, which fetches it from upstream
/// once and keeps it. [`PullThroughCache::image`] rewrites an image URI to the cache.
///
/// ```
/// use haplat_core::App;
/// use haplat_constructs::ecr::{PullThroughCache, Upstream};
/// use haplat_constructs::image::{Image, ImageRef};
///
/// let app = App::new("shop");
/// let regions = app.stack_set("Data", &["us-east-1", "eu-west-1"]);
/// let cache = PullThroughCache::new(&regions, "Cache", vec![Upstream::EcrPublic]);
/// assert_eq!(cache.image("public.ecr.aws/nginx/nginx:1.27"), Image::Cached {
///     prefix: "ecr-public".into(), path: "nginx/nginx".into(), reference: ImageRef::Tag("1.27".into()) });
/// assert_eq!(cache.image("quay.io/a/b:1"), Image::Uri("quay.io/a/b:1".into()));
/// ```
#[derive(Clone, Debug)]
pub struct PullThroughCache {
    /// The upstream registries cached.
    pub upstreams: Vec<Upstream>,
    /// The rules, by prefix.
    pub rules: BTreeMap<String, Handle<ecr::PullThroughCacheRule>>,
}

impl PullThroughCache {
    /// One rule per upstream (`<Prefix>Rule`) under `scope.child(id)`.
    pub fn new(scope: &Scope, id: &str, upstreams: Vec<Upstream>) -> PullThroughCache {
        let scope = scope.child(id);
        let mut rules = BTreeMap::new();
        for u in &upstreams {
            let (registry, url, _, prefix) = u.facts();
            if rules.contains_key(prefix) {
                scope.error(format!("{url} is cached twice"));
                continue;
            }
            let rule = scope.add(
                &format!("{}Rule", crate::naming::pascal(prefix)),
                ecr::PullThroughCacheRule {
                    ecr_repository_prefix: Some(prefix.into()),
                    upstream_registry: Some(registry.into()),
                    upstream_registry_url: Some(url.into()),
                    credential_arn: match u {
                        Upstream::DockerHub { credential_arn } => Some(credential_arn.clone()),
                        _ => None,
                    },
                    ..Default::default()
                },
            );
            rules.insert(prefix.to_owned(), rule);
        }
        PullThroughCache { upstreams, rules }
    }

    /// `uri` through the cache when its registry is cached (a Docker Hub official image,
    /// `docker.io/nginx`, is `library/nginx` upstream), else `uri` as given.
    pub fn image(&self, uri: &str) -> Image {
        for u in &self.upstreams {
            let (_, _, hosts, prefix) = u.facts();
            for host in hosts {
                let Some(rest) = uri.strip_prefix(&format!("{host}/")) else { continue };
                let Ok(Image::Repository { name, reference }) = Image::parse(rest) else { continue };
                let path = if matches!(u, Upstream::DockerHub { .. }) && !name.contains('/') {
                    format!("library/{name}")
                } else {
                    name
                };
                return Image::Cached { prefix: prefix.to_owned(), path, reference };
            }
        }
        Image::Uri(uri.to_owned())
    }

    /// The prefixes of the cached repositories.
    pub fn prefixes(&self) -> Vec<&'static str> {
        self.upstreams.iter().map(Upstream::prefix).collect()
    }
}
