//! Query parameters as the API server reads them (repeatable keys such as exec's `command`).

/// Decoded `key=value` pairs of a request's query string, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Parses a raw query string (`None`: no query).
    pub fn parse(raw: Option<&str>) -> Self {
        Self(
            form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in order.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether `key` is `true` (or `1`).
    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_and_flags() {
        let q = Query::parse(Some(
            "command=tar&command=x%20f&stdin=true&tty=false&ports=80,81",
        ));
        assert_eq!(q.all("command"), ["tar", "x f"]);
        assert!(q.flag("stdin") && !q.flag("tty") && !q.flag("missing"));
        assert_eq!(q.get("ports"), Some("80,81"));
        assert_eq!(Query::parse(None), Query::default());
    }
}
