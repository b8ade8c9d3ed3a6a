//! The API's handlers, one module per resource.

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod batches;
pub mod changes;
pub mod companies;
pub mod consent;
pub mod groups;
pub mod health;
pub mod information_requests;
pub mod metrics;
pub mod notifications;
pub mod oauth;
pub mod refreshes;
pub mod reports;
pub mod session;
pub mod statuses;
pub mod uploads;
pub mod users;
pub mod webhooks;

/// Registers every `/api/v1` operation. The OpenAPI document is collected from the
/// same calls, so it cannot drift from the routes.
pub fn api_v1(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(companies::list)
        .service(companies::create)
        .service(statuses::company_statuses)
        .service(companies::counts)
        .service(users::list)
        .service(companies::get)
        .service(companies::connection)
        .service(companies::update)
        .service(companies::delete)
        .service(groups::list)
        .service(groups::add)
        .service(refreshes::request)
        .service(refreshes::history)
        .service(refreshes::get)
        .service(batches::create)
        .service(batches::get)
        .service(reports::list)
        .service(reports::get)
        .service(reports::snapshots)
        .service(reports::consolidated)
        .service(changes::get)
        .service(information_requests::create)
        .service(consent::get)
        .service(consent::grant)
        .service(consent::decline)
        .service(consent::return_from_partner)
        .service(groups::add_through_link)
        .service(uploads::template)
        .service(uploads::upload_through_link)
        .service(uploads::upload_for_company)
        .service(oauth::callback)
        .service(oauth::choices)
        .service(oauth::choose)
        .service(session::sign_in)
        .service(session::get)
        .service(session::sign_out)
        .service(accounts::request_reset)
        .service(accounts::get_reset)
        .service(accounts::reset)
        .service(accounts::invite)
        .service(accounts::update)
        .service(accounts::get_invitation)
        .service(accounts::accept_invitation)
        .service(api_keys::list)
        .service(api_keys::create)
        .service(api_keys::revoke)
        .service(audit::list)
        .service(webhooks::list)
        .service(webhooks::create)
        .service(webhooks::get)
        .service(webhooks::update)
        .service(webhooks::delete)
        .service(webhooks::rotate_secret)
        .service(webhooks::deliveries)
        .service(webhooks::replay)
        .service(notifications::list)
        .service(notifications::count_unread)
        .service(notifications::mark_all_read)
        .service(notifications::mark_read)
        .service(notifications::preferences)
        .service(notifications::set_preferences);
}

/// Every documented route: operations endpoints and API v1.
pub fn all(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(metrics::scrape)
        .service(
            utoipa_actix_web::scope("/api/v1")
                .configure(api_v1)
                .default_service(actix_web::web::to(crate::fallback::api_fallback)),
        );
}
