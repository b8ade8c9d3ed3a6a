//! Token buckets shared by every process: one row per limited resource (e.g. an
//! upstream API), refilled by the database's clock so that workers on machines with
//! different clocks agree.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::Store;

/// A bucket: `rate` tokens per second, holding at most `burst`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub rate: f64,
    pub burst: f64,
}

impl Store {
    /// Takes one token from the bucket `key`, creating it full on first use.
    /// `None`: taken, go ahead. `Some(wait)`: the bucket is empty; try again after `wait`.
    ///
    /// One atomic `UPDATE` per call, so any number of processes share the bucket.
    pub async fn take_token(
        &self,
        key: &str,
        limit: RateLimit,
    ) -> Result<Option<Duration>, sea_orm::DbErr> {
        let backend = self.backend();
        let (now, least, p) = match backend {
            DbBackend::Postgres => (
                "extract(epoch from clock_timestamp())::float8",
                "least",
                ["$1", "$2", "$3"],
            ),
            _ => (
                "((julianday('now') - 2440587.5) * 86400.0)",
                "min",
                ["?1", "?2", "?3"],
            ),
        };
        // On PostgreSQL the take commits without waiting for its WAL to reach the disk
        // (`synchronous_commit` off, for this one statement's transaction): a bucket is a
        // pacing hint, and a crash that forgets its last fraction of a second costs a
        // few extra tokens once, while waiting for the disk on every token held a bulk
        // refresh to the disk's commit rate (docs/benchmarks.md, "Xero").
        let clock = match backend {
            DbBackend::Postgres => format!(
                "SELECT {now} AS t, set_config('synchronous_commit', 'off', true) AS commit_mode"
            ),
            _ => format!("SELECT {now} AS t"),
        };
        let [key_p, rate_p, burst_p] = p;
        let values =
            || -> Vec<sea_orm::Value> { vec![key.into(), limit.rate.into(), limit.burst.into()] };
        let taken = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "UPDATE rate_limits SET \
                       tokens = {least}({burst_p}, tokens + (clock.t - refilled_at) * {rate_p}) - 1, \
                       refilled_at = clock.t \
                     FROM ({clock}) AS clock \
                     WHERE key = {key_p} \
                       AND {least}({burst_p}, tokens + (clock.t - refilled_at) * {rate_p}) >= 1 \
                     RETURNING tokens"
                ),
                values(),
            ))
            .await?;
        if taken.is_some() {
            return Ok(None);
        }
        // Empty, or not there yet: create it full (a no-op when it exists) and wait for
        // one token's worth of refill.
        let created = self
            .db
            .execute_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "INSERT INTO rate_limits (key, tokens, refilled_at) \
                     SELECT {key_p}, {burst_p}, {now} \
                     WHERE {rate_p} > 0 \
                     ON CONFLICT (key) DO NOTHING"
                ),
                values(),
            ))
            .await?;
        if created.rows_affected() == 1 {
            return Box::pin(self.take_token(key, limit)).await;
        }
        Ok(Some(Duration::from_secs_f64(1.0 / limit.rate.max(0.001))))
    }

    /// Deletes the buckets untouched for `idle` (by the database's clock). Every bucket
    /// here refills within an hour, so one idle for a day is full: deleting it changes
    /// nothing (the next take makes it again, full), and the table holds only the
    /// recently limited keys, however many addresses someone tries.
    pub async fn prune_rate_limits(&self, idle: Duration) -> Result<u64, sea_orm::DbErr> {
        let backend = self.backend();
        let (now, p) = match backend {
            DbBackend::Postgres => ("extract(epoch from clock_timestamp())::float8", "$1"),
            _ => ("((julianday('now') - 2440587.5) * 86400.0)", "?1"),
        };
        let deleted = self
            .db
            .execute_raw(Statement::from_sql_and_values(
                backend,
                format!("DELETE FROM rate_limits WHERE refilled_at < {now} - {p}"),
                [idle.as_secs_f64().into()],
            ))
            .await?;
        Ok(deleted.rows_affected())
    }
}
