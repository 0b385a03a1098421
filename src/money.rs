//! Money: integer minor units inside, Griffin's `{"currency": "GBP", "value": "1000.00"}` at
//! the edge. Floats never touch an amount: input values are parsed as decimals and must have
//! at most two decimal places; output always has exactly two.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::error::{DomainError, DomainResult};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The currencies Griffin's API knows (only pounds sterling).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Currency {
    #[serde(rename = "GBP")]
    Gbp,
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::Gbp => "GBP",
        }
    }

    /// Digits of the minor unit (ISO 4217's exponent): pence are hundredths of a pound.
    pub fn exponent(self) -> u32 {
        match self {
            Currency::Gbp => 2,
        }
    }
}

/// An amount in minor units (pence). Signed, so that ledger arithmetic can use it directly.
/// Stored as a BIGINT.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::BigInt)]
pub struct MinorUnits(pub i64);

impl<DB> diesel::serialize::ToSql<diesel::sql_types::BigInt, DB> for MinorUnits
where
    DB: diesel::backend::Backend,
    i64: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
{
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, DB>,
    ) -> diesel::serialize::Result {
        <i64 as diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>>::to_sql(&self.0, out)
    }
}

impl<DB> diesel::deserialize::FromSql<diesel::sql_types::BigInt, DB> for MinorUnits
where
    DB: diesel::backend::Backend,
    i64: diesel::deserialize::FromSql<diesel::sql_types::BigInt, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        <i64 as diesel::deserialize::FromSql<diesel::sql_types::BigInt, DB>>::from_sql(bytes)
            .map(MinorUnits)
    }
}

/// Why a decimal string is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("must be a decimal number such as \"10.00\"")]
    NotADecimal,
    #[error("must have at most two decimal places")]
    TooPrecise,
    #[error("is too large")]
    TooLarge,
}

impl std::ops::Neg for MinorUnits {
    type Output = MinorUnits;

    fn neg(self) -> MinorUnits {
        MinorUnits(-self.0)
    }
}

impl std::ops::Add for MinorUnits {
    type Output = MinorUnits;

    fn add(self, other: MinorUnits) -> MinorUnits {
        MinorUnits(self.0 + other.0)
    }
}

impl std::ops::Sub for MinorUnits {
    type Output = MinorUnits;

    fn sub(self, other: MinorUnits) -> MinorUnits {
        MinorUnits(self.0 - other.0)
    }
}

impl std::iter::Sum for MinorUnits {
    fn sum<I: Iterator<Item = MinorUnits>>(iter: I) -> MinorUnits {
        MinorUnits(iter.map(|m| m.0).sum())
    }
}

impl MinorUnits {
    pub const ZERO: MinorUnits = MinorUnits(0);

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// Parses a decimal value such as `"12.5"` or `"1000.00"` into minor units.
    pub fn parse_decimal(text: &str) -> Result<Self, AmountError> {
        let text = text.trim();
        // rust_decimal accepts forms a bank API should not ("1_000", "1e3"): allow only
        // an optional sign, digits and at most one decimal point.
        let unsigned = text.strip_prefix('-').unwrap_or(text);
        let well_formed = !unsigned.is_empty()
            && unsigned.chars().all(|c| c.is_ascii_digit() || c == '.')
            && unsigned.matches('.').count() <= 1
            && unsigned.chars().any(|c| c.is_ascii_digit());
        if !well_formed {
            return Err(AmountError::NotADecimal);
        }
        let decimal = Decimal::from_str(text).map_err(|_| AmountError::TooLarge)?;
        Self::from_decimal(decimal)
    }

    fn from_decimal(decimal: Decimal) -> Result<Self, AmountError> {
        let normalized = decimal.normalize();
        if normalized.scale() > 2 {
            return Err(AmountError::TooPrecise);
        }
        let minor = normalized
            .checked_mul(Decimal::ONE_HUNDRED)
            .ok_or(AmountError::TooLarge)?;
        i64::try_from(minor)
            .map(MinorUnits)
            .map_err(|_| AmountError::TooLarge)
    }

    /// The decimal string with exactly two decimals, e.g. `-12.50`.
    pub fn to_decimal_string(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for MinorUnits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// A money object as Griffin's API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    pub currency: Currency,
    pub amount: MinorUnits,
}

impl Money {
    pub fn gbp(amount: MinorUnits) -> Self {
        Money {
            currency: Currency::Gbp,
            amount,
        }
    }

    /// The amount in the currency's major unit, signed, with exactly as many decimals as
    /// the currency's exponent (`-12.50` for -1250 pence).
    pub fn decimal(&self) -> String {
        let exponent = self.currency.exponent();
        let sign = if self.amount.0 < 0 { "-" } else { "" };
        let abs = self.amount.0.unsigned_abs();
        if exponent == 0 {
            return format!("{sign}{abs}");
        }
        let scale = 10u64.pow(exponent);
        let width = exponent as usize;
        format!("{sign}{}.{:0width$}", abs / scale, abs % scale)
    }
}

/// The largest amount any request may name (£10 billion): far above any payment, and far
/// enough below `i64::MAX` that no sum of them overflows a balance in practice (the ledger's
/// update refuses one that would, all the same).
pub const MAX_AMOUNT: MinorUnits = MinorUnits(1_000_000_000_000);

/// A request's amount: more than zero and at most [`MAX_AMOUNT`]; else a 400 pointing at
/// `{pointer}/value`.
pub fn positive_amount(money: &Money, pointer: &str) -> DomainResult<MinorUnits> {
    let amount = money.amount;
    if amount.0 <= 0 || amount > MAX_AMOUNT {
        return Err(DomainError::invalid_value(
            format!("The amount must be more than zero and at most {MAX_AMOUNT}."),
            format!("{pointer}/value"),
        ));
    }
    Ok(amount)
}

#[derive(Serialize)]
struct MoneyOut<'a> {
    currency: &'static str,
    value: &'a str,
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        MoneyOut {
            currency: self.currency.code(),
            value: &self.decimal(),
        }
        .serialize(serializer)
    }
}

/// Input values may be strings (as Griffin documents) or JSON numbers (as some clients
/// send); numbers are read from their shortest exact decimal text. A bad value is reported
/// at `…/value`, where it is.
#[derive(Deserialize)]
struct MoneyIn {
    currency: Currency,
    value: AmountIn,
}

struct AmountIn(MinorUnits);

impl<'de> Deserialize<'de> for AmountIn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = AmountIn;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal amount such as \"10.00\"")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<AmountIn, E> {
                MinorUnits::parse_decimal(text)
                    .map(AmountIn)
                    .map_err(|e| E::custom(format!("value {e}")))
            }

            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<AmountIn, E> {
                self.visit_str(&n.to_string())
            }

            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<AmountIn, E> {
                self.visit_str(&n.to_string())
            }

            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<AmountIn, E> {
                self.visit_str(&n.to_string())
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let input = MoneyIn::deserialize(deserializer)?;
        Ok(Money {
            currency: input.currency,
            amount: input.value.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_two_decimals() {
        assert_eq!(MinorUnits(0).to_string(), "0.00");
        assert_eq!(MinorUnits(5).to_string(), "0.05");
        assert_eq!(MinorUnits(100_000).to_string(), "1000.00");
        assert_eq!(MinorUnits(-1250).to_string(), "-12.50");
        assert_eq!(MinorUnits(i64::MIN).to_string(), "-92233720368547758.08");
    }

    #[test]
    fn money_has_its_currencys_decimals() {
        for (minor, decimal) in [
            (0, "0.00"),
            (5, "0.05"),
            (-1250, "-12.50"),
            (100_000, "1000.00"),
        ] {
            assert_eq!(Money::gbp(MinorUnits(minor)).decimal(), decimal);
            assert_eq!(MinorUnits(minor).to_decimal_string(), decimal);
        }
        assert_eq!(
            Money::gbp(MinorUnits(i64::MIN)).decimal(),
            "-92233720368547758.08"
        );
    }

    #[test]
    fn parses_decimals() {
        for (text, minor) in [
            ("1000.00", 100_000),
            ("1000", 100_000),
            ("12.5", 1250),
            ("0.01", 1),
            ("0", 0),
            (".5", 50),
            ("7.", 700),
            ("-3.20", -320),
            ("1.500", 150), // trailing zeros carry no precision
        ] {
            assert_eq!(
                MinorUnits::parse_decimal(text),
                Ok(MinorUnits(minor)),
                "{text}"
            );
        }
    }

    #[test]
    fn round_trips() {
        for minor in [0, 1, 99, 100, 123_456_789, -42, i64::MAX, i64::MIN + 1] {
            let text = MinorUnits(minor).to_string();
            assert_eq!(MinorUnits::parse_decimal(&text), Ok(MinorUnits(minor)));
        }
    }

    #[test]
    fn rejects_invalid_forms() {
        for text in [
            "", " ", "abc", "1,00", "1_000", "1e3", "0x10", "1.2.3", "--1", "+1", ".",
        ] {
            assert_eq!(
                MinorUnits::parse_decimal(text),
                Err(AmountError::NotADecimal),
                "{text:?}"
            );
        }
        assert_eq!(
            MinorUnits::parse_decimal("0.001"),
            Err(AmountError::TooPrecise)
        );
        assert_eq!(
            MinorUnits::parse_decimal("92233720368547758.08"),
            Err(AmountError::TooLarge)
        );
        assert_eq!(
            MinorUnits::parse_decimal("99999999999999999999999999999999"),
            Err(AmountError::TooLarge)
        );
    }

    #[test]
    fn money_json_round_trip() {
        let money: Money =
            serde_json::from_str(r#"{"currency": "GBP", "value": "20.5"}"#).expect("valid");
        assert_eq!(money, Money::gbp(MinorUnits(2050)));
        assert_eq!(
            serde_json::to_value(money).expect("serializes"),
            serde_json::json!({"currency": "GBP", "value": "20.50"})
        );
        let from_number: Money =
            serde_json::from_str(r#"{"currency": "GBP", "value": 20.10}"#).expect("valid");
        assert_eq!(from_number, Money::gbp(MinorUnits(2010)));
    }

    #[test]
    fn money_json_rejects_bad_input() {
        for body in [
            r#"{"currency": "EUR", "value": "1.00"}"#,
            r#"{"currency": "GBP", "value": "1.001"}"#,
            r#"{"currency": "GBP", "value": 1e400}"#,
            r#"{"currency": "GBP", "value": true}"#,
            r#"{"currency": "GBP"}"#,
            r#"{"value": "1.00"}"#,
        ] {
            assert!(serde_json::from_str::<Money>(body).is_err(), "{body}");
        }
    }
}
