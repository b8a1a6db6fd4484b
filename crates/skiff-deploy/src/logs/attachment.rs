//! [`Attachment`]: one container's log attachment as both targets' streamers keep it — where
//! reading resumes, whether a follower is attached, whether lines may be unread, and when to
//! attach again after a failure.

use std::time::Duration;

use tokio::time::Instant;

use super::backoff;
use super::cursor::Cursor;

/// The least time between two attachments to one container, so that an engine or API server
/// that keeps ending a stream at once cannot make the streamer spin. Lines are not lost
/// meanwhile: the next attachment resumes at the cursor.
const MIN_REATTACH: Duration = Duration::from_millis(250);

/// How a follower ended.
#[derive(Debug, Clone)]
pub(crate) enum FollowEnd {
    /// Its stream ended (or the streamer stopped); reading resumes at the cursor.
    Read(Cursor),
    /// Its read failed at the cursor.
    Failed(Cursor),
    /// The follower task itself failed; where it stopped is unknown.
    Lost,
}

/// One container's attachment state.
#[derive(Debug)]
pub(crate) struct Attachment {
    cursor: Cursor,
    /// A follower is attached (or waiting to attach).
    following: bool,
    /// It may have written lines nobody has read: new, started again, or its last read failed.
    unread: bool,
    /// Failed attachments in a row.
    failures: u32,
    /// When a follower was last attached.
    attached_at: Option<Instant>,
}

impl Attachment {
    /// A container not followed yet, read from `cursor`.
    pub(crate) fn new(cursor: Cursor) -> Self {
        Self {
            cursor,
            following: false,
            unread: true,
            failures: 0,
            attached_at: None,
        }
    }

    /// Whether a follower is attached (or waiting to attach).
    pub(crate) fn following(&self) -> bool {
        self.following
    }

    /// Whether it may have written lines nobody has read.
    pub(crate) fn unread(&self) -> bool {
        self.unread
    }

    /// Notes that it may have written lines nobody has read (it started again).
    pub(crate) fn mark_unread(&mut self) {
        self.unread = true;
    }

    /// Attaches a follower at `now`: the cursor to read from, and how long to wait first —
    /// the backoff after failures, else what is left of [`MIN_REATTACH`] since the last one.
    pub(crate) fn begin(&mut self, now: Instant) -> (Cursor, Duration) {
        let delay = if self.failures > 0 {
            backoff(self.failures)
        } else {
            self.attached_at.map_or(Duration::ZERO, |at| {
                (at + MIN_REATTACH).saturating_duration_since(now)
            })
        };
        self.following = true;
        self.unread = false;
        self.attached_at = Some(now + delay);
        (self.cursor.clone(), delay)
    }

    /// Records how the follower ended: a failure counts toward the backoff and leaves lines to
    /// read.
    pub(crate) fn ended(&mut self, end: FollowEnd) {
        self.following = false;
        match end {
            FollowEnd::Read(cursor) => {
                self.cursor = cursor;
                self.failures = 0;
            }
            FollowEnd::Failed(cursor) => {
                self.cursor = cursor;
                self.failures += 1;
                self.unread = true;
            }
            FollowEnd::Lost => {
                self.failures += 1;
                self.unread = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reattaching_waits_the_minimum_then_backs_off_after_failures() {
        let start = Instant::now();
        let mut attachment = Attachment::new(Cursor::Beginning);
        assert!(attachment.unread());
        assert_eq!(attachment.begin(start).1, Duration::ZERO);
        assert!(attachment.following() && !attachment.unread());

        attachment.ended(FollowEnd::Read(Cursor::Beginning));
        assert!(!attachment.following() && !attachment.unread());
        assert_eq!(attachment.begin(start).1, MIN_REATTACH);

        attachment.ended(FollowEnd::Failed(Cursor::Beginning));
        assert!(attachment.unread());
        assert_eq!(attachment.begin(start).1, backoff(1));
        attachment.ended(FollowEnd::Lost);
        assert_eq!(attachment.begin(start).1, backoff(2));
    }
}
