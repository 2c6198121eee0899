//! How values the driver cannot carry as they are go in and out of columns: times, flags and named states.
//!
//! Times: both backends keep them as RFC 3339 text in UTC (`2026-11-23T02:43:49.123456+00:00`, the
//! form sqlx gave SQLite before there were two backends, so older databases read on), because the driver that serves
//! both (`sqlx::Any`) carries only integers, floats, text and bytes. The form sorts as the times do, so columns are
//! compared and ordered in SQL as text.
//!
//! [`At`] binds and reads a time; [`MaybeAt`] reads a column that may be NULL (bind an `Option<At>`). Records keep
//! plain `DateTime<Utc>` fields and read them with `#[sqlx(try_from = "At")]`.
//!
//! Flags are 0 or 1 in a BIGINT column in both (SQLite has no booleans): [`Flag`]. States with names (an order's,
//! a mail's) are their lowercase names in TEXT: [`text_enum!`](crate::text_enum).

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use sqlx::{
    Any, Decode, Encode, Type, ValueRef,
    any::{AnyTypeInfo, AnyValueRef},
    encode::IsNull,
    error::BoxDynError,
};

/// A time as the database holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At(pub DateTime<Utc>);

/// A time that may be NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaybeAt(pub Option<DateTime<Utc>>);

impl From<At> for DateTime<Utc> {
    fn from(at: At) -> Self {
        at.0
    }
}

impl From<MaybeAt> for Option<DateTime<Utc>> {
    fn from(at: MaybeAt) -> Self {
        at.0
    }
}

fn parse(text: &str) -> Result<DateTime<Utc>, BoxDynError> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    // SQLite's own form (`datetime('now')`), UTC without an offset.
    Ok(NaiveDateTime::parse_from_str(text, "%F %T%.f")
        .map_err(|_| format!("not a time: {text:?}"))?
        .and_utc())
}

impl Type<Any> for At {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Any> for At {
    fn encode_by_ref(&self, buf: &mut <Any as sqlx::Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Any>>::encode(self.0.to_rfc3339_opts(SecondsFormat::AutoSi, false), buf)
    }
}

impl<'r> Decode<'r, Any> for At {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(At(parse(<&str as Decode<'r, Any>>::decode(value)?)?))
    }
}

impl Type<Any> for MaybeAt {
    fn type_info() -> AnyTypeInfo {
        At::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        At::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for MaybeAt {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        if value.is_null() {
            return Ok(MaybeAt(None));
        }
        Ok(MaybeAt(Some(At::decode(value)?.0)))
    }
}

/// A flag: 0 or 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(flag: Flag) -> Self {
        flag.0
    }
}

impl Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <i64 as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <i64 as Type<Any>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Any> for Flag {
    fn encode_by_ref(&self, buf: &mut <Any as sqlx::Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<'q, Any>>::encode(i64::from(self.0), buf)
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Flag(<i64 as Decode<'r, Any>>::decode(value)? != 0))
    }
}

/// Declares an enum kept in a TEXT column by its name: the enum, its `as_str`, and how it binds and reads.
///
/// ```ignore
/// text_enum! {
///     /// Where a piece of mail is.
///     pub enum MailState { Held = "held", Sent = "sent" }
/// }
/// ```
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$variant_meta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        $vis enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            /// The name it has in the database (and in the API where it appears).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }

        impl sqlx::Type<sqlx::Any> for $name {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }

            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<'q, sqlx::Any>>::encode(self.as_str(), buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Any> for $name {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                match <&str as sqlx::Decode<'r, sqlx::Any>>::decode(value)? {
                    $($text => Ok(Self::$variant),)+
                    other => Err(format!(concat!("not a ", stringify!($name), ": {:?}"), other).into()),
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_form_sorts_as_the_times_do() {
        let base = DateTime::parse_from_rfc3339("2026-11-23T02:43:49Z").unwrap().to_utc();
        let times: Vec<DateTime<Utc>> = [0, 1_000_000, 123_456_000, 123_456_789, 999_999_999, 1_000_000_000]
            .iter()
            .map(|nanos| base + chrono::Duration::nanoseconds(*nanos))
            .collect();
        let stored: Vec<String> = times
            .iter()
            .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, false))
            .collect();
        let mut sorted = stored.clone();
        sorted.sort();
        assert_eq!(sorted, stored);
        for (text, time) in stored.iter().zip(&times) {
            assert_eq!(parse(text).unwrap(), *time);
        }
    }

    #[test]
    fn sqlite_forms_and_junk() {
        assert_eq!(
            parse("2026-11-23 02:43:49").unwrap(),
            DateTime::parse_from_rfc3339("2026-11-23T02:43:49Z").unwrap()
        );
        assert!(parse("yesterday").is_err());
    }
}
