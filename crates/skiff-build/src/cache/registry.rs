//! A minimal registry client (Docker Registry HTTP API v2 / OCI distribution) for what the
//! cache needs: the digest a tag or digest reference resolves to (a manifest `HEAD`), and
//! tagging a manifest already in the registry (a manifest `GET` then `PUT`).
//!
//! Skaffold does this with go-containerregistry (`pkg/skaffold/docker/remote.go`). Like it, this
//! client talks HTTPS, and also tries plain HTTP for registries listed in `insecureRegistries`
//! and for local addresses (`localhost`, loopback, RFC 1918, `*.local`); for insecure registries
//! certificates are not verified. It answers the `Bearer` token challenge (anonymously or with
//! the user's credentials) and `Basic` challenges, with credentials from the Docker config
//! (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`: `auths`, `credHelpers`,
//! `credsStore`).
//!
//! The engine's distribution endpoint (`GET /distribution/{name}/json`) is not used: Podman 4's
//! compatible API does not implement it (404), while this client works with any engine.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use hyper::{Method, Request, StatusCode};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use sha2::{Digest, Sha256};

/// The manifest media types accepted, indexes first.
pub const MANIFEST_MEDIA_TYPES: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_API: &str = "registry-1.docker.io";
const DOCKER_HUB_CREDENTIALS_KEY: &str = "https://index.docker.io/v1/";

/// How long one registry request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A registry request that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The reference is not `registry/repository[:tag][@digest]`.
    #[error("parsing reference {reference:?}: {message}")]
    InvalidReference { reference: String, message: String },
    /// The registry refused the credentials (or their absence).
    #[error("{registry}: unauthorized: {message}")]
    Unauthorized { registry: String, message: String },
    /// The registry answered with an unexpected status.
    #[error("{url}: unexpected status {status}: {message}")]
    Status {
        url: String,
        status: u16,
        message: String,
    },
    /// The registry could not be reached.
    #[error("{registry}: {message}")]
    Transport { registry: String, message: String },
    /// The operation is not supported by this client.
    #[error("{0}")]
    Unsupported(String),
}

/// A reference resolved to a registry API location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteReference {
    /// The registry as written (`127.0.0.1:5000`, `gcr.io`; `docker.io` for Docker Hub).
    pub registry: String,
    /// The repository inside the registry (`team/app`, `library/busybox`).
    pub repository: String,
    /// The tag (`latest` when none is given) or the digest (`sha256:…`) when one is given.
    pub reference: String,
}

impl RemoteReference {
    /// Parses `[registry/]repository[:tag][@digest]` with Docker's defaults (Docker Hub,
    /// `library/` for single-component names, tag `latest`).
    pub fn parse(reference: &str) -> Result<Self, RegistryError> {
        let invalid = |message: &str| RegistryError::InvalidReference {
            reference: reference.to_owned(),
            message: message.to_owned(),
        };
        let (name_and_tag, digest) = match reference.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (reference, None),
        };
        let (name, tag) = skiff_docker::split_tag(name_and_tag);
        if name.is_empty() {
            return Err(invalid("empty repository name"));
        }
        if let Some(d) = digest
            && !d.contains(':')
        {
            return Err(invalid("invalid digest"));
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_owned(), rest.to_owned())
            }
            _ if name.contains('/') => (DOCKER_HUB.to_owned(), name.to_owned()),
            _ => (DOCKER_HUB.to_owned(), format!("library/{name}")),
        };
        let registry = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_owned(),
            _ => registry,
        };
        if repository.is_empty() || repository.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(invalid("invalid repository name"));
        }
        let reference = digest.or(tag).unwrap_or("latest").to_owned();
        Ok(Self {
            registry,
            repository,
            reference,
        })
    }

    fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }
}

/// Whether a registry may be reached over plain HTTP without being listed as insecure, as
/// go-containerregistry decides: `localhost`, loopback and RFC 1918 addresses, `*.local`.
pub fn is_local_registry(registry: &str) -> bool {
    let host = match registry.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => registry
            .rsplit_once(':')
            .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
            .map_or(registry, |(h, _)| h),
    };
    if host == "localhost" || host.ends_with(".local") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback() || ip.is_private(),
        Ok(IpAddr::V6(ip)) => ip.is_loopback(),
        Err(_) => false,
    }
}

/// A manifest fetched from a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Its `Content-Type`.
    pub media_type: String,
    /// Its digest (`sha256:…`).
    pub digest: String,
    /// Its bytes, as stored.
    pub bytes: Bytes,
}

type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Talks to registries. Cheap to clone; clones share connections, tokens and learned schemes.
#[derive(Clone)]
pub struct RegistryClient {
    inner: Arc<Inner>,
}

struct Inner {
    /// Made on first use: loading the system's root certificates takes milliseconds, and most
    /// builds never talk to a registry.
    verified: OnceLock<HttpsClient>,
    unverified: OnceLock<HttpsClient>,
    insecure: HashSet<String>,
    /// The scheme that worked for each registry.
    schemes: Mutex<HashMap<String, &'static str>>,
    /// `Authorization` values by (registry, scope).
    tokens: Mutex<HashMap<(String, String), String>>,
    timeout: Duration,
}

fn https_client(verify: bool) -> HttpsClient {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = hyper_rustls::HttpsConnectorBuilder::new();
    let builder = if verify {
        match builder.with_provider_and_native_roots(provider.clone()) {
            Ok(b) => b,
            Err(_) => hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(empty_roots_config(provider)),
        }
    } else {
        builder.with_tls_config(no_verification_config(provider))
    };
    let connector = builder.https_or_http().enable_http1().build();
    Client::builder(TokioExecutor::new()).build(connector)
}

fn empty_roots_config(provider: Arc<rustls::crypto::CryptoProvider>) -> rustls::ClientConfig {
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth()
}

fn no_verification_config(provider: Arc<rustls::crypto::CryptoProvider>) -> rustls::ClientConfig {
    rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(NoCertificateVerification(provider)))
        .with_no_client_auth()
}

/// Accepts any server certificate (insecure registries, like Go's `InsecureSkipVerify`), still
/// checking handshake signatures.
#[derive(Debug)]
struct NoCertificateVerification(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoCertificateVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("insecure", &self.inner.insecure)
            .finish_non_exhaustive()
    }
}

impl RegistryClient {
    /// A client; `insecure_registries` (`host[:port]`) may be reached over plain HTTP or with
    /// unverified certificates.
    pub fn new<S: Into<String>>(insecure_registries: impl IntoIterator<Item = S>) -> Self {
        Self {
            inner: Arc::new(Inner {
                verified: OnceLock::new(),
                unverified: OnceLock::new(),
                insecure: insecure_registries.into_iter().map(Into::into).collect(),
                schemes: Mutex::new(HashMap::new()),
                tokens: Mutex::new(HashMap::new()),
                timeout: REQUEST_TIMEOUT,
            }),
        }
    }

    /// The digest `reference` (`name:tag` or `name@digest`) resolves to in its registry, or
    /// `None` if the registry has no such manifest.
    pub async fn digest(&self, reference: &str) -> Result<Option<String>, RegistryError> {
        let r = RemoteReference::parse(reference)?;
        let path = format!("/v2/{}/manifests/{}", r.repository, r.reference);
        let scope = format!("repository:{}:pull", r.repository);
        let accept = MANIFEST_MEDIA_TYPES.join(", ");
        let head = self
            .send(&r, Method::HEAD, &path, &scope, &[(ACCEPT, &accept)], None)
            .await?;
        match head.status {
            StatusCode::NOT_FOUND => return Ok(None),
            s if s.is_success() => {
                if let Some(d) = header(&head.headers, "docker-content-digest")
                    && d.starts_with("sha256:")
                {
                    return Ok(Some(d));
                }
            }
            _ => return Err(self.status_error(&r, &path, &head)),
        }
        // No digest header: fetch the manifest and hash it.
        Ok(self.manifest(reference).await?.map(|m| m.digest))
    }

    /// The manifest `reference` resolves to, or `None` if there is none.
    pub async fn manifest(&self, reference: &str) -> Result<Option<Manifest>, RegistryError> {
        let r = RemoteReference::parse(reference)?;
        let path = format!("/v2/{}/manifests/{}", r.repository, r.reference);
        let scope = format!("repository:{}:pull", r.repository);
        let accept = MANIFEST_MEDIA_TYPES.join(", ");
        let resp = self
            .send(&r, Method::GET, &path, &scope, &[(ACCEPT, &accept)], None)
            .await?;
        if resp.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !resp.status.is_success() {
            return Err(self.status_error(&r, &path, &resp));
        }
        let digest = sha256_digest(&resp.body);
        if r.reference.starts_with("sha256:") && r.reference != digest {
            return Err(RegistryError::Status {
                url: path,
                status: resp.status.as_u16(),
                message: format!("manifest digest {digest} does not match {}", r.reference),
            });
        }
        Ok(Some(Manifest {
            media_type: header(&resp.headers, "content-type").unwrap_or_default(),
            digest,
            bytes: resp.body,
        }))
    }

    /// Stores `manifest` under `target` (`name:tag`), whose repository must already hold the
    /// blobs it refers to.
    pub async fn put_manifest(
        &self,
        target: &str,
        manifest: &Manifest,
    ) -> Result<(), RegistryError> {
        let r = RemoteReference::parse(target)?;
        let path = format!("/v2/{}/manifests/{}", r.repository, r.reference);
        let scope = format!("repository:{}:pull,push", r.repository);
        let resp = self
            .send(
                &r,
                Method::PUT,
                &path,
                &scope,
                &[(CONTENT_TYPE, &manifest.media_type)],
                Some(manifest.bytes.clone()),
            )
            .await?;
        if resp.status.is_success() {
            Ok(())
        } else {
            Err(self.status_error(&r, &path, &resp))
        }
    }

    /// Tags the image `source` (`name[:tag]@digest`) as `target` (`name:tag`) in the same
    /// repository, without pulling it (Skaffold's `AddRemoteTag` for a cache hit found
    /// remotely under another tag).
    pub async fn add_tag(&self, source: &str, target: &str) -> Result<(), RegistryError> {
        let src = RemoteReference::parse(source)?;
        let dst = RemoteReference::parse(target)?;
        if (src.registry.as_str(), src.repository.as_str())
            != (dst.registry.as_str(), dst.repository.as_str())
        {
            return Err(RegistryError::Unsupported(format!(
                "tagging {source} as {target}: copying between repositories is not supported"
            )));
        }
        let manifest = self
            .manifest(source)
            .await?
            .ok_or_else(|| RegistryError::Status {
                url: source.to_owned(),
                status: 404,
                message: "manifest unknown".into(),
            })?;
        self.put_manifest(target, &manifest).await
    }

    fn status_error(&self, r: &RemoteReference, path: &str, resp: &Response) -> RegistryError {
        let message = String::from_utf8_lossy(&resp.body).trim().to_owned();
        match resp.status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => RegistryError::Unauthorized {
                registry: r.registry.clone(),
                message,
            },
            status => RegistryError::Status {
                url: format!("{}{path}", r.registry),
                status: status.as_u16(),
                message,
            },
        }
    }

    fn schemes_for(&self, registry: &str) -> Vec<&'static str> {
        if let Some(s) = self.lock_schemes().get(registry) {
            return vec![s];
        }
        if self.inner.insecure.contains(registry) || is_local_registry(registry) {
            vec!["https", "http"]
        } else {
            vec!["https"]
        }
    }

    fn lock_schemes(&self) -> std::sync::MutexGuard<'_, HashMap<String, &'static str>> {
        self.inner.schemes.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_tokens(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), String>> {
        self.inner.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends a request, answering one authentication challenge if the registry makes one.
    async fn send(
        &self,
        r: &RemoteReference,
        method: Method,
        path: &str,
        scope: &str,
        headers: &[(hyper::header::HeaderName, &str)],
        body: Option<Bytes>,
    ) -> Result<Response, RegistryError> {
        let token_key = (r.registry.clone(), scope.to_owned());
        let auth = self.lock_tokens().get(&token_key).cloned();
        let resp = self
            .send_once(r, &method, path, headers, body.clone(), auth.as_deref())
            .await?;
        if resp.status != StatusCode::UNAUTHORIZED {
            return Ok(resp);
        }
        let Some(challenge) = header(&resp.headers, "www-authenticate") else {
            return Ok(resp);
        };
        let Some(auth) = self.answer_challenge(r, &challenge, scope).await? else {
            return Ok(resp);
        };
        self.lock_tokens().insert(token_key, auth.clone());
        self.send_once(r, &method, path, headers, body, Some(&auth))
            .await
    }

    async fn send_once(
        &self,
        r: &RemoteReference,
        method: &Method,
        path: &str,
        headers: &[(hyper::header::HeaderName, &str)],
        body: Option<Bytes>,
        auth: Option<&str>,
    ) -> Result<Response, RegistryError> {
        let schemes = self.schemes_for(&r.registry);
        let mut last_error = None;
        for scheme in &schemes {
            let url = format!("{scheme}://{}{path}", r.api_host());
            let mut builder = Request::builder().method(method.clone()).uri(&url);
            for (name, value) in headers {
                builder = builder.header(name, *value);
            }
            if let Some(auth) = auth {
                builder = builder.header(AUTHORIZATION, auth);
            }
            let request = builder
                .body(Full::new(body.clone().unwrap_or_default()))
                .map_err(|e| RegistryError::InvalidReference {
                    reference: url.clone(),
                    message: e.to_string(),
                })?;
            match self.execute(&r.registry, request).await {
                Ok(resp) => {
                    if schemes.len() > 1 {
                        self.lock_schemes().insert(r.registry.clone(), scheme);
                    }
                    return Ok(resp);
                }
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.expect("at least one scheme is tried"))
    }

    async fn execute(
        &self,
        registry: &str,
        request: Request<Full<Bytes>>,
    ) -> Result<Response, RegistryError> {
        let transport = |message: String| RegistryError::Transport {
            registry: registry.to_owned(),
            message,
        };
        let client = if self.inner.insecure.contains(registry) {
            self.inner.unverified.get_or_init(|| https_client(false))
        } else {
            self.inner.verified.get_or_init(|| https_client(true))
        };
        let work = async {
            let resp = client
                .request(request)
                .await
                .map_err(|e| transport(error_chain(&e)))?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| transport(e.to_string()))?
                .to_bytes();
            Ok(Response {
                status,
                headers,
                body,
            })
        };
        tokio::time::timeout(self.inner.timeout, work)
            .await
            .map_err(|_| transport("request timed out".into()))?
    }

    /// The `Authorization` value answering `challenge`, if it can be answered.
    async fn answer_challenge(
        &self,
        r: &RemoteReference,
        challenge: &str,
        scope: &str,
    ) -> Result<Option<String>, RegistryError> {
        let (scheme, params) = parse_challenge(challenge);
        let credentials = credentials_for(&r.registry).await;
        let basic = credentials
            .as_ref()
            .map(|(user, secret)| format!("Basic {}", base64_encode(&format!("{user}:{secret}"))));
        match scheme.to_ascii_lowercase().as_str() {
            "basic" => Ok(basic),
            "bearer" => {
                let Some(realm) = params.get("realm") else {
                    return Ok(None);
                };
                let mut query = Vec::new();
                if let Some(service) = params.get("service") {
                    query.push(format!("service={}", url_encode(service)));
                }
                query.push(format!("scope={}", url_encode(scope)));
                let url = format!(
                    "{realm}{}{}",
                    if realm.contains('?') { "&" } else { "?" },
                    query.join("&")
                );
                let mut builder = Request::builder().method(Method::GET).uri(&url);
                if let Some(basic) = &basic {
                    builder = builder.header(AUTHORIZATION, basic);
                }
                let request = builder.body(Full::new(Bytes::new())).map_err(|e| {
                    RegistryError::Transport {
                        registry: r.registry.clone(),
                        message: format!("token request {url}: {e}"),
                    }
                })?;
                let resp = self.execute(&r.registry, request).await?;
                if !resp.status.is_success() {
                    return Err(RegistryError::Unauthorized {
                        registry: r.registry.clone(),
                        message: format!(
                            "token request failed with status {}: {}",
                            resp.status.as_u16(),
                            String::from_utf8_lossy(&resp.body).trim()
                        ),
                    });
                }
                let json: serde_json::Value =
                    serde_json::from_slice(&resp.body).unwrap_or_default();
                let token = json
                    .get("token")
                    .or_else(|| json.get("access_token"))
                    .and_then(|t| t.as_str())
                    .filter(|t| !t.is_empty());
                Ok(token.map(|t| format!("Bearer {t}")))
            }
            _ => Ok(None),
        }
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::from("sha256:");
    for b in digest.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Splits `Bearer realm="…",service="…"` into the scheme and its parameters.
fn parse_challenge(challenge: &str) -> (String, HashMap<String, String>) {
    let challenge = challenge.trim();
    let (scheme, rest) = challenge
        .split_once(char::is_whitespace)
        .unwrap_or((challenge, ""));
    let mut params = HashMap::new();
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, next)) = chars.next() {
                            value.push(next);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, &quoted[end.min(quoted.len())..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_owned(), &after[end..])
        };
        params.insert(key, value);
        rest = remaining.trim_start().trim_start_matches(',').trim_start();
    }
    (scheme.to_owned(), params)
}

fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn base64_encode(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// The user name and secret for `registry` from the Docker config: a credential helper
/// (`credHelpers`, then `credsStore`), else `auths`.
async fn credentials_for(registry: &str) -> Option<(String, String)> {
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".docker")))?;
    let text = tokio::fs::read(dir.join("config.json")).await.ok()?;
    let config: serde_json::Value = serde_json::from_slice(&text).ok()?;
    let key = if registry == DOCKER_HUB {
        DOCKER_HUB_CREDENTIALS_KEY
    } else {
        registry
    };
    let helper = config
        .get("credHelpers")
        .and_then(|h| h.get(key))
        .or_else(|| config.get("credsStore"))
        .and_then(|h| h.as_str())
        .filter(|h| !h.is_empty());
    if let Some(helper) = helper
        && let Some(found) = run_credential_helper(helper, key).await
    {
        return Some(found);
    }
    let auths = config.get("auths")?.as_object()?;
    let entry = auths.iter().find_map(|(server, entry)| {
        let host = server
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or_default();
        let matches = server == key
            || host == registry
            || (registry == DOCKER_HUB && host == "index.docker.io");
        matches.then_some(entry)
    })?;
    if let Some(auth) = entry.get("auth").and_then(|a| a.as_str())
        && let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(auth.trim())
        && let Ok(decoded) = String::from_utf8(decoded)
        && let Some((user, secret)) = decoded.split_once(':')
    {
        return Some((user.to_owned(), secret.to_owned()));
    }
    let user = entry.get("username")?.as_str()?;
    let secret = entry.get("password")?.as_str()?;
    Some((user.to_owned(), secret.to_owned()))
}

async fn run_credential_helper(helper: &str, server: &str) -> Option<(String, String)> {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(format!("docker-credential-{helper}"))
        .arg("get")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    stdin.write_all(server.as_bytes()).await.ok()?;
    drop(stdin);
    let output = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .ok()?
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    let user = json.get("Username")?.as_str()?.to_owned();
    let secret = json.get("Secret")?.as_str()?.to_owned();
    Some((user, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_like_docker() {
        let r = RemoteReference::parse("127.0.0.1:5000/team/app:v1").unwrap();
        assert_eq!(
            (
                r.registry.as_str(),
                r.repository.as_str(),
                r.reference.as_str()
            ),
            ("127.0.0.1:5000", "team/app", "v1")
        );
        let r = RemoteReference::parse("busybox").unwrap();
        assert_eq!(
            (
                r.registry.as_str(),
                r.repository.as_str(),
                r.reference.as_str()
            ),
            ("docker.io", "library/busybox", "latest")
        );
        assert_eq!(r.api_host(), "registry-1.docker.io");
        let r = RemoteReference::parse("user/app:1@sha256:abc").unwrap();
        assert_eq!(
            (
                r.registry.as_str(),
                r.repository.as_str(),
                r.reference.as_str()
            ),
            ("docker.io", "user/app", "sha256:abc")
        );
        let r = RemoteReference::parse("localhost/skiff-base:busybox").unwrap();
        assert_eq!(r.registry, "localhost");
        assert!(RemoteReference::parse("Bad/Name").is_err());
        assert!(RemoteReference::parse("app@nodigest").is_err());
    }

    #[test]
    fn local_registries_may_use_http() {
        for r in [
            "127.0.0.1:5000",
            "localhost:5000",
            "localhost",
            "10.1.2.3",
            "192.168.0.1:443",
            "[::1]:5000",
            "registry.local:5000",
        ] {
            assert!(is_local_registry(r), "{r}");
        }
        for r in ["gcr.io", "8.8.8.8:5000", "docker.io", "example.com:5000"] {
            assert!(!is_local_registry(r), "{r}");
        }
    }

    #[test]
    fn challenges_are_parsed() {
        let (scheme, params) = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#,
        );
        assert_eq!(scheme, "Bearer");
        assert_eq!(params["realm"], "https://auth.docker.io/token");
        assert_eq!(params["service"], "registry.docker.io");
        assert_eq!(params["scope"], "repository:library/busybox:pull");
        let (scheme, params) = parse_challenge(r#"Basic realm="Registry Realm""#);
        assert_eq!(scheme, "Basic");
        assert_eq!(params["realm"], "Registry Realm");
    }

    #[test]
    fn url_encoding_of_scopes() {
        assert_eq!(
            url_encode("repository:a/b:pull,push"),
            "repository%3Aa%2Fb%3Apull%2Cpush"
        );
    }
}
