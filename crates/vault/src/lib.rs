//! Secrets at rest: the platforms' OAuth tokens (and anything else that must not sit
//! in the database in clear) are sealed with AES-256-GCM.
//!
//! A [`KeyRing`] holds one active key and any number of older ones. A sealed value is
//! text, `v1.{key id}.{base64url(nonce ‖ ciphertext ‖ tag)}`: the key id (the first
//! 8 bytes of the key's SHA-256, in hex) names the key that opens it, so a ring that
//! still holds the old key opens what it sealed while new values use the new one;
//! `spendlens keys rotate` re-seals everything under the active key, after which the
//! old key can go. Each value is bound to where it is stored (the *context*, e.g.
//! `connections.access_token:{id}`): a ciphertext copied to another row or column does
//! not open there.
//!
//! The key comes from `SPENDLENS_ENCRYPTION_KEY`: 32 bytes in standard base64; older
//! keys follow it, comma-separated.
//!
//! Architecture invariant: nothing here logs, and no error names a secret or a key.

use std::fmt;

use aes_gcm::{
    Aes256Gcm, Key, KeyInit, Nonce,
    aead::{Aead, Payload},
};
use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

const VERSION: &str = "v1";
const NONCE_BYTES: usize = 12;

/// Why a key or a sealed value was refused. No variant carries secret material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error(
        "an encryption key must be 32 bytes in standard base64 (44 characters, e.g. from `openssl rand -base64 32`)"
    )]
    BadKey,
    #[error("no encryption key was given")]
    NoKey,
    #[error("the value is not a sealed secret")]
    Malformed,
    #[error("the value was sealed with key {0}, which the key ring does not hold")]
    UnknownKey(String),
    #[error("the value does not open with its key: it was altered or belongs elsewhere")]
    Tampered,
}

/// A key's public name: the first 8 bytes of its SHA-256, in hex.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct KeyId(String);

impl KeyId {
    fn of(key: &[u8; 32]) -> Self {
        let digest = Sha256::digest(key);
        KeyId(digest[..8].iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.0)
    }
}

struct RingKey {
    id: KeyId,
    cipher: Aes256Gcm,
}

/// The active key (first) and the older ones that may still open values.
pub struct KeyRing {
    keys: Vec<RingKey>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("keys", &self.ids())
            .finish()
    }
}

impl KeyRing {
    /// From `SPENDLENS_ENCRYPTION_KEY`'s form: base64 keys, comma-separated, the active
    /// one first.
    pub fn parse(text: &str) -> Result<Self, VaultError> {
        let mut keys = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bytes = Zeroizing::new(STANDARD.decode(part).map_err(|_| VaultError::BadKey)?);
            let key: [u8; 32] = bytes
                .as_slice()
                .try_into()
                .map_err(|_| VaultError::BadKey)?;
            let key = Zeroizing::new(key);
            keys.push(RingKey {
                id: KeyId::of(&key),
                cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key.as_slice())),
            });
        }
        if keys.is_empty() {
            return Err(VaultError::NoKey);
        }
        Ok(Self { keys })
    }

    /// A fresh random key, in the form [`KeyRing::parse`] reads.
    pub fn generate_key() -> Zeroizing<String> {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(key.as_mut_slice());
        Zeroizing::new(STANDARD.encode(key.as_slice()))
    }

    /// The key new values are sealed with.
    pub fn active(&self) -> &KeyId {
        &self.keys[0].id
    }

    /// Every key's id, the active one first.
    pub fn ids(&self) -> Vec<KeyId> {
        self.keys.iter().map(|k| k.id.clone()).collect()
    }

    /// Seals `secret` for the place `context` names.
    pub fn seal(&self, secret: &str, context: &str) -> String {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = key
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            // AES-GCM fails only on inputs of more than 64 GiB.
            .expect("a secret is small enough to seal");
        let mut sealed = Vec::with_capacity(NONCE_BYTES + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        format!("{VERSION}.{}.{}", key.id, URL_SAFE_NO_PAD.encode(sealed))
    }

    /// Opens what [`KeyRing::seal`] sealed for the same `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Zeroizing<String>, VaultError> {
        let (id, body) = parse_sealed(sealed)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.id.as_str() == id)
            .ok_or_else(|| VaultError::UnknownKey(id.to_owned()))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| VaultError::Malformed)?;
        if bytes.len() < NONCE_BYTES + 16 {
            return Err(VaultError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let plain = Zeroizing::new(
            key.cipher
                .decrypt(
                    Nonce::from_slice(nonce),
                    Payload {
                        msg: ciphertext,
                        aad: context.as_bytes(),
                    },
                )
                .map_err(|_| VaultError::Tampered)?,
        );
        let text = std::str::from_utf8(&plain).map_err(|_| VaultError::Tampered)?;
        Ok(Zeroizing::new(text.to_owned()))
    }

    /// Whether `sealed` is under an older key than the active one.
    pub fn needs_rotation(&self, sealed: &str) -> bool {
        parse_sealed(sealed).is_ok_and(|(id, _)| id != self.active().as_str())
    }

    /// `sealed` opened and sealed again under the active key (for `keys rotate`).
    pub fn reseal(&self, sealed: &str, context: &str) -> Result<String, VaultError> {
        let secret = self.open(sealed, context)?;
        Ok(self.seal(&secret, context))
    }
}

/// The key id and body of a sealed value.
fn parse_sealed(sealed: &str) -> Result<(&str, &str), VaultError> {
    let mut parts = sealed.splitn(3, '.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(VERSION), Some(id), Some(body)) if id.len() == 16 => Ok((id, body)),
        _ => Err(VaultError::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> KeyRing {
        KeyRing::parse(&KeyRing::generate_key()).unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_only_in_its_context() {
        let ring = ring();
        let sealed = ring.seal("refresh-token-123", "connections.refresh_token:1");
        assert!(!sealed.contains("refresh-token-123"));
        assert_eq!(
            ring.open(&sealed, "connections.refresh_token:1")
                .unwrap()
                .as_str(),
            "refresh-token-123"
        );
        assert_eq!(
            ring.open(&sealed, "connections.refresh_token:2"),
            Err(VaultError::Tampered)
        );
        // Two seals of one secret differ (a fresh nonce each time).
        assert_ne!(
            sealed,
            ring.seal("refresh-token-123", "connections.refresh_token:1")
        );
    }

    #[test]
    fn an_altered_value_is_refused() {
        let ring = ring();
        let sealed = ring.seal("secret", "c");
        let mut bytes = sealed.into_bytes();
        let last = bytes.len() - 3;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(bytes).unwrap();
        assert_eq!(ring.open(&altered, "c"), Err(VaultError::Tampered));
        assert_eq!(ring.open("v1.short", "c"), Err(VaultError::Malformed));
        assert_eq!(
            ring.open("secret in clear", "c"),
            Err(VaultError::Malformed)
        );
    }

    #[test]
    fn keys_rotate_old_values_open_until_resealed() {
        let old_key = KeyRing::generate_key();
        let new_key = KeyRing::generate_key();
        let old = KeyRing::parse(&old_key).unwrap();
        let sealed = old.seal("token", "c");

        let rotated = KeyRing::parse(&format!("{}, {}", *new_key, *old_key)).unwrap();
        assert_ne!(rotated.active(), old.active());
        assert!(rotated.needs_rotation(&sealed));
        assert_eq!(rotated.open(&sealed, "c").unwrap().as_str(), "token");
        let resealed = rotated.reseal(&sealed, "c").unwrap();
        assert!(!rotated.needs_rotation(&resealed));

        let new_only = KeyRing::parse(&new_key).unwrap();
        assert_eq!(new_only.open(&resealed, "c").unwrap().as_str(), "token");
        assert_eq!(
            new_only.open(&sealed, "c"),
            Err(VaultError::UnknownKey(old.active().to_string()))
        );
    }

    #[test]
    fn bad_keys_are_refused_without_echoing_them() {
        for text in [
            "",
            " , ",
            "not base64!",
            "c2hvcnQ=",
            "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB",
        ] {
            let err = KeyRing::parse(text).unwrap_err();
            assert!(!err.to_string().contains("QUFB"), "{err}");
        }
        let ring = ring();
        assert!(!format!("{ring:?}").contains(&*KeyRing::generate_key()));
    }
}
