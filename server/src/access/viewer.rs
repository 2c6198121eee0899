//! Who asks to watch: a member (an API client's bearer access token, or the member cookie of a sign-in) or an
//! anonymous viewer (the viewer cookie). A member who signed in on a browser keeps what that browser's anonymous
//! viewer was entitled to.

use axum::http::{HeaderMap, HeaderValue, header};

use std::sync::Arc;

use super::oidc::{Oidc, OidcError};
use crate::{
    auth::{Caller, Credentials},
    error::AppError,
    session::Sessions,
};

/// What tells who is asking: the session cookies, the API's credentials, and the member login's provider.
#[derive(Clone)]
pub struct Identity {
    pub sessions: Sessions,
    pub credentials: Credentials,
    /// `None` when no OIDC provider is configured (bearer tokens are then refused).
    pub oidc: Option<Arc<Oidc>>,
}

impl Identity {
    /// `AppError::Unauthorized` unless the request is the operator's: the token in `Authorization`, or the console's
    /// session cookie.
    pub fn require_operator(&self, headers: &HeaderMap) -> Result<(), AppError> {
        if self.credentials.from_headers(headers) == Ok(Caller::Operator) || self.sessions.operator_in(headers) {
            Ok(())
        } else {
            Err(AppError::Unauthorized)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// Whom entitlements and accepted terms are recorded for.
    pub id: String,
    /// The browser's anonymous viewer, when a member signed in on it.
    pub anonymous_id: Option<String>,
    /// The member's plans (none for anonymous viewers).
    pub plans: Vec<String>,
    /// Signed in with the OIDC provider.
    pub member: bool,
}

impl Viewer {
    pub fn anonymous(id: String) -> Self {
        Self {
            id,
            anonymous_id: None,
            plans: Vec::new(),
            member: false,
        }
    }
}

/// The viewer of a request, if any. A bearer token that does not verify is 401 (and 502 when the provider cannot be
/// asked), never a quiet fallback to the cookies.
pub async fn identify(identity: &Identity, headers: &HeaderMap) -> Result<Option<Viewer>, AppError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token);
    if let Some(token) = bearer {
        let oidc = identity.oidc.as_ref().ok_or(AppError::Unauthorized)?;
        let member = oidc.verify_access_token(token.trim()).await.map_err(|e| match e {
            OidcError::Unreachable => AppError::BadGateway(e.to_string()),
            OidcError::Invalid(_) | OidcError::Exchange => AppError::Unauthorized,
        })?;
        return Ok(Some(Viewer {
            id: member.viewer_id,
            anonymous_id: None,
            plans: member.plans,
            member: true,
        }));
    }
    let anonymous = identity.sessions.viewer_in(headers);
    if let Some((id, plans)) = identity.sessions.member_in(headers) {
        return Ok(Some(Viewer {
            id,
            anonymous_id: anonymous,
            plans,
            member: true,
        }));
    }
    Ok(anonymous.map(Viewer::anonymous))
}

/// The viewer of a request, and the `Set-Cookie` that makes an anonymous one when there is none (what is bought or
/// granted later then belongs to this browser).
pub async fn identify_or_new(
    identity: &Identity,
    headers: &HeaderMap,
) -> Result<(Viewer, Option<HeaderValue>), AppError> {
    match identify(identity, headers).await? {
        Some(viewer) => Ok((viewer, None)),
        None => {
            let id = Sessions::new_viewer_id()?;
            let cookie = identity.sessions.viewer_cookie(&id);
            Ok((Viewer::anonymous(id), Some(cookie)))
        }
    }
}
