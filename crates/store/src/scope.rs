//! Organization scopes: on PostgreSQL, row-level security behind the store's own
//! `organization_id` filters.
//!
//! Every tenant table has a policy (migration `m20261129_000011_row_level_security`)
//! that shows a row only when the session setting `spendlens.organization_id` is the
//! row's organization, or `*`. The store's pool sets `*` when it opens a connection
//! (workers, sign-in and other cross-organization work); a request acting for one
//! organization runs in a [`Store::scoped`] transaction that sets the organization
//! with `set_config(…, true)`, so a query that forgot its filter still sees only that
//! organization's rows, and the setting ends with the transaction. A connection opened
//! by anything else sees no tenant rows at all.
//!
//! Inside a scope every `begin()` of the store's methods becomes a savepoint, so a
//! statement expected to fail (a unique or foreign-key violation that is retried) does
//! not abort the request's transaction.
//!
//! SQLite has no row-level security: there a scope is the plain store, and isolation
//! rests on the organization filters alone.

use std::{future::Future, pin::Pin, sync::Arc};

use domain::OrganizationId;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    ExecResult, IsolationLevel, QueryResult, Statement, TransactionError, TransactionOptions,
    TransactionTrait,
};

use crate::Store;

/// Around the lookups of [`Store::with_generic_plans`].
pub(crate) const GENERIC_PLANS: &str = "SET LOCAL plan_cache_mode = force_generic_plan";
pub(crate) const DEFAULT_PLANS: &str = "SET LOCAL plan_cache_mode = DEFAULT";

/// The session setting the row-level security policies read.
pub const ORGANIZATION_SETTING: &str = "spendlens.organization_id";
/// Its value on the store's own pool: every organization.
pub const ALL_ORGANIZATIONS: &str = "*";

/// Where a store's statements go: the pool, or one organization's transaction.
#[derive(Clone, Debug)]
pub(crate) enum Db {
    Pool(DatabaseConnection),
    Scoped(Arc<DatabaseTransaction>),
}

/// Why a scope could not end.
#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    /// A copy of the scoped store outlived the request (a bug): its work is rolled back.
    #[error("the organization's transaction is still in use")]
    StillInUse,
    #[error(transparent)]
    Database(#[from] DbErr),
}

impl Store {
    /// A store whose statements run in one transaction acting for `organization` (on
    /// PostgreSQL; elsewhere the store itself). End it with [`Store::end_scope`].
    pub async fn scoped(&self, organization: OrganizationId) -> Result<Store, DbErr> {
        if self.pool.get_database_backend() != DbBackend::Postgres {
            return Ok(self.clone());
        }
        let txn = self.pool.begin().await?;
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT set_config($1, $2, true)",
            [
                ORGANIZATION_SETTING.into(),
                organization.as_uuid().to_string().into(),
            ],
        ))
        .await?;
        Ok(Store {
            db: Db::Scoped(Arc::new(txn)),
            ..self.clone()
        })
    }

    /// The PostgreSQL role this store connects as, when it skips row-level security (a
    /// superuser or a `BYPASSRLS` role); `None` when the policies bind it, or on SQLite.
    pub async fn role_bypassing_row_security(&self) -> Result<Option<String>, DbErr> {
        if self.pool.get_database_backend() != DbBackend::Postgres {
            return Ok(None);
        }
        let row = self
            .pool
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT rolname::text AS name FROM pg_roles \
                  WHERE rolname = current_user AND (rolsuper OR rolbypassrls)",
            ))
            .await?;
        row.map(|row| row.try_get::<String>("", "name")).transpose()
    }

    /// What [`Store::scoped`] and [`Store::end_scope`] send on PostgreSQL, values
    /// inlined: the statements before and after a request's own, for benchmarks that
    /// run a request's SQL outside the server (pgbench).
    pub fn scope_statements(organization: OrganizationId) -> (Vec<String>, Vec<String>) {
        (
            vec![
                "BEGIN".to_owned(),
                format!("SELECT set_config('{ORGANIZATION_SETTING}', '{organization}', true)"),
            ],
            vec!["COMMIT".to_owned()],
        )
    }

    /// Runs `statement` with PostgreSQL's generic plan, when this store is an
    /// organization's transaction on PostgreSQL (elsewhere it just runs it): for a
    /// statement whose best plan does not depend on its values, so that each connection
    /// plans it once instead of on every call. The setting is `LOCAL` and put back
    /// afterwards, so the statements around it still get plans for their own values.
    pub(crate) async fn with_generic_plans<T, F>(&self, statement: F) -> Result<T, DbErr>
    where
        F: Future<Output = Result<T, DbErr>>,
    {
        let scoped = matches!(self.db, Db::Scoped(_)) && self.backend() == DbBackend::Postgres;
        if !scoped {
            return statement.await;
        }
        self.db.execute_unprepared(GENERIC_PLANS).await?;
        let result = statement.await?;
        self.db.execute_unprepared(DEFAULT_PLANS).await?;
        Ok(result)
    }

    /// Commits (or rolls back) a scope made by [`Store::scoped`]; a no-op for an
    /// unscoped store. Every other copy of the scoped store must be gone by then.
    pub async fn end_scope(self, commit: bool) -> Result<(), ScopeError> {
        let Db::Scoped(txn) = self.db else {
            return Ok(());
        };
        let txn = Arc::try_unwrap(txn).map_err(|_| ScopeError::StillInUse)?;
        if commit {
            txn.commit().await?;
        } else {
            txn.rollback().await?;
        }
        Ok(())
    }
}

macro_rules! delegate {
    ($self:ident, $db:ident => $call:expr) => {
        match $self {
            Db::Pool($db) => $call,
            Db::Scoped(txn) => {
                let $db = txn.as_ref();
                $call
            }
        }
    };
}

#[async_trait::async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        delegate!(self, db => db.get_database_backend())
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        delegate!(self, db => db.execute_raw(stmt).await)
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        delegate!(self, db => db.execute_unprepared(sql).await)
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        delegate!(self, db => db.query_one_raw(stmt).await)
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        delegate!(self, db => db.query_all_raw(stmt).await)
    }
}

#[async_trait::async_trait]
impl TransactionTrait for Db {
    type Transaction = DatabaseTransaction;

    async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        delegate!(self, db => db.begin().await)
    }

    async fn begin_with_config(
        &self,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<DatabaseTransaction, DbErr> {
        delegate!(self, db => db.begin_with_config(isolation_level, access_mode).await)
    }

    async fn begin_with_options(
        &self,
        options: TransactionOptions,
    ) -> Result<DatabaseTransaction, DbErr> {
        delegate!(self, db => db.begin_with_options(options).await)
    }

    async fn transaction<F, T, E>(&self, callback: F) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(
                &'c DatabaseTransaction,
            ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>
            + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        delegate!(self, db => db.transaction(callback).await)
    }

    async fn transaction_with_config<F, T, E>(
        &self,
        callback: F,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(
                &'c DatabaseTransaction,
            ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>
            + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        delegate!(self, db => db.transaction_with_config(callback, isolation_level, access_mode).await)
    }
}
