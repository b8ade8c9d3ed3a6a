use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "companies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub description: String,
    pub contact_name: String,
    pub contact_email: String,
    pub requests_financials: bool,
    pub requests_spend_detail: bool,
    pub status: Option<String>,
    pub status_updated_at: Option<DateTimeUtc>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub platform: Option<String>,
    pub refresh_schedule: String,
    pub next_refresh_at: Option<DateTimeUtc>,
    pub data_updated_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The group this company is an entity of (migration 19); `None` for a company on
    /// its own or a group itself.
    pub group_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
