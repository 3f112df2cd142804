//! Who is on the other end of a connection: resident sessions and staff (host, moderator) tokens.
//!
//! Tokens are 256 random bits; the store keeps only their SHA-256, so reading the database does not
//! hand out sessions.

use mulin_shared::{ResidentId, Role, ShowId, UtcMillis};
use sha2::{Digest, Sha256};

use crate::store::{Store, StoreError};

/// Longest nickname, in characters.
pub const MAX_NICKNAME_CHARS: usize = 24;

/// What can go wrong signing someone in.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Empty, too long, or made of control characters.
    #[error("a nickname must be 1–{MAX_NICKNAME_CHARS} visible characters")]
    InvalidNickname,
    /// Nobody holds this token.
    #[error("unknown or revoked token")]
    InvalidToken,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A signed-in person on a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// What they may do.
    pub role: Role,
    /// Their resident id (residents only).
    pub resident: Option<ResidentId>,
    /// Display name.
    pub nickname: String,
    /// The show a staff token is for.
    pub show: Option<ShowId>,
}

impl Principal {
    /// Whether this person runs (hosts or moderates) `show`.
    pub fn is_staff_of(&self, show: ShowId) -> bool {
        matches!(self.role, Role::Host | Role::Moderator) && self.show == Some(show)
    }

    /// Whether this person may launch and end deals in `show`.
    pub fn is_host_of(&self, show: ShowId) -> bool {
        self.role == Role::Host && self.show == Some(show)
    }
}

/// A fresh unguessable token: 32 random bytes as hex, after a short role prefix that helps humans.
pub fn mint_token(role: Role) -> String {
    let prefix = match role {
        Role::Resident => "r",
        Role::Host => "h",
        Role::Moderator => "m",
    };
    let bytes: [u8; 32] = rand::random();
    format!("{prefix}_{}", hex::encode(bytes))
}

/// The form in which the store keeps a token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Trims a nickname and checks it is 1–24 visible characters.
pub fn clean_nickname(raw: &str) -> Result<String, AuthError> {
    let name = raw.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NICKNAME_CHARS || name.chars().any(char::is_control) {
        return Err(AuthError::InvalidNickname);
    }
    Ok(name.to_owned())
}

/// Creates a resident and returns them with their new session token.
pub async fn sign_in_resident(
    store: &Store,
    nickname: &str,
    now: UtcMillis,
) -> Result<(Principal, String), AuthError> {
    let nickname = clean_nickname(nickname)?;
    let token = mint_token(Role::Resident);
    let id = store
        .create_resident(&nickname, &hash_token(&token), now)
        .await?;
    let principal = Principal {
        role: Role::Resident,
        resident: Some(id),
        nickname,
        show: None,
    };
    Ok((principal, token))
}

/// Looks up whoever holds `token`.
pub async fn resume(store: &Store, token: &str) -> Result<Principal, AuthError> {
    // A token is ASCII and short; anything else cannot be one, and need not reach the store.
    if token.is_empty() || token.len() > 128 {
        return Err(AuthError::InvalidToken);
    }
    let owner = store
        .token_owner(&hash_token(token))
        .await?
        .ok_or(AuthError::InvalidToken)?;
    Ok(Principal {
        role: owner.role,
        resident: owner.resident,
        nickname: owner.nickname,
        show: owner.show,
    })
}

/// Mints a host's or moderator's token for `show` and stores its hash.
pub async fn mint_staff_token(
    store: &Store,
    role: Role,
    show: ShowId,
    now: UtcMillis,
) -> Result<String, AuthError> {
    let token = mint_token(role);
    store
        .create_staff_token(role, show, &hash_token(&token), now)
        .await?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nicknames_are_checked() {
        assert_eq!(clean_nickname("  王阿姨 ").ok().as_deref(), Some("王阿姨"));
        assert!(clean_nickname("   ").is_err());
        assert!(clean_nickname(&"长".repeat(25)).is_err());
        assert!(clean_nickname("a\u{0007}b").is_err());
    }

    #[test]
    fn tokens_are_unique_and_hashed() {
        let a = mint_token(Role::Host);
        let b = mint_token(Role::Host);
        assert_ne!(a, b);
        assert!(a.starts_with("h_") && a.len() == 66);
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), hash_token(&b));
    }
}
