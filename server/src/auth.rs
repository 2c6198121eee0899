//! Who a request speaks for, with AppSync's two auth modes: API_KEY (viewers: `x-api-key`) and AWS_LAMBDA
//! (operators: the operator token in `Authorization`, a `Bearer ` prefix accepted). The same rules read HTTP headers
//! and the JSON auth object of the real-time protocol.

use axum::http::HeaderMap;
use serde_json::Value;

use crate::secret::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Caller {
    /// Authorized with the API key (AppSync API_KEY).
    Viewer,
    /// Authorized with the operator token (AppSync AWS_LAMBDA).
    Operator,
}

/// Why a request was refused. Both are AppSync's `UnauthorizedException`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("Valid authorization header not provided.")]
    Missing,
    #[error("You are not authorized to make this call.")]
    Invalid,
}

impl AuthError {
    pub const ERROR_TYPE: &'static str = "UnauthorizedException";
}

/// The configured credentials, compared in constant time.
#[derive(Clone)]
pub struct Credentials {
    api_key: Secret<String>,
    operator_token: Secret<String>,
}

impl Credentials {
    pub fn new(api_key: Secret<String>, operator_token: Secret<String>) -> Self {
        Self {
            api_key,
            operator_token,
        }
    }

    /// The caller named by an `Authorization` value and an `x-api-key` value. A valid operator token wins; a
    /// credential that is present but wrong is refused even when the other one is valid.
    pub fn authorize(&self, authorization: Option<&str>, api_key: Option<&str>) -> Result<Caller, AuthError> {
        let authorization = authorization.map(|value| value.strip_prefix("Bearer ").unwrap_or(value));
        match (authorization, api_key) {
            (None, None) => Err(AuthError::Missing),
            (Some(token), _) if self.operator_token.matches(token.as_bytes()) => Ok(Caller::Operator),
            (Some(_), _) => Err(AuthError::Invalid),
            (None, Some(key)) if self.api_key.matches(key.as_bytes()) => Ok(Caller::Viewer),
            (None, Some(_)) => Err(AuthError::Invalid),
        }
    }

    pub fn from_headers(&self, headers: &HeaderMap) -> Result<Caller, AuthError> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        self.authorize(header("authorization"), header("x-api-key"))
    }

    /// From the real-time protocol's auth object (`{"host": …, "x-api-key": …}` or `{"Authorization": …}`); names are
    /// matched without regard to case, as HTTP header names are.
    pub fn from_auth_object(&self, object: &Value) -> Result<Caller, AuthError> {
        let field = |name: &str| {
            object
                .as_object()?
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .and_then(|(_, value)| value.as_str())
        };
        self.authorize(field("authorization"), field("x-api-key"))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn credentials() -> Credentials {
        Credentials::new(Secret::new("da2-key".into()), Secret::new("op-token".into()))
    }

    #[test]
    fn api_key_makes_a_viewer_and_the_token_an_operator() {
        let c = credentials();
        assert_eq!(c.authorize(None, Some("da2-key")), Ok(Caller::Viewer));
        assert_eq!(c.authorize(Some("op-token"), None), Ok(Caller::Operator));
        assert_eq!(c.authorize(Some("Bearer op-token"), None), Ok(Caller::Operator));
        assert_eq!(c.authorize(Some("op-token"), Some("da2-key")), Ok(Caller::Operator));
    }

    #[test]
    fn wrong_or_missing_credentials_are_refused() {
        let c = credentials();
        assert_eq!(c.authorize(None, None), Err(AuthError::Missing));
        assert_eq!(c.authorize(None, Some("da2-wrong")), Err(AuthError::Invalid));
        assert_eq!(
            c.authorize(Some("da2-key"), None),
            Err(AuthError::Invalid),
            "the API key is not a token"
        );
        assert_eq!(c.authorize(Some("wrong"), Some("da2-key")), Err(AuthError::Invalid));
        assert_eq!(c.authorize(Some("Bearer "), None), Err(AuthError::Invalid));
    }

    #[test]
    fn reads_the_realtime_auth_object() {
        let c = credentials();
        assert_eq!(
            c.from_auth_object(&json!({"host": "h", "x-api-key": "da2-key"})),
            Ok(Caller::Viewer)
        );
        assert_eq!(
            c.from_auth_object(&json!({"Authorization": "op-token", "host": "h"})),
            Ok(Caller::Operator)
        );
        assert_eq!(c.from_auth_object(&json!({"host": "h"})), Err(AuthError::Missing));
        assert_eq!(c.from_auth_object(&json!("not an object")), Err(AuthError::Missing));
        assert_eq!(c.from_auth_object(&json!({"x-api-key": 42})), Err(AuthError::Missing));
    }
}
