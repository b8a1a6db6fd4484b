//! One-off containers a caller may stop before they exit (a timeout, a sibling's failure), and
//! a pull that always asks the registry.

use std::future::Future;

use bollard::query_parameters::CreateImageOptionsBuilder;
use futures_util::StreamExt;

use crate::container::LogLine;
use crate::engine::Engine;
use crate::error::EngineError;
use crate::reference::split_tag;

/// How a container run that could be stopped ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunUntil<R> {
    /// The program exited with this code.
    Exited(i64),
    /// The stop future resolved first, with this value; the container was removed.
    Stopped(R),
}

impl Engine {
    /// Passes each line the started container `id` writes to `on_line` and waits until it
    /// exits or `stop` resolves, whichever comes first. The container is removed in every case,
    /// also when following it fails.
    pub async fn follow_until<R>(
        &self,
        id: &str,
        stop: impl Future<Output = R>,
        mut on_line: impl FnMut(LogLine) + Send,
    ) -> Result<RunUntil<R>, EngineError> {
        let run = async {
            let mut seen = 0usize;
            let mut logs = std::pin::pin!(self.log_lines(id, true, None));
            while let Some(line) = logs.next().await {
                on_line(line?);
                seen += 1;
            }
            let code = self.wait_container(id).await?;
            // The engine may end a follow before it has logged the last line (one without a
            // newline, written just before exit): read the whole log once more.
            let mut rest = std::pin::pin!(self.log_lines(id, false, None).skip(seen));
            while let Some(line) = rest.next().await {
                on_line(line?);
            }
            Ok(code)
        };
        let result = tokio::select! {
            biased;
            reason = stop => Ok(RunUntil::Stopped(reason)),
            code = run => code.map(RunUntil::Exited),
        };
        let removed = self.remove_container(id).await;
        let end = result?;
        removed?;
        Ok(end)
    }

    /// Pulls `image` from its registry even when the engine has a copy, so a moving tag is
    /// brought up to date. A reference with neither tag nor digest means `:latest`.
    pub async fn pull_image(&self, image: &str) -> Result<(), EngineError> {
        let mut options = CreateImageOptionsBuilder::default().from_image(image);
        if split_tag(image).1.is_none() && !image.contains('@') {
            options = options.tag("latest");
        }
        let mut stream = self
            .client()
            .create_image(Some(options.build()), None, None);
        let failed = |message: String| EngineError::PullFailed {
            reference: image.to_owned(),
            message,
        };
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| failed(e.to_string()))?;
            if let Some(detail) = info.error_detail {
                return Err(failed(detail.message.unwrap_or_default()));
            }
        }
        Ok(())
    }
}
