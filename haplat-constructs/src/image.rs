//! [`Image`]: what a container runs, and where each region pulls it from.
//!
//! - [`Image::Uri`]: a URI as given (`public.ecr.aws/nginx/nginx:1.27`, an ECR URI of another
//!   account), pulled from there in every region.
//! - [`Image::Repository`]: one of the platform's own ECR repositories
//!   ([`crate::ecr::ImageRepositories`]), pulled in each region from that region's replica
//!   (`<account>.dkr.ecr.<region>.<suffix>/<repository>`), so a region that scales up during a
//!   failover pulls from its own registry.
//! - [`Image::Cached`]: a public image through the region's pull-through cache
//!   ([`crate::ecr::PullThroughCache`]), `<account>.dkr.ecr.<region>.<suffix>/<prefix>/<path>`.
//!
//! Each names its version by tag or by digest ([`ImageRef`]). A digest (`@sha256:` and 64 hex
//! digits) names exactly one image; a tag may be moved to another (an immutable-tag repository
//! refuses that, other registries do not). Leaf module: uses haplat-core only.
//!
//! ```
//! use haplat_constructs::image::{Image, ImageRef};
//!
//! let pinned = Image::parse("orders@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945").unwrap();
//! assert!(matches!(pinned, Image::Repository { ref reference, .. } if matches!(reference, ImageRef::Digest(_))));
//! assert!(Image::parse("orders@sha256:abc").unwrap_err().contains("64 hexadecimal"));
//! assert_eq!(Image::from("public.ecr.aws/nginx/nginx:1.27").reference(), Some(ImageRef::Tag("1.27".into())));
//! ```

use haplat_core::value::Value;

/// The version of an image: a tag, or a digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageRef {
    /// A tag (`1.4.2`): may be moved to another image unless the repository's tags are immutable.
    Tag(String),
    /// A digest (`sha256:` and 64 lowercase hexadecimal digits): exactly one image.
    Digest(String),
}

impl ImageRef {
    /// `:tag` or `@sha256:…`, as appended to a repository.
    pub fn suffix(&self) -> String {
        match self {
            ImageRef::Tag(t) => format!(":{t}"),
            ImageRef::Digest(d) => format!("@{d}"),
        }
    }

    /// Why this is not a valid tag or digest; `None` when it is.
    pub fn problem(&self) -> Option<String> {
        match self {
            ImageRef::Digest(d) => digest_problem(d),
            ImageRef::Tag(t) => tag_problem(t),
        }
    }
}

/// What a container runs (see the [module](self) docs). `From<&str>` takes a URI as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Image {
    /// A URI as given, pulled from there in every region.
    Uri(String),
    /// One of the platform's ECR repositories (its full name, `shop-prod/orders`), pulled in
    /// each region from the replica in that region.
    Repository {
        /// The repository's name in every region.
        name: String,
        /// The tag or digest.
        reference: ImageRef,
    },
    /// A public image through the region's pull-through cache rule.
    Cached {
        /// The cache rule's repository prefix (`ecr-public`).
        prefix: String,
        /// The image's path in the upstream registry (`nginx/nginx`).
        path: String,
        /// The tag or digest.
        reference: ImageRef,
    },
}

impl From<&str> for Image {
    fn from(uri: &str) -> Image {
        Image::Uri(uri.to_owned())
    }
}

impl From<&String> for Image {
    fn from(uri: &String) -> Image {
        Image::Uri(uri.clone())
    }
}

impl From<String> for Image {
    fn from(uri: String) -> Image {
        Image::Uri(uri)
    }
}

impl Image {
    /// Reads an image as an environment file writes it: `name:tag` or `name@sha256:…` with a
    /// name of one or more path segments whose first has no `.` (`orders`, `team/orders`) is one
    /// of the platform's repositories ([`Image::Repository`], the name relative to the
    /// repositories' prefix); anything with a registry host (`public.ecr.aws/…`, `quay.io/…`)
    /// is a URI. A malformed digest or tag is an error saying what is wrong.
    pub fn parse(text: &str) -> Result<Image, String> {
        let (name, reference) = split_reference(text);
        let first = name.split('/').next().unwrap_or_default();
        let image = if name.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost") {
            Image::Uri(text.to_owned())
        } else {
            let Some(reference) = reference else {
                return Err(format!("{text:?} names no tag or digest (name:tag or name@sha256:…)"));
            };
            Image::Repository { name: name.to_owned(), reference }
        };
        match image.problem() {
            Some(p) => Err(p),
            None => Ok(image),
        }
    }

    /// The tag or digest; `None` for a URI without either (Docker then pulls `latest`).
    pub fn reference(&self) -> Option<ImageRef> {
        match self {
            Image::Uri(u) => split_reference(u).1,
            Image::Repository { reference, .. } | Image::Cached { reference, .. } => Some(reference.clone()),
        }
    }

    /// Whether the image is named by digest.
    pub fn is_pinned(&self) -> bool {
        matches!(self.reference(), Some(ImageRef::Digest(_)))
    }

    /// What is wrong with the image (a malformed digest or tag, an empty name); `None` when
    /// nothing is.
    pub fn problem(&self) -> Option<String> {
        let name = match self {
            Image::Uri(u) => split_reference(u).0.to_owned(),
            Image::Repository { name, .. } => name.clone(),
            Image::Cached { prefix, path, .. } => format!("{prefix}/{path}"),
        };
        if name.is_empty() {
            return Some("the image names no repository".to_owned());
        }
        // A repository of the platform, or the one the cache rule creates in the region.
        if matches!(self, Image::Repository { .. } | Image::Cached { .. })
            && let Some(p) = repository_name_problem(&name)
        {
            return Some(p);
        }
        self.reference().and_then(|r| r.problem())
    }

    /// The image URI of the container: in the task's own region for a repository or a cached
    /// image (`${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/…`).
    pub fn uri(&self) -> Value<String> {
        match self {
            Image::Uri(u) => Value::from(u.clone()),
            Image::Repository { name, reference } => {
                Value::sub(format!("{REGIONAL_REGISTRY}/{name}{}", reference.suffix()))
            }
            Image::Cached { prefix, path, reference } => {
                Value::sub(format!("{REGIONAL_REGISTRY}/{prefix}/{path}{}", reference.suffix()))
            }
        }
    }

    /// The ECR repository the execution role pulls from, when the image is in ECR (in the task's
    /// region for a repository or a cached image).
    pub fn repository_arn(&self) -> Option<Value<String>> {
        match self {
            Image::Uri(u) => ecr_repository_arn(u),
            Image::Repository { name, .. } => Some(Value::sub(format!("{REGIONAL_REPOSITORY}/{name}"))),
            Image::Cached { prefix, path, .. } => Some(Value::sub(format!("{REGIONAL_REPOSITORY}/{prefix}/{path}"))),
        }
    }
}

/// The account's registry in the stack's region.
const REGIONAL_REGISTRY: &str = "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}";

/// The ARN prefix of the account's repositories in the stack's region.
const REGIONAL_REPOSITORY: &str = "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository";

/// The ECR repository ARN of an image URI in ECR (`<account>.dkr.ecr.<region>.amazonaws.com/<repo>[:tag|@digest]`).
pub fn ecr_repository_arn(image: &str) -> Option<Value<String>> {
    let (host, rest) = image.split_once('/')?;
    let mut parts = host.split('.');
    let account = parts.next()?;
    if parts.next()? != "dkr" || parts.next()? != "ecr" {
        return None;
    }
    let region = parts.next()?;
    let (repo, _) = split_reference(rest);
    Some(Value::sub(format!("arn:${{AWS::Partition}}:ecr:{region}:{account}:repository/{repo}")))
}

/// `(name, tag or digest)` of `name[:tag][@digest]`; a `:` in the host (a port) is not a tag.
fn split_reference(text: &str) -> (&str, Option<ImageRef>) {
    if let Some((name, digest)) = text.split_once('@') {
        return (name, Some(ImageRef::Digest(digest.to_owned())));
    }
    match text.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, Some(ImageRef::Tag(tag.to_owned()))),
        _ => (text, None),
    }
}

/// Why `digest` is not `sha256:` and 64 lowercase hexadecimal digits (the OCI image spec's
/// registered sha256 form, what ECR and ECS accept).
pub fn digest_problem(digest: &str) -> Option<String> {
    let Some(hex) = digest.strip_prefix("sha256:") else {
        return Some(format!("digest {digest:?} must start with sha256:"));
    };
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)) {
        return Some(format!(
            "digest {digest:?} must be sha256: and 64 hexadecimal digits (lowercase), got {} characters",
            hex.len()
        ));
    }
    None
}

/// Why `tag` is not an image tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`, the OCI distribution
/// spec's tag form).
fn tag_problem(tag: &str) -> Option<String> {
    let ok = !tag.is_empty()
        && tag.len() <= 128
        && tag.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && !tag.starts_with(['.', '-']);
    (!ok)
        .then(|| format!("tag {tag:?} must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'"))
}

/// Why `name` is not an ECR repository name (lowercase letters, digits and `._-/` separators,
/// 2 to 256 characters).
pub fn repository_name_problem(name: &str) -> Option<String> {
    let segments_ok = name.split('/').all(|s| {
        !s.is_empty()
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
            && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && s.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
    });
    (!(2..=256).contains(&name.len()) || !segments_ok).then(|| {
        format!(
            "repository name {name:?} must be 2 to 256 lowercase letters, digits and '.', '_', '-' between \
             '/'-separated parts"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945";

    #[test]
    fn parses_the_forms_an_environment_writes() {
        assert_eq!(
            Image::parse(&format!("orders@{D}")).unwrap(),
            Image::Repository { name: "orders".into(), reference: ImageRef::Digest(D.into()) }
        );
        assert_eq!(
            Image::parse("team/orders:1.4.2").unwrap(),
            Image::Repository { name: "team/orders".into(), reference: ImageRef::Tag("1.4.2".into()) }
        );
        assert_eq!(Image::parse("quay.io/a/b:1").unwrap(), Image::Uri("quay.io/a/b:1".into()));
        assert!(Image::parse("orders").unwrap_err().contains("no tag or digest"));
        assert!(Image::parse("orders@sha256:ABC").unwrap_err().contains("64 hexadecimal"));
        assert!(Image::parse("orders@md5:00").unwrap_err().contains("sha256:"));
        assert!(Image::parse("Orders:1").unwrap_err().contains("lowercase"));
        assert!(Image::parse("orders:-x").unwrap_err().contains("tag"));
        assert!(Image::from("public.ecr.aws/a/b@sha256:1").problem().unwrap().contains("64 hexadecimal"));
        assert_eq!(Image::from("localhost:5000/a/b").reference(), None);
    }
}
