//! The `dateTime` tag policy (`pkg/skaffold/tag/date_time.go`).

use std::fmt;

use jiff::Timestamp;
use skiff_config::template::gotime;

use super::{Clock, TagError, TagInput, Tagger};

/// The default layout (Go reference time): `2006-01-02_15-04-05.999_MST`.
pub const DEFAULT_DATE_TIME_FORMAT: &str = "2006-01-02_15-04-05.999_MST";

/// The default time zone.
pub const DEFAULT_TIME_ZONE: &str = "Local";

/// Tags with the current time formatted by a Go layout in a time zone.
#[derive(Clone, Default)]
pub struct DateTimeTagger {
    format: String,
    timezone: String,
    clock: Option<Clock>,
}

impl fmt::Debug for DateTimeTagger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DateTimeTagger")
            .field("format", &self.format)
            .field("timezone", &self.timezone)
            .finish_non_exhaustive()
    }
}

impl DateTimeTagger {
    /// `format` (Go layout, `""` for [`DEFAULT_DATE_TIME_FORMAT`]) and `timezone` (IANA name,
    /// `Local` or `UTC`; `""` for `Local`). A bad zone is reported when tagging, like Skaffold.
    pub fn new(format: &str, timezone: &str) -> Self {
        DateTimeTagger {
            format: format.to_string(),
            timezone: timezone.to_string(),
            clock: None,
        }
    }

    /// Reads the time from `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }
}

impl Tagger for DateTimeTagger {
    fn generate_tag(&self, _input: &TagInput<'_>) -> Result<String, TagError> {
        let format = if self.format.is_empty() {
            DEFAULT_DATE_TIME_FORMAT
        } else {
            &self.format
        };
        let timezone = if self.timezone.is_empty() {
            DEFAULT_TIME_ZONE
        } else {
            &self.timezone
        };
        let tz = gotime::load_location(timezone).ok_or_else(|| TagError::BadTimezone {
            timezone: timezone.to_string(),
        })?;
        let now = match &self.clock {
            Some(clock) => clock(),
            None => Timestamp::now(),
        };
        Ok(gotime::format(now, &tz, format))
    }
}
