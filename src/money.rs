//! Money rules shared by the page and the server.

/// The consumption tax inside tax-included amounts, given as `(amount, rate in basis points)`: per rate, the sum's
/// share at that rate, rounded down (the Japanese invoice rule: once per rate, not per line).
pub fn included_tax(amounts: impl IntoIterator<Item = (i64, i64)>) -> i64 {
    let mut by_rate: Vec<(i64, i64)> = Vec::new();
    for (amount, rate) in amounts {
        match by_rate.iter_mut().find(|(r, _)| *r == rate) {
            Some((_, sum)) => *sum += amount,
            None => by_rate.push((rate, amount)),
        }
    }
    by_rate.iter().map(|(rate, sum)| sum * rate / (10_000 + rate)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_is_taken_once_per_rate_from_tax_included_sums() {
        // ¥1,980 at 8 %: 146 of tax; two of them 293 (not 2 × 146); with ¥1,100 at 10 %: 146 + 100.
        assert_eq!(included_tax([(1980, 800)]), 146);
        assert_eq!(included_tax([(3960, 800)]), 293);
        assert_eq!(included_tax([(1980, 800), (1100, 1000)]), 246);
        assert_eq!(included_tax([]), 0);
    }
}
