//! Who is on the other end of a connection: resident sessions and staff (host, moderator) tokens.
//! Proving a resident's phone number with a one-time code is `phone`.
//!
//! Every token is signed: `{role}.{subject}.{issued_at}.{nonce}.{hmac}`, where `role` is `r`, `h` or
//! `m`, `subject` the resident (or the staff token's show), `nonce` 128 random bits and `hmac` the
//! HMAC-SHA256 of everything before it under the server's session key. A token that was not made
//! here is refused before the store is asked; the store keeps only SHA-256 hashes of the tokens it
//! issued, so a token can be revoked and a copy of the database does not hand out sessions.

mod invites;
pub mod permissions;
mod phone;

use std::sync::Arc;

use hmac::{Hmac, Mac};
use mulin_shared::{
    CommunityId, PickupId, ResidentId, Role, ShowId, SignInProblem, StaffId, UtcMillis,
};
use sha2::{Digest, Sha256};

use crate::sms::SmsError;
use crate::store::{Actor, Store, StoreError};

pub use phone::{CodeSent, PhoneCodes, SignIn};

/// Name of the session key in the store's secrets.
const KEY_NAME: &str = "session_key";
/// Longest token worth checking; real ones are about 120 characters.
const MAX_TOKEN_LEN: usize = 256;

/// What can go wrong signing someone in.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A sign-in field is not acceptable.
    #[error(transparent)]
    Form(#[from] SignInProblem),
    /// Not a token this server issued, or revoked.
    #[error("unknown or revoked token")]
    InvalidToken,
    /// The stored session key is not 32 bytes.
    #[error("the stored session key is damaged")]
    DamagedKey,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The code is not the one sent.
    #[error("that is not the code sent to this number; {attempts_left} tries left")]
    WrongCode {
        /// Wrong tries the code still takes before it is void.
        attempts_left: i64,
    },
    /// No code is waiting for this number (expired, used, voided by wrong tries, never sent).
    #[error("no code is waiting for this number (it expired or was used); ask for a new one")]
    CodeExpired,
    /// Too many codes asked for this number.
    #[error("too many codes for this number; try again after {retry_at} (UTC ms)")]
    TooManyCodes {
        /// When a new code may be asked for.
        retry_at: UtcMillis,
    },
    /// The text message could not be sent.
    #[error(transparent)]
    Sms(#[from] SmsError),
}

/// A signed-in person on a connection or behind an HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// What they may do: `[Resident]` for residents; a staff person's roles in their community.
    pub roles: Vec<Role>,
    /// Their resident id (residents only).
    pub resident: Option<ResidentId>,
    /// Display name (a staff person's name).
    pub nickname: String,
    /// The one show a host's or moderator's show token is for (tokens from before staff accounts).
    pub show: Option<ShowId>,
    /// The staff person (staff accounts only).
    pub staff: Option<StaffId>,
    /// A staff person's community (or a show token's show's).
    pub community: Option<CommunityId>,
    /// The pickup points a pickup clerk serves.
    pub pickups: Vec<PickupId>,
}

impl Principal {
    /// A signed-in resident.
    pub fn resident(id: ResidentId, nickname: String) -> Principal {
        Principal {
            roles: vec![Role::Resident],
            resident: Some(id),
            nickname,
            show: None,
            staff: None,
            community: None,
            pickups: Vec::new(),
        }
    }

    /// The role shown first (the first of `roles`).
    pub fn role(&self) -> Role {
        self.roles.first().copied().unwrap_or(Role::Resident)
    }

    /// Whether this person may do `action` in `scope` (see [`permissions`]).
    pub fn may(&self, action: permissions::Action, scope: permissions::Scope) -> bool {
        permissions::check(Some(self), action, scope).is_ok()
    }

    /// Who this is in the audit log.
    pub fn actor(&self) -> Actor {
        let name = match (self.staff, self.show) {
            (Some(_), _) => self.nickname.clone(),
            (None, Some(show)) => format!("{} (show {show} token)", self.role().as_str()),
            (None, None) => self.nickname.clone(),
        };
        Actor {
            staff: self.staff,
            name,
        }
    }
}

/// Issues and checks tokens with the server's session key.
#[derive(Clone)]
pub struct Sessions {
    store: Store,
    key: Arc<[u8; 32]>,
    phone: PhoneCodes,
    /// Staff people whose open sessions must end now.
    revoked: tokio::sync::broadcast::Sender<StaffId>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.write_str("Sessions")
    }
}

impl Sessions {
    /// Loads the session key from the store, creating it on the first start.
    pub async fn open(store: Store) -> Result<Sessions, AuthError> {
        let fresh: [u8; 32] = rand::random();
        let key: [u8; 32] = store
            .secret(KEY_NAME, &fresh)
            .await?
            .try_into()
            .map_err(|_| AuthError::DamagedKey)?;
        Ok(Sessions {
            store,
            key: Arc::new(key),
            phone: PhoneCodes::default(),
            revoked: tokio::sync::broadcast::channel(64).0,
        })
    }

    /// These sessions with `phone`'s rules for proving phone numbers (who must, and how codes are
    /// sent).
    pub fn with_phone_codes(self, phone: PhoneCodes) -> Sessions {
        Sessions { phone, ..self }
    }

    /// Looks up whoever holds `token`. A staff person's token carries their roles as they are
    /// now; one whose person was revoked, or who holds no role any more, is refused.
    pub async fn resume(&self, token: &str) -> Result<Principal, AuthError> {
        let (kind, subject) = self.verify(token).ok_or(AuthError::InvalidToken)?;
        let owner = self
            .store
            .token_owner(&hash_token(token))
            .await?
            .ok_or(AuthError::InvalidToken)?;
        match (kind, owner.role) {
            (TokenKind::Role(Role::Resident), Some(Role::Resident))
                if owner.resident == Some(subject) =>
            {
                Ok(Principal::resident(subject, owner.nickname))
            }
            (TokenKind::Role(role @ (Role::Host | Role::Moderator)), Some(stored))
                if stored == role && owner.show == Some(subject) =>
            {
                Ok(Principal {
                    roles: vec![role],
                    resident: None,
                    nickname: owner.nickname,
                    show: owner.show,
                    staff: None,
                    community: owner.show_community,
                    pickups: Vec::new(),
                })
            }
            (TokenKind::Staff, None) if owner.staff == Some(subject) => {
                let seat = self
                    .store
                    .staff_seat(subject)
                    .await?
                    .filter(|s| !s.roles.is_empty())
                    .ok_or(AuthError::InvalidToken)?;
                Ok(Principal {
                    roles: seat.roles,
                    resident: None,
                    nickname: seat.name,
                    show: None,
                    staff: Some(seat.id),
                    community: Some(seat.community),
                    pickups: seat.pickups,
                })
            }
            _ => Err(AuthError::InvalidToken),
        }
    }

    /// Mints a staff person's session token (kept by the caller's store write as its hash).
    pub fn mint_person_token(&self, staff: StaffId, now: UtcMillis) -> String {
        self.mint(TokenKind::Staff, staff, now)
    }

    /// Ends every open session of staff person `staff` on this node at once (after they or one of
    /// their roles were revoked); they sign in again with what they still hold.
    pub fn end_sessions_of(&self, staff: StaffId) {
        // No receiver means no open staff session: nothing to end.
        let _ = self.revoked.send(staff);
    }

    /// Tells of every staff person whose sessions must end ([`Sessions::end_sessions_of`]).
    pub fn revocations(&self) -> tokio::sync::broadcast::Receiver<StaffId> {
        self.revoked.subscribe()
    }

    /// Mints a host's or moderator's token for `show` and stores its hash.
    pub async fn mint_staff_token(
        &self,
        role: Role,
        show: ShowId,
        now: UtcMillis,
    ) -> Result<String, AuthError> {
        let token = self.mint(TokenKind::Role(role), show, now);
        self.store
            .create_staff_token(role, show, &hash_token(&token), now)
            .await?;
        Ok(token)
    }

    fn mac(&self, payload: &str) -> Hmac<Sha256> {
        // HMAC takes a key of any length; 32 bytes cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key[..])
            .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
        mac.update(payload.as_bytes());
        mac
    }

    /// Changes a resident's name as shown (checked like a sign-in's); returns it as stored.
    pub async fn rename(&self, resident: ResidentId, nickname: &str) -> Result<String, AuthError> {
        let nickname =
            mulin_shared::sign_in::clean_text(nickname, mulin_shared::sign_in::MAX_NICKNAME_CHARS)
                .ok_or(SignInProblem::Nickname)?;
        self.store.rename_resident(resident, &nickname).await?;
        Ok(nickname)
    }

    /// Signs this token out: it no longer resumes anywhere.
    pub async fn revoke(&self, token: &str) -> Result<(), AuthError> {
        Ok(self.store.revoke_token(&hash_token(token)).await?)
    }

    fn mint(&self, kind: TokenKind, subject: i64, now: UtcMillis) -> String {
        let nonce: [u8; 16] = rand::random();
        let payload = format!("{}.{subject}.{now}.{}", kind.prefix(), hex::encode(nonce));
        let sig = self.mac(&payload).finalize().into_bytes();
        format!("{payload}.{}", hex::encode(sig))
    }

    /// The kind and subject of a token this server signed; `None` for anything else.
    fn verify(&self, token: &str) -> Option<(TokenKind, i64)> {
        if token.len() > MAX_TOKEN_LEN {
            return None;
        }
        let (payload, sig) = token.rsplit_once('.')?;
        let sig = hex::decode(sig).ok()?;
        // Constant-time comparison: timing tells nothing about a forged signature.
        self.mac(payload).verify_slice(&sig).ok()?;
        let mut parts = payload.split('.');
        let kind = match parts.next()? {
            "r" => TokenKind::Role(Role::Resident),
            "h" => TokenKind::Role(Role::Host),
            "m" => TokenKind::Role(Role::Moderator),
            "s" => TokenKind::Staff,
            _ => return None,
        };
        let subject = parts.next()?.parse().ok()?;
        Some((kind, subject))
    }
}

/// What a token's subject is: a resident (`r`), the show of a host's or moderator's show token
/// (`h`, `m`), or a staff person (`s`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    Role(Role),
    Staff,
}

impl TokenKind {
    fn prefix(self) -> &'static str {
        match self {
            TokenKind::Role(Role::Resident) => "r",
            TokenKind::Role(Role::Host) => "h",
            TokenKind::Role(Role::Moderator) => "m",
            // Other roles are held by staff people, whose tokens name the person.
            TokenKind::Role(_) | TokenKind::Staff => "s",
        }
    }
}

/// The form in which the store keeps a token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn sessions() -> (tempfile::TempDir, Sessions) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("t.db")).await.expect("store");
        let sessions = Sessions::open(store).await.expect("sessions");
        (dir, sessions)
    }

    #[tokio::test]
    async fn tokens_are_signed_unique_and_only_ours_verify() {
        let (dir, s) = sessions().await;
        let a = s.mint(TokenKind::Role(Role::Host), 7, 1_000);
        let b = s.mint(TokenKind::Role(Role::Host), 7, 1_000);
        assert_ne!(a, b);
        assert!(a.starts_with("h.7.1000."), "{a}");
        assert_eq!(s.verify(&a), Some((TokenKind::Role(Role::Host), 7)));
        // Any change to the payload or the signature breaks it.
        let forged_subject = a.replacen("h.7.", "h.8.", 1);
        assert_eq!(s.verify(&forged_subject), None);
        let forged_role = a.replacen("h.7.", "r.7.", 1);
        assert_eq!(s.verify(&forged_role), None);
        let mut bad_sig = a.clone();
        let last = bad_sig.pop().expect("non-empty");
        bad_sig.push(if last == '0' { '1' } else { '0' });
        assert_eq!(s.verify(&bad_sig), None);
        for junk in ["", ".", "h.7", "h.7.1.2.zz", &"a".repeat(300)] {
            assert_eq!(s.verify(junk), None, "{junk}");
        }
        // The key survives a restart (same store), and another store's key does not verify ours.
        let again = Sessions::open(s.store.clone()).await.expect("reopen");
        assert_eq!(again.verify(&a), Some((TokenKind::Role(Role::Host), 7)));
        let (_other_dir, other) = sessions().await;
        assert_eq!(other.verify(&a), None);
        drop(dir);
    }

    #[tokio::test]
    async fn a_resident_signs_in_and_resumes_and_bad_fields_are_named() {
        let (_dir, s) = sessions().await;
        let s = s.with_phone_codes(PhoneCodes {
            new_numbers_need_code: false,
            ..PhoneCodes::default()
        });
        let SignIn::Done {
            principal: who,
            token,
            created: true,
        } = s
            .sign_in_resident(" 王阿姨 ", "138 0013 8000", "幸福里", None, None, 5)
            .await
            .expect("signed in")
        else {
            panic!("a new number signs in at once when new numbers need no code");
        };
        assert_eq!(who.nickname, "王阿姨");
        let id = who.resident.expect("a resident id");
        assert!(token.starts_with(&format!("r.{id}.5.")), "{token}");
        assert_eq!(s.resume(&token).await.expect("resumed"), who);
        // A well-signed token the store never issued is refused too.
        let unissued = s.mint(TokenKind::Role(Role::Resident), id, 5);
        assert!(matches!(
            s.resume(&unissued).await,
            Err(AuthError::InvalidToken)
        ));
        assert!(matches!(
            s.sign_in_resident("王", "12345", "幸福里", None, None, 5)
                .await,
            Err(AuthError::Form(SignInProblem::Phone))
        ));
        // The same number again must prove itself, even with new numbers free.
        assert!(matches!(
            s.sign_in_resident("王姨", "13800138000", "幸福里", None, None, 6)
                .await,
            Ok(SignIn::CodeSent(CodeSent { sent: true, .. }))
        ));
        // Signing out revokes the token.
        s.revoke(&token).await.expect("revoked");
        assert!(matches!(
            s.resume(&token).await,
            Err(AuthError::InvalidToken)
        ));
    }
}
