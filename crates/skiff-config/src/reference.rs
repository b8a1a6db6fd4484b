//! Image references as Skaffold parses them (its `docker.ParseReference`), shared by config
//! validation, tagging and manifest rendering.
//!
//! A `ko://` prefix is dropped, the name part is lower-cased (tags keep their case), then the
//! string is parsed with the grammar of `github.com/distribution/reference` v0.6.0 without
//! normalisation (`busybox` stays `busybox`, it does not become `docker.io/library/busybox`),
//! and a digest is checked like `github.com/opencontainers/go-digest` does:
//!
//! ```text
//! reference := name [ ":" tag ] [ "@" digest ]
//! name      := [ domain "/" ] path-component ( "/" path-component )*
//! domain    := host [ ":" port ]          host: DNS labels (any case) or "[" IPv6 "]"
//! tag       := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
//! digest    := algorithm ":" hex{32,}     checked: sha256/sha384/sha512 with the right length
//! ```
//!
//! The first `/`-separated component is the domain whenever it can be one (so `app/app` has
//! domain `app`), as the grammar's greedy optional group decides. The grammar is built from the
//! same pieces as Go's regular expressions, so case-insensitive matching folds like Go's too
//! (the Kelvin sign `K` matches `k`).

mod digest;

#[cfg(test)]
mod tests;

use std::sync::LazyLock;

use regex::Regex;

/// Prefixes Skaffold strips from image names (`ko://` import paths).
const ALLOWED_IMAGE_PREFIXES: &[&str] = &["ko://"];

/// distribution/reference's `RepositoryNameTotalLengthMax` (it bounds the path, not the domain).
const REPOSITORY_NAME_TOTAL_LENGTH_MAX: usize = 255;

// The grammar of distribution/reference, composed the same way.
const ALPHANUMERIC: &str = r"[a-z0-9]+";
const SEPARATOR: &str = r"(?:[._]|__|[-]+)";
const DOMAIN_NAME_COMPONENT: &str = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const OPTIONAL_PORT: &str = r"(?::[0-9]+)?";
// Go's `\w` is ASCII-only, Rust's is not.
const TAG: &str = r"[0-9A-Za-z_][0-9A-Za-z_.-]{0,127}";
const DIGEST: &str = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}";
const IPV6_ADDRESS: &str = r"\[(?:[a-fA-F0-9:]+)\]";

fn domain_and_port() -> String {
    let domain_name = format!(r"{DOMAIN_NAME_COMPONENT}(?:\.{DOMAIN_NAME_COMPONENT})*");
    format!("(?:{domain_name}|{IPV6_ADDRESS}){OPTIONAL_PORT}")
}

fn remote_name() -> String {
    let path_component = format!("{ALPHANUMERIC}(?:{SEPARATOR}{ALPHANUMERIC})*");
    format!("{path_component}(?:/{path_component})*")
}

/// `reference.ReferenceRegexp`'s pattern (anchored; captures name, tag, digest).
fn reference_pattern() -> String {
    let name = format!("(?:{}/)?{}", domain_and_port(), remote_name());
    format!("^({name})(?::({TAG}))?(?:@({DIGEST}))?$")
}

fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).expect("the reference grammar is a valid regular expression")
}

static REFERENCE: LazyLock<Regex> = LazyLock::new(|| compile(&reference_pattern()));

/// Skaffold's `caseInsensitiveReferenceRegexp`, which finds the name to lower-case.
static CASE_INSENSITIVE_REFERENCE: LazyLock<Regex> =
    LazyLock::new(|| compile(&format!("(?i){}", reference_pattern())));

/// `reference.anchoredNameRegexp`: splits a name into domain and path.
static ANCHORED_NAME: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        "^(?:({})/)?({})$",
        domain_and_port(),
        remote_name()
    ))
});

/// Skaffold's `defaultRepo` prefix matcher: a registry domain followed by a GCP project id
/// (`reference.DomainRegexp + "/" + [a-z][a-z0-9-]{4,28}[a-z0-9] + "/?"`), anchored at the start
/// only.
pub static GCP_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        "^{}/[a-z][a-z0-9-]{{4,28}}[a-z0-9]/?",
        domain_and_port()
    ))
});

/// Why a string is not an image reference. `Display` gives the Go error strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// `reference.ErrReferenceInvalidFormat`: the string does not follow the grammar.
    #[error("invalid reference format")]
    InvalidFormat,
    /// `reference.ErrNameContainsUppercase`: the string only follows the grammar lower-cased
    /// (reachable only with characters Skaffold's sanitizing does not fold, such as `İ`).
    #[error("repository name must be lowercase")]
    NameContainsUppercase,
    /// `reference.ErrNameEmpty`: the string is empty.
    #[error("repository name must have at least one component")]
    NameEmpty,
    /// `reference.ErrNameTooLong`: the repository path is longer than 255 characters.
    #[error("repository name must not be more than 255 characters")]
    NameTooLong,
    /// go-digest's `ErrDigestInvalidFormat`: the digest's algorithm or hex part is malformed.
    #[error("invalid checksum digest format")]
    DigestInvalidFormat,
    /// go-digest's `ErrDigestInvalidLength`: the hex part has the wrong length for its algorithm.
    #[error("invalid checksum digest length")]
    DigestInvalidLength,
    /// go-digest's `ErrDigestUnsupported`: the algorithm is not sha256, sha384 or sha512.
    #[error("unsupported digest algorithm")]
    DigestUnsupported,
}

/// A parsed image reference (Skaffold's `docker.ImageReference`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageReference {
    /// The name without tag and digest, lower-cased, without `ko://`.
    pub base_name: String,
    /// The registry part of the name (`gcr.io`, `localhost:5000`), or `""`.
    pub domain: String,
    /// The name after the domain.
    pub path: String,
    /// `base_name` up to its last `/`, or `""` when it has none.
    pub repo: String,
    /// `base_name` after its last `/`, or `""` when it has none.
    pub name: String,
    /// The tag, or `""`.
    pub tag: String,
    /// The digest (`sha256:…`), or `""`.
    pub digest: String,
    /// Whether the reference pins a digest or a tag other than `latest`.
    pub fully_qualified: bool,
}

/// Skaffold's `SanitizeImageName`: drops a `ko://` prefix and lower-cases the name part of a
/// reference (a tag may contain upper case and keeps it). A string that is not a reference even
/// ignoring case is returned without its prefix but otherwise unchanged.
pub fn sanitize_image_name(image: &str) -> String {
    let image = ALLOWED_IMAGE_PREFIXES.iter().fold(image, |image, prefix| {
        image.strip_prefix(prefix).unwrap_or(image)
    });
    match CASE_INSENSITIVE_REFERENCE
        .captures(image)
        .and_then(|caps| caps.get(1))
    {
        Some(name) => format!("{}{}", go_to_lower(name.as_str()), &image[name.end()..]),
        None => image.to_string(),
    }
}

/// Skaffold's `docker.ParseReference`: [`sanitize_image_name`], then Docker's grammar and
/// go-digest's checks.
pub fn parse_reference(image: &str) -> Result<ImageReference, ReferenceError> {
    let image = sanitize_image_name(image);
    let Some(caps) = REFERENCE.captures(&image) else {
        return Err(if image.is_empty() {
            ReferenceError::NameEmpty
        } else if REFERENCE.is_match(&go_to_lower(&image)) {
            ReferenceError::NameContainsUppercase
        } else {
            ReferenceError::InvalidFormat
        });
    };
    let capture = |i| caps.get(i).map_or("", |m| m.as_str());
    let (name, tag, digest) = (capture(1), capture(2), capture(3));

    let (domain, path) = match ANCHORED_NAME.captures(name) {
        Some(n) => (
            n.get(1).map_or("", |m| m.as_str()),
            n.get(2).map_or("", |m| m.as_str()),
        ),
        None => ("", name),
    };
    if path.len() > REPOSITORY_NAME_TOTAL_LENGTH_MAX {
        return Err(ReferenceError::NameTooLong);
    }
    if !digest.is_empty() {
        digest::validate(digest)?;
    }

    let (repo, last) = name.rsplit_once('/').unwrap_or(("", ""));
    Ok(ImageReference {
        base_name: name.to_string(),
        domain: domain.to_string(),
        path: path.to_string(),
        repo: repo.to_string(),
        name: last.to_string(),
        tag: tag.to_string(),
        digest: digest.to_string(),
        fully_qualified: !digest.is_empty() || !(tag.is_empty() || tag == "latest"),
    })
}

/// Skaffold's `TagWithDigest`: `tag@digest`, unless `tag` already ends with that digest.
pub fn tag_with_digest(tag: &str, digest: &str) -> String {
    match tag.strip_suffix(digest).and_then(|t| t.strip_suffix('@')) {
        Some(_) => tag.to_string(),
        None => format!("{tag}@{digest}"),
    }
}

/// Go's `strings.ToLower`: each character's simple lower-case mapping (`İ` becomes `i`, where
/// Rust's `str::to_lowercase` gives `i̇`).
fn go_to_lower(s: &str) -> String {
    s.chars().flat_map(|c| c.to_lowercase().take(1)).collect()
}
