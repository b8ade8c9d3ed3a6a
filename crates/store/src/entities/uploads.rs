use sea_orm::entity::prelude::*;

/// The platform of a company whose data was uploaded: nothing fetches from it.
pub const UPLOAD_PLATFORM: &str = "upload";

/// An accepted upload of a company's data from the template.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "uploads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub company_id: Uuid,
    /// The information request whose link the customer uploaded through.
    pub information_request_id: Option<Uuid>,
    /// The user who uploaded on the customer's behalf; `None` for the customer (or a
    /// user since removed: [`Model::uploader_name`] still names them).
    pub uploaded_by: Option<Uuid>,
    /// The user's name when a user uploaded; `None` for the customer.
    pub uploader_name: Option<String>,
    pub file_name: String,
    pub format: UploadFormat,
    pub suppliers: i32,
    pub bills: i32,
    pub bill_payments: i32,
    pub uploaded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

state_enum! {
    /// Which form of the template the upload came in.
    pub enum UploadFormat {
        /// The workbook, with its three sheets.
        Xlsx = "xlsx",
        /// The three CSV files.
        Csv = "csv",
    }
}
