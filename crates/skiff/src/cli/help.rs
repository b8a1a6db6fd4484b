//! The root help: commands grouped the way Skaffold groups them.

use clap::Command;

/// Command groups of the root help, in display order. Visible commands that no group names
/// are listed, alphabetically, under "Other Commands:".
pub const COMMAND_GROUPS: &[(&str, &[&str])] = &[
    ("End-to-end Pipelines:", &["run", "dev", "debug"]),
    (
        "Pipeline Building Blocks:",
        &[
            "build", "test", "deploy", "delete", "render", "apply", "verify",
        ],
    ),
    ("Getting Started With a New Project:", &["init"]),
];

/// Installs the grouped help template on the root command. Call after all subcommands exist.
pub fn with_grouped_help(cmd: Command) -> Command {
    let visible: Vec<(String, String)> = cmd
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .map(|sub| {
            let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
            (sub.get_name().to_owned(), about)
        })
        .collect();
    let width = visible
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    let line = |name: &str, about: &str| format!("  {name:<width$}  {about}\n");

    let mut groups = String::new();
    for (title, names) in COMMAND_GROUPS {
        let lines: String = names
            .iter()
            .filter_map(|name| visible.iter().find(|(n, _)| n == name))
            .map(|(name, about)| line(name, about))
            .collect();
        if !lines.is_empty() {
            groups.push_str(&format!("{title}\n{lines}\n"));
        }
    }
    let mut others: Vec<&(String, String)> = visible
        .iter()
        .filter(|(name, _)| {
            !COMMAND_GROUPS
                .iter()
                .any(|(_, names)| names.contains(&name.as_str()))
        })
        .collect();
    others.sort();
    if !others.is_empty() {
        groups.push_str("Other Commands:\n");
        for (name, about) in others {
            groups.push_str(&line(name, about));
        }
        groups.push('\n');
    }

    // Braces would be read as template placeholders.
    let groups = groups.replace('{', "(").replace('}', ")");
    let name = cmd.get_name().to_owned();
    cmd.help_template(format!(
        "{{about-with-newline}}{{before-help}}\n{groups}{{usage-heading}}\n  {{usage}}\n\n\
         Global Options:\n{{options}}\n\n\
         Use \"{name} <command> --help\" for more information about a given command.\
         {{after-help}}\n"
    ))
}
