//! The organization's users (for assignments and the users filter).

use actix_web::{get, web};
use api_types::UserList;

use crate::{error::ApiError, extract::Tenant, views};

/// List the organization's users, by name.
#[utoipa::path(
    operation_id = "list_users",
    tag = "users",
    responses((status = 200, description = "The organization's users", body = UserList))
)]
#[get("/users")]
pub async fn list(tenant: Tenant) -> Result<web::Json<UserList>, ApiError> {
    let users = tenant.store().users(tenant.0).await?;
    Ok(web::Json(UserList {
        items: users.into_iter().map(views::user).collect(),
    }))
}
