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
fn group_thousands(value: u64) -> String {
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
    fn tax_rates_read_as_percentages() {
        assert_eq!(format_tax_rate(1000), "10%");
        assert_eq!(format_tax_rate(800), "8%");
        assert_eq!(format_tax_rate(750), "7.5%");
    }
}
