//! A company's reports and their snapshots: each successful refresh adds a version of
//! every report it fetched, with its own `updated_at`; the newest `report_retention`
//! versions per company and report are kept, and any of them can be read.

use chrono::{DateTime, Utc};
use domain::{CompanyId, OrganizationId, ReportKind};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
    sea_query::{Expr, Query},
};
use uuid::Uuid;

use crate::{
    Store,
    entities::{companies, reports},
};

/// A report a finished job stores.
#[derive(Debug, Clone)]
pub struct StoredReport {
    pub kind: ReportKind,
    pub payload: serde_json::Value,
}

/// How many versions of each report a company keeps by default.
pub const DEFAULT_RETENTION: u32 = 12;

/// One stored version of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportVersion {
    pub id: Uuid,
    pub kind: ReportKind,
    pub updated_at: DateTime<Utc>,
    pub payload: serde_json::Value,
}

/// One stored version of a report with its payload as stored (JSON text), for readers
/// that stream it (the report files) instead of holding it as a JSON tree, which is
/// several times the size of the text.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportText {
    pub id: Uuid,
    pub kind: ReportKind,
    pub updated_at: DateTime<Utc>,
    pub text: String,
}

/// Adds a version of each report at `at`, then drops versions beyond the newest
/// `retention` of that company and report. Runs in the caller's transaction.
pub(crate) async fn add_snapshots(
    db: &impl ConnectionTrait,
    company: Uuid,
    fetched: Vec<StoredReport>,
    at: DateTime<Utc>,
    retention: u32,
) -> Result<(), sea_orm::DbErr> {
    let texts = fetched
        .into_iter()
        .map(|report| (report.kind, report.payload.to_string()))
        .collect();
    add_snapshot_texts(db, company, texts, at, retention).await
}

/// [`add_snapshots`] of reports already written as JSON text (an upload's: 100,000
/// bills as text take a fraction of the memory of their `Value` tree).
pub(crate) async fn add_snapshot_texts(
    db: &impl ConnectionTrait,
    company: Uuid,
    texts: Vec<(ReportKind, String)>,
    at: DateTime<Utc>,
    retention: u32,
) -> Result<(), sea_orm::DbErr> {
    if texts.is_empty() {
        return Ok(());
    }
    // Every report of the refresh in one statement.
    reports::Entity::insert_many(texts.into_iter().map(|(kind, text)| reports::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(company),
        kind: Set(kind.as_str().to_owned()),
        data_type: Set(kind.data_type().as_str().to_owned()),
        payload: Set(text),
        updated_at: Set(at),
    }))
    .exec_without_returning(db)
    .await?;
    // And one statement drops, for every report of the company, what is beyond its
    // newest `retention` versions.
    let backend = db.get_database_backend();
    let (company_p, retention_p) = match backend {
        sea_orm::DbBackend::Postgres => ("$1", "$2"),
        _ => ("?1", "?2"),
    };
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        backend,
        format!(
            "DELETE FROM reports WHERE company_id = {company_p} AND id IN ( \
               SELECT id FROM ( \
                 SELECT id, ROW_NUMBER() OVER ( \
                   PARTITION BY kind ORDER BY updated_at DESC, id DESC) AS newer \
                 FROM reports WHERE company_id = {company_p}) AS ranked \
               WHERE newer > {retention_p})"
        ),
        [company.into(), i64::from(retention.max(1)).into()],
    ))
    .await?;
    Ok(())
}

/// The reports of `company`, when it is the organization's (reports carry no
/// organization of their own).
fn of_company(organization: OrganizationId, company: CompanyId) -> Condition {
    Condition::all()
        .add(reports::Column::CompanyId.eq(company.as_uuid()))
        .add(
            reports::Column::CompanyId.in_subquery(
                Query::select()
                    .column(companies::Column::Id)
                    .from(companies::Entity)
                    .and_where(companies::Column::Id.eq(company.as_uuid()))
                    .and_where(companies::Column::OrganizationId.eq(organization.as_uuid()))
                    .to_owned(),
            ),
        )
}

fn parse(row: reports::Model) -> Result<Option<ReportVersion>, sea_orm::DbErr> {
    let Ok(kind) = row.kind.parse() else {
        return Ok(None);
    };
    let payload = serde_json::from_str(&row.payload).map_err(|e| {
        sea_orm::DbErr::Custom(format!("report {} holds invalid JSON: {e}", row.id))
    })?;
    Ok(Some(ReportVersion {
        id: row.id,
        kind,
        updated_at: row.updated_at,
        payload,
    }))
}

impl Store {
    /// The company's reports — the newest version of each — without their payloads, in
    /// report order, with how many versions are kept.
    pub async fn reports(
        &self,
        organization: OrganizationId,
        company: CompanyId,
    ) -> Result<Vec<(ReportKind, DateTime<Utc>, u64)>, sea_orm::DbErr> {
        let rows: Vec<(String, DateTime<Utc>)> = reports::Entity::find()
            .select_only()
            .column(reports::Column::Kind)
            .column(reports::Column::UpdatedAt)
            .filter(of_company(organization, company))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut newest: std::collections::BTreeMap<ReportKind, (DateTime<Utc>, u64)> =
            Default::default();
        for (kind, at) in rows {
            let Ok(kind) = kind.parse::<ReportKind>() else {
                continue;
            };
            let entry = newest.entry(kind).or_insert((at, 0));
            entry.0 = entry.0.max(at);
            entry.1 += 1;
        }
        Ok(newest
            .into_iter()
            .map(|(kind, (at, versions))| (kind, at, versions))
            .collect())
    }

    /// One report as stored text: the newest version, or the version `snapshot`.
    pub async fn report_text(
        &self,
        organization: OrganizationId,
        company: CompanyId,
        kind: ReportKind,
        snapshot: Option<Uuid>,
    ) -> Result<Option<ReportText>, sea_orm::DbErr> {
        let version = snapshot.map_or_else(Condition::all, |snapshot| {
            Condition::all().add(reports::Column::Id.eq(snapshot))
        });
        self.newest_text(organization, company, kind, version).await
    }

    /// The version of a report that was current at `at`: the newest not after it (the
    /// same refresh's, for reports fetched together).
    pub async fn report_text_at(
        &self,
        organization: OrganizationId,
        company: CompanyId,
        kind: ReportKind,
        at: DateTime<Utc>,
    ) -> Result<Option<ReportText>, sea_orm::DbErr> {
        let version = Condition::all().add(reports::Column::UpdatedAt.lte(at));
        self.newest_text(organization, company, kind, version).await
    }

    /// The newest version of a report among those `version` allows, as stored text.
    async fn newest_text(
        &self,
        organization: OrganizationId,
        company: CompanyId,
        kind: ReportKind,
        version: Condition,
    ) -> Result<Option<ReportText>, sea_orm::DbErr> {
        let row = reports::Entity::find()
            .filter(of_company(organization, company))
            .filter(reports::Column::Kind.eq(kind.as_str()))
            .filter(version)
            .order_by_desc(reports::Column::UpdatedAt)
            .order_by_desc(reports::Column::Id)
            .one(&self.db)
            .await?;
        Ok(row.map(|row| ReportText {
            id: row.id,
            kind,
            updated_at: row.updated_at,
            text: row.payload,
        }))
    }

    /// The kept versions of a report, newest first, without their payloads.
    pub async fn report_snapshots(
        &self,
        organization: OrganizationId,
        company: CompanyId,
        kind: ReportKind,
    ) -> Result<Vec<(Uuid, DateTime<Utc>)>, sea_orm::DbErr> {
        reports::Entity::find()
            .select_only()
            .column(reports::Column::Id)
            .column(reports::Column::UpdatedAt)
            .filter(of_company(organization, company))
            .filter(reports::Column::Kind.eq(kind.as_str()))
            .order_by_desc(reports::Column::UpdatedAt)
            .order_by_desc(reports::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await
    }

    /// The two newest versions of a report (newest first), for what changed.
    pub async fn latest_two(
        &self,
        organization: OrganizationId,
        company: CompanyId,
        kind: ReportKind,
    ) -> Result<Vec<ReportVersion>, sea_orm::DbErr> {
        let rows = reports::Entity::find()
            .filter(of_company(organization, company))
            .filter(reports::Column::Kind.eq(kind.as_str()))
            .order_by_desc(reports::Column::UpdatedAt)
            .order_by_desc(reports::Column::Id)
            .limit(2)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(parse)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect())
    }

    /// Stores reports for a company directly, outside any job (demo data, fixtures).
    /// False (and nothing stored) when the company is not the organization's.
    pub async fn put_reports(
        &self,
        organization: OrganizationId,
        company: CompanyId,
        fetched: Vec<StoredReport>,
        at: DateTime<Utc>,
    ) -> Result<bool, sea_orm::DbErr> {
        let updated = companies::Entity::update_many()
            .col_expr(companies::Column::DataUpdatedAt, Expr::val(at))
            .filter(companies::Column::Id.eq(company.as_uuid()))
            .filter(companies::Column::OrganizationId.eq(organization.as_uuid()))
            .exec(&self.db)
            .await?;
        if updated.rows_affected == 0 {
            return Ok(false);
        }
        add_snapshots(
            &self.db,
            company.as_uuid(),
            fetched,
            at,
            self.report_retention,
        )
        .await?;
        Ok(true)
    }
}
