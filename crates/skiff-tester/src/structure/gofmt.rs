//! Go's formatting of string slices, as container-structure-test (a Go program) prints them in
//! its messages.

use skiff_build::go_quote;

/// Go's `%v` of a `[]string`: `[a b c]`.
pub(crate) fn go_list(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

/// Go's `%q` of a `[]string`: `["a" "b c"]`.
pub(crate) fn go_quote_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| go_quote(s)).collect();
    go_list(&quoted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_print_like_go() {
        let items = ["sh".to_owned(), "-c".to_owned(), "echo \"hi\"".to_owned()];
        assert_eq!(go_list(&items), r#"[sh -c echo "hi"]"#);
        assert_eq!(go_quote_list(&items), r#"["sh" "-c" "echo \"hi\""]"#);
        assert_eq!(go_quote_list(&[]), "[]");
    }
}
