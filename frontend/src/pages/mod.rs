//! One module per route. `/companies/:id` (a company's page) will sit beside these.

pub mod companies;
pub mod connect;
pub mod not_found;
