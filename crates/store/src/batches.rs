//! Bulk refresh: one batch follows the refresh jobs of many companies. A company
//! already refreshing joins the batch with its running job instead of getting a second.

use std::collections::{HashMap, HashSet};

use domain::{CompanyId, OrganizationId, RefreshTrigger};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use crate::{
    CompanyFilter, Store,
    companies::filtered,
    entities::{
        companies, refresh_batch_jobs, refresh_batches,
        refresh_jobs::{self, ACTIVE_STATES, JobState},
    },
    jobs::new_job,
};

/// The filter matches more companies than one batch may refresh (how many it matches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the filter matches {0} companies")]
pub struct TooMany(pub u64);

/// Why a company of a batch got no job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skipped {
    /// The customer has not granted access: send an information request instead.
    NoAccess,
    /// No such company in the organization.
    NotFound,
    /// The data was uploaded from the template: nothing to fetch it from.
    Uploaded,
}

/// How far a batch's jobs are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchProgress {
    pub total: u64,
    pub queued: u64,
    pub running: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub cancelled: u64,
}

/// The companies a batch could not refresh: the first [`SKIPPED_LISTED`], and how many.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchSkips {
    pub listed: Vec<(CompanyId, Skipped)>,
    pub count: u64,
}

/// How many skipped companies a batch lists by id.
pub const SKIPPED_LISTED: usize = 100;

/// Companies handled per round of statements.
const CHUNK: usize = 500;

/// A batch queueing at least this many jobs refreshes the planner's statistics of the
/// job tables before it commits (see [`Store::analyze_jobs`]).
const ANALYZE_AFTER: usize = 5_000;

/// Whether a company with this platform can be refreshed, or why not.
fn refreshable(platform: Option<&str>) -> Result<(), Skipped> {
    match platform {
        None => Err(Skipped::NoAccess),
        Some(crate::UPLOAD_PLATFORM) => Err(Skipped::Uploaded),
        Some(_) => Ok(()),
    }
}

impl BatchSkips {
    fn add(&mut self, company: CompanyId, reason: Skipped) {
        self.count += 1;
        if self.listed.len() < SKIPPED_LISTED {
            self.listed.push((company, reason));
        }
    }
}

impl Store {
    /// Queues a refresh of each listed company (or joins its active one) under a new
    /// batch. Set-based: a few statements per 500 companies, so 100,000 take seconds.
    pub async fn create_refresh_batch(
        &self,
        organization: OrganizationId,
        companies: &[CompanyId],
    ) -> Result<(refresh_batches::Model, BatchSkips), sea_orm::DbErr> {
        let batch = self.new_batch(organization).await?;
        let mut skips = BatchSkips::default();
        let mut seen = HashSet::new();
        let unique: Vec<CompanyId> = companies
            .iter()
            .copied()
            .filter(|c| seen.insert(*c))
            .collect();
        // A group's entities are refreshed with it; each company once.
        let mut queued = HashSet::new();
        for chunk in unique.chunks(CHUNK) {
            let ids = || chunk.iter().map(CompanyId::as_uuid);
            let rows: Vec<(Uuid, Option<String>)> = companies::Entity::find()
                .select_only()
                .column(companies::Column::Id)
                .column(companies::Column::Platform)
                .filter(companies::Column::OrganizationId.eq(organization.as_uuid()))
                .filter(
                    Condition::any()
                        .add(companies::Column::Id.is_in(ids()))
                        .add(companies::Column::GroupId.is_in(ids())),
                )
                .into_tuple()
                .all(&self.db)
                .await?;
            // The companies asked for, in the order asked (skips are reported so),
            // then the entities of the groups among them; each company once.
            let mut found: HashMap<Uuid, Option<String>> = rows.into_iter().collect();
            // `None`: no such company (an entity listed after its group was taken with it).
            let mut asked: Vec<(Uuid, Option<Option<String>>)> = Vec::with_capacity(chunk.len());
            for company in chunk {
                let id = company.as_uuid();
                match found.remove(&id) {
                    None if queued.contains(&id) => {}
                    platform => asked.push((id, platform)),
                }
            }
            let mut entities: Vec<(Uuid, Option<String>)> = found.into_iter().collect();
            entities.sort_by_key(|(id, _)| *id);
            let entities = entities.into_iter().map(|(id, p)| (id, Some(p)));
            let mut connected = Vec::with_capacity(asked.len());
            for (id, platform) in asked.into_iter().chain(entities) {
                if !queued.insert(id) {
                    continue;
                }
                let outcome = match platform {
                    None => Err(Skipped::NotFound),
                    Some(platform) => refreshable(platform.as_deref()),
                };
                match outcome {
                    Ok(()) => connected.push(id),
                    Err(reason) => skips.add(CompanyId::from_uuid(id), reason),
                }
            }
            self.join_batch(organization, batch.id, &connected).await?;
        }
        self.notify_job_queued().await;
        Ok((batch, skips))
    }

    /// Queues a refresh of every company the list would show with `filter` (its sort,
    /// cursor and limit are ignored), unless more than `max` match.
    pub async fn create_refresh_batch_matching(
        &self,
        organization: OrganizationId,
        filter: &CompanyFilter,
        max: u64,
    ) -> Result<Result<(refresh_batches::Model, BatchSkips), TooMany>, sea_orm::DbErr> {
        let groups = filtered(organization, filter)
            .select_only()
            .column(companies::Column::Id)
            .into_query();
        let entities = companies::Entity::find()
            .filter(companies::Column::OrganizationId.eq(organization.as_uuid()))
            .filter(companies::Column::GroupId.in_subquery(groups))
            .count(&self.db)
            .await?;
        let matching = filtered(organization, filter).count(&self.db).await? + entities;
        if matching > max {
            return Ok(Err(TooMany(matching)));
        }
        let batch = self.new_batch(organization).await?;
        let mut skips = BatchSkips::default();
        let mut after: Option<Uuid> = None;
        let mut linked = 0;
        loop {
            let mut page = filtered(organization, filter)
                .select_only()
                .column(companies::Column::Id)
                .column(companies::Column::Platform)
                .order_by_asc(companies::Column::Id)
                .limit(CHUNK as u64);
            if let Some(last) = after {
                page = page.filter(companies::Column::Id.gt(last));
            }
            let rows: Vec<(Uuid, Option<String>)> = page.into_tuple().all(&self.db).await?;
            let Some((last, _)) = rows.last() else {
                break;
            };
            after = Some(*last);
            // The entities of the groups on this page, refreshed with them.
            let entities: Vec<(Uuid, Option<String>)> = companies::Entity::find()
                .select_only()
                .column(companies::Column::Id)
                .column(companies::Column::Platform)
                .filter(companies::Column::OrganizationId.eq(organization.as_uuid()))
                .filter(companies::Column::GroupId.is_in(rows.iter().map(|(id, _)| *id)))
                .into_tuple()
                .all(&self.db)
                .await?;
            let mut connected = Vec::with_capacity(rows.len() + entities.len());
            for (id, platform) in rows.into_iter().chain(entities) {
                match refreshable(platform.as_deref()) {
                    Ok(()) => connected.push(id),
                    Err(reason) => skips.add(CompanyId::from_uuid(id), reason),
                }
            }
            linked += self.join_batch(organization, batch.id, &connected).await?;
        }
        if linked >= ANALYZE_AFTER {
            self.analyze_jobs().await?;
        }
        self.notify_job_queued().await;
        Ok(Ok((batch, skips)))
    }

    /// How many refreshes of the organization wait their turn (`queued`), counted on the
    /// `(organization_id, run_at) WHERE queued` index.
    pub async fn queued_refreshes(
        &self,
        organization: OrganizationId,
    ) -> Result<u64, sea_orm::DbErr> {
        refresh_jobs::Entity::find()
            .filter(refresh_jobs::Column::OrganizationId.eq(organization.as_uuid()))
            .filter(refresh_jobs::Column::State.eq(JobState::Queued))
            .count(&self.db)
            .await
    }

    /// PostgreSQL: `ANALYZE` of the job tables, after a bulk refresh queued many jobs.
    ///
    /// Autovacuum analyzes a table only once it changed by a tenth and its next round
    /// comes (up to a minute). Until then the planner believes the few queued jobs it last
    /// saw, and the workers' claim reads and sorts every queued job instead of walking the
    /// `(state, run_at)` index to the first free ones: with 100,000 jobs queued, 75 ms per
    /// claim instead of under one, which held a bulk refresh to 180 jobs a second
    /// (docs/benchmarks.md, seventh round). In the batch's own transaction, so the
    /// statistics count its jobs and take effect when they become visible.
    async fn analyze_jobs(&self) -> Result<(), sea_orm::DbErr> {
        if self.backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        self.db
            .execute_unprepared("ANALYZE refresh_jobs, refresh_batch_jobs")
            .await?;
        Ok(())
    }

    async fn new_batch(
        &self,
        organization: OrganizationId,
    ) -> Result<refresh_batches::Model, sea_orm::DbErr> {
        refresh_batches::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(organization.as_uuid()),
            created_at: Set(self.now()),
        }
        .insert(&self.db)
        .await
    }

    /// Gives each company a queued job unless it has an active one (the unique partial
    /// index decides, so concurrent refreshes cannot make a second), then links the
    /// companies' active jobs to the batch.
    async fn join_batch(
        &self,
        organization: OrganizationId,
        batch: Uuid,
        companies: &[Uuid],
    ) -> Result<usize, sea_orm::DbErr> {
        if companies.is_empty() {
            return Ok(0);
        }
        let jobs: Vec<refresh_jobs::ActiveModel> = companies
            .iter()
            .map(|company| {
                new_job(
                    organization,
                    CompanyId::from_uuid(*company),
                    RefreshTrigger::Bulk,
                    None,
                    self.now(),
                )
            })
            .collect();
        let company_of: HashMap<Uuid, Uuid> = jobs
            .iter()
            .filter_map(|job| match (job.id.clone().into_value(), &job.company_id) {
                (Some(sea_orm::Value::Uuid(Some(id))), Set(company)) => Some((id, *company)),
                _ => None,
            })
            .collect();
        // The jobs made are the ones the insert returns; their links need no lookup (a
        // lookup by company in a table growing inside this transaction is planned on stale
        // statistics, and scanned the whole table per chunk). Each is `queued` and
        // `batched` (new_job), and nobody else sees it before this transaction commits.
        let made: Vec<Uuid> = refresh_jobs::Entity::insert_many(jobs)
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .exec_with_returning_keys(&self.db)
            .await?;
        let mut links: Vec<(Uuid, JobState)> =
            made.iter().map(|id| (*id, JobState::Queued)).collect();
        if made.len() < companies.len() {
            // The rest already had an active job (the index refused a second): it joins,
            // marked `batched` so that the database copies its next states to the link.
            // The update locks the job, so its state read here is the one a worker's
            // change would start from: that change waits for this commit, and its
            // trigger then sees the link.
            let made: HashSet<Uuid> = made
                .iter()
                .filter_map(|id| company_of.get(id))
                .copied()
                .collect();
            // Locked in id order, so two batches joining the same jobs cannot deadlock.
            let joining: Vec<Uuid> = refresh_jobs::Entity::find()
                .select_only()
                .column(refresh_jobs::Column::Id)
                .filter(
                    refresh_jobs::Column::CompanyId
                        .is_in(companies.iter().filter(|c| !made.contains(c)).copied()),
                )
                .filter(refresh_jobs::Column::State.is_in(ACTIVE_STATES))
                .order_by_asc(refresh_jobs::Column::Id)
                .lock_exclusive()
                .into_tuple()
                .all(&self.db)
                .await?;
            if !joining.is_empty() {
                let joined: Vec<refresh_jobs::Model> = refresh_jobs::Entity::update_many()
                    .col_expr(refresh_jobs::Column::Batched, Expr::value(true))
                    .filter(refresh_jobs::Column::Id.is_in(joining))
                    .exec_with_returning(&self.db)
                    .await?;
                links.extend(joined.into_iter().map(|job| (job.id, job.state)));
            }
        }
        if links.is_empty() {
            return Ok(0);
        }
        let count = links.len();
        refresh_batch_jobs::Entity::insert_many(links.into_iter().map(|(job, state)| {
            refresh_batch_jobs::ActiveModel {
                batch_id: Set(batch),
                job_id: Set(job),
                state: Set(state),
            }
        }))
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(&self.db)
        .await?;
        Ok(count)
    }

    /// A batch of the organization with its progress.
    pub async fn refresh_batch(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<(refresh_batches::Model, BatchProgress)>, sea_orm::DbErr> {
        let Some(batch) = refresh_batches::Entity::find_by_id(id)
            .filter(refresh_batches::Column::OrganizationId.eq(organization.as_uuid()))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        // The links carry their jobs' states (kept by triggers): one index-only count.
        let rows: Vec<(JobState, i64)> = refresh_batch_jobs::Entity::find()
            .select_only()
            .column(refresh_batch_jobs::Column::State)
            .column_as(refresh_batch_jobs::Column::JobId.count(), "count")
            .filter(refresh_batch_jobs::Column::BatchId.eq(batch.id))
            .group_by(refresh_batch_jobs::Column::State)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut progress = BatchProgress::default();
        for (state, count) in rows {
            let count = u64::try_from(count).unwrap_or(0);
            progress.total += count;
            match state {
                JobState::Queued => progress.queued += count,
                JobState::Running => progress.running += count,
                JobState::Succeeded => progress.succeeded += count,
                JobState::Failed => progress.failed += count,
                JobState::Cancelled => progress.cancelled += count,
            }
        }
        Ok(Some((batch, progress)))
    }
}
