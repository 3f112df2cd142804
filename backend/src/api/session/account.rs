//! Signing in and out on a connection: a resident by phone number (proving it with a code when
//! asked), anyone by token (`resume`), and a resident's name. Limits per connection on codes,
//! wrong codes and new residents keep one connection from flooding phones with texts, guessing
//! codes, or creating residents by the hundred (limits per number are the store's, see
//! `auth::phone`).

use mulin_shared::{ErrorCode, ServerMsg, SignInProblem};

use super::Session;
use crate::auth::permissions::{self, Action};
use crate::auth::{AuthError, Principal, SignIn};
use crate::now_ms;

/// Codes one connection may have sent.
const CODES_PER_CONNECTION: u8 = 5;
/// Wrong codes one connection may try.
const WRONG_CODES_PER_CONNECTION: u8 = 10;
/// New residents one connection may create.
const RESIDENTS_PER_CONNECTION: u8 = 3;

/// What a connection asked of sign-in so far.
#[derive(Debug, Default)]
pub(super) struct Tally {
    codes: u8,
    wrong_codes: u8,
    residents: u8,
}

impl Session {
    /// Signs a resident in by phone number, or sends the code that proves it.
    pub(super) async fn sign_in(
        &mut self,
        nickname: String,
        phone: String,
        community: String,
        code: Option<String>,
    ) {
        let over = if self.tally.residents >= RESIDENTS_PER_CONNECTION {
            Some("this connection has signed in enough new residents")
        } else if code.is_none() && self.tally.codes >= CODES_PER_CONNECTION {
            Some("this connection has asked for enough codes")
        } else if code.is_some() && self.tally.wrong_codes >= WRONG_CODES_PER_CONNECTION {
            Some("this connection has tried enough wrong codes")
        } else {
            None
        };
        if let Some(why) = over {
            let message = format!("{why}; try again later");
            return self.error(ErrorCode::TooManyRequests, message).await;
        }
        let result = self
            .state
            .sessions
            .sign_in_resident(
                &nickname,
                &phone,
                &community,
                self.room.as_ref().map(|r| r.community()),
                code.as_deref(),
                now_ms(),
            )
            .await;
        match result {
            Ok(SignIn::Done {
                principal,
                token,
                created,
            }) => {
                self.tally.residents += u8::from(created);
                self.token = Some(token.clone());
                self.signed_in(principal, Some(token)).await;
            }
            Ok(SignIn::CodeSent(sent)) => {
                self.tally.codes += u8::from(sent.sent);
                self.send(&ServerMsg::CodeSent {
                    phone: sent.phone,
                    expires_at: sent.expires_at,
                    resend_at: sent.resend_at,
                })
                .await;
            }
            Err(e) => {
                if matches!(e, AuthError::WrongCode { .. } | AuthError::CodeExpired) {
                    self.tally.wrong_codes += 1;
                }
                self.auth_error(e).await;
            }
        }
    }

    /// Signs in with a token.
    pub(super) async fn resume(&mut self, token: String) {
        match self.state.sessions.resume(&token).await {
            Ok(principal) => {
                self.token = Some(token);
                self.signed_in(principal, None).await;
            }
            Err(e) => self.auth_error(e).await,
        }
    }

    /// Signs this connection out. A resident's session token is revoked (signing out on this
    /// device ends that session); a staff token is shared by the show's staff and stays.
    pub(super) async fn sign_out(&mut self) {
        let principal = self.principal.take();
        let token = self.token.take();
        self.revocation = None;
        // A resident's or a staff person's own token is revoked; a show token shared by the
        // show's staff stays.
        let own = principal
            .as_ref()
            .is_some_and(|p| p.resident.is_some() || p.staff.is_some());
        if own
            && let Some(token) = token
            && let Err(e) = self.state.sessions.revoke(&token).await
        {
            // Still signed out here; the token lives on until it is revoked again.
            tracing::error!(error = %e, "sign-out: token not revoked");
        }
        self.send(&ServerMsg::SignedOut).await;
        // Following again as nobody: staff and personal frames stop.
        self.follow().await;
    }

    /// Changes the signed-in resident's name.
    pub(super) async fn rename(&mut self, nickname: String) {
        let id = match permissions::resident(self.principal.as_deref(), Action::Rename) {
            Ok(id) => id,
            Err(refused) => {
                return self
                    .error(
                        refused.code(),
                        "only a signed-in resident has a name to change",
                    )
                    .await;
            }
        };
        match self.state.sessions.rename(id, &nickname).await {
            Ok(nickname) => {
                if let Some(p) = &mut self.principal {
                    p.nickname = nickname.clone();
                }
                self.send(&ServerMsg::Renamed { nickname }).await;
            }
            Err(e) => self.auth_error(e).await,
        }
    }

    /// Tells the client why signing in did not work, by the documented code.
    async fn auth_error(&self, e: AuthError) {
        let code = match &e {
            AuthError::Form(SignInProblem::Nickname) => ErrorCode::InvalidNickname,
            AuthError::Form(SignInProblem::Phone) => ErrorCode::InvalidPhone,
            AuthError::Form(SignInProblem::Community) => ErrorCode::InvalidCommunity,
            AuthError::InvalidToken => ErrorCode::InvalidToken,
            AuthError::WrongCode { .. } => ErrorCode::WrongCode,
            AuthError::CodeExpired => ErrorCode::CodeExpired,
            AuthError::TooManyCodes { .. } => ErrorCode::TooManyRequests,
            AuthError::Sms(inner) => {
                tracing::error!(error = %inner, "sign-in code not sent");
                let message = "the text message with the code could not be sent; try again shortly";
                return self.error(ErrorCode::SmsFailed, message).await;
            }
            AuthError::Store(inner) if inner.is_unavailable() => {
                tracing::debug!(error = %inner, "sign-in not stored");
                let message = crate::store::UNAVAILABLE_MESSAGE;
                return self.error(ErrorCode::StoreUnavailable, message).await;
            }
            AuthError::Store(_) | AuthError::DamagedKey => {
                tracing::error!(error = %e, "sign-in failed");
                return self
                    .error(ErrorCode::Internal, "sign-in failed; please retry")
                    .await;
            }
        };
        self.error(code, e.to_string()).await;
    }

    async fn signed_in(&mut self, principal: Principal, token: Option<String>) {
        self.send(&ServerMsg::SignedIn {
            role: principal.role(),
            resident: principal.resident,
            nickname: principal.nickname.clone(),
            token,
            show: principal.show,
            roles: principal.roles.clone(),
            community: principal.community,
        })
        .await;
        self.revocation = principal.staff.map(|staff| {
            let revocations = self.state.sessions.revocations();
            super::AbortOnDrop(tokio::spawn(super::watchman::end_on_revocation(
                revocations,
                staff,
                self.out.clone(),
            )))
        });
        self.principal = Some(Box::new(principal));
        self.follow().await;
    }
}
