//! The operator console's sign-in: `POST /api/admin/login` checks the operator token and sets a signed session
//! cookie (HttpOnly, SameSite=Strict); `POST /api/admin/logout` ends it, and every other operator session with it. Plain forms, so they work without
//! JavaScript. The console page itself is the app's `/admin/:slug`.

use axum::{
    Router,
    extract::{FromRef, State, rejection::FormRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use serde::Deserialize;

use crate::{
    auth::{Caller, Credentials},
    error::AppError,
    session::Sessions,
    store::Store,
};

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Credentials: FromRef<S>,
    Sessions: FromRef<S>,
    Store: FromRef<S>,
{
    Router::new()
        .route("/api/admin/login", post(login))
        .route("/api/admin/logout", post(logout))
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
    next: Option<String>,
}

#[derive(Deserialize)]
struct LogoutForm {
    next: Option<String>,
}

/// Signs in with the operator token: 303 back to the console with the session cookie, or to the console with
/// `?login=failed` and no cookie.
async fn login(
    State(credentials): State<Credentials>,
    State(sessions): State<Sessions>,
    form: Result<axum::Form<LoginForm>, FormRejection>,
) -> Result<Response, AppError> {
    let axum::Form(form) = form.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let next = console_path(form.next.as_deref());
    if credentials.authorize(Some(&form.token), None) == Ok(Caller::Operator) {
        tracing::info!("operator signed in");
        Ok(see_other(&next, Some(sessions.operator_cookie())))
    } else {
        tracing::warn!("refused operator sign-in");
        let mut response = see_other(&format!("{next}?login=failed"), None);
        response
            .extensions_mut()
            .insert(crate::client_address::CredentialsRefused);
        Ok(response)
    }
}

/// Signs out: the operator's session, and with it every operator session issued so far (on every replica), ends.
/// Without a valid session only the cookie is cleared: nobody else can end the operator's sessions.
async fn logout(
    State(sessions): State<Sessions>,
    State(store): State<Store>,
    headers: HeaderMap,
    form: Result<axum::Form<LogoutForm>, FormRejection>,
) -> Result<Response, AppError> {
    let axum::Form(form) = form.map_err(|e| AppError::BadRequest(e.body_text()))?;
    if sessions.operator_in(&headers) {
        let generation = store.end_operator_sessions().await?;
        sessions.set_operator_generation(generation);
        tracing::info!("operator signed out: every operator session ended");
    }
    Ok(see_other(
        &console_path(form.next.as_deref()),
        Some(sessions.clear_operator_cookie()),
    ))
}

/// Where to go after signing in or out: a console page of this site, never elsewhere.
fn console_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with("/admin/")
                && path
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/-_.~%".contains(&b)) =>
        {
            path.to_owned()
        }
        _ => "/admin/demo".to_owned(),
    }
}

fn see_other(location: &str, cookie: Option<HeaderValue>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::console_path;

    #[test]
    fn only_console_paths_are_followed() {
        assert_eq!(console_path(Some("/admin/spring-sale")), "/admin/spring-sale");
        for elsewhere in [
            "https://evil.example/admin/x",
            "//evil.example/admin/",
            "/live/demo",
            "/admin/x\r\nSet-Cookie: a",
        ] {
            assert_eq!(console_path(Some(elsewhere)), "/admin/demo", "{elsewhere:?}");
        }
        assert_eq!(console_path(None), "/admin/demo");
    }
}
