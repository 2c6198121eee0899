use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, SecondsFormat, Utc};

/// AppSync's `AWSDateTime`: an extended ISO 8601 date and time, written here as UTC with milliseconds
/// (`2026-11-22T09:30:00.000Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsDateTime(pub DateTime<Utc>);

#[Scalar(name = "AWSDateTime")]
impl ScalarType for AwsDateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => DateTime::parse_from_rfc3339(text)
                .map(|t| AwsDateTime(t.with_timezone(&Utc)))
                .map_err(|e| InputValueError::custom(format!("not an AWSDateTime: {e}"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}
