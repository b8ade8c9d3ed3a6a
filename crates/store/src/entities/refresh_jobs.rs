use domain::RefreshState;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub company_id: Uuid,
    pub state: JobState,
    pub trigger: String,
    pub requested_by: Option<Uuid>,
    pub requested_at: DateTimeUtc,
    pub run_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub attempts: i32,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTimeUtc>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// In at least one batch: its state changes are copied to its batch links.
    pub batched: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

state_enum! {
    /// `domain::RefreshState` as the column stores it (also `refresh_batch_jobs.state`,
    /// which the batch trigger copies from it). Defined here, not in `domain`, so that
    /// `domain` stays free of sea-orm; the conversions both ways are total.
    pub enum JobState {
        Queued = "queued",
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
        Cancelled = "cancelled",
    }
}

/// The `state`s of a job that is not finished: at most one such job per company (the
/// unique partial index `refresh_jobs_one_active_per_company`).
pub const ACTIVE_STATES: [JobState; 2] = [JobState::Queued, JobState::Running];

impl From<RefreshState> for JobState {
    fn from(state: RefreshState) -> Self {
        match state {
            RefreshState::Queued => JobState::Queued,
            RefreshState::Running => JobState::Running,
            RefreshState::Succeeded => JobState::Succeeded,
            RefreshState::Failed => JobState::Failed,
            RefreshState::Cancelled => JobState::Cancelled,
        }
    }
}

impl From<JobState> for RefreshState {
    fn from(state: JobState) -> Self {
        match state {
            JobState::Queued => RefreshState::Queued,
            JobState::Running => RefreshState::Running,
            JobState::Succeeded => RefreshState::Succeeded,
            JobState::Failed => RefreshState::Failed,
            JobState::Cancelled => RefreshState::Cancelled,
        }
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveEnum, Iterable};

    use super::*;

    #[test]
    fn job_states_are_refresh_states_with_the_same_text() {
        for state in RefreshState::ALL {
            let stored = JobState::from(state);
            assert_eq!(stored.as_str(), state.as_str());
            assert_eq!(stored.to_value(), state.as_str());
            assert_eq!(RefreshState::from(stored), state);
        }
        assert_eq!(JobState::iter().count(), RefreshState::ALL.len());
    }
}
