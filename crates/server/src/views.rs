//! Store records to wire types: the one place that decides what the API shows.

use api_types::{Company, CompanyStatus, Contact, RefreshJob, UserSummary};
use chrono::{DateTime, Utc};
use domain::{CompanyId, RefreshJobId, UserId};
use store::{CompanyRecord, entities::refresh_jobs};

/// The freshness rule: data older than `max_age` at `now` is flagged `stale`.
#[derive(Debug, Clone, Copy)]
pub struct Freshness {
    pub max_age: chrono::Duration,
    pub now: DateTime<Utc>,
}

pub fn company(record: CompanyRecord, freshness: Freshness) -> Company {
    let status = record.status();
    let error = record.error();
    let data_types = record.data_types();
    let CompanyRecord {
        company,
        assignees,
        active_refresh,
    } = record;
    Company {
        id: CompanyId::from_uuid(company.id),
        name: company.name,
        description: company.description,
        contact: Contact {
            name: company.contact_name,
            email: company.contact_email,
        },
        assignees: assignees
            .into_iter()
            .map(|u| UserSummary {
                id: UserId::from_uuid(u.id),
                name: u.name,
                email: u.email,
            })
            .collect(),
        data_types,
        status,
        status_updated_at: company.status_updated_at,
        error,
        refresh: active_refresh.map(refresh_job),
        platform: company.platform,
        data_updated_at: company.data_updated_at,
        stale: company
            .data_updated_at
            .is_some_and(|at| domain::is_stale(at, freshness.now, freshness.max_age)),
        refresh_schedule: company.refresh_schedule.parse().unwrap_or_default(),
        next_refresh_at: company.next_refresh_at,
        created_at: company.created_at,
        updated_at: company.updated_at,
    }
}

pub fn company_status(record: CompanyRecord) -> CompanyStatus {
    CompanyStatus {
        id: record.id(),
        status: record.status(),
        status_updated_at: record.company.status_updated_at,
        error: record.error(),
        refresh: record.active_refresh.map(refresh_job),
    }
}

pub fn refresh_job(job: refresh_jobs::Model) -> RefreshJob {
    let error = store::job_error(&job);
    RefreshJob {
        id: RefreshJobId::from_uuid(job.id),
        company_id: CompanyId::from_uuid(job.company_id),
        // Rows are only ever written from these enums; an unknown value is a bug.
        state: job.state.parse().unwrap_or(domain::RefreshState::Failed),
        trigger: job
            .trigger
            .parse()
            .unwrap_or(domain::RefreshTrigger::Manual),
        requested_at: job.requested_at,
        started_at: job.started_at,
        finished_at: job.finished_at,
        attempts: u32::try_from(job.attempts).unwrap_or(0),
        error,
    }
}
