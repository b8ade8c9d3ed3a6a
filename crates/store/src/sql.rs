//! SQL helpers every query module may use: recognising constraint violations (which
//! callers turn into answers, or retry) and inserting without aborting a request's
//! transaction when one happens.

use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, DbErr, EntityTrait, IntoActiveModel, TransactionTrait,
};

use crate::{Store, scope::Db};

impl Store {
    /// Inserts `row`; inside a scope in a savepoint, so a constraint violation (which
    /// the caller retries or reports) does not abort the request's transaction.
    pub(crate) async fn insert_guarded<A>(
        &self,
        row: A,
    ) -> Result<<A::Entity as EntityTrait>::Model, DbErr>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send,
        <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    {
        match &self.db {
            Db::Pool(pool) => row.insert(pool).await,
            Db::Scoped(txn) => {
                let savepoint = txn.begin().await?;
                match row.insert(&savepoint).await {
                    Ok(inserted) => {
                        savepoint.commit().await?;
                        Ok(inserted)
                    }
                    Err(err) => {
                        savepoint.rollback().await?;
                        Err(err)
                    }
                }
            }
        }
    }
}

pub(crate) fn is_foreign_key_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_))
    )
}

pub(crate) fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
