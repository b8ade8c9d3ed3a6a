use sea_orm::entity::prelude::*;

/// One event to one endpoint: a leased job, retried on the Standard Webhooks schedule.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub state: DeliveryState,
    pub attempts: i32,
    pub run_at: DateTimeUtc,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTimeUtc>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub replay_of: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

state_enum! {
    /// A delivery's place in the queue: `queued → sending → succeeded | failed` (back
    /// to `queued` to retry).
    pub enum DeliveryState {
        Queued = "queued",
        Sending = "sending",
        Succeeded = "succeeded",
        /// Every attempt failed, the endpoint answered 410, or it was disabled.
        Failed = "failed",
    }
}
