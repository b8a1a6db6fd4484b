//! How a line is shown, as Skaffold's log formatters show it: an `ApplicationLogEvent` and,
//! unless muted, the prefixed (and possibly coloured) line on the terminal.

use std::collections::HashMap;

use skiff_events::Output;
use skiff_proto::v2::ApplicationLogEvent;

use super::LogPrefix;

/// Skaffold's log palette (`output.DefaultColorCodes`) as ANSI SGR codes, in the order images
/// get them: light red, light green, light yellow, light blue, light purple, red, green,
/// yellow, blue, purple (the same code as light purple upstream), cyan (bright upstream).
const PALETTE: [u8; 11] = [91, 92, 93, 94, 95, 31, 32, 33, 34, 95, 96];

/// Hands out the palette's colours to images in the order they are first seen, starting over
/// after the last, as Skaffold's colour picker does.
#[derive(Debug, Default)]
pub(crate) struct Palette {
    images: HashMap<String, u8>,
}

impl Palette {
    /// The colour of `image`'s lines.
    pub(crate) fn pick(&mut self, image: &str) -> u8 {
        let next = PALETTE[self.images.len() % PALETTE.len()];
        *self.images.entry(image.to_owned()).or_insert(next)
    }
}

/// How the lines of one container are shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LineFormat {
    /// The event's `containerName`: the image name for docker, the container name for pods.
    container_name: String,
    /// The event's `podName` (empty for docker).
    pod_name: String,
    /// What each line starts with, colour codes and separating space included.
    prefix: String,
}

impl LineFormat {
    /// The format of the lines of a docker container deployed for `image`; `color` is an
    /// ANSI code.
    pub(crate) fn new(image: &str, prefix: LogPrefix, color: Option<u8>) -> Self {
        Self {
            container_name: image.to_owned(),
            pod_name: String::new(),
            prefix: decorate(&prefix.label(image), color),
        }
    }

    /// The format of the lines of `container` in pod `pod`; `color` is an ANSI code.
    pub(crate) fn for_pod(
        pod: &str,
        container: &str,
        prefix: LogPrefix,
        color: Option<u8>,
    ) -> Self {
        Self {
            container_name: container.to_owned(),
            pod_name: pod.to_owned(),
            prefix: decorate(&prefix.pod_label(pod, container), color),
        }
    }
}

/// A label with its separating space, both coloured when `color` is set; nothing for no label.
fn decorate(label: &str, color: Option<u8>) -> String {
    match (label.is_empty(), color) {
        (true, _) => String::new(),
        (false, None) => format!("{label} "),
        (false, Some(code)) => format!("\x1b[{code}m{label} \x1b[0m"),
    }
}

/// Where lines go: always to the hub's application logs, to the terminal unless muted.
#[derive(Debug, Clone)]
pub(crate) struct LineSink {
    output: Output,
    muted: bool,
}

impl LineSink {
    /// A sink writing through `output`, silent on the terminal when `muted`.
    pub(crate) fn new(output: Output, muted: bool) -> Self {
        Self { output, muted }
    }

    /// Shows `line` (the raw text, newline included) of a container in `format`: the event
    /// first, then the terminal, in Skaffold's order.
    pub(crate) fn emit(&self, format: &LineFormat, line: &str) {
        let rich = format!("{}{line}", format.prefix);
        self.output.hub().application_log(ApplicationLogEvent {
            container_name: format.container_name.clone(),
            pod_name: format.pod_name.clone(),
            prefix: format.prefix.clone(),
            message: line.to_owned(),
            rich_formatted_message: rich.clone(),
        });
        if !self.muted {
            self.output.terminal(&rich);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_follow_skaffolds_palette_per_image() {
        let mut palette = Palette::default();
        assert_eq!(palette.pick("a"), 91);
        assert_eq!(palette.pick("b"), 92);
        assert_eq!(palette.pick("a"), 91, "an image keeps its colour");
        let rest: Vec<u8> = (0..10).map(|i| palette.pick(&format!("x{i}"))).collect();
        assert_eq!(rest, [93, 94, 95, 31, 32, 33, 34, 95, 96, 91]);
    }

    #[test]
    fn the_prefix_is_the_bracketed_image_and_a_space_coloured_together() {
        let plain = LineFormat::new("web", LogPrefix::Container, None);
        assert_eq!(plain.prefix, "[web] ");
        assert_eq!(plain.container_name, "web");
        let coloured = LineFormat::new("web", LogPrefix::Container, Some(91));
        assert_eq!(coloured.prefix, "\x1b[91m[web] \x1b[0m");
        let none = LineFormat::new("web", LogPrefix::None, Some(91));
        assert_eq!(none.prefix, "");
    }

    #[test]
    fn pod_lines_name_the_pod_and_the_container() {
        let format = LineFormat::for_pod("web-1", "app", LogPrefix::PodAndContainer, Some(92));
        assert_eq!(format.prefix, "\x1b[92m[web-1 app] \x1b[0m");
        assert_eq!(
            (format.pod_name.as_str(), format.container_name.as_str()),
            ("web-1", "app")
        );
    }
}
