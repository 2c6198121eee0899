//! Member sign-in with the OIDC provider (the authorization code flow with PKCE, a nonce and a state):
//! - `GET /auth/login?next=/live/demo` sends the browser to the provider, remembering the flow in a short-lived
//!   signed cookie;
//! - `GET /auth/callback?code&state` (the provider's redirect) checks the state, trades the code for the ID token,
//!   verifies it, sets the member cookie and returns to `next`;
//! - `POST /auth/logout` (form field `next`) ends the member session.
//!
//! Without a configured provider these answer 404. `next` is only ever a path of this site.

use super::AccessHttp;
use axum::{
    Form, Router,
    extract::FromRef,
    extract::{Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use caravan::api::{Refusal, RefusalCode};
use serde::Deserialize;

use crate::access::oidc::OidcError;
use crate::{
    error::AppError,
    secret::random_token,
    session::{MEMBER_COOKIE, SIGN_IN_COOKIE},
};

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AccessHttp: FromRef<S>,
{
    Router::new()
        .route("/auth/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/auth/logout", post(logout))
}

#[derive(Debug, Deserialize)]
struct Next {
    next: Option<String>,
}

/// A path of this site to return to; anything else (another origin, `//host`, `/\host`) becomes `/`.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(char::is_control) =>
        {
            path.to_string()
        }
        _ => "/".into(),
    }
}

fn not_configured() -> Response {
    let refusal = Refusal::new(
        RefusalCode::NotConfigured,
        "member sign-in is not configured on this server",
    );
    AppError::refused(StatusCode::NOT_FOUND, refusal).into_response()
}

fn redirect_uri(state: &AccessHttp) -> String {
    format!("{}/auth/callback", state.access.site_url)
}

fn provider_error(error: OidcError) -> AppError {
    match error {
        OidcError::Unreachable => AppError::BadGateway(error.to_string()),
        OidcError::Invalid(_) | OidcError::Exchange => AppError::BadRequest(format!("the sign-in failed: {error}")),
    }
}

async fn login(State(state): State<AccessHttp>, Query(next): Query<Next>) -> Result<Response, AppError> {
    let Some(oidc) = state.access.oidc.clone() else {
        return Ok(not_configured());
    };
    let (flow, nonce, verifier) = (random_token(32)?, random_token(32)?, random_token(32)?);
    let url = oidc
        .authorization_url(&redirect_uri(&state), &flow, &nonce, &verifier)
        .await
        .map_err(provider_error)?;
    let cookie = state
        .sessions
        .sign_in_cookie(&flow, &nonce, &verifier, &local_path(next.next.as_deref()));
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&url)).into_response())
}

#[derive(Debug, Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// The sign-in a callback completes: the provider's code, and the nonce, PKCE verifier and page to return to of the
/// browser's sign-in cookie, whose state must be the one the provider returned. 400 for a provider error, a flow that
/// expired or was not started here, or no code.
fn completed_flow(
    callback: Callback,
    sessions: &crate::session::Sessions,
    headers: &HeaderMap,
) -> Result<(String, String, String, String), AppError> {
    if let Some(error) = callback.error {
        // The provider's error code (such as access_denied) is not secret; only its letters are repeated.
        let code: String = error
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        return Err(AppError::BadRequest(format!("the sign-in was not completed ({code})")));
    }
    let expired = || AppError::BadRequest("this sign-in expired or was not started here; sign in again".into());
    let (flow, nonce, verifier, next) = sessions.sign_in_in(headers).ok_or_else(expired)?;
    let returned = callback.state.unwrap_or_default();
    let same_flow: bool = subtle::ConstantTimeEq::ct_eq(returned.as_bytes(), flow.as_bytes()).into();
    if !same_flow {
        return Err(expired());
    }
    let code = callback
        .code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| AppError::BadRequest("the provider sent no code".into()))?;
    Ok((code, nonce, verifier, next))
}

async fn callback(
    State(state): State<AccessHttp>,
    Query(callback): Query<Callback>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Some(oidc) = state.access.oidc.clone() else {
        return Ok(not_configured());
    };
    let (code, nonce, verifier, next) = completed_flow(callback, &state.sessions, &headers)?;
    let member = oidc
        .exchange(&code, &redirect_uri(&state), &verifier, &nonce)
        .await
        .map_err(provider_error)?;
    let mut response = Redirect::to(&next).into_response();
    let cookies = response.headers_mut();
    cookies.append(
        header::SET_COOKIE,
        state.sessions.member_cookie(&member.viewer_id, &member.plans),
    );
    cookies.append(header::SET_COOKIE, state.sessions.clear_cookie(SIGN_IN_COOKIE));
    Ok(response)
}

async fn logout(State(state): State<AccessHttp>, Form(next): Form<Next>) -> Response {
    let cookie: HeaderValue = state.sessions.clear_cookie(MEMBER_COOKIE);
    (
        [(header::SET_COOKIE, cookie)],
        Redirect::to(&local_path(next.next.as_deref())),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_only_ever_a_path_of_this_site() {
        assert_eq!(local_path(Some("/live/demo?x=1")), "/live/demo?x=1");
        for elsewhere in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "live",
            "/a\r\nb",
        ] {
            assert_eq!(local_path(Some(elsewhere)), "/", "{elsewhere:?}");
        }
        assert_eq!(local_path(None), "/");
    }
}
