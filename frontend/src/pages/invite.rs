//! A staff invite link (`/invite/{code}`): used once, it signs the person in on this device and
//! shows the consoles their roles open. Opened again on the same device, it says the link is used
//! and still shows the way in.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mulin_shared::community::{CommunityShows, ShowSummary, StaffSession};
use mulin_shared::{CommunityId, ErrorCode, Role, ShowStatus};

use crate::api::{Failure, Me, call, keep_staff_token, staff_token};
use crate::i18n::{LangSwitch, txt};
use crate::tr;

/// What the page found.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Checking,
    /// Signed in: who, with what roles, in which community.
    In {
        name: String,
        roles: Vec<Role>,
        community: CommunityId,
        community_name: String,
    },
    Refused(Failure),
}

/// The page an invite link opens.
#[component]
pub fn InvitePage(code: String) -> impl IntoView {
    let outcome = RwSignal::new(Outcome::Checking);
    spawn_local(async move {
        let path = format!("/api/invites/{code}");
        match call::<StaffSession>("POST", &path, None, None).await {
            Ok(session) => {
                keep_staff_token(&session.token);
                outcome.set(Outcome::In {
                    name: session.staff.name,
                    roles: session.staff.roles,
                    community: session.community.id,
                    community_name: session.community.label(),
                });
            }
            // Used already: if this device holds a live token, that was probably this person.
            Err(used) if used.code == Some(ErrorCode::InviteUsed) => {
                let me = match staff_token() {
                    Some(token) => call::<Me>("GET", "/api/me", Some(&token), None).await.ok(),
                    None => None,
                };
                outcome.set(match me {
                    Some(Me {
                        name,
                        roles,
                        community: Some(community),
                        ..
                    }) => Outcome::In {
                        name,
                        roles,
                        community,
                        community_name: String::new(),
                    },
                    _ => Outcome::Refused(used),
                });
            }
            Err(failure) => outcome.set(Outcome::Refused(failure)),
        }
    });
    view! {
        <main class="page staff invite">
            <header class="bar"><strong>{txt("invite.title")}</strong></header>
            <div class="tools"><LangSwitch /></div>
            {move || match outcome.get() {
                Outcome::Checking => view! { <p class="note muted">{txt("invite.checking")}</p> }.into_any(),
                Outcome::Refused(failure) => view! {
                    <section class="card" id="invite-refused">
                        <p class="note warn" role="alert" data-code=failure.code.map(|c| c.as_str())>{
                            let failure = failure.clone();
                            move || refusal(&failure)
                        }</p>
                        <p>{txt("invite.ask_again")}</p>
                    </section>
                }.into_any(),
                Outcome::In { name, roles, community, community_name } => view! {
                    <Welcome name roles community community_name />
                }.into_any(),
            }}
        </main>
    }
}

/// Who signed in, and a button for each console their roles open.
#[component]
fn Welcome(
    name: String,
    roles: Vec<Role>,
    community: CommunityId,
    community_name: String,
) -> impl IntoView {
    let shows = RwSignal::new(Vec::<ShowSummary>::new());
    spawn_local(async move {
        let path = format!("/api/communities/{community}/shows");
        if let Ok(listing) = call::<CommunityShows>("GET", &path, None, None).await {
            shows.set(listing.shows);
        }
    });
    // The show on air, else the next one coming: where a host or moderator works today.
    let today = move || {
        shows.with(|all| {
            all.iter()
                .find(|s| s.status == ShowStatus::Live)
                .or_else(|| {
                    all.iter()
                        .filter(|s| s.status == ShowStatus::Scheduled)
                        .min_by_key(|s| s.starts_at)
                })
                .cloned()
        })
    };
    let role_names = roles
        .iter()
        .map(|r| crate::pages::manager::role_name(*r))
        .collect::<Vec<_>>();
    let clerk_only = roles.iter().all(|r| *r == Role::PickupClerk);
    let has = move |r: Role| roles.contains(&r);
    let (manager, host, moderator) = (has(Role::Manager), has(Role::Host), has(Role::Moderator));
    // A grid worker orders for neighbours and follows the show's figures; the clerks' counter
    // comes with its own page.
    let grid_worker = has(Role::GridWorker) && !manager && !host && !moderator;
    view! {
        <section class="card" id="invite-welcome">
            <h2>{tr!("invite.hello", name = name.clone())}</h2>
            <p>{move || tr!("invite.signed_in", roles = role_names.iter().map(|f| f()).collect::<Vec<_>>().join("、"))}
               {(!community_name.is_empty()).then(|| view! { <br /><span class="muted">{community_name.clone()}</span> })}</p>
            <div class="actions stack">
                {manager.then(|| view! {
                    <a class="button primary" id="go-manage" href=format!("/c/{community}/manage")>{txt("invite.go_manage")}</a>
                })}
                {move || today().map(|show| {
                    let id = show.id;
                    view! {
                        {host.then(|| view! {
                            <a class="button primary" id="go-host" href=format!("/show/{id}/host")>
                                {tr!("invite.go_host", title = show.title.clone())}</a>
                        })}
                        {moderator.then(|| view! {
                            <a class="button secondary" id="go-moderator" href=format!("/show/{id}/moderator")>
                                {tr!("invite.go_moderator", title = show.title.clone())}</a>
                        })}
                        {grid_worker.then(|| view! {
                            <a class="button primary" id="go-neighbours" href=format!("/show/{id}/neighbours")>
                                {tr!("invite.go_neighbours", title = show.title.clone())}</a>
                            <a class="button secondary" id="go-report" href=format!("/show/{id}/report")>
                                {tr!("invite.go_report", title = show.title.clone())}</a>
                        })}
                    }
                })}
                {(has(Role::PickupClerk) || moderator).then(|| view! {
                    <a class=if clerk_only { "button primary" } else { "button secondary" } id="go-counter"
                        href=format!("/c/{community}/counter")>{txt("invite.go_counter")}</a>
                })}
                {(has(Role::PickupClerk) || moderator || manager).then(|| view! {
                    <a class="button secondary" id="go-picking" href=format!("/c/{community}/picking")>{txt("invite.go_picking")}</a>
                })}
                <a class="button secondary" id="go-community" href=format!("/c/{community}")>{txt("invite.go_community")}</a>
            </div>
            <p class="muted small">{txt("invite.kept")}</p>
        </section>
    }
}

/// Why the link did not sign anyone in, in words.
fn refusal(f: &Failure) -> String {
    match f.code {
        Some(ErrorCode::UnknownInvite) => tr!("invite.unknown"),
        Some(ErrorCode::InviteUsed) => tr!("invite.used"),
        Some(ErrorCode::InviteExpired) => tr!("invite.expired"),
        _ => f.words(),
    }
}
