//! `haplat init`: a new infrastructure project of the user's own, outside this repository — the
//! way `cargo new` and `cdk init app` start one. The files are templates in
//! `haplat-cli/templates/init/`, filled with the project's name and where haplat comes from.

use std::path::PathBuf;

use crate::error::Error;

/// Where the new project takes haplat from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HaplatSource {
    /// A git repository (the default: this crate's `repository`).
    Git(String),
    /// A local checkout (its root, holding `haplat-core/`).
    Path(PathBuf),
}

/// What `init` creates.
#[derive(Clone, Debug)]
pub struct InitOptions {
    /// The project's directory (created; it must be new or empty).
    pub dir: PathBuf,
    /// The project's name (default: the directory's name).
    pub name: Option<String>,
    /// Where haplat comes from.
    pub haplat: HaplatSource,
}

/// The default git repository of haplat: this crate's `repository`.
pub const HAPLAT_GIT: &str = env!("CARGO_PKG_REPOSITORY");

/// The image the new project's service runs: it listens on [`IMAGE_PORT`] and answers
/// [`IMAGE_HEALTH`] with 200, so the first deploy becomes healthy before the user's own image
/// replaces it.
pub const IMAGE: &str = "public.ecr.aws/nginx/nginx:1.27";
/// The port [`IMAGE`] listens on.
pub const IMAGE_PORT: u16 = 80;
/// A path [`IMAGE`] answers with 200.
pub const IMAGE_HEALTH: &str = "/";

/// The files, by path in the project, and their templates.
const FILES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../../templates/init/Cargo.toml.tmpl")),
    ("haplat.toml", include_str!("../../templates/init/haplat.toml.tmpl")),
    (".gitignore", include_str!("../../templates/init/gitignore.tmpl")),
    ("README.md", include_str!("../../templates/init/README.md.tmpl")),
    ("src/lib.rs", include_str!("../../templates/init/lib.rs.tmpl")),
    ("src/main.rs", include_str!("../../templates/init/main.rs.tmpl")),
    ("src/config.rs", include_str!("../../templates/init/config.rs.tmpl")),
    ("environments/dev.yaml", include_str!("../../templates/init/dev.yaml.tmpl")),
    ("environments/prod.yaml", include_str!("../../templates/init/prod.yaml.tmpl")),
    ("environments/schema.json", include_str!("../../templates/init/schema.json.tmpl")),
    ("tests/templates.rs", include_str!("../../templates/init/templates.rs.tmpl")),
    (".github/workflows/pull-request.yml", include_str!("../../templates/init/workflows/pull-request.yml.tmpl")),
    (".github/workflows/deploy.yml", include_str!("../../templates/init/workflows/deploy.yml.tmpl")),
];

/// Creates the project; returns the files written.
pub fn init(opts: &InitOptions) -> Result<Vec<PathBuf>, Error> {
    let name = match &opts.name {
        Some(n) => n.clone(),
        None => opts.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
    };
    check_name(&name)?;
    if let Ok(mut entries) = std::fs::read_dir(&opts.dir)
        && entries.next().is_some()
    {
        return Err(Error::Refused(format!(
            "{} is not empty: haplat init writes a new project into a new or empty directory, and overwrites nothing",
            opts.dir.display()
        )));
    }
    let dep = |krate: &str| match &opts.haplat {
        HaplatSource::Git(url) => format!("git = {}", toml_string(url)),
        HaplatSource::Path(root) => format!("path = {}", toml_string(&root.join(krate).to_string_lossy())),
    };
    if let HaplatSource::Path(root) = &opts.haplat
        && !root.join("haplat-core/Cargo.toml").is_file()
    {
        return Err(Error::Usage(format!(
            "--haplat-path {}: not a haplat checkout (no haplat-core/Cargo.toml there)",
            root.display()
        )));
    }
    let git = match &opts.haplat {
        HaplatSource::Git(url) => url.clone(),
        HaplatSource::Path(_) => HAPLAT_GIT.to_owned(),
    };
    let values: Vec<(&str, String)> = vec![
        ("name", name.clone()),
        ("crate", name.replace('-', "_")),
        ("haplat_core", dep("haplat-core")),
        ("haplat_constructs", dep("haplat-constructs")),
        ("haplat_check", dep("haplat-check")),
        ("haplat_git", git.clone()),
        ("haplat_url", git),
        ("image", IMAGE.to_owned()),
        ("port", IMAGE_PORT.to_string()),
        ("health", IMAGE_HEALTH.to_owned()),
    ];
    let mut written = Vec::new();
    for (path, template) in FILES {
        let file = opts.dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(|source| Error::Write { path: parent.to_owned(), source })?;
        }
        std::fs::write(&file, render(template, &values))
            .map_err(|source| Error::Write { path: file.clone(), source })?;
        written.push(file);
    }
    crate::outln!("created {name} in {}:", opts.dir.display());
    for f in &written {
        crate::outln!("  {}", f.strip_prefix(&opts.dir).unwrap_or(f).display());
    }
    crate::outln!(
        "next: cd {} && haplat synth --env dev, then INSTA_UPDATE=always cargo test to pin the first templates",
        opts.dir.display()
    );
    Ok(written)
}

/// A project name is a cargo package name and the first part of every stack name: lower-case
/// letters, digits and `-`, starting with a letter, at most 40.
fn check_name(name: &str) -> Result<(), Error> {
    let ok = name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "project name {name:?} is invalid: use 1 to 40 lower-case letters, digits and '-', starting with a letter \
             (it names the crate and every stack); pass --name"
        )))
    }
}

/// Replaces each `{{key}}` of `values` (only those: GitHub's `${{ … }}` stays as it is).
fn render(template: &str, values: &[(&str, String)]) -> String {
    let mut out = template.to_owned();
    for (k, v) in values {
        out = out.replace(&format!("{{{{{k}}}}}"), v);
    }
    out
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_templates() {
        assert!(check_name("shop").is_ok() && check_name("my-shop-2").is_ok());
        for bad in ["", "Shop", "2shop", "shop_", "shop-", "sh op", &"a".repeat(41)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        let v = vec![("name", "shop".to_owned())];
        assert_eq!(render("{{name}} ${{ vars.X }} {{other}}", &v), "shop ${{ vars.X }} {{other}}");
        assert_eq!(toml_string(r#"C:\a"b"#), r#""C:\\a\"b""#);
    }
}
