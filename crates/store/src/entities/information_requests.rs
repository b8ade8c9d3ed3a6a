use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "information_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub company_id: Uuid,
    pub token_hash: String,
    pub delivery: String,
    pub status: RequestStatus,
    pub requests_financials: bool,
    pub requests_spend_detail: bool,
    pub platform: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
    /// The user who sent it (notified when the customer answers); `None` through an API key.
    pub requested_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

state_enum! {
    /// Where a request's link is: open until the customer answers, it expires, or a
    /// newer request for the company replaces it.
    pub enum RequestStatus {
        Pending = "pending",
        Granted = "granted",
        Declined = "declined",
        Expired = "expired",
        Superseded = "superseded",
    }
}
