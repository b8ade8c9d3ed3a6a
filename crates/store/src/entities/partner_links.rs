use sea_orm::entity::prelude::*;

/// A company at the data partner (the `http` provider's upstream), and the connection
/// its customer is linking or linked there.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partner_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub company_id: Uuid,
    /// The partner's own id of the company, kept across reconnections.
    pub upstream_company_id: String,
    pub upstream_connection_id: Option<String>,
    /// The partner's key of the accounting software (its `platformKey`).
    pub integration_key: Option<String>,
    /// The software's name, as the partner gives it.
    pub platform_name: Option<String>,
    /// While `pending`: the information request whose link the linking uses up.
    pub information_request_id: Option<Uuid>,
    pub state: PartnerLinkState,
    /// When the partner was last asked about the connection.
    pub checked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

state_enum! {
    /// Where the customer's linking at the partner stands.
    pub enum PartnerLinkState {
        /// Sent to the partner's link page; the connection is `PendingAuth` there.
        Pending = "pending",
        /// The partner says `Linked`: data can be read.
        Linked = "linked",
        /// The partner says `Unlinked` or `Deauthorized`, or the customer cancelled.
        Failed = "failed",
    }
}
