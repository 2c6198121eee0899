//! Display formatting shared by components.

/// Digits after the decimal point of a currency's minor unit (ISO 4217); JPY and KRW have none.
fn minor_digits(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "TWD" | "HUF" | "UGX" => 0,
        _ => 2,
    }
}

fn symbol(currency: &str) -> &str {
    match currency {
        "JPY" => "¥",
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        other => other,
    }
}

/// Groups the digits of a non-negative integer in threes: 1980 → "1,980".
pub fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A count for people: 12345 → "12,345" (negative counts show as 0).
pub fn format_count(count: i64) -> String {
    group_thousands(count.max(0).unsigned_abs())
}

/// Formats an amount in minor units: `(1980, "JPY")` → "¥1,980", `(123456, "USD")` → "$1,234.56".
pub fn format_price(minor_units: i64, currency: &str) -> String {
    let sign = if minor_units < 0 { "-" } else { "" };
    let magnitude = minor_units.unsigned_abs();
    let digits = minor_digits(currency);
    let symbol = symbol(currency);
    if digits == 0 {
        return format!("{sign}{symbol}{}", group_thousands(magnitude));
    }
    let scale = 10u64.pow(digits);
    format!(
        "{sign}{symbol}{}.{:0width$}",
        group_thousands(magnitude / scale),
        magnitude % scale,
        width = digits as usize
    )
}

/// An amount in minor units as the decimal number of its major unit, as machines read it: 1980 JPY → "1980",
/// 123456 USD → "1234.56".
pub fn decimal_amount(minor_units: i64, currency: &str) -> String {
    let digits = minor_digits(currency);
    if digits == 0 {
        return minor_units.to_string();
    }
    let sign = if minor_units < 0 { "-" } else { "" };
    let (magnitude, scale) = (minor_units.unsigned_abs(), 10u64.pow(digits));
    format!(
        "{sign}{}.{:0width$}",
        magnitude / scale,
        magnitude % scale,
        width = digits as usize
    )
}

/// A tax rate in basis points as a percentage label: 1000 → "10%", 750 → "7.5%".
pub fn format_tax_rate(basis_points: i64) -> String {
    if basis_points.rem_euclid(100) == 0 {
        format!("{}%", basis_points / 100)
    } else {
        format!("{}%", basis_points as f64 / 100.0)
    }
}

/// A duration in seconds as a clock: "1:05" or "1:02:03" ("0:00" for what is not a finite, positive time).
pub fn format_clock(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "0:00".into();
    }
    let total = seconds.floor() as u64;
    let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{secs:02}")
    } else {
        format!("{minutes}:{secs:02}")
    }
}

/// Seconds since the Unix epoch of an RFC 3339 time in UTC as the API writes it (`2026-11-22T09:30:00.000Z`);
/// `None` for anything else.
pub fn parse_utc_seconds(text: &str) -> Option<i64> {
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let bytes = text.as_bytes();
    if bytes.len() < 20 || bytes[4] != b'-' || bytes[7] != b'-' || bytes[10] != b'T' || !text.ends_with('Z') {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Seconds since the Unix epoch as RFC 3339 in UTC, as the API writes times: `2026-11-22T09:30:00.000Z`.
pub fn utc_rfc3339(seconds: i64) -> String {
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // The civil date of a day count from 1970-01-01 (Howard Hinnant's algorithm; parse_utc_seconds runs it backwards).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.000Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// An RFC 3339 time in the browser's time zone, written the locale's way (`Intl.DateTimeFormat`):
/// "2026年11月29日 23:10 JST", "November 29, 2026 at 11:10 PM GMT+9". `None` for a time the browser cannot read.
#[cfg(feature = "browser")]
pub fn local_date_time(rfc3339: &str, locale: &str) -> Option<String> {
    let date = js_sys::Date::new(&rfc3339.into());
    if date.get_time().is_nan() {
        return None;
    }
    let options = js_sys::Object::new();
    for (key, value) in [
        ("year", "numeric"),
        ("month", "long"),
        ("day", "numeric"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
        ("timeZoneName", "short"),
    ] {
        js_sys::Reflect::set(&options, &key.into(), &value.into()).ok()?;
    }
    date.to_locale_string(locale, &options).as_string()
}

/// The time now, in seconds since the Unix epoch (the browser's clock in the browser).
pub fn now_seconds() -> i64 {
    #[cfg(feature = "browser")]
    {
        (js_sys::Date::now() / 1000.0) as i64
    }
    #[cfg(not(feature = "browser"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks() {
        assert_eq!(format_clock(0.0), "0:00");
        assert_eq!(format_clock(65.9), "1:05");
        assert_eq!(format_clock(3723.0), "1:02:03");
        assert_eq!(format_clock(f64::NAN), "0:00");
        assert_eq!(format_clock(f64::INFINITY), "0:00");
    }

    #[test]
    fn yen_has_no_decimals_and_groups_thousands() {
        assert_eq!(format_price(1980, "JPY"), "¥1,980");
        assert_eq!(format_price(648, "JPY"), "¥648");
        assert_eq!(format_price(1_234_567, "JPY"), "¥1,234,567");
        assert_eq!(format_price(0, "JPY"), "¥0");
    }

    #[test]
    fn two_decimal_currencies_keep_their_cents() {
        assert_eq!(format_price(123_456, "USD"), "$1,234.56");
        assert_eq!(format_price(5, "EUR"), "€0.05");
        assert_eq!(format_price(-250, "GBP"), "-£2.50");
        assert_eq!(format_price(1000, "CHF"), "CHF10.00");
    }

    #[test]
    fn decimal_amounts_for_machines() {
        assert_eq!(decimal_amount(1980, "JPY"), "1980");
        assert_eq!(decimal_amount(123_456, "USD"), "1234.56");
        assert_eq!(decimal_amount(5, "EUR"), "0.05");
        assert_eq!(decimal_amount(-250, "GBP"), "-2.50");
    }

    #[test]
    fn tax_rates_read_as_percentages() {
        assert_eq!(format_tax_rate(1000), "10%");
        assert_eq!(format_tax_rate(800), "8%");
        assert_eq!(format_tax_rate(750), "7.5%");
    }

    #[test]
    fn utc_times_and_ages() {
        assert_eq!(parse_utc_seconds("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(parse_utc_seconds("2026-11-22T09:30:00.000Z"), Some(1_795_339_800));
        assert_eq!(parse_utc_seconds("2024-02-29T23:59:59Z"), Some(1_709_251_199));
        assert_eq!(parse_utc_seconds("2026-11-22T09:30:00+09:00"), None);
        assert_eq!(parse_utc_seconds("yesterday"), None);
        for seconds in [0, 1_795_339_800, 1_709_251_199, 951_782_400, -86_400] {
            assert_eq!(
                parse_utc_seconds(&utc_rfc3339(seconds)),
                Some(seconds),
                "{}",
                utc_rfc3339(seconds)
            );
        }
        assert_eq!(utc_rfc3339(1_795_339_800), "2026-11-22T09:30:00.000Z");
    }
}
