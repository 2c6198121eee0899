//! Who is asking, as extractors: a handler names what it needs in its arguments and gets it, or the request is
//! refused before the handler runs.
//!
//! - [`Viewer`]: the viewer (a member's login or bearer token, or the browser's anonymous viewer cookie), made when
//!   the request has none; the new viewer's cookie is a response part the handler returns ([`NewViewer`]).
//! - [`MaybeViewer`]: the viewer if there is one (nothing is made).
//! - [`Operator`]: the operator (the token in `Authorization`, or the console's session cookie); 401 otherwise.
//!
//! Each needs only the [`Identity`] from the state (`FromRef`).

use axum::{
    extract::{FromRef, FromRequestParts},
    http::{HeaderValue, header, request::Parts},
    response::{IntoResponseParts, ResponseParts},
};

use crate::{
    access::viewer::{self, Identity},
    error::AppError,
};

/// The viewer of a request, made when there is none.
pub struct Viewer(pub viewer::Viewer, pub NewViewer);

/// The `Set-Cookie` of a viewer made by this request (nothing for a known viewer): return it with the response, so
/// what is bought or granted belongs to this browser.
#[derive(Debug, Default)]
pub struct NewViewer(Option<HeaderValue>);

impl NewViewer {
    /// Whether this request made the viewer (it had no cookie).
    pub fn is_new(&self) -> bool {
        self.0.is_some()
    }
}

impl IntoResponseParts for NewViewer {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut parts: ResponseParts) -> Result<ResponseParts, Self::Error> {
        if let Some(cookie) = self.0 {
            parts.headers_mut().append(header::SET_COOKIE, cookie);
        }
        Ok(parts)
    }
}

impl<S> FromRequestParts<S> for Viewer
where
    S: Send + Sync,
    Identity: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let (viewer, cookie) = viewer::identify_or_new(&Identity::from_ref(state), &parts.headers).await?;
        Ok(Self(viewer, NewViewer(cookie)))
    }
}

/// The viewer of a request, if any. A bearer token that does not verify is 401 (502 when the provider cannot be
/// asked), never a quiet fallback to the cookies.
pub struct MaybeViewer(pub Option<viewer::Viewer>);

impl<S> FromRequestParts<S> for MaybeViewer
where
    S: Send + Sync,
    Identity: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            viewer::identify(&Identity::from_ref(state), &parts.headers).await?,
        ))
    }
}

/// The operator: the request is refused with 401 otherwise.
pub struct Operator;

impl<S> FromRequestParts<S> for Operator
where
    S: Send + Sync,
    Identity: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Identity::from_ref(state).require_operator(&parts.headers)?;
        Ok(Self)
    }
}
