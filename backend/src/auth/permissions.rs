//! Who may do what: the one role × action table the server checks every request against, so that
//! a permission is decided in one place and a test can walk all of it.

use mulin_shared::{CommunityId, ErrorCode, PickupId, ResidentId, Role, ShowId};

use super::Principal;

/// Everything someone can ask for that not everyone may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Buy in a deal (residents only: staff order for residents with `OrderForResidents`).
    Buy,
    /// Enter a lucky bag.
    EnterBag,
    /// Change one's own name as shown.
    Rename,
    /// Cancel one's own order.
    CancelOwnOrder,
    /// Cancel anyone's order in the show (with a reason the resident sees).
    CancelAnyOrder,
    /// See every order of the show as it is placed.
    SeeAllOrders,
    /// Run the show: launch, restock, extend, pin and end deals; add a product (with its picture);
    /// open and close lucky bags.
    RunShow,
    /// Create, schedule, edit, start, end and cancel the community's shows.
    ManageShows,
    /// Invite staff, change their roles, revoke them.
    ManageStaff,
    /// Keep the community's catalogue and pickup points: add, change and remove them.
    ManageCatalogue,
    /// Read the community's audit log.
    ReadAudit,
    /// Read a show's report (figures, chart, CSV).
    SeeReport,
    /// Stop a resident from ordering and entering lucky bags in the community, and lift it.
    MuteResidents,
    /// Order for a neighbour who cannot (代客下单): find them by their whole number or register
    /// them, order a live deal for them, list and print what one placed.
    OrderForResidents,
    /// See a resident's whole phone number on an order (to call them), logged each time.
    RevealPhone,
    /// Read picking lists and a store's day (a pickup clerk: their own stores' only).
    SeePickingLists,
    /// Find orders by their pickup code and hand them over (a pickup clerk: at their own stores).
    HandOver,
    /// Mark a store's goods of a product received, which makes its orders there ready (a pickup
    /// clerk: at their own stores).
    MarkReceived,
    /// Undo a hand-over within the hour after it.
    UndoHandOver,
    /// Set a show's picking-list cut-off and the community's pickup window.
    SetPickupRules,
}

impl Action {
    /// Every action, for tests that walk the table.
    pub const ALL: [Action; 20] = [
        Action::Buy,
        Action::EnterBag,
        Action::Rename,
        Action::CancelOwnOrder,
        Action::CancelAnyOrder,
        Action::SeeAllOrders,
        Action::RunShow,
        Action::ManageShows,
        Action::ManageStaff,
        Action::ManageCatalogue,
        Action::ReadAudit,
        Action::SeeReport,
        Action::MuteResidents,
        Action::OrderForResidents,
        Action::RevealPhone,
        Action::SeePickingLists,
        Action::HandOver,
        Action::MarkReceived,
        Action::UndoHandOver,
        Action::SetPickupRules,
    ];
}

/// Why a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Nobody is signed in on this connection.
    NotSignedIn,
    /// The signed-in person may not do this here.
    Forbidden,
}

impl Refused {
    /// The wire code.
    pub fn code(self) -> ErrorCode {
        match self {
            Refused::NotSignedIn => ErrorCode::NotSignedIn,
            Refused::Forbidden => ErrorCode::Forbidden,
        }
    }
}

/// Where an action is asked for: a community, and the show in it if the action is about one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// The community.
    pub community: CommunityId,
    /// The show, if the action is about one.
    pub show: Option<ShowId>,
}

/// The table: whether `role` may do `action` (for staff: in their own community; see [`check`]).
pub fn allowed(role: Role, action: Action) -> bool {
    use Action::*;
    match role {
        Role::Resident => matches!(action, Buy | EnterBag | Rename | CancelOwnOrder),
        Role::Host => matches!(action, RunShow | CancelAnyOrder | SeeAllOrders | SeeReport),
        Role::Moderator => matches!(
            action,
            CancelAnyOrder
                | SeeAllOrders
                | SeeReport
                | MuteResidents
                | OrderForResidents
                | RevealPhone
                | SeePickingLists
                | HandOver
                | MarkReceived
                | UndoHandOver
        ),
        Role::Manager => matches!(
            action,
            ManageShows
                | ManageStaff
                | ManageCatalogue
                | ReadAudit
                | SeeReport
                | SeeAllOrders
                | MuteResidents
                | SeePickingLists
                | SetPickupRules
        ),
        Role::GridWorker => matches!(action, SeeReport | OrderForResidents),
        // At their own stores only: see [`stores`].
        Role::PickupClerk => matches!(action, SeePickingLists | HandOver | MarkReceived),
    }
}

/// Whether `who` (nobody, if `None`) may do `action` in `scope`: one of their roles allows it, and
/// staff act only in their own community (a show token from before staff accounts: its one show).
pub fn check(who: Option<&Principal>, action: Action, scope: Scope) -> Result<(), Refused> {
    let who = who.ok_or(Refused::NotSignedIn)?;
    let here = match (who.resident, who.show) {
        (Some(_), _) => true,
        (None, Some(show)) => scope.show == Some(show),
        (None, None) => who.community == Some(scope.community),
    };
    if here && who.roles.iter().any(|&r| allowed(r, action)) {
        Ok(())
    } else {
        Err(Refused::Forbidden)
    }
}

/// The pickup points where `who` may do `action` in `scope`: `None` for every store of the
/// community (a role other than pickup clerk allows it), else the stores the clerk serves.
pub fn stores(
    who: Option<&Principal>,
    action: Action,
    scope: Scope,
) -> Result<Option<Vec<PickupId>>, Refused> {
    check(who, action, scope)?;
    let who = who.ok_or(Refused::NotSignedIn)?;
    let everywhere = who
        .roles
        .iter()
        .any(|&r| r != Role::PickupClerk && allowed(r, action));
    Ok(if everywhere {
        None
    } else {
        Some(who.pickups.clone())
    })
}

/// The resident `who` is, if they may do `action`: one of the things a resident does in any show
/// (buying, entering a bag, renaming), so no show is compared.
pub fn resident(who: Option<&Principal>, action: Action) -> Result<ResidentId, Refused> {
    let who = who.ok_or(Refused::NotSignedIn)?;
    match who.resident {
        Some(id) if allowed(Role::Resident, action) => Ok(id),
        _ => Err(Refused::Forbidden),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole table, written out: a change to who may do what shows up here, on purpose.
    #[test]
    fn the_table_in_full() {
        use Action::*;
        let expected: &[(Role, &[Action])] = &[
            (Role::Resident, &[Buy, EnterBag, Rename, CancelOwnOrder]),
            (
                Role::Host,
                &[CancelAnyOrder, SeeAllOrders, RunShow, SeeReport],
            ),
            (
                Role::Moderator,
                &[
                    CancelAnyOrder,
                    SeeAllOrders,
                    SeeReport,
                    MuteResidents,
                    OrderForResidents,
                    RevealPhone,
                    SeePickingLists,
                    HandOver,
                    MarkReceived,
                    UndoHandOver,
                ],
            ),
            (
                Role::Manager,
                &[
                    SeeAllOrders,
                    ManageShows,
                    ManageStaff,
                    ManageCatalogue,
                    ReadAudit,
                    SeeReport,
                    MuteResidents,
                    SeePickingLists,
                    SetPickupRules,
                ],
            ),
            (Role::GridWorker, &[SeeReport, OrderForResidents]),
            (
                Role::PickupClerk,
                &[SeePickingLists, HandOver, MarkReceived],
            ),
        ];
        assert_eq!(expected.len(), Role::ALL.len());
        for (role, may) in expected {
            for action in Action::ALL {
                assert_eq!(
                    allowed(*role, action),
                    may.contains(&action),
                    "{role:?} {action:?}"
                );
            }
        }
    }

    fn staff(roles: &[Role], community: CommunityId) -> Principal {
        Principal {
            roles: roles.to_vec(),
            resident: None,
            nickname: "张敏".into(),
            show: None,
            staff: Some(9),
            community: Some(community),
            pickups: vec![],
        }
    }

    #[test]
    fn staff_act_in_their_community_show_tokens_in_their_show() {
        let here = Scope {
            community: 1,
            show: Some(1),
        };
        for action in Action::ALL {
            assert_eq!(check(None, action, here), Err(Refused::NotSignedIn));
        }
        let host_elsewhere = Principal {
            show: Some(2),
            community: Some(1),
            staff: None,
            ..staff(&[Role::Host], 1)
        };
        assert_eq!(
            check(Some(&host_elsewhere), Action::RunShow, here),
            Err(Refused::Forbidden)
        );
        let show_two = Scope {
            community: 1,
            show: Some(2),
        };
        assert_eq!(
            check(Some(&host_elsewhere), Action::RunShow, show_two),
            Ok(())
        );
        // A person's roles add up; another community's staff are nobody here.
        let both = staff(&[Role::Manager, Role::Host], 1);
        assert_eq!(check(Some(&both), Action::RunShow, here), Ok(()));
        assert_eq!(check(Some(&both), Action::ManageStaff, here), Ok(()));
        let other = Scope {
            community: 2,
            show: Some(5),
        };
        assert_eq!(
            check(Some(&both), Action::RunShow, other),
            Err(Refused::Forbidden)
        );
        assert_eq!(resident(Some(&both), Action::Buy), Err(Refused::Forbidden));
        assert_eq!(resident(None, Action::Buy), Err(Refused::NotSignedIn));
        let neighbour = Principal::resident(7, "王阿姨".into());
        assert_eq!(resident(Some(&neighbour), Action::Buy), Ok(7));
        assert_eq!(
            check(Some(&neighbour), Action::RunShow, here),
            Err(Refused::Forbidden)
        );
    }
}
