//! One module per route.

pub mod companies;
pub mod company;
pub mod connect;
pub mod not_found;
