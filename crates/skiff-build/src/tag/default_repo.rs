//! `--default-repo` rewriting (Skaffold's `docker.SubstituteDefaultRepoIntoImage`,
//! `pkg/skaffold/docker/default_repo.go`).
//!
//! With a default repo set, an image reference `name[:tag][@digest]` becomes
//! `<rewritten name>[:tag][@digest]`:
//! - a name that already starts with the default repo is kept;
//! - registries that support multi-level repositories (the default repo contains `gcr.io` or
//!   `-docker.pkg.dev`, or the global config's `multi-level-repo` is true) get
//!   `<defaultRepo>/<name>`, where a shared `<domain>/<gcp-project>/` prefix of the name is
//!   replaced by the default repo instead;
//! - other registries get `<defaultRepo>/<name with / . _ : @ replaced by _>`;
//! - both concatenations are cut to 255 bytes;
//! - `ko://` is dropped and the name lower-cased first (by the reference parser).

use skiff_config::reference::{GCP_PREFIX, ReferenceError, parse_reference};

/// Skaffold's `maxLength` for rewritten names.
const MAX_LENGTH: usize = 255;

/// Rewrites `image` into `default_repo` (no default repo: `image` unchanged). Registries whose
/// support for multi-level repositories is unknown are treated as not supporting them, as
/// Skaffold does when the global config does not say. An image that is not a valid reference is
/// returned unchanged (see [`try_substitute`] for the error).
pub fn substitute(image: &str, default_repo: Option<&str>) -> String {
    try_substitute(image, default_repo, None).unwrap_or_else(|_| image.to_string())
}

/// [`substitute`] with the global config's `multi-level-repo` setting, returning Skaffold's
/// reference-parsing error for an invalid image.
pub fn try_substitute(
    image: &str,
    default_repo: Option<&str>,
    multi_level_repo: Option<bool>,
) -> Result<String, ReferenceError> {
    let default_repo = match default_repo {
        None | Some("") => return Ok(image.to_string()),
        Some(r) => r,
    };
    let parsed = parse_reference(image)?;
    let mut replaced = replace(default_repo, multi_level_repo, &parsed.base_name);
    if !parsed.tag.is_empty() {
        replaced.push(':');
        replaced.push_str(&parsed.tag);
    }
    if !parsed.digest.is_empty() {
        replaced.push('@');
        replaced.push_str(&parsed.digest);
    }
    Ok(replaced)
}

fn replace(default_repo: &str, multi_level_repo: Option<bool>, base_image: &str) -> String {
    if base_image.starts_with(default_repo) {
        return base_image.to_string();
    }
    let original_prefix = GCP_PREFIX.find(base_image).map_or("", |m| m.as_str());
    let default_repo_prefix = GCP_PREFIX.find(default_repo).map_or("", |m| m.as_str());
    if supports_multi_level_repos(default_repo_prefix, multi_level_repo) {
        if original_prefix == default_repo_prefix {
            return format!("{default_repo}/{}", &base_image[original_prefix.len()..]);
        }
        return truncate(format!("{default_repo}/{base_image}"));
    }
    let escaped: String = base_image
        .chars()
        .map(|c| match c {
            '/' | '.' | '_' | ':' | '@' => '_',
            c => c,
        })
        .collect();
    truncate(format!("{default_repo}/{escaped}"))
}

fn supports_multi_level_repos(repo_prefix: &str, multi_level_repo: Option<bool>) -> bool {
    if repo_prefix.contains("gcr.io") || repo_prefix.contains("-docker.pkg.dev") {
        return true;
    }
    multi_level_repo.unwrap_or(false)
}

fn truncate(mut image: String) -> String {
    if image.len() > MAX_LENGTH {
        // Names are ASCII once parsed; stay on a char boundary anyway.
        let mut end = MAX_LENGTH;
        while !image.is_char_boundary(end) {
            end -= 1;
        }
        image.truncate(end);
    }
    image
}
