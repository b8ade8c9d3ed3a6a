use sea_orm::entity::prelude::*;

/// The outbox: one row per event, written in the transaction of the change it records,
/// then fanned out to webhook deliveries and notifications by a worker.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub event_type: String,
    pub company_id: Option<Uuid>,
    /// Who to notify in the portal (who triggered the refresh, sent the request).
    pub recipient_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub occurred_at: DateTimeUtc,
    pub state: EventState,
    pub attempts: i32,
    pub run_at: DateTimeUtc,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

state_enum! {
    /// An event's fan-out: `queued → dispatching → dispatched`.
    pub enum EventState {
        /// Waiting to be fanned out.
        Queued = "queued",
        /// Claimed by a dispatcher.
        Dispatching = "dispatching",
        /// Its deliveries and notification exist.
        Dispatched = "dispatched",
    }
}
