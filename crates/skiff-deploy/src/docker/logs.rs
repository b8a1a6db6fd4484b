//! Streams the logs of deployed containers.
