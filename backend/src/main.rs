//! `mulin`: the command line. Everything else lives in the library.

use std::process::ExitCode;

use clap::Parser;
use mulin_backend::config::{
    Cli, Command, CommunityArgs, CommunityCommand, InviteArgs, ServeArgs, ShowArgs, StaffCommand,
    StaffRole, TokenArgs,
};
use mulin_backend::logging::{say, say_err};
use mulin_backend::store::{Actor, StaffChangeProblem};
use mulin_backend::{ServerConfig, auth, now_ms, store::Store};
use mulin_shared::Role;
use mulin_shared::community::StaffDraft;
use tracing_subscriber::EnvFilter;

/// Memory is allocated on one thread and freed on another all the time here (a purchase's key and
/// name are read on a connection's thread and dropped on the desk's; answers go the other way).
/// glibc's malloc spent a sixth of the deal desk's time consolidating such frees; mimalloc is
/// built for it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        // Logs go to stderr: stdout carries the links people (and the test harness) read. A line
        // that cannot be written is dropped and counted, never a panic (`logging`).
        .with_writer(|| mulin_backend::logging::LogWriter)
        .log_internal_errors(false)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Token(args) => token(args).await,
        Command::Show(args) => show(args).await,
        Command::Community(CommunityCommand::Create(args)) => create_community(args).await,
        Command::Staff(StaffCommand::Invite(args)) => invite(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            say_err(format_args!("mulin: {message}"));
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    // Every viewer is an open file: take what the hard limit allows before counting connections.
    match mulin_backend::open_files::raise_limit() {
        Ok(raised) if raised.to > raised.from => {
            tracing::info!(from = raised.from, to = raised.to, "open-file limit raised");
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "open-file limit left as it was"),
    }
    let server = mulin_backend::start(ServerConfig::from(&args))
        .await
        .map_err(|e| e.to_string())?;
    let base = format!("http://{}", server.addr());
    say(format_args!(
        "Mulin Live is running on {base} (database {})",
        args.db.display()
    ));
    if let Some(demo) = server.demo() {
        let show = demo.show;
        say(format_args!(""));
        say(format_args!(
            "  Resident (open on a phone or in two tabs):  {base}/show/{show}"
        ));
        say(format_args!(
            "  Stream page with the widget embedded:       {base}/demo/{show}"
        ));
        say(format_args!(
            "  Host console:       {base}/show/{show}/host?token={}",
            demo.host_token
        ));
        say(format_args!(
            "  Moderator desk:     {base}/show/{show}/moderator?token={}\n    (these two links act in this show only; pausing residents, ordering for neighbours\n    and the pickup counter need a staff sign-in link from below)",
            demo.moderator_token
        ));
        say(format_args!(
            "  Community page (live show, tomorrow's show {}):  {base}/c/{}",
            demo.next_show, demo.community
        ));
        say(format_args!(""));
        say(format_args!(
            "  Staff sign-in links (each works once, for 7 days; new ones at every start):"
        ));
        for (role, name, path) in &demo.staff_links {
            say(format_args!(
                "    {:<13} {name}:  {base}{path}",
                role.as_str()
            ));
        }
        say(format_args!(""));
    }
    say(format_args!("Press Ctrl-C to stop."));
    shutdown_signal().await;
    say(format_args!("Stopping…"));
    server.shutdown().await.map_err(|e| e.to_string())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

async fn token(args: TokenArgs) -> Result<(), String> {
    let store = Store::open(&args.db).await.map_err(|e| e.to_string())?;
    if store
        .show(args.show)
        .await
        .map_err(|e| e.to_string())?
        .is_none()
    {
        return Err(format!("no show {} in {}", args.show, args.db.display()));
    }
    let role = match args.role {
        StaffRole::Host => Role::Host,
        StaffRole::Moderator => Role::Moderator,
    };
    let sessions = auth::Sessions::open(store)
        .await
        .map_err(|e| e.to_string())?;
    let token = sessions
        .mint_staff_token(role, args.show, now_ms())
        .await
        .map_err(|e| e.to_string())?;
    say(format_args!("{token}"));
    Ok(())
}

async fn show(args: ShowArgs) -> Result<(), String> {
    let title = mulin_shared::sign_in::clean_text(&args.title, 60)
        .ok_or("--title must be 1–60 visible characters")?;
    let community = mulin_shared::sign_in::clean_text(&args.community, 40)
        .ok_or("--community must be 1–40 visible characters")?;
    let store = Store::open(&args.db).await.map_err(|e| e.to_string())?;
    let now = now_ms();
    let id = store
        .create_show(&title, &community, now)
        .await
        .map_err(|e| e.to_string())?;
    let sessions = auth::Sessions::open(store)
        .await
        .map_err(|e| e.to_string())?;
    let host = sessions
        .mint_staff_token(Role::Host, id, now)
        .await
        .map_err(|e| e.to_string())?;
    let moderator = sessions
        .mint_staff_token(Role::Moderator, id, now)
        .await
        .map_err(|e| e.to_string())?;
    say(format_args!("Show {id} created: {title} ({community})"));
    say(format_args!("  Residents:       /show/{id}"));
    say(format_args!(
        "  Host console:    /show/{id}/host?token={host}"
    ));
    say(format_args!(
        "  Moderator desk:  /show/{id}/moderator?token={moderator}"
    ));
    Ok(())
}

async fn create_community(args: CommunityArgs) -> Result<(), String> {
    let district = args.district.trim();
    if district.chars().count() > 40 || district.chars().any(char::is_control) {
        return Err("--district must be at most 40 visible characters".into());
    }
    let name = mulin_shared::sign_in::clean_text(&args.name, 40)
        .ok_or("--name must be 1–40 visible characters")?;
    let manager = StaffDraft {
        name: args.manager.clone(),
        roles: vec![Role::Manager],
        pickups: Vec::new(),
    }
    .check()
    .map_err(|e| format!("--manager: {e}"))?;
    let store = Store::open(&args.db).await.map_err(|e| e.to_string())?;
    let now = now_ms();
    let community = store
        .create_community(district, &name, now)
        .await
        .map_err(|e| e.to_string())?
        .map_err(|_| format!("a community called {name} is in {district:?} already"))?;
    let sessions = auth::Sessions::open(store)
        .await
        .map_err(|e| e.to_string())?;
    let invite = sessions
        .invite(community.id, &manager, &Actor::command_line(), now)
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{e:?}"))?;
    let base = args.base_url.trim_end_matches('/');
    say(format_args!(
        "Community {} created: {}",
        community.id,
        community.label()
    ));
    say(format_args!(
        "  Residents' page:  {base}/c/{}",
        community.id
    ));
    say(format_args!(
        "  Manager {} signs in once with {base}{} (valid 7 days)",
        invite.staff.name, invite.path
    ));
    Ok(())
}

async fn invite(args: InviteArgs) -> Result<(), String> {
    let roles = args
        .roles
        .iter()
        .map(|r| {
            Role::ALL
                .iter()
                .copied()
                .find(|role| role.as_str() == r.trim())
                .ok_or_else(|| {
                    format!(
                        "--role {r:?}: use manager, host, moderator, grid_worker or pickup_clerk"
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let draft = StaffDraft {
        name: args.name.clone(),
        roles,
        pickups: args.pickups.clone(),
    }
    .check()
    .map_err(|e| e.to_string())?;
    let store = Store::open(&args.db).await.map_err(|e| e.to_string())?;
    let community = store
        .community(args.community)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no community {} in {}", args.community, args.db.display()))?;
    let sessions = auth::Sessions::open(store)
        .await
        .map_err(|e| e.to_string())?;
    let invite = sessions
        .invite(community.id, &draft, &Actor::command_line(), now_ms())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| match e {
            StaffChangeProblem::DuplicateName => {
                format!(
                    "someone in {} is called {} already",
                    community.label(),
                    draft.name
                )
            }
            StaffChangeProblem::UnknownPickup(p) => {
                format!("pickup point {p} is not {}'s", community.label())
            }
            other => format!("{other:?}"),
        })?;
    let base = args.base_url.trim_end_matches('/');
    say(format_args!(
        "{} ({}) is invited to {}: {base}{} (one use, valid 7 days)",
        invite.staff.name,
        invite
            .staff
            .roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        community.label(),
        invite.path
    ));
    Ok(())
}
