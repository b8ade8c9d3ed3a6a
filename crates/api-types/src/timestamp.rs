//! RFC 3339 timestamps read and written without chrono's general parser and formatter.
//!
//! Rationale: chrono's serde goes through its format-string machinery (`Parsed`,
//! strftime items and `core::fmt`): about 19 KB of the web app's wasm, and about 4 % of
//! the server's CPU when it writes a page of companies (docs/benchmarks.md). Every
//! timestamp field of the wire types names [`serialize`]/[`deserialize`] or [`option`]
//! instead, on the server and in the frontend alike. They read and write the same
//! instants and text as chrono; the tests below check this module against chrono.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Deserializer, Serializer, de::Error};

/// `2026-11-26T09:42:07.123456Z` or with an offset (`+01:00`); `T` may be `t` or a
/// space, `Z` may be `z`, the fraction has any number of digits (nanoseconds kept).
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let bytes = text.as_bytes();
    let number = |from: usize, len: usize| -> Option<u32> {
        let digits = bytes.get(from..from + len)?;
        digits.iter().try_fold(0_u32, |value, &digit| {
            digit
                .is_ascii_digit()
                .then(|| value * 10 + u32::from(digit - b'0'))
        })
    };
    let separated =
        |at: usize, expected: &[u8]| bytes.get(at).is_some_and(|b| expected.contains(b));
    if !(separated(4, b"-")
        && separated(7, b"-")
        && separated(10, b"Tt ")
        && separated(13, b":")
        && separated(16, b":"))
    {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(number(0, 4)?).ok()?,
        number(5, 2)?,
        number(8, 2)?,
    )?;
    let (hour, minute, mut second) = (number(11, 2)?, number(14, 2)?, number(17, 2)?);
    let mut at = 19;
    let mut nanos = 0;
    if separated(at, b".") {
        at += 1;
        let start = at;
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 9 {
                nanos = nanos * 10 + u32::from(bytes[at] - b'0');
            }
            at += 1;
        }
        let digits = at - start;
        if digits == 0 {
            return None;
        }
        for _ in digits..9 {
            nanos *= 10;
        }
    }
    // A leap second, as chrono keeps it: the 59th second, more than 10⁹ ns long.
    if second == 60 {
        second = 59;
        nanos += 1_000_000_000;
    }
    let offset_seconds = match bytes.get(at..)? {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (hours, minutes) = (number(at + 1, 2)?, number(at + 4, 2)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let seconds = i64::from(hours * 3600 + minutes * 60);
            if *sign == b'-' { -seconds } else { seconds }
        }
        _ => return None,
    };
    let local = date.and_hms_nano_opt(hour, minute, second, nanos)?;
    Some(
        local
            .checked_sub_signed(TimeDelta::seconds(offset_seconds))?
            .and_utc(),
    )
}

/// `at` as chrono writes it: UTC with `Z`, and a fraction of 3, 6 or 9 digits when
/// there is one (`2026-11-26T09:42:07.123456Z`).
pub fn format(at: &DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let naive = at.naive_utc();
    let mut text = String::with_capacity(30);
    // Years 0 to 9999 only, as RFC 3339 has them (the API writes no others).
    push_digits(&mut text, naive.year().clamp(0, 9999).unsigned_abs(), 4);
    // A leap second (more than 10⁹ ns) is written as second 60.
    let (second, nanos) = match naive.nanosecond() {
        nanos @ 1_000_000_000.. => (60, nanos - 1_000_000_000),
        nanos => (naive.second(), nanos),
    };
    for (separator, value) in [
        ('-', naive.month()),
        ('-', naive.day()),
        ('T', naive.hour()),
        (':', naive.minute()),
        (':', second),
    ] {
        text.push(separator);
        push_digits(&mut text, value, 2);
    }
    if nanos != 0 {
        text.push('.');
        if nanos % 1_000_000 == 0 {
            push_digits(&mut text, nanos / 1_000_000, 3);
        } else if nanos % 1_000 == 0 {
            push_digits(&mut text, nanos / 1_000, 6);
        } else {
            push_digits(&mut text, nanos, 9);
        }
    }
    text.push('Z');
    text
}

/// `value` in decimal, zero-padded to `width` digits.
fn push_digits(text: &mut String, value: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = value / 10_u32.pow(place) % 10;
        text.push(char::from_digit(digit, 10).unwrap_or('0'));
    }
}

pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format(at))
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    parse(&text).ok_or_else(|| D::Error::custom("expected an RFC 3339 date and time"))
}

/// The same for `Option<DateTime<Utc>>` fields (`null` is `None`).
pub mod option {
    use chrono::{DateTime, Utc};
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        at: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => super::serialize(at, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        struct Wrapped(DateTime<Utc>);
        impl<'de> serde::Deserialize<'de> for Wrapped {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                super::deserialize(deserializer).map(Wrapped)
            }
        }
        let wrapped: Option<Wrapped> = serde::Deserialize::deserialize(deserializer)?;
        Ok(wrapped.map(|Wrapped(at)| at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_chrono_reads() {
        for text in [
            "2026-11-26T09:42:07Z",
            "2026-11-26T09:42:07.1Z",
            "2026-11-26T09:42:07.123Z",
            "2026-11-26T09:42:07.123456Z",
            "2026-11-26T09:42:07.123456789Z",
            "2026-11-26T09:42:07.1234567891234Z",
            "2026-11-26t09:42:07z",
            "2026-11-26 09:42:07Z",
            "2026-11-26T09:42:07+01:00",
            "2026-11-26T00:30:00.5-05:30",
            "2024-02-29T23:59:59+00:00",
            "2016-12-31T23:59:60Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
        ] {
            let ours = parse(text);
            let chrono = text.parse::<DateTime<Utc>>().ok();
            assert!(ours.is_some(), "{text}");
            assert_eq!(ours, chrono, "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_timestamp() {
        for text in [
            "",
            "2026-11-26",
            "2026-11-26T09:42Z",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-11-26T24:00:00Z",
            "2026-11-26T09:42:07",
            "2026-11-26T09:42:07.Z",
            "2026-11-26T09:42:07Zjunk",
            "2026-11-26T09:42:07+1:00",
            "2026-11-26T09:42:07+24:00",
            "2026-11-26T09:42:07.12a4Z",
        ] {
            assert_eq!(parse(text), None, "{text}");
            assert!(text.parse::<DateTime<Utc>>().is_err(), "{text}");
        }
    }

    #[test]
    fn writes_what_chrono_writes() {
        let base = parse("2026-11-26T09:42:07Z").unwrap();
        for nanos in [0, 100_000_000, 123_000_000, 123_456_000, 123_456_789, 1] {
            let at = base + TimeDelta::nanoseconds(nanos);
            let chrono = serde_json::to_value(at).unwrap();
            assert_eq!(serde_json::Value::String(format(&at)), chrono);
            assert_eq!(parse(&format(&at)), Some(at));
        }
        let leap = parse("2016-12-31T23:59:60.25Z").unwrap();
        assert_eq!(
            serde_json::Value::String(format(&leap)),
            serde_json::to_value(leap).unwrap()
        );
    }

    #[test]
    fn fields_read_and_write_through_serde() {
        #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        struct Times {
            #[serde(with = "super")]
            at: DateTime<Utc>,
            #[serde(default, with = "super::option")]
            maybe: Option<DateTime<Utc>>,
        }
        let json = r#"{"at":"2026-11-26T09:42:07.5Z","maybe":null}"#;
        let times: Times = serde_json::from_str(json).unwrap();
        assert_eq!(times.at, parse("2026-11-26T09:42:07.5Z").unwrap());
        assert_eq!(
            serde_json::to_string(&times).unwrap(),
            r#"{"at":"2026-11-26T09:42:07.500Z","maybe":null}"#
        );
        let missing: Times = serde_json::from_str(r#"{"at":"2026-11-26T09:42:07Z"}"#).unwrap();
        assert_eq!(missing.maybe, None);
        let some: Times = serde_json::from_str(
            r#"{"at":"2026-11-26T09:42:07Z","maybe":"2026-11-26T10:00:00+01:00"}"#,
        )
        .unwrap();
        assert_eq!(some.maybe, Some(parse("2026-11-26T09:00:00Z").unwrap()));
        assert!(serde_json::from_str::<Times>(r#"{"at":"yesterday"}"#).is_err());
    }
}
