//! ARCHITECTURE.md's rule for the status cache, checked: every column that changes what
//! a status poll shows (`views::company_status`) is in the `WHEN` list of its table's
//! status trigger (migration `m20261201_000013`), or a change to it would never reach
//! the cached answers.

use sea_orm::{ActiveEnum, Iterable, ModelTrait, Value};
use store::{
    CompanyRecord, JobState,
    entities::{companies, refresh_jobs},
};

use crate::views::company_status;

const MIGRATION: &str =
    include_str!("../../../migrations/src/m20261201_000013_status_notifications.rs");

/// The columns named in the `WHEN` of the trigger `trigger`.
fn watched(trigger: &str) -> Vec<String> {
    let start = MIGRATION
        .find(&format!("CREATE TRIGGER {trigger} "))
        .unwrap_or_else(|| panic!("no trigger {trigger} in the migration"));
    let statement = &MIGRATION[start..];
    let statement = &statement[..statement.find("EXECUTE FUNCTION").unwrap()];
    statement
        .split("NEW.")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

/// Another value of the same type as `value`.
fn changed(value: Value) -> Value {
    match value {
        // A state column takes only its enum's values: another one.
        Value::String(Some(s)) => match JobState::try_from_value(&s) {
            Ok(state) => Value::String(Some(
                JobState::iter()
                    .find(|&other| other != state)
                    .unwrap()
                    .as_str()
                    .to_owned(),
            )),
            Err(_) => Value::String(Some(format!("{s}-changed"))),
        },
        Value::String(None) => Value::String(Some("changed".to_owned())),
        Value::Uuid(_) => Value::Uuid(Some(uuid::Uuid::now_v7())),
        Value::ChronoDateTimeUtc(Some(at)) => {
            Value::ChronoDateTimeUtc(Some(at + chrono::Duration::seconds(1)))
        }
        Value::ChronoDateTimeUtc(None) => Value::ChronoDateTimeUtc(Some(chrono::Utc::now())),
        Value::Int(n) => Value::Int(Some(n.unwrap_or(0) + 1)),
        Value::Bool(b) => Value::Bool(Some(!b.unwrap_or(false))),
        other => panic!("teach this test to change a {other:?}"),
    }
}

/// A record in which every column that a poll can show has a value: an error, an
/// active refresh that failed an attempt.
fn record() -> CompanyRecord {
    let at = chrono::Utc::now();
    let company = companies::Model {
        id: uuid::Uuid::now_v7(),
        organization_id: uuid::Uuid::now_v7(),
        name: "Acme".into(),
        description: String::new(),
        contact_name: "Ann".into(),
        contact_email: "ann@acme.example".into(),
        requests_financials: true,
        requests_spend_detail: true,
        status: Some(domain::DataStatus::Error.as_str().into()),
        status_updated_at: Some(at),
        error_code: Some(domain::ErrorCode::ProviderUnavailable.as_str().into()),
        error_message: Some("down".into()),
        platform: Some("sandbox".into()),
        refresh_schedule: "off".into(),
        next_refresh_at: None,
        data_updated_at: Some(at),
        created_at: at,
        updated_at: at,
        group_id: None,
    };
    let job = refresh_jobs::Model {
        id: uuid::Uuid::now_v7(),
        organization_id: company.organization_id,
        company_id: company.id,
        state: JobState::Running,
        trigger: domain::RefreshTrigger::Manual.as_str().into(),
        requested_by: None,
        requested_at: at,
        run_at: at,
        started_at: Some(at),
        finished_at: Some(at),
        attempts: 2,
        lease_owner: Some("w1".into()),
        lease_expires_at: Some(at),
        error_code: Some(domain::ErrorCode::ProviderUnavailable.as_str().into()),
        error_message: Some("down".into()),
        batched: false,
    };
    CompanyRecord {
        company,
        assignees: Vec::new(),
        active_refresh: Some(job),
        upload: None,
        group: None,
        parent: None,
    }
}

/// The columns of `M` (a model in `base`, which `put` replaces) whose change changes
/// the poll's answer.
fn shown_columns<M: ModelTrait + Clone>(
    base: &CompanyRecord,
    model: &M,
    put: impl Fn(&mut CompanyRecord, M),
) -> Vec<String> {
    let shown = company_status(base.clone());
    <M::Entity as sea_orm::EntityTrait>::Column::iter()
        // A row's id never changes: rows that come and go are the INSERT and DELETE
        // triggers' (on every row).
        .filter(|column| sea_orm::IdenStatic::as_str(column) != "id")
        .filter(|column| {
            let mut other = model.clone();
            other.set(*column, changed(model.get(*column)));
            let mut record = base.clone();
            put(&mut record, other);
            company_status(record) != shown
        })
        .map(|column| sea_orm::IdenStatic::as_str(&column).to_owned())
        .collect()
}

#[test]
fn every_column_a_poll_shows_is_watched_by_its_status_trigger() {
    let base = record();
    let company_columns = shown_columns(&base, &base.company, |r, m| r.company = m);
    let job = base.active_refresh.as_ref().unwrap();
    let job_columns = shown_columns(&base, job, |r, m| r.active_refresh = Some(m));
    // The check sees what a poll shows (a test that finds nothing proves nothing).
    assert!(
        company_columns.contains(&"status".to_owned()),
        "{company_columns:?}"
    );
    assert!(job_columns.contains(&"state".to_owned()), "{job_columns:?}");

    for (trigger, columns) in [
        ("companies_notify_status", company_columns),
        ("refresh_jobs_notify_status", job_columns),
    ] {
        let watched = watched(trigger);
        let missing: Vec<_> = columns.iter().filter(|c| !watched.contains(c)).collect();
        assert!(
            missing.is_empty(),
            "{trigger} does not watch {missing:?}, which a status poll shows \
             (it watches {watched:?})"
        );
    }
}
