//! A bounded, ordered event history.
//!
//! Every event gets a sequence number. Events are kept in two queues: *essential* ones (task and
//! subtask events, which `State` and IDEs depend on) and *droppable* ones (log lines). When the
//! retained size exceeds the cap, droppable events are evicted oldest first; essential events are
//! evicted only when no droppable one is left. Readers keep a cursor (the next sequence number they
//! want) and read by merging both queues, so eviction never reorders or duplicates anything: a
//! reader sees a strictly increasing subsequence of what was pushed.

use std::collections::VecDeque;
use std::sync::Arc;

use prost::Message;
use skiff_proto::v2::Event;

/// Memory an entry costs beyond its encoded size: the `Event` struct, the `Arc`, string headers.
const ENTRY_OVERHEAD: usize = std::mem::size_of::<Event>() + 224;

/// Whether an event may be dropped from history under memory pressure before others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    /// Kept as long as any droppable event is left to evict.
    Essential,
    /// Evicted first, oldest first.
    Droppable,
}

#[derive(Debug)]
struct Entry {
    seq: u64,
    size: usize,
    event: Arc<Event>,
}

/// An ordered history of events whose retained size stays under a cap.
#[derive(Debug)]
pub struct History {
    essential: VecDeque<Entry>,
    droppable: VecDeque<Entry>,
    bytes: usize,
    cap: usize,
    next_seq: u64,
}

impl History {
    /// An empty history that retains at most about `cap_bytes` of events.
    pub fn new(cap_bytes: usize) -> Self {
        Self {
            essential: VecDeque::new(),
            droppable: VecDeque::new(),
            bytes: 0,
            cap: cap_bytes,
            next_seq: 0,
        }
    }

    /// Appends an event and returns its sequence number, evicting old events if over the cap.
    pub fn push(&mut self, event: Arc<Event>, retention: Retention) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let size = event.encoded_len() + ENTRY_OVERHEAD;
        let entry = Entry { seq, size, event };
        self.bytes += size;
        match retention {
            Retention::Essential => self.essential.push_back(entry),
            Retention::Droppable => self.droppable.push_back(entry),
        }
        self.evict();
        seq
    }

    fn evict(&mut self) {
        while self.bytes > self.cap {
            let evicted = self
                .droppable
                .pop_front()
                .or_else(|| self.essential.pop_front());
            match evicted {
                Some(entry) => self.bytes -= entry.size,
                None => break,
            }
        }
    }

    /// Appends to `out`, in order, up to `max` retained events whose sequence number is at least
    /// `from`, and returns the cursor to continue from (unchanged if nothing was read).
    pub fn read_from(&self, from: u64, max: usize, out: &mut impl Extend<Arc<Event>>) -> u64 {
        let mut i = self.essential.partition_point(|e| e.seq < from);
        let mut j = self.droppable.partition_point(|e| e.seq < from);
        let mut cursor = from;
        for _ in 0..max {
            let next = match (self.essential.get(i), self.droppable.get(j)) {
                (Some(a), Some(b)) if a.seq < b.seq => {
                    i += 1;
                    a
                }
                (_, Some(b)) => {
                    j += 1;
                    b
                }
                (Some(a), None) => {
                    i += 1;
                    a
                }
                (None, None) => break,
            };
            cursor = next.seq + 1;
            out.extend(std::iter::once(Arc::clone(&next.event)));
        }
        cursor
    }

    /// Drops every retained event; sequence numbers keep increasing.
    pub fn clear(&mut self) {
        self.essential.clear();
        self.droppable.clear();
        self.bytes = 0;
    }

    /// The sequence number the next pushed event will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The accounted size of the retained events, in bytes.
    pub fn retained_bytes(&self) -> usize {
        self.bytes
    }

    /// How many events are retained.
    pub fn len(&self) -> usize {
        self.essential.len() + self.droppable.len()
    }

    /// Whether no event is retained.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The configured cap, in bytes.
    pub fn cap_bytes(&self) -> usize {
        self.cap
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_proto::v2::{SkaffoldLogEvent, TaskEvent, event::EventType};

    fn log_line(n: usize) -> Arc<Event> {
        Arc::new(Event {
            timestamp: None,
            event_type: Some(EventType::SkaffoldLogEvent(SkaffoldLogEvent {
                message: format!("line {n}\n"),
                ..Default::default()
            })),
        })
    }

    fn task(n: usize) -> Arc<Event> {
        Arc::new(Event {
            timestamp: None,
            event_type: Some(EventType::TaskEvent(TaskEvent {
                id: format!("Build-{n}"),
                ..Default::default()
            })),
        })
    }

    fn read_all(h: &History, from: u64) -> Vec<Arc<Event>> {
        let mut out = Vec::new();
        h.read_from(from, usize::MAX, &mut out);
        out
    }

    #[test]
    fn reads_merge_both_queues_in_push_order() {
        let mut h = History::new(usize::MAX);
        let pushed = [task(0), log_line(1), log_line(2), task(3), log_line(4)];
        for (i, e) in pushed.iter().enumerate() {
            let retention = if i % 3 == 0 {
                Retention::Essential
            } else {
                Retention::Droppable
            };
            assert_eq!(h.push(Arc::clone(e), retention), i as u64);
        }
        assert_eq!(read_all(&h, 0), pushed.to_vec());
        assert_eq!(read_all(&h, 3), pushed[3..].to_vec());
        let mut first_two = Vec::new();
        assert_eq!(h.read_from(0, 2, &mut first_two), 2);
        assert_eq!(first_two, pushed[..2].to_vec());
    }

    #[test]
    fn log_lines_are_evicted_before_tasks() {
        let one = task(0).encoded_len() + ENTRY_OVERHEAD;
        let mut h = History::new(one * 10);
        h.push(task(0), Retention::Essential);
        for n in 0..100 {
            h.push(log_line(n), Retention::Droppable);
        }
        h.push(task(1), Retention::Essential);
        assert!(h.retained_bytes() <= h.cap_bytes());
        let kept = read_all(&h, 0);
        assert_eq!(kept.first(), Some(&task(0)));
        assert_eq!(kept.last(), Some(&task(1)));
        assert_eq!(kept[kept.len() - 2], log_line(99));
    }

    #[test]
    fn essential_events_go_when_nothing_else_is_left() {
        let one = task(0).encoded_len() + ENTRY_OVERHEAD;
        let mut h = History::new(one * 3);
        for n in 0..10 {
            h.push(task(n), Retention::Essential);
        }
        assert_eq!(read_all(&h, 0), vec![task(7), task(8), task(9)]);
    }

    #[test]
    fn clear_keeps_sequence_numbers_increasing() {
        let mut h = History::new(usize::MAX);
        h.push(task(0), Retention::Essential);
        h.clear();
        assert!(h.is_empty());
        assert_eq!(h.push(task(1), Retention::Essential), 1);
        assert_eq!(read_all(&h, 0), vec![task(1)]);
    }
}
