//! Image references as Skaffold parses them (`pkg/skaffold/docker/reference.go`
//! `ParseReference`): a `ko://` prefix is dropped, the name part is lower-cased (tags keep their
//! case), then the reference is parsed with the grammar of `github.com/distribution/reference`
//! v0.6.0 and its digest checked like `github.com/opencontainers/go-digest`.

use std::sync::LazyLock;

use regex::Regex;

/// Prefixes Skaffold strips from image names (`ko://` import paths).
const ALLOWED_IMAGE_PREFIXES: &[&str] = &["ko://"];

/// distribution/reference's `RepositoryNameTotalLengthMax`.
const REPOSITORY_NAME_TOTAL_LENGTH_MAX: usize = 255;

// The grammar of distribution/reference (regexp.go), composed the same way.
const ALPHANUMERIC: &str = r"[a-z0-9]+";
const SEPARATOR: &str = r"(?:[._]|__|[-]+)";
const DOMAIN_NAME_COMPONENT: &str = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const OPTIONAL_PORT: &str = r"(?::[0-9]+)?";
// Go's `\w` is ASCII-only.
const TAG: &str = r"[0-9A-Za-z_][0-9A-Za-z_.-]{0,127}";
const DIGEST_PAT: &str = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}";
const IPV6_ADDRESS: &str = r"\[(?:[a-fA-F0-9:]+)\]";

fn domain_and_port() -> String {
    let domain_name = format!(r"{DOMAIN_NAME_COMPONENT}(?:\.{DOMAIN_NAME_COMPONENT})*");
    let host = format!("(?:{domain_name}|{IPV6_ADDRESS})");
    format!("{host}{OPTIONAL_PORT}")
}

fn remote_name() -> String {
    let path_component = format!("{ALPHANUMERIC}(?:{SEPARATOR}{ALPHANUMERIC})*");
    format!("{path_component}(?:/{path_component})*")
}

/// `reference.ReferenceRegexp`'s pattern (anchored, three captures: name, tag, digest).
fn reference_pattern() -> String {
    let name = format!("(?:{}/)?{}", domain_and_port(), remote_name());
    format!("^({name})(?::({TAG}))?(?:@({DIGEST_PAT}))?$")
}

static REFERENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&reference_pattern()).expect("reference regexp"));

static CASE_INSENSITIVE_REFERENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("(?i){}", reference_pattern())).expect("regexp"));

static ANCHORED_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        "^(?:({})/)?({})$",
        domain_and_port(),
        remote_name()
    ))
    .expect("regexp")
});

/// go-digest's `DigestRegexpAnchored`.
static DIGEST_ANCHORED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$").expect("regexp")
});

/// Skaffold's `defaultRepo` prefix matcher: a registry domain followed by a GCP project id
/// (`reference.DomainRegexp + "/" + [a-z][a-z0-9-]{4,28}[a-z0-9] + "/?"`), unanchored at the end.
pub(crate) static GCP_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        "^{}/[a-z][a-z0-9-]{{4,28}}[a-z0-9]/?",
        domain_and_port()
    ))
    .expect("regexp")
});

/// Why an image name is not a valid reference. `Display` matches the Go error strings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// `reference.ErrReferenceInvalidFormat`.
    #[error("invalid reference format")]
    InvalidFormat,
    /// `reference.ErrNameContainsUppercase`.
    #[error("repository name must be lowercase")]
    NameContainsUppercase,
    /// `reference.ErrNameEmpty`.
    #[error("repository name must have at least one component")]
    NameEmpty,
    /// `reference.ErrNameTooLong`.
    #[error("repository name must not be more than 255 characters")]
    NameTooLong,
    /// go-digest `ErrDigestInvalidFormat`.
    #[error("invalid checksum digest format")]
    DigestInvalidFormat,
    /// go-digest `ErrDigestInvalidLength`.
    #[error("invalid checksum digest length")]
    DigestInvalidLength,
    /// go-digest `ErrDigestUnsupported`.
    #[error("unsupported digest algorithm")]
    DigestUnsupported,
}

/// A parsed image name (Skaffold's `docker.ImageReference`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageReference {
    /// The name without tag and digest (lower-cased, without `ko://`).
    pub base_name: String,
    /// The registry domain, if the name has one (`gcr.io`, `localhost:5000`).
    pub domain: String,
    /// The repository path after the domain.
    pub path: String,
    /// Everything before the last `/` of `base_name` (empty if there is no `/`).
    pub repo: String,
    /// The last `/`-separated element of `base_name` (empty if there is no `/`).
    pub name: String,
    /// The tag, or `""`.
    pub tag: String,
    /// The digest (`sha256:...`), or `""`.
    pub digest: String,
    /// Whether the reference pins a non-`latest` tag or a digest.
    pub fully_qualified: bool,
}

/// Skaffold's `SanitizeImageName`: strips `ko://` and lower-cases the name part (not the tag).
pub fn sanitize_image_name(image: &str) -> String {
    let mut image = image;
    for prefix in ALLOWED_IMAGE_PREFIXES {
        image = image.strip_prefix(prefix).unwrap_or(image);
    }
    match CASE_INSENSITIVE_REFERENCE.captures(image) {
        Some(caps) => match caps.get(1) {
            Some(name) => image.replacen(name.as_str(), &name.as_str().to_lowercase(), 1),
            None => image.to_string(),
        },
        None => image.to_string(),
    }
}

/// Skaffold's `docker.ParseReference`.
pub fn parse_reference(image: &str) -> Result<ImageReference, ReferenceError> {
    let image = sanitize_image_name(image);
    let Some(caps) = REFERENCE.captures(&image) else {
        if image.is_empty() {
            return Err(ReferenceError::NameEmpty);
        }
        if REFERENCE.is_match(&image.to_lowercase()) {
            return Err(ReferenceError::NameContainsUppercase);
        }
        return Err(ReferenceError::InvalidFormat);
    };
    let name = caps.get(1).map_or("", |m| m.as_str());
    let tag = caps.get(2).map_or("", |m| m.as_str());
    let digest = caps.get(3).map_or("", |m| m.as_str());

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
        validate_digest(digest)?;
    }
    if name.is_empty() {
        // Not reachable with the grammar above (a name is required), kept for parity.
        return Err(ReferenceError::NameEmpty);
    }

    let mut parsed = ImageReference {
        base_name: name.to_string(),
        domain: domain.to_string(),
        path: path.to_string(),
        ..ImageReference::default()
    };
    if !tag.is_empty() {
        parsed.tag = tag.to_string();
        parsed.fully_qualified = tag != "latest";
    }
    if !digest.is_empty() {
        parsed.digest = digest.to_string();
        parsed.fully_qualified = true;
    }
    if let Some((repo, last)) = parsed.base_name.rsplit_once('/') {
        parsed.repo = repo.to_string();
        parsed.name = last.to_string();
    }
    Ok(parsed)
}

/// go-digest's `Digest.Validate`.
fn validate_digest(s: &str) -> Result<(), ReferenceError> {
    let Some(i) = s.find(':').filter(|&i| i > 0 && i + 1 != s.len()) else {
        return Err(ReferenceError::DigestInvalidFormat);
    };
    let (algorithm, encoded) = (&s[..i], &s[i + 1..]);
    let hex_len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            if !DIGEST_ANCHORED.is_match(s) {
                return Err(ReferenceError::DigestInvalidFormat);
            }
            return Err(ReferenceError::DigestUnsupported);
        }
    };
    if encoded.len() != hex_len {
        return Err(ReferenceError::DigestInvalidLength);
    }
    if encoded
        .bytes()
        .all(|b| matches!(b, b'a'..=b'f' | b'0'..=b'9'))
    {
        Ok(())
    } else {
        Err(ReferenceError::DigestInvalidFormat)
    }
}
