//! The waiting room's calls: the viewer's, under `/waiting-room/` (the AWS Virtual Waiting Room's public API, so the
//! page would run against AWS's too), and the operator console's, under `/api/admin/waiting-room/` (its session
//! cookie). Refusals come back in the server's own words.

use serde::Deserialize;

/// The header an order carries the viewer's waiting-room token in (the server's name for it).
pub const TOKEN_HEADER: &str = "x-waiting-room-token";

/// A place in the queue, as `assign_queue_num` gives it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Place {
    pub api_request_id: String,
    pub queue_number: i64,
    pub event_id: String,
}

/// Where a place stands (`queue_num`'s `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Standing {
    /// The serving counter has not reached it.
    Waiting,
    /// Its turn has come: its token is ready.
    Served,
    /// Served but not claimed in time.
    Expired,
    /// Used for an order.
    Completed,
    /// The viewer left the queue.
    Abandoned,
}

/// What `generate_token` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenAnswer {
    /// The access token the order endpoints take.
    Granted(String),
    /// The counter has not reached the place yet (202).
    NotYet,
    /// The place lapsed, was left, or was used (410): a new number is needed.
    Lapsed,
}

/// A show's room as the operator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RoomFigures {
    pub armed: bool,
    /// `manual`, `max_size` or `per_minute`.
    pub inlet: String,
    pub inlet_size: i64,
    pub serving_counter: i64,
    /// The last number handed out.
    pub last_number: i64,
    pub waiting_num: i64,
    /// Served places whose holders are in checkout (not yet completed or lapsed).
    pub active_tokens: i64,
}

#[cfg(feature = "browser")]
pub use browser::{admit, assign, configure, leave, reset, room, serving, standing, token, waiting};

#[cfg(feature = "browser")]
mod browser {
    use gloo_net::http::{Request, RequestBuilder, Response};
    use serde::{Deserialize, de::DeserializeOwned};
    use serde_json::json;

    use super::{Place, RoomFigures, Standing, TokenAnswer};
    use crate::api::ApiError;

    fn component(text: &str) -> String {
        String::from(js_sys::encode_uri_component(text))
    }

    fn network(error: gloo_net::Error) -> ApiError {
        ApiError::Network(error.to_string())
    }

    async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
        response.json::<T>().await.map_err(|e| ApiError::Decode(e.to_string()))
    }

    /// A refusal in the server's words (`{"error": …}`), or its status when the body says nothing.
    async fn refusal(response: Response) -> ApiError {
        let status = response.status();
        match response.json::<crate::api::Refusal>().await {
            Ok(refusal) => ApiError::Refused(Box::new(refusal)),
            Err(_) => ApiError::Network(format!("the server answered {status}")),
        }
    }

    async fn send(request: RequestBuilder, body: Option<serde_json::Value>) -> Result<Response, ApiError> {
        match body {
            Some(body) => request.json(&body).map_err(network)?.send().await,
            None => request.send().await,
        }
        .map_err(network)
    }

    /// Takes a number for the show `event_id` (the viewer's own place back if they hold one); `None` when its room
    /// is not armed.
    pub async fn assign(event_id: &str) -> Result<Option<Place>, ApiError> {
        let response = send(
            Request::post("/waiting-room/assign_queue_num"),
            Some(json!({ "event_id": event_id })),
        )
        .await?;
        match response.status() {
            200 => decode(response).await.map(Some),
            409 => Ok(None),
            _ => Err(refusal(response).await),
        }
    }

    /// Where the viewer's place stands; `None` when the room no longer has it (the operator reset the room).
    pub async fn standing(event_id: &str, request_id: &str) -> Result<Option<Standing>, ApiError> {
        #[derive(Deserialize)]
        struct Answer {
            status: Standing,
        }
        let url = format!(
            "/waiting-room/queue_num?event_id={}&request_id={}",
            component(event_id),
            component(request_id)
        );
        let response = send(Request::get(&url), None).await?;
        match response.status() {
            200 => Ok(Some(decode::<Answer>(response).await?.status)),
            404 => Ok(None),
            _ => Err(refusal(response).await),
        }
    }

    /// A GET's JSON answer, or the server's refusal.
    async fn get<T: DeserializeOwned>(url: &str) -> Result<T, ApiError> {
        let response = send(Request::get(url), None).await?;
        if !response.ok() {
            return Err(refusal(response).await);
        }
        decode(response).await
    }

    /// The number being served now.
    pub async fn serving(event_id: &str) -> Result<i64, ApiError> {
        #[derive(Deserialize)]
        struct Answer {
            serving_counter: i64,
        }
        let url = format!("/waiting-room/serving_num?event_id={}", component(event_id));
        Ok(get::<Answer>(&url).await?.serving_counter)
    }

    /// How many wait for their turn.
    pub async fn waiting(event_id: &str) -> Result<i64, ApiError> {
        #[derive(Deserialize)]
        struct Answer {
            waiting_num: i64,
        }
        let url = format!("/waiting-room/waiting_num?event_id={}", component(event_id));
        Ok(get::<Answer>(&url).await?.waiting_num)
    }

    /// The place's token, once its turn has come.
    pub async fn token(event_id: &str, request_id: &str) -> Result<TokenAnswer, ApiError> {
        #[derive(Deserialize)]
        struct Answer {
            access_token: String,
        }
        let response = send(
            Request::post("/waiting-room/generate_token"),
            Some(json!({ "event_id": event_id, "request_id": request_id })),
        )
        .await?;
        match response.status() {
            200 => Ok(TokenAnswer::Granted(decode::<Answer>(response).await?.access_token)),
            202 => Ok(TokenAnswer::NotYet),
            404 | 410 => Ok(TokenAnswer::Lapsed),
            _ => Err(refusal(response).await),
        }
    }

    /// Gives the place up (the number is not handed out again).
    pub async fn leave(event_id: &str, request_id: &str) -> Result<(), ApiError> {
        let response = send(
            Request::post("/waiting-room/update_session"),
            Some(json!({ "event_id": event_id, "request_id": request_id, "status": -1 })),
        )
        .await?;
        if response.ok() || response.status() == 404 {
            Ok(())
        } else {
            Err(refusal(response).await)
        }
    }

    fn admin(event_id: &str, action: &str) -> String {
        format!("/api/admin/waiting-room/{}{action}", component(event_id))
    }

    async fn figures(response: Response) -> Result<RoomFigures, ApiError> {
        if response.ok() {
            decode(response).await
        } else {
            Err(refusal(response).await)
        }
    }

    /// The show's room, as the operator; `None` when it was never set up.
    pub async fn room(event_id: &str) -> Result<Option<RoomFigures>, ApiError> {
        let response = send(Request::get(&admin(event_id, "")), None).await?;
        if response.status() == 404 {
            return Ok(None);
        }
        figures(response).await.map(Some)
    }

    /// Arms or disarms the room, with its inlet (`manual`, `max_size` or `per_minute`, and its size).
    pub async fn configure(event_id: &str, armed: bool, inlet: &str, inlet_size: i64) -> Result<RoomFigures, ApiError> {
        let body = json!({ "armed": armed, "inlet": inlet, "inlet_size": inlet_size });
        figures(send(Request::put(&admin(event_id, "")), Some(body)).await?).await
    }

    /// Moves the serving counter by `by` (lets `by` more viewers in).
    pub async fn admit(event_id: &str, by: i64) -> Result<(), ApiError> {
        let path = admin(event_id, "/increment_serving_counter");
        let response = send(Request::post(&path), Some(json!({ "increment_by": by }))).await?;
        if response.ok() {
            Ok(())
        } else {
            Err(refusal(response).await)
        }
    }

    /// Empties the room: no places, counters at 0.
    pub async fn reset(event_id: &str) -> Result<RoomFigures, ApiError> {
        figures(send(Request::post(&admin(event_id, "/reset")), None).await?).await
    }
}
