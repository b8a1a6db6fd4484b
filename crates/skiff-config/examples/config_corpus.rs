//! Print `docs/compat/config-corpus.md`: what skiff does with every config of Skaffold's examples
//! and integration testdata.
//!
//! ```text
//! cargo run -q -p skiff-config --example config_corpus > docs/compat/config-corpus.md
//! ```
//!
//! An optional argument overrides the corpus location (default
//! `<workspace>/../shared/reference/skaffold-configs`).

#[path = "../tests/support/corpus_report.rs"]
mod corpus_report;

fn main() {
    let root = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(corpus_report::corpus_root);
    if !root.is_dir() {
        eprintln!("the corpus is missing at {}", root.display());
        std::process::exit(1);
    }
    let root = root.canonicalize().unwrap_or(root);
    print!("{}", corpus_report::markdown(&corpus_report::rows(&root)));
}
