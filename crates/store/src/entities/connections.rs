use sea_orm::entity::prelude::*;

/// A company's connection to an OAuth platform. The tokens are sealed (crate `vault`);
/// `Debug` shows them sealed only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "connections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub company_id: Uuid,
    pub platform: String,
    /// Xero's tenant id, QuickBooks's realm id.
    pub tenant_id: String,
    /// The organisation's name as the platform knows it.
    pub tenant_name: String,
    pub access_token: String,
    pub refresh_token: String,
    pub access_expires_at: DateTimeUtc,
    /// When the refresh token was last issued (a refresh token unused for long dies).
    pub refreshed_at: DateTimeUtc,
    pub state: ConnectionState,
    /// Token refreshes failed in a row.
    pub refresh_failures: i32,
    /// After a failed token refresh: not before this.
    pub refresh_retry_at: Option<DateTimeUtc>,
    pub refresh_lease_owner: Option<String>,
    pub refresh_lease_expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The authorization this connection shares with other entities' connections
    /// (migration 20): their tokens are the same, sealed for this id. `None`: alone.
    pub grant_id: Option<Uuid>,
}

impl Model {
    /// The id the tokens are sealed for: the shared authorization's, else the row's.
    pub fn token_key(&self) -> Uuid {
        self.grant_id.unwrap_or(self.id)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

state_enum! {
    /// Whether a connection can be used.
    pub enum ConnectionState {
        /// Tokens work (or can be refreshed).
        Connected = "connected",
        /// Token refreshes keep failing for a reason that is not the customer's doing;
        /// they stopped, and a new information request reconnects.
        NeedsReconnecting = "needs_reconnect",
        /// The platform refused the refresh token (`invalid_grant`): the customer
        /// disconnected the app, or it went unused too long.
        Disconnected = "disconnected",
    }
}
