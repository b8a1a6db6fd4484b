//! Which requests of a plan go first when it is carried out in a container.

/// The order of a plan's copies and deletions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    /// Copies, then deletions (a sync, as Skaffold does it).
    CopyFirst,
    /// Deletions, then copies (a catch-up, where a directory may be removed and files copied
    /// into it again later).
    DeleteFirst,
}

impl Order {
    /// The `copy` and `delete` steps (either may be absent) in this order.
    pub(crate) fn steps<T>(self, copy: Option<T>, delete: Option<T>) -> [Option<T>; 2] {
        match self {
            Order::CopyFirst => [copy, delete],
            Order::DeleteFirst => [delete, copy],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_catch_up_deletes_before_it_copies() {
        assert_eq!(Order::CopyFirst.steps(Some(1), Some(2)), [Some(1), Some(2)]);
        assert_eq!(Order::DeleteFirst.steps(Some(1), None), [None, Some(1)]);
    }
}
