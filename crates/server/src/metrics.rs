//! Prometheus metrics at `/metrics`: HTTP latency by route (this process), and the
//! queues read from the database at scrape time (the same from every replica): refresh
//! jobs by state, the oldest due job's wait, refresh outcomes by platform, emails by
//! state, webhook deliveries by state.

use std::time::Instant;

use actix_web::{
    HttpMessage,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::{Method, header},
    middleware::Next,
    web,
};
use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};
use store::Store;

use crate::error::ApiError;

pub struct Metrics {
    registry: Registry,
    http: HistogramVec,
    jobs: IntGaugeVec,
    oldest_due: GaugeVec,
    outcomes: IntGaugeVec,
    emails: IntGaugeVec,
    webhooks: IntGaugeVec,
    /// Status polls answered, by where the answer came from (`memory`, `database`).
    pub status_polls: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let http = HistogramVec::new(
            HistogramOpts::new(
                "spendlens_http_request_duration_seconds",
                "Time to answer HTTP requests, by route pattern, method and status",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let jobs = IntGaugeVec::new(
            Opts::new(
                "spendlens_refresh_jobs",
                "Refresh jobs by state (all processes)",
            ),
            &["state"],
        )
        .expect("valid metric");
        let oldest_due = GaugeVec::new(
            Opts::new(
                "spendlens_refresh_queue_oldest_due_seconds",
                "How long the oldest due queued refresh job has waited",
            ),
            &[],
        )
        .expect("valid metric");
        let outcomes = IntGaugeVec::new(
            Opts::new(
                "spendlens_refresh_outcomes",
                "Finished refresh jobs kept in the history, by platform and final state",
            ),
            &["platform", "state"],
        )
        .expect("valid metric");
        let emails = IntGaugeVec::new(
            Opts::new(
                "spendlens_emails",
                "Emails by state (queued, sending, sent, failed)",
            ),
            &["state"],
        )
        .expect("valid metric");
        let webhooks = IntGaugeVec::new(
            Opts::new(
                "spendlens_webhook_deliveries",
                "Webhook deliveries kept in the delivery logs, by state (queued, sending, succeeded, failed)",
            ),
            &["state"],
        )
        .expect("valid metric");
        let status_polls = IntCounterVec::new(
            Opts::new(
                "spendlens_status_polls_total",
                "Status polls (GET /api/v1/company-statuses) answered by this process, by where the answer came from: memory (nothing changed since it was read) or database",
            ),
            &["source"],
        )
        .expect("valid metric");
        for collector in [
            Box::new(http.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(jobs.clone()),
            Box::new(oldest_due.clone()),
            Box::new(outcomes.clone()),
            Box::new(emails.clone()),
            Box::new(webhooks.clone()),
            Box::new(status_polls.clone()),
        ] {
            registry
                .register(collector)
                .expect("metric names are unique");
        }
        Self {
            registry,
            http,
            jobs,
            oldest_due,
            outcomes,
            emails,
            webhooks,
            status_polls,
        }
    }

    /// The metrics in the text exposition format, the queues read from `store` now.
    pub async fn render(&self, store: &Store) -> Result<Vec<u8>, ApiError> {
        let stats = store
            .queue_stats(store.now())
            .await
            .map_err(database_unavailable)?;
        self.jobs.reset();
        for (job_state, n) in &stats.jobs {
            self.jobs.with_label_values(&[job_state.as_str()]).set(*n);
        }
        self.oldest_due
            .with_label_values(&[] as &[&str])
            .set(stats.oldest_due_seconds);
        self.outcomes.reset();
        for (platform, job_state, n) in &stats.outcomes {
            self.outcomes
                .with_label_values(&[platform.as_str(), job_state.as_str()])
                .set(*n);
        }
        self.emails.reset();
        for (email_state, n) in &stats.emails {
            self.emails
                .with_label_values(&[email_state.as_str()])
                .set(*n);
        }
        let deliveries = store
            .webhook_delivery_counts()
            .await
            .map_err(database_unavailable)?;
        self.webhooks.reset();
        for (delivery_state, n) in &deliveries {
            self.webhooks
                .with_label_values(&[delivery_state.as_str()])
                .set(*n);
        }
        let mut body = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut body)
            .map_err(|e| ApiError::Internal(e.into()))?;
        Ok(body)
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.http
            .with_label_values(&[method, route, &status.to_string()])
            .observe(seconds);
    }
}

/// The driver's text goes to the log only: it can name hosts, users and tables.
fn database_unavailable(err: impl std::fmt::Display) -> ApiError {
    tracing::warn!(error = %err, "metrics: the database does not answer");
    ApiError::Unavailable("database unavailable".to_owned())
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// The method as a label: anyone can send a made-up method, and each distinct label
/// value would be a new series kept for the life of the process.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Times every request, labelled by the route pattern (`/api/v1/companies/{id}`), so
/// ids never become labels (a path no route matches is `unmatched`); and answers the request's id (`X-Request-Id`, the one in
/// the logs).
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    let recorder = req.app_data::<web::Data<Metrics>>().cloned();
    let request_id = req
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .copied();
    let mut res = next.call(req).await?;
    // The id in the logs' request span, so a person can quote it to support.
    if let Some(id) = request_id
        && let Ok(value) = header::HeaderValue::from_str(&id.to_string())
    {
        res.headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), value);
    }
    if let Some(recorder) = recorder {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        recorder.observe(
            method,
            &route,
            res.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(res)
}
