//! Where reading a container's log resumes, so that a stream attached again (the container
//! restarted, the engine dropped the connection) neither repeats nor skips a line.
//!
//! The engine stamps every line; the cursor remembers the stamp of the last line shown and how
//! many shown lines carry exactly that stamp (Podman's stamps have whole seconds only, so many
//! lines share one). A read resumes at that second and skips what the cursor has seen.

use jiff::Timestamp;

/// How far a container's log has been shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cursor {
    /// Nothing read yet: start with the last this many lines.
    Tail(usize),
    /// Nothing shown yet: start with the first line.
    Beginning,
    /// Shown up to the lines stamped at this time, this many of them.
    After(Timestamp, usize),
}

impl Cursor {
    /// A cursor for a container first read with `tail` (`None`: from its first line).
    pub(crate) fn start(tail: Option<usize>) -> Self {
        tail.map_or(Self::Beginning, Self::Tail)
    }

    /// The whole second a resumed read asks the engine for lines from.
    pub(crate) fn since_seconds(self) -> i64 {
        match self {
            Self::After(at, _) => at.as_second(),
            Self::Tail(_) | Self::Beginning => 0,
        }
    }

    /// Records a line stamped `at` as shown. A line stamped before the last one (stdout and
    /// stderr can interleave out of order) leaves the cursor where it is.
    pub(crate) fn advance(&mut self, at: Timestamp) {
        *self = match *self {
            Self::After(last, count) if at == last => Self::After(last, count + 1),
            Self::After(last, count) if at < last => Self::After(last, count),
            _ => Self::After(at, 1),
        };
    }

    /// The filter for a read resuming at this cursor.
    pub(crate) fn gate(self) -> Gate {
        match self {
            Self::After(at, count) => Gate {
                floor: Some((at, count)),
                skipped_at_floor: 0,
            },
            Self::Tail(_) | Self::Beginning => Gate {
                floor: None,
                skipped_at_floor: 0,
            },
        }
    }
}

/// Tells the lines a resumed read repeats from the new ones.
#[derive(Debug)]
pub(crate) struct Gate {
    floor: Option<(Timestamp, usize)>,
    skipped_at_floor: usize,
}

impl Gate {
    /// Whether the line stamped `at`, the next one the read returned, was shown before.
    pub(crate) fn seen(&mut self, at: Timestamp) -> bool {
        let Some((floor, count)) = self.floor else {
            return false;
        };
        if at < floor {
            return true;
        }
        if at == floor && self.skipped_at_floor < count {
            self.skipped_at_floor += 1;
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

    #[test]
    fn starts_from_the_tail_or_the_beginning() {
        assert_eq!(Cursor::start(Some(3)), Cursor::Tail(3));
        assert_eq!(Cursor::start(None), Cursor::Beginning);
        assert_eq!(Cursor::Beginning.since_seconds(), 0);
        assert!(!Cursor::Beginning.gate().seen(at("2026-01-01T00:00:00Z")));
    }

    #[test]
    fn counts_lines_sharing_a_stamp() {
        let mut cursor = Cursor::Beginning;
        for s in [
            "2026-01-01T00:00:01Z",
            "2026-01-01T00:00:02Z",
            "2026-01-01T00:00:02Z",
        ] {
            cursor.advance(at(s));
        }
        assert_eq!(cursor, Cursor::After(at("2026-01-01T00:00:02Z"), 2));
        assert_eq!(cursor.since_seconds(), 1_767_225_602);
        cursor.advance(at("2026-01-01T00:00:01.5Z"));
        assert_eq!(
            cursor,
            Cursor::After(at("2026-01-01T00:00:02Z"), 2),
            "an earlier stamp does not move the cursor back"
        );
    }

    #[test]
    fn a_resumed_read_skips_exactly_what_was_shown() {
        let cursor = Cursor::After(at("2026-01-01T00:00:02Z"), 2);
        let mut gate = cursor.gate();
        let replay = [
            ("2026-01-01T00:00:01.9Z", true),
            ("2026-01-01T00:00:02Z", true),
            ("2026-01-01T00:00:02Z", true),
            ("2026-01-01T00:00:02Z", false),
            ("2026-01-01T00:00:03Z", false),
        ];
        for (stamp, seen) in replay {
            assert_eq!(gate.seen(at(stamp)), seen, "{stamp}");
        }
    }
}
