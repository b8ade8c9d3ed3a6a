//! The audit log: who (a user, an API key, a customer through their link, or the system)
//! did what, to which company, when, and from which address.

use chrono::{DateTime, Utc};
use domain::{AuditAction, CompanyId, OrganizationId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use crate::{Store, entities::audit_events};

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User {
        id: Uuid,
        email: String,
    },
    ApiKey {
        id: Uuid,
        name: String,
    },
    /// A company's contact, through their information request link.
    Customer {
        email: String,
    },
    /// The service itself (a refresh finishing, a link expiring).
    System,
}

impl Actor {
    fn parts(&self) -> (&'static str, Option<Uuid>, String) {
        match self {
            Actor::User { id, email } => ("user", Some(*id), email.clone()),
            Actor::ApiKey { id, name } => ("api_key", Some(*id), name.clone()),
            Actor::Customer { email } => ("customer", None, email.clone()),
            Actor::System => ("system", None, "Spendlens".to_owned()),
        }
    }
}

/// One entry to append.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub organization: OrganizationId,
    pub actor: Actor,
    pub action: AuditAction,
    pub company: Option<CompanyId>,
    /// What else was acted on (a user's email, an API key's name, a report kind).
    pub target: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<serde_json::Value>,
}

/// Which entries to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub company: Option<CompanyId>,
    pub actor: Option<Uuid>,
    pub action: Option<AuditAction>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Continue after this entry (the last one of the previous page).
    pub cursor: Option<Uuid>,
    pub limit: u64,
}

/// Appends `record`, which happened at `at`, on `db` (a connection or the transaction of
/// the change it records).
pub(crate) async fn append(
    db: &impl ConnectionTrait,
    record: AuditRecord,
    at: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let (kind, actor_id, label) = record.actor.parts();
    audit_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(record.organization.as_uuid()),
        at: Set(at),
        actor_kind: Set(kind.to_owned()),
        actor_id: Set(actor_id),
        actor_label: Set(label.chars().take(254).collect()),
        action: Set(record.action.as_str().to_owned()),
        company_id: Set(record.company.map(|c| c.as_uuid())),
        target: Set(record.target),
        ip: Set(record.ip.map(|ip| ip.chars().take(64).collect())),
        detail: Set(record.detail.map(|d| d.to_string())),
    }
    .insert(db)
    .await?;
    Ok(())
}

impl Store {
    /// Appends one entry to the organization's audit log.
    ///
    /// In its own (sub)transaction, so a failure inside a request's scope leaves the
    /// request's changes to commit.
    pub async fn record_audit(&self, record: AuditRecord) -> Result<(), sea_orm::DbErr> {
        let txn = self.db.begin().await?;
        append(&txn, record, self.now()).await?;
        txn.commit().await
    }

    /// The organization's audit entries matching `filter`, newest first, and the cursor
    /// of the next page.
    pub async fn audit_events(
        &self,
        organization: OrganizationId,
        filter: &AuditFilter,
    ) -> Result<(Vec<audit_events::Model>, Option<Uuid>), sea_orm::DbErr> {
        use audit_events::Column;
        let mut query =
            audit_events::Entity::find().filter(Column::OrganizationId.eq(organization.as_uuid()));
        if let Some(company) = filter.company {
            query = query.filter(Column::CompanyId.eq(company.as_uuid()));
        }
        if let Some(actor) = filter.actor {
            query = query.filter(Column::ActorId.eq(actor));
        }
        if let Some(action) = &filter.action {
            query = query.filter(Column::Action.eq(action.as_str()));
        }
        if let Some(since) = filter.since {
            query = query.filter(Column::At.gte(since));
        }
        if let Some(until) = filter.until {
            query = query.filter(Column::At.lt(until));
        }
        if let Some(cursor) = filter.cursor {
            // Ids are UUIDv7: their order is the order they were written in.
            query = query.filter(Column::Id.lt(cursor));
        }
        let mut rows = query
            .order_by_desc(Column::Id)
            .limit(filter.limit + 1)
            .all(&self.db)
            .await?;
        let next = if rows.len() as u64 > filter.limit {
            rows.truncate(filter.limit as usize);
            rows.last().map(|r| r.id)
        } else {
            None
        };
        Ok((rows, next))
    }
}
