//! Reusable pieces of the portal's pages.

pub mod actions_menu;
pub mod bulk_refresh;
pub mod charts;
pub mod company_form;
pub mod confirm_dialog;
pub mod delete_dialog;
pub mod dialog;
pub mod failure_alert;
pub mod field;
pub mod icons;
pub mod later;
pub mod local_time;
pub mod notices;
pub mod notification_bell;
pub mod popover;
pub mod reports_menu;
pub mod request_dialog;
pub mod status;
pub mod upload_form;
pub mod user_menu;
