//! The life of one refresh job.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::data::UnknownName;

/// Where a refresh is in its life: `queued → running → succeeded | failed | cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RefreshState {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl RefreshState {
    pub const ALL: [RefreshState; 5] = [
        RefreshState::Queued,
        RefreshState::Running,
        RefreshState::Succeeded,
        RefreshState::Failed,
        RefreshState::Cancelled,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            RefreshState::Queued => "queued",
            RefreshState::Running => "running",
            RefreshState::Succeeded => "succeeded",
            RefreshState::Failed => "failed",
            RefreshState::Cancelled => "cancelled",
        }
    }

    /// Queued or running: the company shows a refresh in progress.
    pub const fn is_active(self) -> bool {
        matches!(self, RefreshState::Queued | RefreshState::Running)
    }
}

impl fmt::Display for RefreshState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RefreshState {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RefreshState::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownName(s.to_owned()))
    }
}

/// What started a refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RefreshTrigger {
    /// Someone chose Refresh data (in the portal or through the API).
    Manual,
    /// The customer granted access: the first fetch, started automatically.
    Consent,
}

impl RefreshTrigger {
    pub const ALL: [RefreshTrigger; 2] = [RefreshTrigger::Manual, RefreshTrigger::Consent];

    pub const fn as_str(self) -> &'static str {
        match self {
            RefreshTrigger::Manual => "manual",
            RefreshTrigger::Consent => "consent",
        }
    }
}

impl FromStr for RefreshTrigger {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RefreshTrigger::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownName(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_queued_and_running_are_active() {
        let active: Vec<_> = RefreshState::ALL
            .into_iter()
            .filter(|s| s.is_active())
            .collect();
        assert_eq!(active, [RefreshState::Queued, RefreshState::Running]);
        for state in RefreshState::ALL {
            assert_eq!(state.as_str().parse::<RefreshState>().unwrap(), state);
        }
    }
}
