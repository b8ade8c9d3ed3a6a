use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub at: DateTimeUtc,
    /// `user`, `api_key`, `customer` or `system`.
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub actor_label: String,
    pub action: String,
    pub company_id: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub target: Option<String>,
    pub ip: Option<String>,
    /// JSON.
    #[sea_orm(column_type = "Text", nullable)]
    pub detail: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
