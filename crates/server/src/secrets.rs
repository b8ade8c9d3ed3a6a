//! Random secrets (link tokens, session ids, API keys) and what is stored instead of them.

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use std::{sync::LazyLock, time::Duration};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

/// Every API key starts with this, so a leaked one is easy to recognise.
pub const API_KEY_PREFIX: &str = "slk_";

/// 256 random bits, URL-safe: 43 characters.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new API key and its prefix (shown in lists): `slk_` and 256 random bits.
pub fn new_api_key() -> (String, String) {
    let key = format!("{API_KEY_PREFIX}{}", new_token());
    let prefix = key.chars().take(API_KEY_PREFIX.len() + 6).collect();
    (key, prefix)
}

/// What is stored instead of a token: its SHA-256, hex. A 256-bit random token needs
/// no slow hash; a leaked table gives no usable token.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Equal without telling, by timing, how much of it was equal.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How long a password check waits for a free hashing slot before giving up: past it the
/// server is flooded with sign-ins, and the caller is told to try again.
const HASH_WAIT: Duration = Duration::from_secs(10);

/// Each argon2 hash takes 19 MiB and a core for tens of milliseconds: at most this many
/// run at once in the process (one per two cores, at least one), the rest wait their
/// turn, so a flood of sign-ins keeps memory flat and leaves the other requests cores.
fn hashing_slots() -> &'static Semaphore {
    static SLOTS: LazyLock<Semaphore> = LazyLock::new(|| {
        Semaphore::new(
            (std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(2)
                / 2)
            .max(1),
        )
    });
    &SLOTS
}

/// Every hashing slot stayed taken for [`HASH_WAIT`].
#[derive(Debug, thiserror::Error)]
#[error("too many passwords are being checked at once")]
pub struct HashingBusy;

/// argon2id (the crate's defaults: 19 MiB, 2 passes) PHC string, off the async threads,
/// in a hashing slot.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    let _slot = hashing_slots().acquire().await?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow::anyhow!("cannot hash a password: {e}"))
    })
    .await?
}

/// Whether `password` matches the PHC string `hash`, off the async threads, in a
/// hashing slot: [`HashingBusy`] when none came free within [`HASH_WAIT`].
pub async fn verify_password(password: String, hash: String) -> Result<bool, HashingBusy> {
    let _slot = tokio::time::timeout(HASH_WAIT, hashing_slots().acquire())
        .await
        .map_err(|_| HashingBusy)?
        .map_err(|_| HashingBusy)?;
    Ok(tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_url_safe() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(token_hash(&a).len(), 64);
        assert!(constant_time_eq(&a, &a.clone()));
        assert!(!constant_time_eq(&a, &b));
    }

    #[tokio::test]
    async fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse battery".to_owned())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            verify_password("correct horse battery".to_owned(), hash.clone())
                .await
                .unwrap()
        );
        assert!(
            !verify_password("wrong horse battery".to_owned(), hash)
                .await
                .unwrap()
        );
    }
}
