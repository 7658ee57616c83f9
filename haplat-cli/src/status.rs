//! The statuses CloudFormation reports, as enums: a stack set operation, a region's result in
//! one, a stack instance (and its detailed status), a stack, a resource event. Each is parsed
//! from the API's spelling, keeps a value it does not know in `Unknown` (so a new AWS status
//! is shown as AWS spells it, never lost), prints as the API spells it, and answers the
//! questions haplat asks of it (`is_settled`, `is_failure`…). A leaf: it uses nothing of the
//! crate.

use std::fmt;

/// Declares a status enum with its API spellings, `parse`, `as_str`, `Display` (padding
/// honoured, for aligned columns), `From<&str>` and `Serialize` (as the API spells it).
macro_rules! status_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A status this haplat does not know, as the API spells it.
            Unknown(String),
        }

        impl $name {
            /// From the API's spelling.
            pub fn parse(s: &str) -> $name {
                match s {
                    $( $text => $name::$variant, )*
                    other => $name::Unknown(other.to_owned()),
                }
            }

            /// The API's spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )*
                    $name::Unknown(s) => s,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> $name {
                $name::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

status_enum! {
    /// The status of a stack set operation (`StackSetOperationStatus`).
    OperationStatus {
        /// Waiting for another operation or capacity.
        Queued = "QUEUED",
        /// Running.
        Running = "RUNNING",
        /// A stop was asked for; still running.
        Stopping = "STOPPING",
        /// Done.
        Succeeded = "SUCCEEDED",
        /// Failed (more regions failed than tolerated).
        Failed = "FAILED",
        /// Stopped before the end.
        Stopped = "STOPPED",
    }
}

impl OperationStatus {
    /// Whether the operation is over (SUCCEEDED, FAILED or STOPPED).
    pub fn is_terminal(&self) -> bool {
        matches!(self, OperationStatus::Succeeded | OperationStatus::Failed | OperationStatus::Stopped)
    }

    /// Whether it is still going: QUEUED, RUNNING or STOPPING (an unknown status is neither).
    pub fn is_in_progress(&self) -> bool {
        matches!(self, OperationStatus::Queued | OperationStatus::Running | OperationStatus::Stopping)
    }
}

status_enum! {
    /// A stack set's status (`StackSetStatus`).
    StackSetStatus {
        /// In use.
        Active = "ACTIVE",
        /// Deleted: as good as absent.
        Deleted = "DELETED",
    }
}

impl Default for StackSetStatus {
    /// A stack set that says nothing (an empty answer).
    fn default() -> StackSetStatus {
        StackSetStatus::Unknown(String::new())
    }
}

status_enum! {
    /// What one region (account) did in an operation (`StackSetOperationResultStatus`).
    RegionStatus {
        /// Not started yet.
        Pending = "PENDING",
        /// Running.
        Running = "RUNNING",
        /// Done.
        Succeeded = "SUCCEEDED",
        /// Failed.
        Failed = "FAILED",
        /// Not run: the operation stopped or failed first.
        Cancelled = "CANCELLED",
    }
}

impl RegionStatus {
    /// Whether the region succeeded.
    pub fn is_success(&self) -> bool {
        *self == RegionStatus::Succeeded
    }

    /// Whether the region is done with the operation, whatever the outcome.
    pub fn is_settled(&self) -> bool {
        matches!(self, RegionStatus::Succeeded | RegionStatus::Failed | RegionStatus::Cancelled)
    }
}

status_enum! {
    /// A stack instance's status (`StackInstanceStatus`).
    InstanceStatus {
        /// Up to date with its stack set.
        Current = "CURRENT",
        /// Its stack set changed since, or its last operation failed.
        Outdated = "OUTDATED",
        /// Its stack cannot be updated or deleted (a failed delete with retained stacks).
        Inoperable = "INOPERABLE",
    }
}

impl InstanceStatus {
    /// Whether the instance is CURRENT: its outputs and parameters are what its stack set says.
    pub fn is_current(&self) -> bool {
        *self == InstanceStatus::Current
    }
}

impl Default for InstanceStatus {
    /// An instance that says nothing (an empty answer) is not current.
    fn default() -> InstanceStatus {
        InstanceStatus::Unknown(String::new())
    }
}

status_enum! {
    /// A stack instance's detailed status (`StackInstanceDetailedStatus`).
    DetailedStatus {
        /// Waiting for an operation.
        Pending = "PENDING",
        /// An operation is working on it.
        Running = "RUNNING",
        /// Its last operation succeeded.
        Succeeded = "SUCCEEDED",
        /// Its last operation failed.
        Failed = "FAILED",
        /// Its operation was cancelled.
        Cancelled = "CANCELLED",
        /// It cannot be updated or deleted.
        Inoperable = "INOPERABLE",
        /// Skipped: the account is suspended.
        SkippedSuspendedAccount = "SKIPPED_SUSPENDED_ACCOUNT",
        /// An import into the stack set failed.
        FailedImport = "FAILED_IMPORT",
    }
}

status_enum! {
    /// A stack's status (`StackStatus`).
    StackStatus {
        /// Being created.
        CreateInProgress = "CREATE_IN_PROGRESS",
        /// Creation failed.
        CreateFailed = "CREATE_FAILED",
        /// Created.
        CreateComplete = "CREATE_COMPLETE",
        /// A failed create is rolling back.
        RollbackInProgress = "ROLLBACK_IN_PROGRESS",
        /// Rolling back a failed create failed.
        RollbackFailed = "ROLLBACK_FAILED",
        /// A failed create rolled back: the stack is empty and can only be deleted.
        RollbackComplete = "ROLLBACK_COMPLETE",
        /// Being deleted.
        DeleteInProgress = "DELETE_IN_PROGRESS",
        /// Deletion failed.
        DeleteFailed = "DELETE_FAILED",
        /// Deleted.
        DeleteComplete = "DELETE_COMPLETE",
        /// Being updated.
        UpdateInProgress = "UPDATE_IN_PROGRESS",
        /// Updated; old resources being removed.
        UpdateCompleteCleanupInProgress = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        /// Updated.
        UpdateComplete = "UPDATE_COMPLETE",
        /// An update failed.
        UpdateFailed = "UPDATE_FAILED",
        /// A failed update is rolling back.
        UpdateRollbackInProgress = "UPDATE_ROLLBACK_IN_PROGRESS",
        /// Rolling back an update failed.
        UpdateRollbackFailed = "UPDATE_ROLLBACK_FAILED",
        /// Rolled back; new resources being removed.
        UpdateRollbackCompleteCleanupInProgress = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        /// A failed update rolled back.
        UpdateRollbackComplete = "UPDATE_ROLLBACK_COMPLETE",
        /// Resources being imported.
        ImportInProgress = "IMPORT_IN_PROGRESS",
        /// Imported.
        ImportComplete = "IMPORT_COMPLETE",
        /// A failed import is rolling back.
        ImportRollbackInProgress = "IMPORT_ROLLBACK_IN_PROGRESS",
        /// Rolling back an import failed.
        ImportRollbackFailed = "IMPORT_ROLLBACK_FAILED",
        /// A failed import rolled back.
        ImportRollbackComplete = "IMPORT_ROLLBACK_COMPLETE",
        /// Created for a change set that was never executed.
        ReviewInProgress = "REVIEW_IN_PROGRESS",
    }
}

impl StackStatus {
    /// Whether an operation is still running on the stack (`…_IN_PROGRESS`).
    pub fn is_in_progress(&self) -> bool {
        self.as_str().ends_with("_IN_PROGRESS")
    }

    /// Whether the stack is settled (no operation running on it): what a waiter waits for.
    pub fn is_settled(&self) -> bool {
        !self.is_in_progress()
    }

    /// Whether the last create or update succeeded (`CREATE_COMPLETE`, `UPDATE_COMPLETE`).
    pub fn is_success(&self) -> bool {
        matches!(self, StackStatus::CreateComplete | StackStatus::UpdateComplete)
    }

    /// Whether the stack is usable: complete, neither deleted nor rolled back.
    pub fn is_usable(&self) -> bool {
        let s = self.as_str();
        s.ends_with("_COMPLETE") && !s.starts_with("DELETE") && !s.contains("ROLLBACK")
    }
}

impl Default for StackStatus {
    /// A stack that says nothing (an empty answer) is not usable.
    fn default() -> StackStatus {
        StackStatus::Unknown(String::new())
    }
}

/// A resource's status in a stack event (`ResourceStatus`): `CREATE_FAILED`,
/// `UPDATE_COMPLETE`… Kept as spelled; it answers whether the event is a failure.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ResourceStatus(String);

impl ResourceStatus {
    /// From the API's spelling.
    pub fn parse(s: &str) -> ResourceStatus {
        ResourceStatus(s.to_owned())
    }

    /// The API's spelling.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the event is a failure (`…_FAILED`).
    pub fn is_failure(&self) -> bool {
        self.0.ends_with("_FAILED")
    }
}

impl fmt::Display for ResourceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl From<&str> for ResourceStatus {
    fn from(s: &str) -> ResourceStatus {
        ResourceStatus::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse_and_print_as_the_api_spells_them() {
        for s in ["QUEUED", "RUNNING", "STOPPING", "SUCCEEDED", "FAILED", "STOPPED"] {
            assert_eq!(OperationStatus::parse(s).to_string(), s);
            assert!(!matches!(OperationStatus::parse(s), OperationStatus::Unknown(_)), "{s}");
        }
        assert_eq!(OperationStatus::parse("PAUSED"), OperationStatus::Unknown("PAUSED".into()));
        assert_eq!(OperationStatus::parse("PAUSED").to_string(), "PAUSED");
        assert_eq!(InstanceStatus::from("OUTDATED"), InstanceStatus::Outdated);
        assert_eq!(DetailedStatus::parse("SKIPPED_SUSPENDED_ACCOUNT").as_str(), "SKIPPED_SUSPENDED_ACCOUNT");
        assert_eq!(StackStatus::parse("UPDATE_ROLLBACK_COMPLETE"), StackStatus::UpdateRollbackComplete);
        assert_eq!(RegionStatus::parse("CANCELLED"), RegionStatus::Cancelled);
    }

    #[test]
    fn display_honours_width_for_aligned_columns() {
        assert_eq!(format!("[{:<10}]", InstanceStatus::Current), "[CURRENT   ]");
        assert_eq!(format!("[{:<10}]", InstanceStatus::parse("NEW_ONE")), "[NEW_ONE   ]");
    }

    #[test]
    fn operation_status_questions() {
        use OperationStatus::*;
        assert!(Succeeded.is_terminal() && Failed.is_terminal() && Stopped.is_terminal());
        assert!(!Queued.is_terminal() && !Running.is_terminal() && !Stopping.is_terminal());
        assert!(Stopping.is_in_progress());
        let unknown = OperationStatus::parse("PAUSED");
        assert!(!unknown.is_terminal() && !unknown.is_in_progress());
    }

    #[test]
    fn stack_status_questions() {
        use StackStatus::*;
        assert!(CreateComplete.is_usable() && UpdateComplete.is_usable() && ImportComplete.is_usable());
        for s in [RollbackComplete, UpdateRollbackComplete, DeleteComplete, CreateInProgress, CreateFailed] {
            assert!(!s.is_usable(), "{s}");
        }
        assert!(UpdateCompleteCleanupInProgress.is_in_progress() && !UpdateCompleteCleanupInProgress.is_settled());
        assert!(UpdateRollbackComplete.is_settled() && !UpdateRollbackComplete.is_success());
        assert!(CreateComplete.is_success() && UpdateComplete.is_success() && !ImportComplete.is_success());
        assert!(!StackStatus::default().is_usable());
    }

    #[test]
    fn region_instance_and_resource_questions() {
        assert!(RegionStatus::Succeeded.is_success() && !RegionStatus::Failed.is_success());
        assert!(RegionStatus::Cancelled.is_settled() && !RegionStatus::Pending.is_settled());
        assert!(InstanceStatus::Current.is_current() && !InstanceStatus::default().is_current());
        assert!(ResourceStatus::parse("CREATE_FAILED").is_failure());
        assert!(!ResourceStatus::parse("CREATE_COMPLETE").is_failure());
    }
}
