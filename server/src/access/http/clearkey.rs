//! `POST /drm/clearkey/{slug}`: the embedded ClearKey license server. The request is `{"kids": ["<base64url key
//! id>", …], "type": "temporary"}`; an entitled viewer (by the viewer cookie) gets `{"keys": [{"kty": "oct", "kid":
//! …, "k": …}], "type": …}` with the keys of this event only (`access::clearkey`). Others are refused as every
//! license request is (`super::drm::licensee`).

use axum::{
    Json,
    body::Body,
    extract::{Path, State},
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::json;

use super::{AccessHttp, drm::licensee};
use crate::{access::clearkey, error::AppError};

/// License requests are small; a CDM sends a few key ids.
const MAX_BODY: usize = 4 * 1024;

#[derive(Debug, Deserialize)]
struct LicenseRequest {
    kids: Vec<String>,
    #[serde(rename = "type", default)]
    session_type: Option<String>,
}

pub async fn license(
    State(state): State<AccessHttp>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let body = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| AppError::PayloadTooLarge(MAX_BODY))?;
    let request: LicenseRequest =
        serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(format!("invalid license request: {e}")))?;
    let key_ids = clearkey::key_ids(&request.kids)?;
    let event = match licensee(&state, &slug, &headers).await {
        Ok(event) => event,
        Err(refusal) => return Ok(refusal),
    };
    let keys = clearkey::keys(&state.store, &event.id, &key_ids).await?;
    let session_type = request.session_type.unwrap_or_else(|| "temporary".into());
    Ok(Json(json!({ "keys": keys, "type": session_type })).into_response())
}
