//! Who may do what: the one role × action table the server checks every request against, so that
//! a permission is decided in one place and a test can walk all of it.

use mulin_shared::{ErrorCode, ResidentId, Role, ShowId};

use super::Principal;

/// Everything someone can ask for that not everyone may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Buy in a deal (residents only: staff order for residents through their own flow, later).
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
    /// Run the show: launch, restock, extend, pin and end deals; keep the catalogue; open and close
    /// lucky bags; upload pictures.
    RunShow,
}

impl Action {
    /// Every action, for tests that walk the table.
    pub const ALL: [Action; 7] = [
        Action::Buy,
        Action::EnterBag,
        Action::Rename,
        Action::CancelOwnOrder,
        Action::CancelAnyOrder,
        Action::SeeAllOrders,
        Action::RunShow,
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

/// The table: whether `role` may do `action`, where `own_show` says whether a staff member's token
/// is for the show in question (a host of another show is nobody special here).
pub fn allowed(role: Role, own_show: bool, action: Action) -> bool {
    use Action::*;
    match role {
        Role::Resident => matches!(action, Buy | EnterBag | Rename | CancelOwnOrder),
        Role::Host => own_show && matches!(action, RunShow | CancelAnyOrder | SeeAllOrders),
        Role::Moderator => own_show && matches!(action, CancelAnyOrder | SeeAllOrders),
    }
}

/// Whether `who` (nobody, if `None`) may do `action` in `show`.
pub fn check(who: Option<&Principal>, action: Action, show: ShowId) -> Result<(), Refused> {
    let who = who.ok_or(Refused::NotSignedIn)?;
    let own_show = who.show == Some(show);
    if allowed(who.role, own_show, action) {
        Ok(())
    } else {
        Err(Refused::Forbidden)
    }
}

/// The resident `who` is, if they may do `action`: one of the things a resident does in any show
/// (buying, entering a bag, renaming), so no show is compared.
pub fn resident(who: Option<&Principal>, action: Action) -> Result<ResidentId, Refused> {
    let who = who.ok_or(Refused::NotSignedIn)?;
    match who.resident {
        Some(id) if allowed(who.role, false, action) => Ok(id),
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
        let expected: &[(Role, bool, &[Action])] = &[
            (
                Role::Resident,
                false,
                &[Buy, EnterBag, Rename, CancelOwnOrder],
            ),
            (
                Role::Resident,
                true,
                &[Buy, EnterBag, Rename, CancelOwnOrder],
            ),
            (Role::Host, true, &[CancelAnyOrder, SeeAllOrders, RunShow]),
            (Role::Host, false, &[]),
            (Role::Moderator, true, &[CancelAnyOrder, SeeAllOrders]),
            (Role::Moderator, false, &[]),
        ];
        for (role, own, may) in expected {
            for action in Action::ALL {
                assert_eq!(
                    allowed(*role, *own, action),
                    may.contains(&action),
                    "{role:?} (own show: {own}) {action:?}"
                );
            }
        }
    }

    #[test]
    fn nobody_is_told_to_sign_in_and_others_are_forbidden() {
        for action in Action::ALL {
            assert_eq!(check(None, action, 1), Err(Refused::NotSignedIn));
        }
        let host_elsewhere = Principal {
            role: Role::Host,
            resident: None,
            nickname: "host".into(),
            show: Some(2),
        };
        assert_eq!(
            check(Some(&host_elsewhere), Action::RunShow, 1),
            Err(Refused::Forbidden)
        );
        assert_eq!(check(Some(&host_elsewhere), Action::RunShow, 2), Ok(()));
        assert_eq!(
            resident(Some(&host_elsewhere), Action::Buy),
            Err(Refused::Forbidden)
        );
        assert_eq!(resident(None, Action::Buy), Err(Refused::NotSignedIn));
        let neighbour = Principal {
            role: Role::Resident,
            resident: Some(7),
            nickname: "王阿姨".into(),
            show: None,
        };
        assert_eq!(resident(Some(&neighbour), Action::Buy), Ok(7));
        assert_eq!(
            resident(Some(&neighbour), Action::RunShow),
            Err(Refused::Forbidden)
        );
    }
}
