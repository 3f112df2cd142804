//! Staff invite links: a manager (or `mulin staff invite`) adds a person with their roles and gets
//! a one-time link; opening it gives the person a revocable session token. Only the SHA-256 of a
//! link's code is kept, like tokens'.

use mulin_shared::community::{INVITE_VALID_MS, Invite, StaffDraft, StaffMember, StaffSession};
use mulin_shared::{CommunityId, StaffId, UtcMillis};

use super::{AuthError, Sessions, hash_token};
use crate::store::{Actor, InviteProblem, StaffChangeProblem};

/// A new link: its code (128 random bits) and when it stops working.
struct Link {
    code: String,
    expires_at: UtcMillis,
}

impl Link {
    fn fresh(now: UtcMillis) -> Link {
        Link {
            code: hex::encode(rand::random::<[u8; 16]>()),
            expires_at: now + INVITE_VALID_MS,
        }
    }

    /// The link as the manager is shown it, for `staff`.
    fn invite(self, staff: StaffMember) -> Invite {
        Invite {
            staff,
            path: format!("/invite/{}", self.code),
            expires_at: self.expires_at,
        }
    }
}

impl Sessions {
    /// Adds a person to `community`'s staff and makes their one-time link.
    pub async fn invite(
        &self,
        community: CommunityId,
        draft: &StaffDraft,
        by: &Actor,
        now: UtcMillis,
    ) -> Result<Result<Invite, StaffChangeProblem>, AuthError> {
        let link = Link::fresh(now);
        let made = self
            .store
            .invite_staff(
                community,
                draft,
                &hash_token(&link.code),
                link.expires_at,
                by,
                now,
            )
            .await?;
        Ok(made.map(|staff| link.invite(staff)))
    }

    /// A new link for a person still on the staff; their unused older links stop working.
    pub async fn renew_invite(
        &self,
        community: CommunityId,
        staff: StaffId,
        by: &Actor,
        now: UtcMillis,
    ) -> Result<Result<Invite, StaffChangeProblem>, AuthError> {
        let link = Link::fresh(now);
        let made = self
            .store
            .renew_invite(
                community,
                staff,
                &hash_token(&link.code),
                link.expires_at,
                by,
                now,
            )
            .await?;
        Ok(made.map(|staff| link.invite(staff)))
    }

    /// Uses an invite link's code: a session token for its person, once.
    pub async fn accept_invite(
        &self,
        code: &str,
        now: UtcMillis,
    ) -> Result<Result<StaffSession, InviteProblem>, AuthError> {
        // A code that is not 32 hex digits was not made here: no need to ask the store.
        if code.len() != 32 || !code.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(Err(InviteProblem::Unknown));
        }
        let mut token = String::new();
        let accepted = self
            .store
            .accept_invite(
                &hash_token(code),
                |staff| {
                    token = self.mint_person_token(staff, now);
                    hash_token(&token)
                },
                now,
            )
            .await?;
        Ok(accepted.map(|(staff, community)| StaffSession {
            token,
            staff,
            community,
        }))
    }

    /// Revokes a person and ends their open sessions at once.
    pub async fn revoke_staff(
        &self,
        community: CommunityId,
        staff: StaffId,
        by: &Actor,
        now: UtcMillis,
    ) -> Result<Result<StaffMember, StaffChangeProblem>, AuthError> {
        let done = self.store.revoke_staff(community, staff, by, now).await?;
        if done.is_ok() {
            self.end_sessions_of(staff);
        }
        Ok(done)
    }

    /// Changes a person's name, roles and pickup points; their open sessions end if a role was
    /// taken away or pickup points changed (they sign in again with what they hold now).
    pub async fn change_staff(
        &self,
        community: CommunityId,
        staff: StaffId,
        draft: &StaffDraft,
        by: &Actor,
        now: UtcMillis,
    ) -> Result<Result<StaffMember, StaffChangeProblem>, AuthError> {
        let before = self.store.staff_member(community, staff).await?;
        let done = self
            .store
            .change_staff(community, staff, draft, by, now)
            .await?;
        if let (Ok(after), Some(before)) = (&done, before) {
            let lost_role = before.roles.iter().any(|r| !after.roles.contains(r));
            if lost_role || before.pickups != after.pickups {
                self.end_sessions_of(staff);
            }
        }
        Ok(done)
    }
}
