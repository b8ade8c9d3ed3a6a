//! The claim that makes a table a leased work queue (`refresh_jobs`, `outgoing_emails`).
//!
//! A queue table has `state`, `run_at`, `attempts`, `lease_owner` and
//! `lease_expires_at`. A row is claimable when it is `queued` and due, or when it is
//! active but its holder's lease expired (the holder died). Claiming moves it to the
//! active state under a new lease in one statement.

use chrono::{DateTime, Utc};
use sea_orm::{DbBackend, Statement};

/// A queue table and the state a claimed row takes.
pub(crate) struct Queue {
    pub table: &'static str,
    pub active_state: &'static str,
    /// Also set `started_at` to the claim time.
    pub stamps_start: bool,
    /// A row whose holder died is taken over only while it has had fewer attempts; past
    /// that it is left to the watchdog, which fails it (a job that kills its workers).
    pub max_attempts: Option<i32>,
}

/// `UPDATE … RETURNING *` claiming the oldest claimable row for `owner` until `expires`.
///
/// PostgreSQL: `FOR UPDATE SKIP LOCKED` lets any number of workers claim without waiting
/// on each other. SQLite has one writer at a time, so the statement is atomic as is.
pub(crate) fn claim_statement(
    backend: DbBackend,
    queue: &Queue,
    owner: &str,
    at: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Statement {
    let Queue {
        table,
        active_state,
        stamps_start,
        max_attempts,
    } = queue;
    let below_limit = match max_attempts {
        Some(max) => format!(" AND attempts < {max}"),
        None => String::new(),
    };
    match backend {
        DbBackend::Postgres => {
            let started = if *stamps_start {
                "started_at = $1, "
            } else {
                ""
            };
            Statement::from_sql_and_values(
                backend,
                format!(
                    "UPDATE {table} SET state = '{active_state}', attempts = attempts + 1, \
                       {started}lease_owner = $2, lease_expires_at = $3 \
                     WHERE id = ( \
                       SELECT id FROM {table} \
                       WHERE (state = 'queued' AND run_at <= $1) \
                          OR (state = '{active_state}' AND lease_expires_at < $1{below_limit}) \
                       ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
                     RETURNING *"
                ),
                [at.into(), owner.into(), expires.into()],
            )
        }
        _ => {
            let started = if *stamps_start {
                "started_at = ?, "
            } else {
                ""
            };
            let mut values = Vec::with_capacity(5);
            if *stamps_start {
                values.push(at.into());
            }
            values.extend([owner.into(), expires.into(), at.into(), at.into()]);
            Statement::from_sql_and_values(
                backend,
                format!(
                    "UPDATE {table} SET state = '{active_state}', attempts = attempts + 1, \
                       {started}lease_owner = ?, lease_expires_at = ? \
                     WHERE id = ( \
                       SELECT id FROM {table} \
                       WHERE (state = 'queued' AND run_at <= ?) \
                          OR (state = '{active_state}' AND lease_expires_at < ?{below_limit}) \
                       ORDER BY run_at LIMIT 1) \
                     RETURNING *"
                ),
                values,
            )
        }
    }
}
