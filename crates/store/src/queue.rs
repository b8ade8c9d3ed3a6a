//! The claim that makes a table a leased work queue (`refresh_jobs`, `outgoing_emails`).
//!
//! A queue table has `state`, `run_at`, `attempts`, `lease_owner` and
//! `lease_expires_at`. A row is claimable when it is `queued` and due, or when it is
//! active but its holder's lease expired (the holder died). Claiming moves it to the
//! active state under a new lease in one statement.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{DbBackend, DbErr, EntityTrait, Statement};

use crate::Store;

/// A queue table and the state a claimed row takes.
pub(crate) struct Queue {
    pub table: &'static str,
    /// The state of a row waiting its turn, and of a claimed row (its enum's `as_str`).
    pub queued_state: &'static str,
    pub active_state: &'static str,
    /// Also set `started_at` to the claim time.
    pub stamps_start: bool,
    /// A row whose holder died is taken over only while it has had fewer attempts; past
    /// that it is left to the watchdog, which fails it (a job that kills its workers).
    pub max_attempts: Option<i32>,
    /// Share the queue fairly between the owners in this column (the organization):
    /// see [`claim_statement`].
    pub fair_by: Option<&'static str>,
}

/// `UPDATE … RETURNING *` claiming up to `limit` claimable rows for `owner` until
/// `expires`: first rows whose holder's lease expired (oldest lease first), then queued
/// rows that are due (oldest `run_at` first).
///
/// A fair queue (`fair_by`) takes, before the oldest due rows, the oldest due row of each
/// owner (organization) with queued rows, owners with the fewest active rows first (then
/// the longest waiting): one organization's 20,000 queued refreshes then delay another's
/// single refresh by one job's run at most, not by the whole drain. The owners are found
/// by a skip scan of the `(owner, run_at) WHERE queued` index (one probe per owner), so
/// this costs the same whatever the queue's length; it grows with the number of owners
/// that have rows queued.
///
/// Two ordered probes instead of one `OR`: each walks a partial index and stops at the
/// first rows it can take, so a claim costs the same with 100 or 100,000 jobs queued.
/// PostgreSQL: `FOR UPDATE SKIP LOCKED` lets any number of workers claim without waiting
/// on each other. SQLite has one writer at a time, so the statement is atomic as is.
///
/// PostgreSQL: the claim commits asynchronously (`synchronous_commit` off for the
/// transaction it runs in, through `set_config(…, true)`): it does not wait for the
/// WAL flush, so a job costs one flush (its finish) instead of two. A claim lost in a
/// database crash leaves the row claimable, exactly as when its holder dies: the holder's
/// finish then fails its lease check (the finish is synchronous and flushes the claim's
/// WAL before it), so nothing is lost and a job runs at most once more.
pub(crate) fn claim_statement(
    backend: DbBackend,
    queue: &Queue,
    owner: &str,
    at: DateTime<Utc>,
    expires: DateTime<Utc>,
    limit: u32,
) -> Statement {
    let Queue {
        table,
        queued_state,
        active_state,
        stamps_start,
        max_attempts,
        fair_by,
    } = queue;
    let below_limit = match max_attempts {
        Some(max) => format!(" AND attempts < {max}"),
        None => String::new(),
    };
    let limit = limit.max(1);
    let (p, lock, async_commit) = match backend {
        DbBackend::Postgres => (
            ["$1", "$2", "$3"],
            " FOR UPDATE SKIP LOCKED",
            " AND (SELECT set_config('synchronous_commit', 'off', true)) = 'off'",
        ),
        _ => (["?1", "?2", "?3"], "", ""),
    };
    let [at_p, owner_p, expires_p] = p;
    let started = if *stamps_start {
        format!("started_at = {at_p}, ")
    } else {
        String::new()
    };
    // `heads`: one oldest due row per owner, locked; owners with the fewest active rows
    // first. The oldest due rows come after them, the heads left out.
    let (heads, heads_first, not_a_head) = match fair_by {
        Some(owner_column) => (
            format!(
                "WITH RECURSIVE owners(owner) AS ( \
                   SELECT (SELECT {owner_column} FROM {table} WHERE state = '{queued_state}' \
                           ORDER BY {owner_column} LIMIT 1) \
                   UNION ALL \
                   SELECT (SELECT {owner_column} FROM {table} WHERE state = '{queued_state}' \
                           AND {owner_column} > owners.owner ORDER BY {owner_column} LIMIT 1) \
                   FROM owners WHERE owners.owner IS NOT NULL), \
                 heads(id) AS ( \
                   SELECT candidates.id FROM ( \
                     SELECT (SELECT id FROM {table} \
                             WHERE state = '{queued_state}' AND {owner_column} = owners.owner \
                               AND run_at <= {at_p} \
                             ORDER BY run_at LIMIT 1{lock}) AS id, \
                            (SELECT count(*) FROM {table} \
                             WHERE state = '{active_state}' AND {owner_column} = owners.owner) AS active \
                     FROM owners WHERE owners.owner IS NOT NULL) AS candidates \
                   JOIN {table} AS head ON head.id = candidates.id \
                   ORDER BY candidates.active, head.run_at LIMIT {limit}) "
            ),
            "SELECT id FROM heads UNION ALL ",
            " AND id NOT IN (SELECT id FROM heads)",
        ),
        None => (String::new(), "", ""),
    };
    Statement::from_sql_and_values(
        backend,
        format!(
            "{heads}UPDATE {table} SET state = '{active_state}', attempts = attempts + 1, \
               {started}lease_owner = {owner_p}, lease_expires_at = {expires_p} \
             WHERE id IN ( \
               SELECT id FROM ( \
                 SELECT id FROM {table} \
                 WHERE state = '{active_state}' AND lease_expires_at < {at_p}{below_limit} \
                 ORDER BY lease_expires_at LIMIT {limit}{lock}) AS expired \
               UNION ALL \
               {heads_first}SELECT id FROM ( \
                 SELECT id FROM {table} \
                 WHERE state = '{queued_state}' AND run_at <= {at_p}{not_a_head} \
                 ORDER BY run_at LIMIT {limit}{lock}) AS due \
               LIMIT {limit}){async_commit} \
             RETURNING *"
        ),
        [at.into(), owner.into(), expires.into()],
    )
}

impl Store {
    /// Claims up to `limit` claimable rows of `queue` (entity `E`) for `owner`, leased
    /// until `lease` after `at`.
    pub(crate) async fn claim<E: EntityTrait>(
        &self,
        queue: &Queue,
        owner: &str,
        at: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<E::Model>, DbErr> {
        let statement = claim_statement(self.backend(), queue, owner, at, at + lease, limit);
        E::find().from_raw_sql(statement).all(&self.db).await
    }
}
