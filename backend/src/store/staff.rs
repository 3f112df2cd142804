//! A community's staff: named people with roles, their one-time invite links, and the sessions
//! those links become. Every change is in the audit log, in its own transaction.

use mulin_shared::community::{AuditAction, Community, StaffDraft, StaffMember};
use mulin_shared::{CommunityId, PickupId, Role, StaffId, UtcMillis};
use sqlx::{Row, SqliteConnection};

use super::audit::{self, Actor, Change};
use super::{Store, StoreError};

/// Why a staff change was not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffChangeProblem {
    /// No such person in the community.
    Unknown,
    /// The person was revoked already.
    Revoked,
    /// Someone else in the community has that name.
    DuplicateName,
    /// A pickup point that is not the community's.
    UnknownPickup(PickupId),
    /// The change would leave the community without a manager.
    LastManager,
}

/// Why an invite link does not sign anyone in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteProblem {
    /// Not a link made here, or its person was revoked.
    Unknown,
    /// Used already.
    Used,
    /// Past its time.
    Expired,
}

/// A staff person's seat, as a token resumes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSeat {
    /// The person.
    pub id: StaffId,
    /// Their name.
    pub name: String,
    /// Their community.
    pub community: CommunityId,
    /// Their roles (none: they may do nothing, and their token is refused).
    pub roles: Vec<Role>,
    /// The pickup points they serve.
    pub pickups: Vec<PickupId>,
}

fn role_of(text: &str) -> Option<Role> {
    Role::ALL.iter().copied().find(|r| r.as_str() == text)
}

/// The person `id` of `community`, with roles and pickup points.
async fn member(
    conn: &mut SqliteConnection,
    community: CommunityId,
    id: StaffId,
) -> Result<Option<StaffMember>, StoreError> {
    let Some(row) = sqlx::query(
        "SELECT id, name, created_at, revoked_at, \
         EXISTS (SELECT 1 FROM invites i WHERE i.staff_id = staff.id AND i.used_at IS NOT NULL) \
         FROM staff WHERE id = ? AND community_id = ?",
    )
    .bind(id)
    .bind(community)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let roles: Vec<String> =
        sqlx::query_scalar("SELECT role FROM staff_roles WHERE staff_id = ? ORDER BY granted_at")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    let pickups: Vec<PickupId> = sqlx::query_scalar(
        "SELECT pickup_id FROM staff_pickups WHERE staff_id = ? ORDER BY pickup_id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    // Roles in the one order everyone shows them in.
    let held: Vec<Role> = roles.iter().filter_map(|r| role_of(r)).collect();
    let roles = mulin_shared::community::STAFF_ROLES
        .into_iter()
        .filter(|r| held.contains(r))
        .collect();
    Ok(Some(StaffMember {
        id: row.get(0),
        name: row.get(1),
        roles,
        pickups,
        created_at: row.get(2),
        revoked_at: row.get(3),
        joined: row.get(4),
    }))
}

/// Whether another person of `community` still there is called `name`.
async fn name_taken(
    conn: &mut SqliteConnection,
    community: CommunityId,
    name: &str,
    besides: StaffId,
) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM staff WHERE community_id = ? AND name = ? AND id != ? \
         AND revoked_at IS NULL)",
    )
    .bind(community)
    .bind(name)
    .bind(besides)
    .fetch_one(&mut *conn)
    .await?)
}

/// How many managers `community` has besides `besides`.
async fn other_managers(
    conn: &mut SqliteConnection,
    community: CommunityId,
    besides: StaffId,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM staff s JOIN staff_roles r ON r.staff_id = s.id \
         WHERE s.community_id = ? AND s.id != ? AND s.revoked_at IS NULL AND r.role = 'manager'",
    )
    .bind(community)
    .bind(besides)
    .fetch_one(&mut *conn)
    .await?)
}

/// The first of `pickups` that is not `community`'s, if any.
async fn foreign_pickup(
    conn: &mut SqliteConnection,
    community: CommunityId,
    pickups: &[PickupId],
) -> Result<Option<PickupId>, StoreError> {
    for &pickup in pickups {
        let ours: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pickup_points WHERE id = ? AND community_id = ?)",
        )
        .bind(pickup)
        .bind(community)
        .fetch_one(&mut *conn)
        .await?;
        if !ours {
            return Ok(Some(pickup));
        }
    }
    Ok(None)
}

/// Sets the roles and pickup points of `id` to the draft's (checked by [`foreign_pickup`]).
async fn set_roles(
    conn: &mut SqliteConnection,
    id: StaffId,
    draft: &StaffDraft,
    now: UtcMillis,
) -> Result<(), StoreError> {
    let held: Vec<String> = sqlx::query_scalar("SELECT role FROM staff_roles WHERE staff_id = ?")
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    for role in &held {
        if !draft.roles.iter().any(|r| r.as_str() == role) {
            sqlx::query("DELETE FROM staff_roles WHERE staff_id = ? AND role = ?")
                .bind(id)
                .bind(role)
                .execute(&mut *conn)
                .await?;
        }
    }
    for role in &draft.roles {
        sqlx::query(
            "INSERT INTO staff_roles (staff_id, role, granted_at) VALUES (?, ?, ?) \
             ON CONFLICT (staff_id, role) DO NOTHING",
        )
        .bind(id)
        .bind(role.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("DELETE FROM staff_pickups WHERE staff_id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for pickup in &draft.pickups {
        sqlx::query("INSERT INTO staff_pickups (staff_id, pickup_id) VALUES (?, ?)")
            .bind(id)
            .bind(pickup)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// What the log keeps of a person: name, roles, pickup points (never a token or a link).
fn logged(m: &StaffMember) -> serde_json::Value {
    serde_json::json!({ "name": m.name, "roles": m.roles, "pickups": m.pickups })
}

impl Store {
    /// The person `id` of `community`.
    pub async fn staff_member(
        &self,
        community: CommunityId,
        id: StaffId,
    ) -> Result<Option<StaffMember>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        member(&mut conn, community, id).await
    }

    /// Everyone on `community`'s staff, revoked people last.
    pub async fn staff_of(&self, community: CommunityId) -> Result<Vec<StaffMember>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let ids: Vec<StaffId> = sqlx::query_scalar(
            "SELECT id FROM staff WHERE community_id = ? ORDER BY revoked_at IS NOT NULL, id",
        )
        .bind(community)
        .fetch_all(&mut *conn)
        .await?;
        let mut people = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(m) = member(&mut conn, community, id).await? {
                people.push(m);
            }
        }
        Ok(people)
    }

    /// Adds a person to `community`'s staff with a one-time link (kept as `link_hash`) that works
    /// until `expires_at`; logged as `by`'s.
    pub async fn invite_staff(
        &self,
        community: CommunityId,
        draft: &StaffDraft,
        link_hash: &str,
        expires_at: UtcMillis,
        by: &Actor,
        now: UtcMillis,
    ) -> Result<Result<StaffMember, StaffChangeProblem>, StoreError> {
        self.write(4, async |tx| {
            if name_taken(tx, community, &draft.name, 0).await? {
                return Ok(Err(StaffChangeProblem::DuplicateName));
            }
            if let Some(p) = foreign_pickup(tx, community, &draft.pickups).await? {
                return Ok(Err(StaffChangeProblem::UnknownPickup(p)));
            }
            let id: StaffId = sqlx::query_scalar(
                "INSERT INTO staff (community_id, name, created_at) VALUES (?, ?, ?) RETURNING id",
            )
            .bind(community)
            .bind(&draft.name)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            set_roles(tx, id, draft, now).await?;
            insert_invite(tx, id, link_hash, expires_at, now).await?;
            let made = reread(tx, community, id).await?;
            log(
                tx,
                community,
                by,
                AuditAction::StaffInvited,
                None,
                &made,
                now,
            )
            .await?;
            Ok(Ok(made))
        })
        .await
    }

    /// A new one-time link for a person still on the staff (one who lost theirs); earlier links
    /// they did not use stop working. Logged as `by`'s.
    pub async fn renew_invite(
        &self,
        community: CommunityId,
        id: StaffId,
        link_hash: &str,
        expires_at: UtcMillis,
        by: &Actor,
        now: UtcMillis,
    ) -> Result<Result<StaffMember, StaffChangeProblem>, StoreError> {
        self.write(2, async |tx| {
            let person = match on_staff(tx, community, id).await? {
                Ok(person) => person,
                Err(problem) => return Ok(Err(problem)),
            };
            void_unused_links(tx, id, now).await?;
            insert_invite(tx, id, link_hash, expires_at, now).await?;
            log(
                tx,
                community,
                by,
                AuditAction::StaffInvited,
                None,
                &person,
                now,
            )
            .await?;
            Ok(Ok(person))
        })
        .await
    }

    /// Changes a person's name, roles and pickup points; logged as `by`'s. Taking the last
    /// manager's role away is refused.
    pub async fn change_staff(
        &self,
        community: CommunityId,
        id: StaffId,
        draft: &StaffDraft,
        by: &Actor,
        now: UtcMillis,
    ) -> Result<Result<StaffMember, StaffChangeProblem>, StoreError> {
        self.write(4, async |tx| {
            let before = match on_staff(tx, community, id).await? {
                Ok(person) => person,
                Err(problem) => return Ok(Err(problem)),
            };
            if name_taken(tx, community, &draft.name, id).await? {
                return Ok(Err(StaffChangeProblem::DuplicateName));
            }
            if leaves_no_manager(tx, community, &before, &draft.roles).await? {
                return Ok(Err(StaffChangeProblem::LastManager));
            }
            if let Some(p) = foreign_pickup(tx, community, &draft.pickups).await? {
                return Ok(Err(StaffChangeProblem::UnknownPickup(p)));
            }
            set_roles(tx, id, draft, now).await?;
            sqlx::query("UPDATE staff SET name = ? WHERE id = ?")
                .bind(&draft.name)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let after = reread(tx, community, id).await?;
            log(
                tx,
                community,
                by,
                AuditAction::StaffChanged,
                Some(&before),
                &after,
                now,
            )
            .await?;
            Ok(Ok(after))
        })
        .await
    }

    /// Revokes a person: their roles, tokens and unused links go at once (the caller ends their
    /// open sessions). The last manager cannot be revoked. Logged as `by`'s.
    pub async fn revoke_staff(
        &self,
        community: CommunityId,
        id: StaffId,
        by: &Actor,
        now: UtcMillis,
    ) -> Result<Result<StaffMember, StaffChangeProblem>, StoreError> {
        self.write(4, async |tx| {
            let before = match on_staff(tx, community, id).await? {
                Ok(person) => person,
                Err(problem) => return Ok(Err(problem)),
            };
            if leaves_no_manager(tx, community, &before, &[]).await? {
                return Ok(Err(StaffChangeProblem::LastManager));
            }
            for sql in [
                "DELETE FROM staff_roles WHERE staff_id = ?",
                "DELETE FROM staff_pickups WHERE staff_id = ?",
                "DELETE FROM tokens WHERE staff_id = ?",
            ] {
                sqlx::query(sql).bind(id).execute(&mut *tx).await?;
            }
            void_unused_links(tx, id, now).await?;
            sqlx::query("UPDATE staff SET revoked_at = ? WHERE id = ?")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let after = reread(tx, community, id).await?;
            log(
                tx,
                community,
                by,
                AuditAction::StaffRevoked,
                Some(&before),
                &after,
                now,
            )
            .await?;
            Ok(Ok(after))
        })
        .await
    }

    /// Uses the invite link kept as `link_hash`: it stops working, and the session token whose hash
    /// `token_hash` makes for its person signs them in from now on.
    pub async fn accept_invite(
        &self,
        link_hash: &str,
        token_hash: impl FnOnce(StaffId) -> String,
        now: UtcMillis,
    ) -> Result<Result<(StaffMember, Community), InviteProblem>, StoreError> {
        self.write(2, async |tx| {
            let Some(row) = sqlx::query(
                "SELECT i.staff_id, i.expires_at, i.used_at, s.community_id, s.revoked_at \
                 FROM invites i JOIN staff s ON s.id = i.staff_id WHERE i.hash = ?",
            )
            .bind(link_hash)
            .fetch_optional(&mut *tx)
            .await?
            else {
                return Ok(Err(InviteProblem::Unknown));
            };
            let (id, expires_at, used_at, community, revoked_at): (
                StaffId,
                UtcMillis,
                Option<UtcMillis>,
                CommunityId,
                Option<UtcMillis>,
            ) = (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
            if revoked_at.is_some() {
                return Ok(Err(InviteProblem::Unknown));
            }
            if used_at.is_some() {
                return Ok(Err(InviteProblem::Used));
            }
            if expires_at <= now {
                return Ok(Err(InviteProblem::Expired));
            }
            sqlx::query("UPDATE invites SET used_at = ? WHERE hash = ?")
                .bind(now)
                .bind(link_hash)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO tokens (hash, role, staff_id, created_at) VALUES (?, 'staff', ?, ?)",
            )
            .bind(token_hash(id))
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let person = member(tx, community, id)
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("staff {id} of an invite")))?;
            let row = sqlx::query("SELECT id, district, name FROM communities WHERE id = ?")
                .bind(community)
                .fetch_one(&mut *tx)
                .await?;
            let community = Community {
                id: row.get(0),
                district: row.get(1),
                name: row.get(2),
            };
            Ok(Ok((person, community)))
        })
        .await
    }

    /// The seat of staff person `id`, if they are still on the staff.
    pub async fn staff_seat(&self, id: StaffId) -> Result<Option<StaffSeat>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let Some(row) =
            sqlx::query("SELECT community_id FROM staff WHERE id = ? AND revoked_at IS NULL")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?
        else {
            return Ok(None);
        };
        let community: CommunityId = row.get(0);
        Ok(member(&mut conn, community, id).await?.map(|m| StaffSeat {
            id,
            name: m.name,
            community,
            roles: m.roles,
            pickups: m.pickups,
        }))
    }
}

/// The person `id` as just written.
async fn reread(
    conn: &mut SqliteConnection,
    community: CommunityId,
    id: StaffId,
) -> Result<StaffMember, StoreError> {
    member(conn, community, id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("staff {id} just written")))
}

/// The person `id` of `community`, if still on the staff.
async fn on_staff(
    conn: &mut SqliteConnection,
    community: CommunityId,
    id: StaffId,
) -> Result<Result<StaffMember, StaffChangeProblem>, StoreError> {
    Ok(match member(conn, community, id).await? {
        None => Err(StaffChangeProblem::Unknown),
        Some(p) if p.revoked_at.is_some() => Err(StaffChangeProblem::Revoked),
        Some(p) => Ok(p),
    })
}

/// Whether `person` keeping only `roles` would leave `community` without a manager.
async fn leaves_no_manager(
    conn: &mut SqliteConnection,
    community: CommunityId,
    person: &StaffMember,
    roles: &[Role],
) -> Result<bool, StoreError> {
    Ok(person.roles.contains(&Role::Manager)
        && !roles.contains(&Role::Manager)
        && other_managers(conn, community, person.id).await? == 0)
}

/// Ends the person's links not used yet.
async fn void_unused_links(
    conn: &mut SqliteConnection,
    staff: StaffId,
    now: UtcMillis,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE invites SET expires_at = ? WHERE staff_id = ? AND used_at IS NULL")
        .bind(now)
        .bind(staff)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Logs `action` to `person` (as they were `before`, if it matters) by `by`.
async fn log(
    conn: &mut SqliteConnection,
    community: CommunityId,
    by: &Actor,
    action: AuditAction,
    before: Option<&StaffMember>,
    person: &StaffMember,
    now: UtcMillis,
) -> Result<(), StoreError> {
    let subject = format!("staff {} {}", person.id, before.unwrap_or(person).name);
    let mut change = Change::new(action, None, subject);
    change.before = before.map(logged);
    // A revoked person has nothing after.
    if person.revoked_at.is_none() {
        change.after = Some(logged(person));
    }
    audit::record(conn, community, by, &change, now).await
}

async fn insert_invite(
    conn: &mut SqliteConnection,
    staff: StaffId,
    link_hash: &str,
    expires_at: UtcMillis,
    now: UtcMillis,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO invites (hash, staff_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
        .bind(link_hash)
        .bind(staff)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
