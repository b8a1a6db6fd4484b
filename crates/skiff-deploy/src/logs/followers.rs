//! [`Followers`]: a log streamer's follower tasks, each following one container's log, by the
//! key of that container; and [`Followed`], how one of them ended.

use std::collections::HashMap;
use std::fmt::Display;
use std::future::Future;
use std::hash::Hash;

use tokio::task::{self, JoinSet};

use super::attachment::FollowEnd;
use super::cursor::Cursor;

/// How a follower ended.
#[derive(Debug)]
pub(crate) struct Followed<K, R, E> {
    /// The container it followed.
    pub(crate) key: K,
    /// Where the next attachment resumes.
    pub(crate) cursor: Cursor,
    /// Why its stream ended: `Ok` when it was read to its end or the streamer stopped.
    pub(crate) result: Result<R, E>,
}

/// What a follower's end means for its container's attachment: a failed read is noted
/// (naming the container as `what`), a follower task that failed has lost its cursor.
pub(crate) fn follow_end<K, R, E: Display>(
    followed: Option<Followed<K, R, E>>,
    what: impl Display,
) -> FollowEnd {
    match followed {
        Some(Followed {
            cursor,
            result: Ok(_),
            ..
        }) => FollowEnd::Read(cursor),
        Some(Followed {
            cursor,
            result: Err(e),
            ..
        }) => {
            tracing::debug!("logs of {what}: {e}");
            FollowEnd::Failed(cursor)
        }
        None => FollowEnd::Lost,
    }
}

/// The running followers of a streamer.
pub(crate) struct Followers<K, R, E> {
    tasks: JoinSet<Followed<K, R, E>>,
    /// The container each task follows, for a task that fails without telling.
    keys: HashMap<task::Id, K>,
}

impl<K, R, E> Followers<K, R, E>
where
    K: Clone + Eq + Hash + Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    /// No followers.
    pub(crate) fn new() -> Self {
        Self {
            tasks: JoinSet::new(),
            keys: HashMap::new(),
        }
    }

    /// Runs `follower`, which follows the container `key`.
    pub(crate) fn spawn(
        &mut self,
        key: K,
        follower: impl Future<Output = Followed<K, R, E>> + Send + 'static,
    ) {
        let handle = self.tasks.spawn(follower);
        self.keys.insert(handle.id(), key);
    }

    /// Whether none runs.
    pub(crate) fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// The next follower to end: its container and how it ended (`None` when the task itself
    /// failed). `None` when none runs.
    pub(crate) async fn next(&mut self) -> Option<(K, Option<Followed<K, R, E>>)> {
        let done = self.tasks.join_next_with_id().await?;
        Some(match done {
            Ok((task, followed)) => {
                self.keys.remove(&task);
                (followed.key.clone(), Some(followed))
            }
            Err(e) => {
                tracing::warn!("a log follower failed: {e}");
                let key = self.keys.remove(&e.id())?;
                (key, None)
            }
        })
    }

    /// Waits for every follower to end.
    pub(crate) async fn wait_all(&mut self) {
        while self.tasks.join_next().await.is_some() {}
        self.keys.clear();
    }
}
