//! Sign-in and the credentials behind it: users' passwords and activity, sessions, API
//! keys, and one-time account links (invitations, password resets).
//!
//! Secrets never reach the database: sessions, keys and links are stored as the SHA-256
//! of their random value (hashed by the caller), passwords as argon2id PHC strings.

use chrono::{DateTime, Duration, Utc};
use domain::{OrganizationId, Role, UserId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
    sea_query::{Expr, ExprTrait, Func, LockType},
};
use uuid::Uuid;

use crate::{
    NewEmail, Store,
    emails::queued_email,
    entities::{account_tokens, api_keys, organizations, sessions, users},
};

/// The kinds of one-time account link.
pub mod token_kind {
    /// Sets the first password of an invited user.
    pub const INVITE: &str = "invite";
    /// Replaces a forgotten password.
    pub const RESET: &str = "reset";
}

/// A new session's values.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Why an account link cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TokenRefused {
    #[error("no such link")]
    NotFound,
    #[error("the link has expired")]
    Expired,
    #[error("the link was already used")]
    Used,
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

/// Why a change to a user was refused.
#[derive(Debug, thiserror::Error)]
pub enum UserChangeRefused {
    #[error("no such user")]
    NotFound,
    /// It would leave the organization without an active admin.
    #[error("the organization's last active admin")]
    LastAdmin,
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

/// An API key looked up by the hash of what a caller sent.
#[derive(Debug, Clone)]
pub enum ApiKeyLookup {
    /// Not revoked, and its creator (if it has one) is active.
    Valid(api_keys::Model),
    /// Not revoked, but the user who created it is deactivated: refused until they are
    /// reactivated.
    OwnerDeactivated,
    /// No such key, or it was revoked.
    Unknown,
}

/// An API key as the organization's list shows it.
#[derive(Debug, Clone)]
pub struct ListedApiKey {
    pub key: api_keys::Model,
    /// Whether the user who created it is active (true for a key without a creator).
    /// A key whose creator is deactivated is refused.
    pub owner_active: bool,
}

/// Whether a key's creator is active: a key without one (made on the command line)
/// belongs to no user; a creator who cannot be found counts as deactivated.
fn owner_active(key: &api_keys::Model, creator: Option<&users::Model>) -> bool {
    match (key.created_by, creator) {
        (None, _) => true,
        (Some(_), Some(creator)) => creator.active,
        (Some(_), None) => false,
    }
}

/// An account link with its user and organization.
#[derive(Debug, Clone)]
pub struct AccountLink {
    pub token: account_tokens::Model,
    pub user: users::Model,
    pub organization: organizations::Model,
}

impl Store {
    /// Active users with this email address (in any organization) who have a password,
    /// with their organization, oldest first. Sign-in checks the password against each.
    pub async fn users_signing_in(
        &self,
        email: &str,
    ) -> Result<Vec<(users::Model, organizations::Model)>, sea_orm::DbErr> {
        let found = users::Entity::find()
            .filter(
                Expr::expr(Func::lower(Expr::col(users::Column::Email)))
                    .eq(email.trim().to_lowercase()),
            )
            .filter(users::Column::Active.eq(true))
            .filter(users::Column::PasswordHash.is_not_null())
            .order_by_asc(users::Column::CreatedAt)
            .all(&self.db)
            .await?;
        let mut signing_in = Vec::with_capacity(found.len());
        for user in found {
            if let Some(organization) = organizations::Entity::find_by_id(user.organization_id)
                .one(&self.db)
                .await?
            {
                signing_in.push((user, organization));
            }
        }
        Ok(signing_in)
    }

    /// A user of any organization by id (for a session's or link's user).
    pub async fn user_by_id(&self, id: Uuid) -> Result<Option<users::Model>, sea_orm::DbErr> {
        users::Entity::find_by_id(id).one(&self.db).await
    }

    /// The active user of the organization with this email address.
    pub async fn user_by_email(
        &self,
        organization: OrganizationId,
        email: &str,
    ) -> Result<Option<users::Model>, sea_orm::DbErr> {
        users::Entity::find()
            .filter(users::Column::OrganizationId.eq(organization.as_uuid()))
            .filter(
                Expr::expr(Func::lower(Expr::col(users::Column::Email)))
                    .eq(email.trim().to_lowercase()),
            )
            .one(&self.db)
            .await
    }

    /// Sets a user's password hash directly (the `org create` command, demo users).
    pub async fn set_password(&self, user: UserId, hash: &str) -> Result<(), sea_orm::DbErr> {
        users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::val(hash))
            .filter(users::Column::Id.eq(user.as_uuid()))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Starts a session for `user` and notes the sign-in.
    pub async fn create_session(
        &self,
        user: &users::Model,
        new: NewSession,
    ) -> Result<sessions::Model, sea_orm::DbErr> {
        let at = self.now();
        let txn = self.db.begin().await?;
        let session = sessions::ActiveModel {
            id: Set(Uuid::now_v7()),
            token_hash: Set(new.token_hash),
            user_id: Set(user.id),
            organization_id: Set(user.organization_id),
            csrf_token: Set(new.csrf_token),
            created_at: Set(at),
            last_seen_at: Set(at),
            expires_at: Set(new.expires_at),
            ip: Set(new.ip),
            user_agent: Set(new.user_agent),
        }
        .insert(&txn)
        .await?;
        users::Entity::update_many()
            .col_expr(users::Column::LastSignInAt, Expr::val(at))
            .filter(users::Column::Id.eq(user.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(session)
    }

    /// The session with this token hash and its user, if both are still valid at `at`:
    /// not past its absolute end, not idle longer than `idle`, the user active.
    /// An expired session is deleted on the way.
    pub async fn live_session(
        &self,
        token_hash: &str,
        at: DateTime<Utc>,
        idle: Duration,
    ) -> Result<Option<(sessions::Model, users::Model)>, sea_orm::DbErr> {
        let Some(session) = sessions::Entity::find()
            .filter(sessions::Column::TokenHash.eq(token_hash))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        if session.expires_at <= at || session.last_seen_at + idle <= at {
            self.end_session(session.id).await?;
            return Ok(None);
        }
        let Some(user) = self.user_by_id(session.user_id).await? else {
            return Ok(None);
        };
        if !user.active {
            return Ok(None);
        }
        // At most one write a minute per session, not one per request.
        if session.last_seen_at + Duration::minutes(1) <= at {
            sessions::Entity::update_many()
                .col_expr(sessions::Column::LastSeenAt, Expr::val(at))
                .filter(sessions::Column::Id.eq(session.id))
                .exec(&self.db)
                .await?;
        }
        Ok(Some((session, user)))
    }

    pub async fn end_session(&self, id: Uuid) -> Result<(), sea_orm::DbErr> {
        sessions::Entity::delete_by_id(id).exec(&self.db).await?;
        Ok(())
    }

    /// Stores a new API key (its hash and visible prefix).
    pub async fn create_api_key(
        &self,
        organization: OrganizationId,
        name: &str,
        prefix: &str,
        key_hash: &str,
        created_by: Option<UserId>,
    ) -> Result<api_keys::Model, sea_orm::DbErr> {
        api_keys::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(organization.as_uuid()),
            name: Set(name.to_owned()),
            prefix: Set(prefix.to_owned()),
            key_hash: Set(key_hash.to_owned()),
            created_by: Set(created_by.map(|u| u.as_uuid())),
            created_at: Set(self.now()),
            last_used_at: Set(None),
            revoked_at: Set(None),
        }
        .insert(&self.db)
        .await
    }

    /// The organization's API keys, newest first (revoked ones too), each with whether
    /// its creator is active.
    pub async fn api_keys(
        &self,
        organization: OrganizationId,
    ) -> Result<Vec<ListedApiKey>, sea_orm::DbErr> {
        let keys = api_keys::Entity::find()
            .filter(api_keys::Column::OrganizationId.eq(organization.as_uuid()))
            .order_by_desc(api_keys::Column::CreatedAt)
            .find_also_related(users::Entity)
            .all(&self.db)
            .await?;
        Ok(keys
            .into_iter()
            .map(|(key, creator)| ListedApiKey {
                owner_active: owner_active(&key, creator.as_ref()),
                key,
            })
            .collect())
    }

    /// The unrevoked key with this hash, noting its use (at most once a minute). The
    /// same query reads whether the key's creator is still active: a deactivated
    /// user's keys are refused (and work again once the user is reactivated).
    pub async fn use_api_key(
        &self,
        key_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<ApiKeyLookup, sea_orm::DbErr> {
        let Some((key, creator)) = api_keys::Entity::find()
            .filter(api_keys::Column::KeyHash.eq(key_hash))
            .filter(api_keys::Column::RevokedAt.is_null())
            .find_also_related(users::Entity)
            .one(&self.db)
            .await?
        else {
            return Ok(ApiKeyLookup::Unknown);
        };
        if !owner_active(&key, creator.as_ref()) {
            return Ok(ApiKeyLookup::OwnerDeactivated);
        }
        if key
            .last_used_at
            .is_none_or(|used| used + Duration::minutes(1) <= at)
        {
            api_keys::Entity::update_many()
                .col_expr(api_keys::Column::LastUsedAt, Expr::val(at))
                .filter(api_keys::Column::Id.eq(key.id))
                .exec(&self.db)
                .await?;
        }
        Ok(ApiKeyLookup::Valid(key))
    }

    /// Revokes a key of the organization; `None` when there is no such key.
    pub async fn revoke_api_key(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<api_keys::Model>, sea_orm::DbErr> {
        let at = self.now();
        api_keys::Entity::update_many()
            .col_expr(api_keys::Column::RevokedAt, Expr::val(at))
            .filter(api_keys::Column::Id.eq(id))
            .filter(api_keys::Column::OrganizationId.eq(organization.as_uuid()))
            .filter(api_keys::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await?;
        api_keys::Entity::find_by_id(id)
            .filter(api_keys::Column::OrganizationId.eq(organization.as_uuid()))
            .one(&self.db)
            .await
    }

    /// Makes a one-time account link for `user` and queues its email, in one
    /// transaction; earlier unused links of the same kind stop working.
    pub async fn create_account_link(
        &self,
        user: &users::Model,
        kind: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        email: NewEmail,
    ) -> Result<account_tokens::Model, sea_orm::DbErr> {
        let at = self.now();
        let txn = self.db.begin().await?;
        account_tokens::Entity::delete_many()
            .filter(account_tokens::Column::UserId.eq(user.id))
            .filter(account_tokens::Column::Kind.eq(kind))
            .filter(account_tokens::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        let token = account_tokens::ActiveModel {
            id: Set(Uuid::now_v7()),
            token_hash: Set(token_hash.to_owned()),
            user_id: Set(user.id),
            kind: Set(kind.to_owned()),
            created_at: Set(at),
            expires_at: Set(expires_at),
            used_at: Set(None),
        }
        .insert(&txn)
        .await?;
        queued_email(
            OrganizationId::from_uuid(user.organization_id),
            None,
            None,
            email,
            at,
        )
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(token)
    }

    /// The account link with this hash, if it can still be used.
    pub async fn account_link(
        &self,
        token_hash: &str,
        kind: &str,
    ) -> Result<AccountLink, TokenRefused> {
        let token = account_tokens::Entity::find()
            .filter(account_tokens::Column::TokenHash.eq(token_hash))
            .filter(account_tokens::Column::Kind.eq(kind))
            .one(&self.db)
            .await?
            .ok_or(TokenRefused::NotFound)?;
        if token.used_at.is_some() {
            return Err(TokenRefused::Used);
        }
        if token.expires_at <= self.now() {
            return Err(TokenRefused::Expired);
        }
        let user = self
            .user_by_id(token.user_id)
            .await?
            .filter(|u| u.active)
            .ok_or(TokenRefused::NotFound)?;
        let organization = organizations::Entity::find_by_id(user.organization_id)
            .one(&self.db)
            .await?
            .ok_or(TokenRefused::NotFound)?;
        Ok(AccountLink {
            token,
            user,
            organization,
        })
    }

    /// Uses an account link once: sets the user's password (and name, for an
    /// invitation) and ends every session the user had, in one transaction.
    pub async fn redeem_account_link(
        &self,
        token_hash: &str,
        kind: &str,
        password_hash: &str,
        name: Option<&str>,
    ) -> Result<users::Model, TokenRefused> {
        let link = self.account_link(token_hash, kind).await?;
        let at = self.now();
        let txn = self.db.begin().await?;
        let used = account_tokens::Entity::update_many()
            .col_expr(account_tokens::Column::UsedAt, Expr::val(at))
            .filter(account_tokens::Column::Id.eq(link.token.id))
            .filter(account_tokens::Column::UsedAt.is_null())
            .filter(account_tokens::Column::ExpiresAt.gt(at))
            .exec(&txn)
            .await?;
        if used.rows_affected != 1 {
            return Err(TokenRefused::Used);
        }
        let mut update = users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::val(password_hash))
            .filter(users::Column::Id.eq(link.user.id));
        if let Some(name) = name {
            update = update.col_expr(users::Column::Name, Expr::val(name));
        }
        update.exec(&txn).await?;
        sessions::Entity::delete_many()
            .filter(sessions::Column::UserId.eq(link.user.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(self.user_by_id(link.user.id).await?.unwrap_or(link.user))
    }

    /// Changes a user's role or active flag. Deactivating ends the user's sessions
    /// (and stops the API keys they created: see [`Store::use_api_key`]).
    /// Refused when it would leave the organization without an active admin.
    ///
    /// The check and the change hold the organization's lock ([`lock_users`]) until
    /// the transaction ends (inside a request's scope: until the request commits), so
    /// two admins demoting or deactivating each other at once cannot both pass the
    /// check: the second one waits, then counts the admins the first one left.
    pub async fn change_user(
        &self,
        organization: OrganizationId,
        id: UserId,
        role: Option<Role>,
        active: Option<bool>,
    ) -> Result<users::Model, UserChangeRefused> {
        let txn = self.db.begin().await?;
        lock_users(&txn, organization).await?;
        let user = users::Entity::find_by_id(id.as_uuid())
            .filter(users::Column::OrganizationId.eq(organization.as_uuid()))
            .one(&txn)
            .await?
            .ok_or(UserChangeRefused::NotFound)?;
        let was_admin = user.active && user.role == Role::Admin.as_str();
        let stays_admin = active.unwrap_or(user.active)
            && role.map_or(user.role == Role::Admin.as_str(), |r| r == Role::Admin);
        if was_admin && !stays_admin {
            let admins = users::Entity::find()
                .filter(users::Column::OrganizationId.eq(organization.as_uuid()))
                .filter(users::Column::Role.eq(Role::Admin.as_str()))
                .filter(users::Column::Active.eq(true))
                .count(&txn)
                .await?;
            if admins <= 1 {
                return Err(UserChangeRefused::LastAdmin);
            }
        }
        let mut update = users::Entity::update_many().filter(users::Column::Id.eq(user.id));
        if let Some(role) = role {
            update = update.col_expr(users::Column::Role, Expr::val(role.as_str()));
        }
        if let Some(active) = active {
            update = update.col_expr(users::Column::Active, Expr::val(active));
            if !active {
                sessions::Entity::delete_many()
                    .filter(sessions::Column::UserId.eq(user.id))
                    .exec(&txn)
                    .await?;
            }
        }
        update.exec(&txn).await?;
        txn.commit().await?;
        self.user_by_id(user.id)
            .await?
            .ok_or(UserChangeRefused::NotFound)
    }
}

/// Takes the lock that serializes changes to an organization's users' roles and
/// active flags, until the outermost transaction around `txn` ends. On PostgreSQL a
/// row lock on the organization (`FOR NO KEY UPDATE`: it does not block inserts that
/// reference the organization, whose foreign-key checks take `FOR KEY SHARE`); on
/// SQLite, which has one writer at a time, a write that changes nothing, so the
/// transaction holds the database's write lock before it reads anything (a deferred
/// transaction that read first could not take the lock later without failing with
/// `SQLITE_BUSY`).
async fn lock_users(
    txn: &DatabaseTransaction,
    organization: OrganizationId,
) -> Result<(), sea_orm::DbErr> {
    if txn.get_database_backend() == DbBackend::Sqlite {
        organizations::Entity::update_many()
            .col_expr(
                organizations::Column::Name,
                Expr::col(organizations::Column::Name),
            )
            .filter(organizations::Column::Id.eq(organization.as_uuid()))
            .exec(txn)
            .await?;
    } else {
        organizations::Entity::find_by_id(organization.as_uuid())
            .lock(LockType::NoKeyUpdate)
            .one(txn)
            .await?;
    }
    Ok(())
}
