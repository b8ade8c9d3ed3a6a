//! One module per route. `/connect/:token` (the customer's consent screen) and
//! `/companies/:id` (a company's page) will sit beside these.

pub mod companies;
pub mod not_found;
