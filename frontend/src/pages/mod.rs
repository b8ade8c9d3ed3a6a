//! One module per route.

pub mod account_link;
pub mod admin;
pub mod companies;
pub mod company;
pub mod connect;
pub mod not_found;
pub mod sign_in;
