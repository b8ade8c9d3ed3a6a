use sea_orm::entity::prelude::*;

/// A customer sent to a platform's authorize page from a consent link.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_authorizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub information_request_id: Uuid,
    pub platform: String,
    /// SHA-256 of the `state` parameter, hex.
    pub state_hash: String,
    /// Sealed.
    pub pkce_verifier: String,
    /// After the callback, while the customer chooses the organisation: the token
    /// answer, sealed.
    pub tokens: Option<String>,
    /// The organisations on offer, JSON `[{"id", "name"}]`.
    pub tenants: Option<String>,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
