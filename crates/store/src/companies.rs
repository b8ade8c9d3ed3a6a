//! Companies: the list with its filters, sorts and keyset pagination, and writes.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use domain::{
    CompanyId, CompanyName, ContactName, DataStatus, DataType, Description, EmailAddress,
    ErrorCode, OrganizationId, RefreshSchedule, StatusError, UserId,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DbBackend, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Select, Set, TransactionTrait,
    sea_query::{Expr, ExprTrait, Func, LikeExpr, Order},
};
use uuid::Uuid;

use crate::{
    Store,
    entities::{
        companies, company_assignees,
        refresh_jobs::{self, ACTIVE_STATES},
        users,
    },
};

/// A company with what the API shows beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyRecord {
    pub company: companies::Model,
    pub assignees: Vec<users::Model>,
    /// The queued or running refresh, if any.
    pub active_refresh: Option<refresh_jobs::Model>,
    /// The latest upload, when the company's data was uploaded from the template
    /// (platform `upload`).
    pub upload: Option<crate::entities::uploads::Model>,
    /// A group's roll-up of its entities (its own books included); `None` for a company
    /// without entities. Not filled in by [`Store::company_statuses`].
    pub group: Option<GroupRollup>,
    /// An entity's group: its id and name. Not filled in by [`Store::company_statuses`].
    pub parent: Option<(CompanyId, String)>,
}

/// A group's entities together: how many are in each status, the worst of them, and the
/// most recent update. The group's own books count as its first entity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupRollup {
    pub counts: StatusCounts,
    /// Entities with a refresh queued or running.
    pub refreshing: u64,
    /// The most recent status change of any entity.
    pub updated_at: Option<DateTime<Utc>>,
}

impl GroupRollup {
    pub fn entities(&self) -> u64 {
        let c = &self.counts;
        c.not_requested + c.requested + c.available + c.error
    }

    /// The worst of the entities' statuses: `error`, then `requested` (waiting for the
    /// customer), then not requested (`None`), then `available`.
    pub fn status(&self) -> Option<DataStatus> {
        let c = &self.counts;
        if c.error > 0 {
            Some(DataStatus::Error)
        } else if c.requested > 0 {
            Some(DataStatus::Requested)
        } else if c.not_requested > 0 {
            None
        } else {
            Some(DataStatus::Available)
        }
    }

    fn add(&mut self, status: Option<&str>, updated_at: Option<DateTime<Utc>>, refreshing: bool) {
        self.counts.add(status, 1);
        self.refreshing += u64::from(refreshing);
        self.updated_at = Ord::max(self.updated_at, updated_at);
    }
}

impl CompanyRecord {
    pub fn id(&self) -> CompanyId {
        CompanyId::from_uuid(self.company.id)
    }

    pub fn status(&self) -> Option<DataStatus> {
        self.company.status.as_deref().and_then(|s| s.parse().ok())
    }

    pub fn error(&self) -> Option<StatusError> {
        stored_error(
            self.company.error_code.as_deref(),
            self.company.error_message.as_deref(),
        )
    }

    pub fn data_types(&self) -> Vec<DataType> {
        requested_types(&self.company)
    }
}

pub(crate) fn requested_types(company: &companies::Model) -> Vec<DataType> {
    let mut types = Vec::with_capacity(2);
    if company.requests_financials {
        types.push(DataType::Financials);
    }
    if company.requests_spend_detail {
        types.push(DataType::SpendDetail);
    }
    types
}

/// An error as stored in a row's `error_code`/`error_message` columns.
pub(crate) fn stored_error(code: Option<&str>, message: Option<&str>) -> Option<StatusError> {
    let code: ErrorCode = code?.parse().ok()?;
    Some(StatusError {
        code,
        message: message.map_or_else(|| code.default_message().to_owned(), str::to_owned),
    })
}

/// A company's editable fields, already parsed.
#[derive(Debug, Clone)]
pub struct CompanyWrite {
    pub name: CompanyName,
    pub description: Description,
    pub contact_name: ContactName,
    pub contact_email: EmailAddress,
    pub assignees: Vec<UserId>,
    /// Non-empty.
    pub data_types: Vec<DataType>,
    /// A new refresh schedule, its next run counted from now; `None` keeps the current
    /// one (`off` for a new company).
    pub schedule: Option<RefreshSchedule>,
}

/// Why a write was refused.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("no such company")]
    NotFound,
    #[error("user {0} is not a member of this organization")]
    UnknownAssignee(UserId),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

/// Which companies to list.
#[derive(Debug, Clone, Default)]
pub struct CompanyFilter {
    /// Case-insensitive substring of the name, contact name or contact email.
    pub search: Option<String>,
    /// `Some(None)` selects companies never asked for information.
    pub status: Option<Option<DataStatus>>,
    pub assignee: Option<UserId>,
    pub sort: CompanySortKey,
    pub descending: bool,
    /// Continue after this company (the last one of the previous page).
    pub cursor: Option<CompanyId>,
    pub limit: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CompanySortKey {
    #[default]
    Name,
    Status,
    StatusUpdatedAt,
}

/// One page of the list.
#[derive(Debug, Clone)]
pub struct CompanyPage {
    pub items: Vec<CompanyRecord>,
    pub next_cursor: Option<CompanyId>,
}

/// The `cursor` names no company of the organization (it was deleted since).
#[derive(Debug, thiserror::Error)]
#[error("the company the cursor points at no longer exists; start again without a cursor")]
pub struct InvalidCursor;

/// The sort key values of `company`, in sort order: the keyset to continue after it.
fn sort_values(company: &companies::Model, key: CompanySortKey) -> Vec<sea_orm::Value> {
    match key {
        CompanySortKey::Name => vec![company.name.clone().into(), company.id.into()],
        CompanySortKey::Status => vec![
            status_rank(company.status.as_deref()).into(),
            company.name.clone().into(),
            company.id.into(),
        ],
        CompanySortKey::StatusUpdatedAt => vec![
            company.status_updated_at.unwrap_or_else(never).into(),
            company.id.into(),
        ],
    }
}

/// Where a status sorts: in the order a company goes through them, not requested first.
fn status_rank(status: Option<&str>) -> i32 {
    match status.and_then(|s| s.parse::<DataStatus>().ok()) {
        None => 0,
        Some(DataStatus::Requested) => 1,
        Some(DataStatus::Available) => 2,
        Some(DataStatus::Error) => 3,
    }
}

/// Stands in for "no status update yet" so that such companies sort first, the same way
/// on both backends (which order NULLs differently).
fn never() -> DateTime<Utc> {
    Utc.timestamp_opt(0, 0).single().expect("the epoch exists")
}

/// The expressions a sort orders by, ending with the id so that the order is total.
fn sort_exprs(key: CompanySortKey) -> Vec<Expr> {
    use companies::Column;
    let id = Expr::col((companies::Entity, Column::Id));
    let name = Expr::col((companies::Entity, Column::Name));
    match key {
        CompanySortKey::Name => vec![name, id],
        CompanySortKey::Status => {
            let status = || Expr::col((companies::Entity, Column::Status));
            vec![
                Expr::case(status().eq(DataStatus::Requested.as_str()), 1)
                    .case(status().eq(DataStatus::Available.as_str()), 2)
                    .case(status().eq(DataStatus::Error.as_str()), 3)
                    .finally(0)
                    .into(),
                name,
                id,
            ]
        }
        CompanySortKey::StatusUpdatedAt => vec![
            Func::coalesce([
                Expr::col((companies::Entity, Column::StatusUpdatedAt)),
                Expr::val(never()),
            ])
            .into(),
            id,
        ],
    }
}

/// `(a, b, c) > (a0, b0, c0)` spelt out, since row-value comparison is not portable.
fn keyset_after(exprs: &[Expr], values: Vec<sea_orm::Value>, descending: bool) -> Condition {
    let mut any = Condition::any();
    for (i, value) in values.iter().enumerate() {
        let mut all = Condition::all();
        for (expr, equal) in exprs.iter().zip(&values).take(i) {
            all = all.add(expr.clone().eq(equal.clone()));
        }
        let beyond = if descending {
            exprs[i].clone().lt(value.clone())
        } else {
            exprs[i].clone().gt(value.clone())
        };
        any = any.add(all.add(beyond));
    }
    any
}

/// Whether the page query's best plan is the same whatever the filter's values: the
/// organization's companies in name order, or those of one status in name order, are an
/// ordered walk of `companies_organization_name_idx` or
/// `companies_organization_status_name_idx` that stops after the page, for any
/// organization, status, cursor and page size. Such a page runs with a generic plan
/// ([`Store::with_generic_plans`]): PostgreSQL otherwise plans it afresh on every request
/// (its generic estimate, which cannot see `LIMIT $n`, looks worse), and that planning
/// was most of the database's extra work per list request over pgbench running the same
/// SQL with its values inlined (docs/benchmarks.md, eighth round). A search or an
/// assignee filter is as selective as its value, so those pages keep custom plans.
fn same_plan_for_all_values(filter: &CompanyFilter) -> bool {
    filter.sort == CompanySortKey::Name
        && filter.assignee.is_none()
        && filter.search.as_deref().is_none_or(|s| s.trim().is_empty())
}

/// A page of companies in the filter's order, after `after` (the cursor's company). One
/// row more than the page, to know whether there is a next one.
///
/// Rationale: the active refreshes are a second statement ([`active_jobs_query`]), not a
/// join. Row-level security's policy is opaque to PostgreSQL's estimates, so a join
/// was planned as a nested loop over every active refresh per company (4.7 ms instead
/// of 1 ms with 1,000 refreshes queued; docs/benchmarks.md).
fn page_query(
    organization: OrganizationId,
    filter: &CompanyFilter,
    after: Option<&companies::Model>,
) -> sea_orm::Select<companies::Entity> {
    let exprs = sort_exprs(filter.sort);
    let mut query = filtered(organization, filter);
    if let Some(after) = after {
        let values = sort_values(after, filter.sort);
        query = query.filter(keyset_after(&exprs, values, filter.descending));
    }
    let order = if filter.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    for expr in exprs {
        query = query.order_by(expr, order.clone());
    }
    query.limit(filter.limit + 1)
}

/// The active refreshes of these companies (at most one each,
/// `refresh_jobs_one_active_per_company`, which this reads).
fn active_jobs_query(
    companies: impl IntoIterator<Item = Uuid>,
) -> sea_orm::Select<refresh_jobs::Entity> {
    refresh_jobs::Entity::find()
        .filter(refresh_jobs::Column::CompanyId.is_in(companies))
        .filter(refresh_jobs::Column::State.is_in(ACTIVE_STATES))
}

/// The assignments of these companies with their users.
fn assignees_query(
    companies: impl IntoIterator<Item = Uuid>,
) -> sea_orm::SelectTwo<company_assignees::Entity, users::Entity> {
    let to_user: sea_orm::RelationDef = company_assignees::Entity::belongs_to(users::Entity)
        .from(company_assignees::Column::UserId)
        .to(users::Column::Id)
        .into();
    company_assignees::Entity::find()
        .select_also(users::Entity)
        .join(sea_orm::JoinType::InnerJoin, to_user)
        .filter(company_assignees::Column::CompanyId.is_in(companies))
}

/// The organization's companies matching the filter's search, status and assignee.
pub(crate) fn filtered(
    organization: OrganizationId,
    filter: &CompanyFilter,
) -> Select<companies::Entity> {
    use companies::Column;
    // A group's entities are listed under their group, not beside it.
    let mut query = companies::Entity::find()
        .filter(Column::OrganizationId.eq(organization.as_uuid()))
        .filter(Column::GroupId.is_null());
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
        let matches = |column: Column| {
            Expr::expr(Func::lower(Expr::col((companies::Entity, column))))
                .like(LikeExpr::new(pattern.clone()).escape('\\'))
        };
        query = query.filter(
            Condition::any()
                .add(matches(Column::Name))
                .add(matches(Column::ContactName))
                .add(matches(Column::ContactEmail)),
        );
    }
    match filter.status {
        Some(Some(status)) => query = query.filter(Column::Status.eq(status.as_str())),
        Some(None) => query = query.filter(Column::Status.is_null()),
        None => {}
    }
    if let Some(user) = filter.assignee {
        query = query.filter(
            Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(company_assignees::Column::CompanyId)
                    .from(company_assignees::Entity)
                    .and_where(company_assignees::Column::UserId.eq(user.as_uuid()))
                    .to_owned(),
            ),
        );
    }
    query
}

/// How many of the organization's companies are in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusCounts {
    pub not_requested: u64,
    pub requested: u64,
    pub available: u64,
    pub error: u64,
}

impl StatusCounts {
    fn add(&mut self, status: Option<&str>, count: u64) {
        match status.and_then(|s| s.parse::<DataStatus>().ok()) {
            None => self.not_requested += count,
            Some(DataStatus::Requested) => self.requested += count,
            Some(DataStatus::Available) => self.available += count,
            Some(DataStatus::Error) => self.error += count,
        }
    }
}

impl Store {
    /// One page of the organization's companies.
    pub async fn list_companies(
        &self,
        organization: OrganizationId,
        filter: &CompanyFilter,
    ) -> Result<Result<CompanyPage, InvalidCursor>, sea_orm::DbErr> {
        let after = match filter.cursor {
            Some(cursor) => match self.company_row(organization, cursor).await? {
                Some(after) => Some(after),
                None => return Ok(Err(InvalidCursor)),
            },
            None => None,
        };
        let page = page_query(organization, filter, after.as_ref()).all(&self.db);
        let mut rows = if same_plan_for_all_values(filter) {
            self.with_generic_plans(page).await?
        } else {
            page.await?
        };
        let next_cursor = if rows.len() as u64 > filter.limit {
            rows.truncate(filter.limit as usize);
            rows.last().map(|last| CompanyId::from_uuid(last.id))
        } else {
            None
        };
        let items = self.with_details(rows).await?;
        Ok(Ok(CompanyPage { items, next_cursor }))
    }

    /// The SQL [`Store::list_companies`] runs for a first page whose companies turn out
    /// to be `page`, with the values inlined: for benchmarks that run the same SQL
    /// outside the server (pgbench).
    pub fn list_statements(
        &self,
        organization: OrganizationId,
        filter: &CompanyFilter,
        page: &[CompanyId],
    ) -> Vec<String> {
        use sea_orm::QueryTrait;
        let backend = self.backend();
        let mut statements = vec![
            page_query(organization, filter, None)
                .build(backend)
                .to_string(),
            active_jobs_query(page.iter().map(|id| id.as_uuid()))
                .build(backend)
                .to_string(),
            assignees_query(page.iter().map(|id| id.as_uuid()))
                .build(backend)
                .to_string(),
        ];
        if same_plan_for_all_values(filter) && backend == DbBackend::Postgres {
            statements.insert(0, crate::scope::GENERIC_PLANS.to_owned());
            statements.insert(2, crate::scope::DEFAULT_PLANS.to_owned());
        }
        statements
    }

    /// Companies per status for the filter's search and assignee (its status is ignored).
    pub async fn count_companies(
        &self,
        organization: OrganizationId,
        filter: &CompanyFilter,
    ) -> Result<StatusCounts, sea_orm::DbErr> {
        let filter = CompanyFilter {
            status: None,
            ..filter.clone()
        };
        let rows: Vec<(Option<String>, i64)> = filtered(organization, &filter)
            .select_only()
            .column(companies::Column::Status)
            .column_as(companies::Column::Id.count(), "count")
            .group_by(companies::Column::Status)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut counts = StatusCounts::default();
        for (status, count) in rows {
            counts.add(status.as_deref(), u64::try_from(count).unwrap_or(0));
        }
        Ok(counts)
    }

    /// One company of the organization.
    pub async fn company(
        &self,
        organization: OrganizationId,
        id: CompanyId,
    ) -> Result<Option<CompanyRecord>, sea_orm::DbErr> {
        let Some(row) = self.company_row(organization, id).await? else {
            return Ok(None);
        };
        Ok(self.with_details(vec![row]).await?.pop())
    }

    /// The companies' statuses and active refreshes, in the order asked, in one
    /// statement (the poller's hot path: no assignees, no users).
    pub async fn company_statuses(
        &self,
        organization: OrganizationId,
        ids: &[CompanyId],
    ) -> Result<Vec<CompanyRecord>, sea_orm::DbErr> {
        use sea_orm::{JoinType, RelationDef, sea_query::IntoCondition};
        // companies LEFT JOIN refresh_jobs ON job.company_id = company.id AND job is active
        let active: RelationDef = refresh_jobs::Entity::belongs_to(companies::Entity)
            .from(refresh_jobs::Column::CompanyId)
            .to(companies::Column::Id)
            // Called with (from, to) of the reversed relation: (companies, refresh_jobs).
            .on_condition(|_, job| {
                Expr::col((job, refresh_jobs::Column::State))
                    .is_in(ACTIVE_STATES)
                    .into_condition()
            })
            .into();
        let active = active.rev();
        let rows = companies::Entity::find()
            .select_also(refresh_jobs::Entity)
            .join(JoinType::LeftJoin, active)
            .filter(companies::Column::OrganizationId.eq(organization.as_uuid()))
            .filter(companies::Column::Id.is_in(ids.iter().map(CompanyId::as_uuid)))
            .all(&self.db)
            .await?;
        let position: HashMap<Uuid, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_uuid(), i))
            .collect();
        let mut records: Vec<CompanyRecord> = rows
            .into_iter()
            .map(|(company, active_refresh)| CompanyRecord {
                company,
                assignees: Vec::new(),
                active_refresh,
                upload: None,
                group: None,
                parent: None,
            })
            .collect();
        records.sort_by_key(|r| position.get(&r.company.id).copied());
        Ok(records)
    }

    pub(crate) async fn company_row(
        &self,
        organization: OrganizationId,
        id: CompanyId,
    ) -> Result<Option<companies::Model>, sea_orm::DbErr> {
        companies::Entity::find_by_id(id.as_uuid())
            .filter(companies::Column::OrganizationId.eq(organization.as_uuid()))
            .one(&self.db)
            .await
    }

    /// Adds the assignees and the active refresh to each company, in two queries.
    async fn with_details(
        &self,
        rows: Vec<companies::Model>,
    ) -> Result<Vec<CompanyRecord>, sea_orm::DbErr> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut active: HashMap<Uuid, refresh_jobs::Model> =
            active_jobs_query(rows.iter().map(|c| c.id))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|job| (job.company_id, job))
                .collect();
        let rows = rows
            .into_iter()
            .map(|company| {
                let job = active.remove(&company.id);
                (company, job)
            })
            .collect();
        self.with_assignees(rows).await
    }

    /// Companies with their active refresh, completed with their assignees (one
    /// statement: the assignments joined with their users).
    async fn with_assignees(
        &self,
        rows: Vec<(companies::Model, Option<refresh_jobs::Model>)>,
    ) -> Result<Vec<CompanyRecord>, sea_orm::DbErr> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let assignments = assignees_query(rows.iter().map(|(c, _)| c.id))
            .all(&self.db)
            .await?;
        let uploaded: Vec<Uuid> = rows
            .iter()
            .filter(|(c, _)| c.platform.as_deref() == Some(crate::UPLOAD_PLATFORM))
            .map(|(c, _)| c.id)
            .collect();
        let mut uploads = self.latest_uploads(&uploaded).await?;
        let mut groups = self.group_rollups(&rows).await?;
        let parents = self
            .group_names(rows.iter().filter_map(|(c, _)| c.group_id))
            .await?;
        let mut assignees: HashMap<Uuid, Vec<users::Model>> = HashMap::new();
        for (assignment, user) in assignments {
            if let Some(user) = user {
                assignees
                    .entry(assignment.company_id)
                    .or_default()
                    .push(user);
            }
        }
        Ok(rows
            .into_iter()
            .map(|(company, active_refresh)| {
                let mut people = assignees.remove(&company.id).unwrap_or_default();
                people.sort_by(|a, b| a.name.cmp(&b.name));
                CompanyRecord {
                    active_refresh,
                    assignees: people,
                    upload: uploads.remove(&company.id),
                    group: groups.remove(&company.id),
                    parent: company.group_id.and_then(|group| {
                        let name = parents.get(&group)?.clone();
                        Some((CompanyId::from_uuid(group), name))
                    }),
                    company,
                }
            })
            .collect())
    }

    /// The roll-up of each of these companies that has entities: its own status and
    /// refresh with its entities', in two statements (the entities, their refreshes).
    async fn group_rollups(
        &self,
        rows: &[(companies::Model, Option<refresh_jobs::Model>)],
    ) -> Result<HashMap<Uuid, GroupRollup>, sea_orm::DbErr> {
        let groups: Vec<Uuid> = rows
            .iter()
            .filter(|(c, _)| c.group_id.is_none())
            .map(|(c, _)| c.id)
            .collect();
        if groups.is_empty() {
            return Ok(HashMap::new());
        }
        // (id, group, status, status_updated_at)
        type EntityRow = (Uuid, Uuid, Option<String>, Option<DateTime<Utc>>);
        let entities: Vec<EntityRow> = companies::Entity::find()
            .select_only()
            .column(companies::Column::Id)
            .column(companies::Column::GroupId)
            .column(companies::Column::Status)
            .column(companies::Column::StatusUpdatedAt)
            .filter(companies::Column::GroupId.is_in(groups))
            .into_tuple()
            .all(&self.db)
            .await?;
        if entities.is_empty() {
            return Ok(HashMap::new());
        }
        let refreshing: std::collections::HashSet<Uuid> =
            active_jobs_query(entities.iter().map(|e| e.0))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|job| job.company_id)
                .collect();
        let mut rollups: HashMap<Uuid, GroupRollup> = HashMap::new();
        for (id, group, status, updated_at) in entities {
            rollups.entry(group).or_default().add(
                status.as_deref(),
                updated_at,
                refreshing.contains(&id),
            );
        }
        for (company, job) in rows {
            if let Some(rollup) = rollups.get_mut(&company.id) {
                rollup.add(
                    company.status.as_deref(),
                    company.status_updated_at,
                    job.is_some(),
                );
            }
        }
        Ok(rollups)
    }

    /// The names of these groups.
    async fn group_names(
        &self,
        groups: impl Iterator<Item = Uuid>,
    ) -> Result<HashMap<Uuid, String>, sea_orm::DbErr> {
        let mut ids: Vec<Uuid> = groups.collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        ids.sort();
        ids.dedup();
        let names: Vec<(Uuid, String)> = companies::Entity::find()
            .select_only()
            .column(companies::Column::Id)
            .column(companies::Column::Name)
            .filter(companies::Column::Id.is_in(ids))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(names.into_iter().collect())
    }

    /// A group's entities (not its own books), in name order; empty for a company
    /// without entities. `None` when the company is not the organization's.
    pub async fn entities(
        &self,
        organization: OrganizationId,
        group: CompanyId,
    ) -> Result<Option<Vec<CompanyRecord>>, sea_orm::DbErr> {
        if self.company_row(organization, group).await?.is_none() {
            return Ok(None);
        }
        let rows = companies::Entity::find()
            .filter(companies::Column::OrganizationId.eq(organization.as_uuid()))
            .filter(companies::Column::GroupId.eq(group.as_uuid()))
            .order_by_asc(companies::Column::Name)
            .order_by_asc(companies::Column::Id)
            .all(&self.db)
            .await?;
        Ok(Some(self.with_details(rows).await?))
    }

    /// Adds a company. It has no status until information is requested.
    pub async fn create_company(
        &self,
        organization: OrganizationId,
        write: CompanyWrite,
    ) -> Result<CompanyRecord, WriteError> {
        self.check_assignees(organization, &write.assignees).await?;
        let at = self.now();
        let id = Uuid::now_v7();
        let schedule = write.schedule.unwrap_or_default();
        let txn = self.db.begin().await?;
        companies::ActiveModel {
            id: Set(id),
            description: Set(write.description.into()),
            ..new_row(
                organization.as_uuid(),
                write.name.into(),
                (write.contact_name.into(), write.contact_email.into()),
                &write.data_types,
                schedule,
                at,
            )
        }
        .insert(&txn)
        .await?;
        insert_assignees(&txn, id, &write.assignees).await?;
        txn.commit().await?;
        self.company(organization, CompanyId::from_uuid(id))
            .await?
            .ok_or(WriteError::NotFound)
    }

    /// Replaces a company's editable fields.
    pub async fn update_company(
        &self,
        organization: OrganizationId,
        id: CompanyId,
        write: CompanyWrite,
    ) -> Result<CompanyRecord, WriteError> {
        self.check_assignees(organization, &write.assignees).await?;
        let row = self
            .company_row(organization, id)
            .await?
            .ok_or(WriteError::NotFound)?;
        let txn = self.db.begin().await?;
        let mut active = row.into_active_model();
        active.name = Set(write.name.into());
        active.description = Set(write.description.into());
        active.contact_name = Set(write.contact_name.into());
        active.contact_email = Set(write.contact_email.into());
        active.requests_financials = Set(write.data_types.contains(&DataType::Financials));
        active.requests_spend_detail = Set(write.data_types.contains(&DataType::SpendDetail));
        let at = self.now();
        if let Some(schedule) = write.schedule {
            active.refresh_schedule = Set(schedule.as_str().to_owned());
            active.next_refresh_at = Set(schedule.after(at));
        }
        active.updated_at = Set(at);
        match active.update(&txn).await {
            Ok(_) => {}
            // Deleted since it was read (a concurrent DELETE).
            Err(sea_orm::DbErr::RecordNotUpdated | sea_orm::DbErr::RecordNotFound(_)) => {
                return Err(WriteError::NotFound);
            }
            Err(err) => return Err(err.into()),
        }
        company_assignees::Entity::delete_many()
            .filter(company_assignees::Column::CompanyId.eq(id.as_uuid()))
            .exec(&txn)
            .await?;
        insert_assignees(&txn, id.as_uuid(), &write.assignees).await?;
        txn.commit().await?;
        self.company(organization, id)
            .await?
            .ok_or(WriteError::NotFound)
    }

    /// Deletes a company and, through the foreign keys, its assignments, reports and
    /// refresh jobs. Returns whether it existed.
    pub async fn delete_company(
        &self,
        organization: OrganizationId,
        id: CompanyId,
    ) -> Result<bool, sea_orm::DbErr> {
        let deleted = companies::Entity::delete_many()
            .filter(companies::Column::Id.eq(id.as_uuid()))
            .filter(companies::Column::OrganizationId.eq(organization.as_uuid()))
            .exec(&self.db)
            .await?;
        Ok(deleted.rows_affected > 0)
    }

    async fn check_assignees(
        &self,
        organization: OrganizationId,
        assignees: &[UserId],
    ) -> Result<(), WriteError> {
        if assignees.is_empty() {
            return Ok(());
        }
        let known: Vec<Uuid> = users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .filter(users::Column::OrganizationId.eq(organization.as_uuid()))
            .filter(users::Column::Id.is_in(assignees.iter().map(UserId::as_uuid)))
            .into_tuple()
            .all(&self.db)
            .await?;
        match assignees.iter().find(|id| !known.contains(&id.as_uuid())) {
            Some(unknown) => Err(WriteError::UnknownAssignee(*unknown)),
            None => Ok(()),
        }
    }
}

async fn insert_assignees(
    txn: &impl sea_orm::ConnectionTrait,
    company: Uuid,
    users: &[UserId],
) -> Result<(), sea_orm::DbErr> {
    let mut unique: Vec<Uuid> = users.iter().map(UserId::as_uuid).collect();
    unique.sort();
    unique.dedup();
    if unique.is_empty() {
        return Ok(());
    }
    company_assignees::Entity::insert_many(unique.into_iter().map(|user_id| {
        company_assignees::ActiveModel {
            company_id: Set(company),
            user_id: Set(user_id),
        }
    }))
    .exec(txn)
    .await?;
    Ok(())
}

/// A new entity of `group`: the group's contact, data types and schedule (its next run
/// counted from `at`), no status.
pub(crate) fn new_entity(
    group: &companies::Model,
    name: String,
    at: DateTime<Utc>,
) -> companies::ActiveModel {
    companies::ActiveModel {
        group_id: Set(Some(group.id)),
        ..new_row(
            group.organization_id,
            name,
            (group.contact_name.clone(), group.contact_email.clone()),
            &requested_types(group),
            group.refresh_schedule.parse().unwrap_or_default(),
            at,
        )
    }
}

/// A new company's row, not yet requested (no status), alone (no group), without a
/// description; its schedule's next run counted from `at`.
fn new_row(
    organization: Uuid,
    name: String,
    (contact_name, contact_email): (String, String),
    data_types: &[DataType],
    schedule: RefreshSchedule,
    at: DateTime<Utc>,
) -> companies::ActiveModel {
    companies::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization),
        name: Set(name),
        description: Set(String::new()),
        contact_name: Set(contact_name),
        contact_email: Set(contact_email),
        requests_financials: Set(data_types.contains(&DataType::Financials)),
        requests_spend_detail: Set(data_types.contains(&DataType::SpendDetail)),
        status: Set(None),
        status_updated_at: Set(None),
        error_code: Set(None),
        error_message: Set(None),
        platform: Set(None),
        refresh_schedule: Set(schedule.as_str().to_owned()),
        next_refresh_at: Set(schedule.after(at)),
        data_updated_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        group_id: Set(None),
    }
}

/// How many entities (beside its own books) a group can have.
pub const MAX_ENTITIES: u64 = 50;

pub(crate) async fn entity_count(
    db: &impl sea_orm::ConnectionTrait,
    group: Uuid,
) -> Result<u64, sea_orm::DbErr> {
    use sea_orm::PaginatorTrait;
    companies::Entity::find()
        .filter(companies::Column::GroupId.eq(group))
        .count(db)
        .await
}

/// Escapes `%`, `_` and the escape character itself for a LIKE pattern.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(escape_like("100%_a\\b"), "100\\%\\_a\\\\b");
    }
}
