//! sea-orm entities, one per table, kept apart from the queries in the parent module.

pub mod companies;
pub mod company_assignees;
pub mod organizations;
pub mod refresh_jobs;
pub mod reports;
pub mod users;
