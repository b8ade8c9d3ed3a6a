use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub company_id: Uuid,
    pub state: String,
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

/// The `state`s of a job that is not finished: at most one such job per company (the
/// unique partial index `refresh_jobs_one_active_per_company`).
pub const ACTIVE_STATES: [&str; 2] = [
    domain::RefreshState::Queued.as_str(),
    domain::RefreshState::Running.as_str(),
];
