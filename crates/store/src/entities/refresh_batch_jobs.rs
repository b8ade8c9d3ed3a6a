use sea_orm::entity::prelude::*;

use super::refresh_jobs::JobState;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_batch_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub batch_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub job_id: Uuid,
    /// The job's state: written with the link (`Store::join_batch`), then copied by
    /// the database's trigger as the job changes (`m20261130_000012_batch_job_states`).
    pub state: JobState,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
