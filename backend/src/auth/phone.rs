//! One resident per phone number, and proving the number with a one-time code.
//!
//! Signing in with a number that has a resident must prove the phone: a 6-digit code goes to it by
//! text message, and the sign-in is repeated with the code. Whether a new number must prove itself
//! too is [`PhoneCodes::new_numbers_need_code`] (yes, unless the server runs the demo). Codes live
//! [`CODE_TTL_MS`], are used once, and take [`ATTEMPTS`] wrong tries; a number gets a new code at most
//! every [`RESEND_AFTER_MS`] and [`SENDS_PER_HOUR`] an hour. Only an HMAC of a code is stored, under
//! the session key, so the database does not hand out codes either.

use std::sync::Arc;

use hmac::Mac;
use mulin_shared::{ResidentId, Role, SignInForm, UtcMillis};

use super::{AuthError, Principal, Sessions, TokenKind, hash_token};
use crate::sms::{LogSms, SmsSender};
use crate::store::StoredCode;

/// How long a code is accepted.
pub const CODE_TTL_MS: i64 = 5 * 60 * 1000;
/// Shortest time between two codes to one number.
pub const RESEND_AFTER_MS: i64 = 60 * 1000;
/// Most codes to one number in an hour.
pub const SENDS_PER_HOUR: i64 = 5;
/// Wrong tries a code takes before it is void.
pub const ATTEMPTS: i64 = 5;

const HOUR_MS: i64 = 60 * 60 * 1000;

/// Who must prove their number, and how codes reach phones.
#[derive(Debug, Clone)]
pub struct PhoneCodes {
    /// Whether a number without a resident must prove itself too (a number with one always must).
    pub new_numbers_need_code: bool,
    /// Where codes are sent.
    pub sms: Arc<dyn SmsSender>,
}

impl Default for PhoneCodes {
    /// Every number proves itself; codes go to the log.
    fn default() -> PhoneCodes {
        PhoneCodes {
            new_numbers_need_code: true,
            sms: Arc::new(LogSms),
        }
    }
}

/// A code on its way, as the resident is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSent {
    /// The number, masked for the screen (`138****8000`).
    pub phone: String,
    /// When the code stops being accepted.
    pub expires_at: UtcMillis,
    /// From when a new code may be asked for.
    pub resend_at: UtcMillis,
    /// Whether a text message went out now (not when an earlier code still holds).
    pub sent: bool,
}

/// What a sign-in came to.
#[derive(Debug)]
pub enum SignIn {
    /// Signed in: who, their new session token, and whether the resident was created just now.
    Done {
        /// The resident.
        principal: Principal,
        /// Their new session token.
        token: String,
        /// A new resident (not one known by the number).
        created: bool,
    },
    /// The number must be proven: a code is on its way.
    CodeSent(CodeSent),
}

/// `13800138000` as `138****8000`.
pub fn mask(phone: &str) -> String {
    match (phone.get(..3), phone.get(7..)) {
        (Some(head), Some(tail)) if phone.len() == 11 => format!("{head}****{tail}"),
        _ => "****".into(),
    }
}

/// A typed code as 6 ASCII digits (full-width digits and spaces accepted), if it is one.
fn clean_code(typed: &str) -> Option<String> {
    let digits: String = typed
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            other => other,
        })
        .collect();
    (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

impl Sessions {
    /// Signs a resident in by phone number: the number's resident if it has one (after the code),
    /// otherwise a new one (after the code, if new numbers must prove themselves), who belongs to
    /// `home` (the community of the show they sign in from, if any: grid workers then find them by
    /// their number).
    pub async fn sign_in_resident(
        &self,
        nickname: &str,
        phone: &str,
        community: &str,
        home: Option<mulin_shared::CommunityId>,
        code: Option<&str>,
        now: UtcMillis,
    ) -> Result<SignIn, AuthError> {
        let form = SignInForm::check(nickname, phone, community)?;
        let known = self.store.resident_by_phone(&form.phone).await?;
        let must_prove = known.is_some() || self.phone.new_numbers_need_code;
        if must_prove {
            match code {
                None => return Ok(SignIn::CodeSent(self.send_code(&form.phone, now).await?)),
                Some(code) => self.check_code(&form.phone, code, now).await?,
            }
        }
        if let Some(known) = known {
            return self.resume_known(known.id, form, now).await;
        }
        let mut token = String::new();
        let created = self
            .store
            .create_resident(&form, home, now, |id| {
                token = self.mint(TokenKind::Role(Role::Resident), id, now);
                hash_token(&token)
            })
            .await?;
        match created {
            Some(id) => Ok(SignIn::Done {
                principal: resident(id, form.nickname),
                token,
                created: true,
            }),
            // Someone signed in with this number a moment ago.
            None => match self.store.resident_by_phone(&form.phone).await? {
                Some(known) if must_prove => self.resume_known(known.id, form, now).await,
                _ => Ok(SignIn::CodeSent(self.send_code(&form.phone, now).await?)),
            },
        }
    }

    /// A new session for a resident who proved their number, under the name they just gave.
    async fn resume_known(
        &self,
        id: ResidentId,
        form: SignInForm,
        now: UtcMillis,
    ) -> Result<SignIn, AuthError> {
        let token = self.mint(TokenKind::Role(Role::Resident), id, now);
        self.store
            .resume_resident(id, &form, &hash_token(&token), now)
            .await?;
        Ok(SignIn::Done {
            principal: resident(id, form.nickname),
            token,
            created: false,
        })
    }

    /// Sends `phone` a new code, unless the one sent within the last minute still holds (then
    /// says so again) or the number had its share of codes.
    async fn send_code(&self, phone: &str, now: UtcMillis) -> Result<CodeSent, AuthError> {
        if let Some(last) = self.store.phone_code(phone).await? {
            let resend_at = last.sent_at + RESEND_AFTER_MS;
            if now < resend_at {
                if last.expires_at > now && last.attempts_left > 0 {
                    return Ok(CodeSent {
                        phone: mask(phone),
                        expires_at: last.expires_at,
                        resend_at,
                        sent: false,
                    });
                }
                return Err(AuthError::TooManyCodes {
                    retry_at: resend_at,
                });
            }
        }
        if self.store.codes_sent_since(phone, now - HOUR_MS).await? >= SENDS_PER_HOUR {
            return Err(AuthError::TooManyCodes {
                retry_at: now + HOUR_MS,
            });
        }
        let code = format!("{:06}", rand::random_range(0..1_000_000u32));
        let stored = StoredCode {
            mac: self.code_mac(phone, &code),
            sent_at: now,
            expires_at: now + CODE_TTL_MS,
            attempts_left: ATTEMPTS,
        };
        // Stored before it is sent: a gateway that fails still counts against the limits, so a
        // failing gateway is not hammered.
        self.store
            .save_phone_code(phone, &stored, now - HOUR_MS)
            .await?;
        let text = format!(
            "【睦邻】您的登录验证码是 {code}，{} 分钟内有效。请勿告诉他人。",
            CODE_TTL_MS / 60_000
        );
        self.phone.sms.send(phone, &code, &text).await?;
        Ok(CodeSent {
            phone: mask(phone),
            expires_at: stored.expires_at,
            resend_at: now + RESEND_AFTER_MS,
            sent: true,
        })
    }

    /// Uses up `phone`'s code if `typed` is it; otherwise spends a try.
    async fn check_code(&self, phone: &str, typed: &str, now: UtcMillis) -> Result<(), AuthError> {
        let waiting = self
            .store
            .phone_code(phone)
            .await?
            .filter(|c| c.expires_at > now && c.attempts_left > 0)
            .ok_or(AuthError::CodeExpired)?;
        // Anything but six digits is a wrong try like any other.
        let mac = self.code_mac(phone, &clean_code(typed).unwrap_or_default());
        if self.store.try_phone_code(phone, &mac, now).await? {
            Ok(())
        } else if waiting.attempts_left <= 1 {
            Err(AuthError::CodeExpired)
        } else {
            Err(AuthError::WrongCode {
                attempts_left: waiting.attempts_left - 1,
            })
        }
    }

    fn code_mac(&self, phone: &str, code: &str) -> String {
        hex::encode(
            self.mac(&format!("phone-code.{phone}.{code}"))
                .finalize()
                .into_bytes(),
        )
    }
}

fn resident(id: ResidentId, nickname: String) -> Principal {
    Principal::resident(id, nickname)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_masked_and_codes_read_as_typed() {
        assert_eq!(mask("13800138000"), "138****8000");
        assert_eq!(mask("123"), "****");
        assert_eq!(clean_code(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(clean_code("１２３４５６").as_deref(), Some("123456"));
        for bad in ["12345", "1234567", "12345a", ""] {
            assert_eq!(clean_code(bad), None, "{bad}");
        }
    }
}
