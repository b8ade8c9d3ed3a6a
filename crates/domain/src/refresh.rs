//! The life of one refresh job.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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

named!(RefreshState);

/// What started a refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RefreshTrigger {
    /// Someone chose Refresh data (in the portal or through the API).
    Manual,
    /// The customer granted access: the first fetch, started automatically.
    Consent,
    /// Part of a bulk refresh of many companies.
    Bulk,
    /// The company's refresh schedule came due.
    Schedule,
}

impl RefreshTrigger {
    pub const ALL: [RefreshTrigger; 4] = [
        RefreshTrigger::Manual,
        RefreshTrigger::Consent,
        RefreshTrigger::Bulk,
        RefreshTrigger::Schedule,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            RefreshTrigger::Manual => "manual",
            RefreshTrigger::Consent => "consent",
            RefreshTrigger::Bulk => "bulk",
            RefreshTrigger::Schedule => "schedule",
        }
    }
}

named!(RefreshTrigger);

/// How often a company's data is refreshed without anyone asking.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RefreshSchedule {
    /// Only when someone chooses Refresh data.
    #[default]
    Off,
    /// Every 7 days.
    Weekly,
    /// On the same day of every month (the month's last day when shorter).
    Monthly,
}

impl RefreshSchedule {
    pub const ALL: [RefreshSchedule; 3] = [
        RefreshSchedule::Off,
        RefreshSchedule::Weekly,
        RefreshSchedule::Monthly,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            RefreshSchedule::Off => "off",
            RefreshSchedule::Weekly => "weekly",
            RefreshSchedule::Monthly => "monthly",
        }
    }

    /// The run after one due at `due`; `None` when off.
    pub fn after(self, due: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            RefreshSchedule::Off => None,
            RefreshSchedule::Weekly => due.checked_add_signed(chrono::Duration::days(7)),
            RefreshSchedule::Monthly => due.checked_add_months(chrono::Months::new(1)),
        }
    }

    /// The first run after `now` in a schedule that was due at `due`: runs missed while
    /// nothing was running are skipped, not made up one after the other.
    pub fn next_after(self, due: DateTime<Utc>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut next = self.after(due)?;
        while next <= now {
            next = self.after(next)?;
        }
        Some(next)
    }
}

named!(RefreshSchedule);

/// Whether data last updated at `updated_at` is older than `max_age` at `now`.
pub fn is_stale(updated_at: DateTime<Utc>, now: DateTime<Utc>, max_age: chrono::Duration) -> bool {
    now.signed_duration_since(updated_at) > max_age
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn schedules_step_by_week_and_by_calendar_month() {
        assert_eq!(RefreshSchedule::Off.after(at("2026-01-31T09:00:00Z")), None);
        assert_eq!(
            RefreshSchedule::Weekly.after(at("2026-01-31T09:00:00Z")),
            Some(at("2026-02-07T09:00:00Z"))
        );
        assert_eq!(
            RefreshSchedule::Monthly.after(at("2026-01-31T09:00:00Z")),
            Some(at("2026-02-28T09:00:00Z"))
        );
        assert_eq!(
            RefreshSchedule::Monthly.after(at("2026-03-15T09:00:00Z")),
            Some(at("2026-04-15T09:00:00Z"))
        );
    }

    #[test]
    fn missed_runs_are_skipped_not_replayed() {
        let next = RefreshSchedule::Weekly
            .next_after(at("2026-01-01T00:00:00Z"), at("2026-01-30T12:00:00Z"))
            .unwrap();
        assert_eq!(next, at("2026-02-05T00:00:00Z"));
        for schedule in RefreshSchedule::ALL {
            assert_eq!(
                schedule.as_str().parse::<RefreshSchedule>().unwrap(),
                schedule
            );
        }
    }

    #[test]
    fn data_is_stale_only_past_its_age() {
        let max_age = chrono::Duration::days(30);
        let updated = at("2026-01-01T00:00:00Z");
        assert!(!is_stale(updated, at("2026-01-31T00:00:00Z"), max_age));
        assert!(is_stale(updated, at("2026-01-31T00:00:01Z"), max_age));
    }

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
