//! Where reading a container's log resumes, so that a stream attached again (the container
//! restarted, the engine dropped the connection) neither repeats nor skips a line.
//!
//! The engine stamps every line; the cursor remembers the stamp of the last line shown and a
//! fingerprint of each shown line carrying exactly that stamp (Podman's stamps have whole
//! seconds only, so many lines share one). A read resumes at that second and skips the lines
//! whose fingerprints the cursor holds. Fingerprints, not a count: Podman's follow of a
//! container that restarts can leave out lines it returns to a later read, and counting would
//! then skip those and show others twice.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use jiff::Timestamp;

/// How many fingerprints a cursor keeps for one stamp; further lines with that stamp are only
/// counted (a container writing more lines in one second).
const MAX_FINGERPRINTS: usize = 65_536;

/// How far a container's log has been shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cursor {
    /// Nothing read yet: start with the last this many lines.
    Tail(usize),
    /// Nothing shown yet: start with the first line.
    Beginning,
    /// Shown up to the lines stamped at this time; which of them.
    After(Timestamp, Shown),
}

/// The lines shown with one stamp.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Shown {
    /// A fingerprint of each, up to [`MAX_FINGERPRINTS`].
    fingerprints: Vec<u64>,
    /// How many more there were.
    uncounted: usize,
}

impl Shown {
    fn add(&mut self, text: &str) {
        if self.fingerprints.len() < MAX_FINGERPRINTS {
            self.fingerprints.push(fingerprint(text));
        } else {
            self.uncounted += 1;
        }
    }
}

fn fingerprint(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

impl Cursor {
    /// A cursor for a container first read with `tail` (`None`: from its first line).
    pub(crate) fn start(tail: Option<usize>) -> Self {
        tail.map_or(Self::Beginning, Self::Tail)
    }

    /// The whole second a resumed read asks the engine for lines from.
    pub(crate) fn since_seconds(&self) -> i64 {
        match self {
            Self::After(at, _) => at.as_second(),
            Self::Tail(_) | Self::Beginning => 0,
        }
    }

    /// Records the line `text` stamped `at` as shown. A line stamped before the last one
    /// (stdout and stderr can interleave out of order) leaves the cursor where it is.
    pub(crate) fn advance(&mut self, at: Timestamp, text: &str) {
        match self {
            Self::After(last, shown) if at == *last => shown.add(text),
            Self::After(last, _) if at < *last => {}
            _ => {
                let mut shown = Shown::default();
                shown.add(text);
                *self = Self::After(at, shown);
            }
        }
    }

    /// The filter for a read resuming at this cursor.
    pub(crate) fn gate(&self) -> Gate {
        match self {
            Self::After(at, shown) => {
                let mut remaining: HashMap<u64, usize> = HashMap::new();
                for print in &shown.fingerprints {
                    *remaining.entry(*print).or_default() += 1;
                }
                Gate {
                    floor: Some(*at),
                    remaining,
                    uncounted: shown.uncounted,
                }
            }
            Self::Tail(_) | Self::Beginning => Gate {
                floor: None,
                remaining: HashMap::new(),
                uncounted: 0,
            },
        }
    }
}

/// Tells the lines a resumed read repeats from the new ones.
#[derive(Debug)]
pub(crate) struct Gate {
    floor: Option<Timestamp>,
    /// The fingerprints of the lines shown at the floor stamp not met again yet, with their
    /// number of occurrences.
    remaining: HashMap<u64, usize>,
    uncounted: usize,
}

impl Gate {
    /// Whether the line `text` stamped `at`, the next one the read returned, was shown before.
    pub(crate) fn seen(&mut self, at: Timestamp, text: &str) -> bool {
        let Some(floor) = self.floor else {
            return false;
        };
        if at != floor {
            return at < floor;
        }
        if let Some(left) = self.remaining.get_mut(&fingerprint(text))
            && *left > 0
        {
            *left -= 1;
            return true;
        }
        if self.uncounted > 0 {
            self.uncounted -= 1;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn after(lines: &[(&str, &str)]) -> Cursor {
        let mut cursor = Cursor::Beginning;
        for (stamp, text) in lines {
            cursor.advance(at(stamp), text);
        }
        cursor
    }

    #[test]
    fn starts_from_the_tail_or_the_beginning() {
        assert_eq!(Cursor::start(Some(3)), Cursor::Tail(3));
        assert_eq!(Cursor::start(None), Cursor::Beginning);
        assert_eq!(Cursor::Beginning.since_seconds(), 0);
        assert!(
            !Cursor::Beginning
                .gate()
                .seen(at("2026-01-01T00:00:00Z"), "a")
        );
    }

    #[test]
    fn remembers_the_lines_sharing_the_last_stamp() {
        let mut cursor = after(&[
            ("2026-01-01T00:00:01Z", "a"),
            ("2026-01-01T00:00:02Z", "b"),
            ("2026-01-01T00:00:02Z", "c"),
        ]);
        let expected = after(&[("2026-01-01T00:00:02Z", "b"), ("2026-01-01T00:00:02Z", "c")]);
        assert_eq!(cursor, expected);
        assert_eq!(cursor.since_seconds(), 1_767_225_602);
        cursor.advance(at("2026-01-01T00:00:01.5Z"), "late");
        assert_eq!(
            cursor, expected,
            "an earlier stamp does not move the cursor back"
        );
    }

    #[test]
    fn a_resumed_read_skips_exactly_what_was_shown() {
        let cursor = after(&[("2026-01-01T00:00:02Z", "a"), ("2026-01-01T00:00:02Z", "a")]);
        let mut gate = cursor.gate();
        let replay = [
            ("2026-01-01T00:00:01.9Z", "x", true),
            ("2026-01-01T00:00:02Z", "a", true),
            ("2026-01-01T00:00:02Z", "a", true),
            ("2026-01-01T00:00:02Z", "a", false),
            ("2026-01-01T00:00:03Z", "a", false),
        ];
        for (stamp, text, seen) in replay {
            assert_eq!(gate.seen(at(stamp), text), seen, "{stamp} {text}");
        }
    }

    #[test]
    fn lines_an_earlier_read_left_out_are_shown_and_none_twice() {
        // Podman's follow across a restart returned lines 1, 2 and 5 of one second; the next
        // read returns them all.
        let second = "2026-01-01T00:00:02Z";
        let cursor = after(&[(second, "1"), (second, "2"), (second, "5")]);
        let mut gate = cursor.gate();
        let shown: Vec<&str> = ["1", "2", "3", "4", "5", "6"]
            .into_iter()
            .filter(|text| !gate.seen(at(second), text))
            .collect();
        assert_eq!(shown, ["3", "4", "6"]);
    }

    #[test]
    fn past_the_fingerprint_limit_lines_are_counted() {
        let second = at("2026-01-01T00:00:02Z");
        let mut cursor = Cursor::Beginning;
        for n in 0..MAX_FINGERPRINTS + 2 {
            cursor.advance(second, &n.to_string());
        }
        let mut gate = cursor.gate();
        let unseen = (0..MAX_FINGERPRINTS + 4)
            .filter(|n| !gate.seen(second, &n.to_string()))
            .count();
        assert_eq!(unseen, 2);
    }
}
