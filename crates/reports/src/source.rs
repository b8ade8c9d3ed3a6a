//! Typed views of the stored spend-detail payloads (`{currency, results: [...]}` of
//! suppliers, bills and bill payments), read straight from the stored JSON text.
//!
//! Two things keep a company with 100,000 bills cheap: the records borrow their strings
//! from the text instead of copying them, and `for_each_result` hands each record to
//! the caller as it is parsed, so no list of records (or `serde_json::Value` tree, about
//! three times the size of the text) is ever built. Reading is lenient, like the rest of
//! the crate: a field of an unexpected type reads as absent, an element that is not an
//! object is skipped; only text that is not JSON at all is an error.

use std::{borrow::Cow, fmt, marker::PhantomData};

use chrono::NaiveDate;
use serde::{
    Deserialize, Deserializer,
    de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor},
};

/// Accepts the scalar JSON types and consumes arrays and objects, answering `$value`
/// for each: for visitors that read only one JSON type and skip the others.
macro_rules! skip_other_types {
    ($value:expr) => {
        fn visit_bool<DeErr: de::Error>(self, _: bool) -> Result<Self::Value, DeErr> {
            Ok($value)
        }
        fn visit_i64<DeErr: de::Error>(self, _: i64) -> Result<Self::Value, DeErr> {
            Ok($value)
        }
        fn visit_u64<DeErr: de::Error>(self, _: u64) -> Result<Self::Value, DeErr> {
            Ok($value)
        }
        fn visit_f64<DeErr: de::Error>(self, _: f64) -> Result<Self::Value, DeErr> {
            Ok($value)
        }
        fn visit_str<DeErr: de::Error>(self, _: &str) -> Result<Self::Value, DeErr> {
            Ok($value)
        }
        fn visit_unit<DeErr: de::Error>(self) -> Result<Self::Value, DeErr> {
            Ok($value)
        }
        fn visit_none<DeErr: de::Error>(self) -> Result<Self::Value, DeErr> {
            Ok($value)
        }
    };
}

macro_rules! skip_containers {
    ($value:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($value)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok($value)
        }
    };
}

/// A text field: borrowed from the payload when it has no escapes; numbers and booleans
/// read as their text; anything else as absent.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Text<'a>(pub Option<Cow<'a, str>>);

impl<'a> Text<'a> {
    pub fn as_str(&self) -> &str {
        self.0.as_deref().unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.as_str().is_empty()
    }

    /// The first ten characters as a day (`2026-11-26T00:00:00` reads as that day).
    pub fn day(&self) -> Option<NaiveDate> {
        self.as_str().get(..10).and_then(|d| d.parse().ok())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            skip_containers!(Text(None));
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// An amount: a JSON number, or a string holding one; anything else reads as absent.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Amount(pub Option<f64>);

impl Amount {
    pub fn or_zero(self) -> f64 {
        self.0.unwrap_or(0.0)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AmountVisitor;
        impl<'de> Visitor<'de> for AmountVisitor {
            type Value = Amount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Amount(Some(v as f64)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Amount(Some(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Amount(v.is_finite().then_some(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Amount(
                    v.trim().parse().ok().filter(|v: &f64| v.is_finite()),
                ))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Amount(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Amount(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Amount(None))
            }
            skip_containers!(Amount(None));
        }
        deserializer.deserialize_any(AmountVisitor)
    }
}

/// A nested object read as `T`; any other JSON type reads as absent.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Obj<T>(pub Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjVisitor<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| Obj(Some(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Obj(None))
            }
            skip_other_types!(Obj(None));
        }
        deserializer.deserialize_any(ObjVisitor(PhantomData))
    }
}

/// The objects of a nested array, read as `T`; other elements are skipped, and any
/// other JSON type reads as an empty list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct List<T>(pub Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Obj<T>>()? {
                    items.extend(item.0);
                }
                Ok(List(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(List(Vec::new()))
            }
            skip_other_types!(List(Vec::new()));
        }
        deserializer.deserialize_any(ListVisitor(PhantomData))
    }
}

/// `{id, name}`-style references (`accountRef`, `paymentMethodRef`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct NameRef<'a> {
    #[serde(borrow)]
    pub id: Text<'a>,
    #[serde(borrow)]
    pub name: Text<'a>,
}

/// A bill's or payment's `supplierRef`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SupplierRef<'a> {
    #[serde(borrow)]
    pub id: Text<'a>,
    #[serde(borrow, rename = "supplierName")]
    pub name: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Supplier<'a> {
    #[serde(borrow)]
    pub id: Text<'a>,
    #[serde(borrow, rename = "supplierName")]
    pub name: Text<'a>,
    #[serde(borrow, rename = "contactName")]
    pub contact: Text<'a>,
    #[serde(borrow, rename = "emailAddress")]
    pub email: Text<'a>,
    #[serde(borrow)]
    pub phone: Text<'a>,
    #[serde(borrow)]
    pub status: Text<'a>,
    #[serde(borrow, rename = "defaultCurrency")]
    pub currency: Text<'a>,
    #[serde(borrow, rename = "paymentTerms")]
    pub terms: Text<'a>,
    #[serde(borrow, rename = "paymentMethod")]
    pub method: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LineItem<'a> {
    #[serde(borrow, rename = "accountName")]
    pub account_name: Text<'a>,
    #[serde(borrow, rename = "accountRef")]
    pub account_ref: Obj<NameRef<'a>>,
    #[serde(rename = "totalAmount")]
    pub total: Amount,
}

impl LineItem<'_> {
    /// The expense account the line is coded to, by name.
    pub fn account(&self) -> &str {
        match &self.account_ref.0 {
            Some(account) if !account.name.is_empty() => account.name.as_str(),
            _ => self.account_name.as_str(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Bill<'a> {
    #[serde(borrow)]
    pub id: Text<'a>,
    #[serde(borrow)]
    pub reference: Text<'a>,
    #[serde(borrow, rename = "supplierRef")]
    pub supplier: Obj<SupplierRef<'a>>,
    #[serde(borrow, rename = "issueDate")]
    pub issue_date: Text<'a>,
    #[serde(borrow, rename = "dueDate")]
    pub due_date: Text<'a>,
    #[serde(borrow)]
    pub currency: Text<'a>,
    #[serde(rename = "totalAmount")]
    pub total: Amount,
    #[serde(rename = "amountDue")]
    pub amount_due: Amount,
    #[serde(borrow)]
    pub status: Text<'a>,
    #[serde(borrow, rename = "lineItems")]
    pub lines: List<LineItem<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PaymentLine<'a> {
    #[serde(borrow, rename = "billId")]
    pub bill_id: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Payment<'a> {
    #[serde(borrow)]
    pub id: Text<'a>,
    #[serde(borrow, rename = "supplierRef")]
    pub supplier: Obj<SupplierRef<'a>>,
    #[serde(borrow)]
    pub date: Text<'a>,
    #[serde(borrow)]
    pub currency: Text<'a>,
    #[serde(rename = "totalAmount")]
    pub total: Amount,
    #[serde(borrow, rename = "paymentMethod")]
    pub method: Text<'a>,
    #[serde(borrow, rename = "paymentMethodRef")]
    pub method_ref: Obj<NameRef<'a>>,
    #[serde(borrow)]
    pub lines: List<PaymentLine<'a>>,
}

impl Payment<'_> {
    pub fn method(&self) -> &str {
        match &self.method_ref.0 {
            Some(method) if !method.name.is_empty() => method.name.as_str(),
            _ => self.method.as_str(),
        }
    }
}

/// Why a stored payload could not be read: it is not JSON, or the caller stopped.
#[derive(Debug)]
pub(crate) enum ReadError<E> {
    Json(serde_json::Error),
    Stopped(E),
}

/// Calls `each` with every object of the payload's `results` list, in order, as it is
/// parsed; answers the payload's top-level `currency`. An empty text reads as no rows.
pub(crate) fn for_each_result<'a, T, E>(
    text: &'a str,
    mut each: impl FnMut(T) -> Result<(), E>,
) -> Result<Text<'a>, ReadError<E>>
where
    T: Deserialize<'a>,
{
    if text.trim().is_empty() {
        return Ok(Text(None));
    }
    let mut stopped = None;
    let mut currency = Text(None);
    let envelope = Envelope {
        each: &mut each,
        stopped: &mut stopped,
        currency: &mut currency,
        item: PhantomData,
    };
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let read = deserializer
        .deserialize_any(envelope)
        .and_then(|()| deserializer.end());
    match (read, stopped) {
        (_, Some(error)) => Err(ReadError::Stopped(error)),
        (Err(error), None) => Err(ReadError::Json(error)),
        (Ok(()), None) => Ok(currency),
    }
}

/// The payload's top level: reads `currency` and streams `results`.
struct Envelope<'s, 'a, T, F, E> {
    each: &'s mut F,
    stopped: &'s mut Option<E>,
    currency: &'s mut Text<'a>,
    item: PhantomData<T>,
}

impl<'a, T, F, E> Visitor<'a> for Envelope<'_, 'a, T, F, E>
where
    T: Deserialize<'a>,
    F: FnMut(T) -> Result<(), E>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a report payload")
    }

    fn visit_map<A: MapAccess<'a>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Text<'a>>()? {
            match key.as_str() {
                "results" => map.next_value_seed(Results {
                    each: &mut *self.each,
                    stopped: &mut *self.stopped,
                    item: PhantomData,
                })?,
                "currency" => *self.currency = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'a>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    skip_other_types!(());
}

/// The `results` list: each object is read as `T` and handed on.
struct Results<'s, T, F, E> {
    each: &'s mut F,
    stopped: &'s mut Option<E>,
    item: PhantomData<T>,
}

impl<'a, T, F, E> DeserializeSeed<'a> for Results<'_, T, F, E>
where
    T: Deserialize<'a>,
    F: FnMut(T) -> Result<(), E>,
{
    type Value = ();

    fn deserialize<D: Deserializer<'a>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'a, T, F, E> Visitor<'a> for Results<'_, T, F, E>
where
    T: Deserialize<'a>,
    F: FnMut(T) -> Result<(), E>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of results")
    }

    fn visit_seq<A: SeqAccess<'a>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<Obj<T>>()? {
            if let Some(item) = item.0
                && let Err(error) = (self.each)(item)
            {
                *self.stopped = Some(error);
                return Err(de::Error::custom("stopped by the writer"));
            }
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'a>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }

    skip_other_types!(());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bill as the test sees it: id, total, supplier name.
    type Seen = (String, f64, Option<String>);

    fn bills(text: &str) -> (Vec<Seen>, Option<String>) {
        let mut seen = Vec::new();
        let currency = for_each_result(text, |bill: Bill<'_>| -> Result<(), ()> {
            seen.push((
                bill.id.as_str().to_owned(),
                bill.total.or_zero(),
                bill.supplier.0.map(|s| s.name.as_str().to_owned()),
            ));
            Ok(())
        })
        .unwrap();
        (seen, currency.0.map(Cow::into_owned))
    }

    #[test]
    fn records_are_read_in_order_and_odd_fields_read_as_absent() {
        let (seen, currency) = bills(
            r#"{"currency":"GBP","pageSize":2,"results":[
                {"id":"b1","totalAmount":10.5,"supplierRef":{"id":"s","supplierName":"S Ltd"},"extra":{"deep":[1,2]}},
                7,
                {"id":2,"totalAmount":"3.25","supplierRef":"nobody","lineItems":{"not":"a list"}},
                {"id":"b\"3","totalAmount":[1],"supplierRef":null}
            ],"trailer":true}"#,
        );
        assert_eq!(currency.as_deref(), Some("GBP"));
        assert_eq!(
            seen,
            [
                ("b1".to_owned(), 10.5, Some("S Ltd".to_owned())),
                ("2".to_owned(), 3.25, None),
                ("b\"3".to_owned(), 0.0, None),
            ]
        );
    }

    #[test]
    fn other_shapes_read_as_no_rows_and_only_broken_json_is_an_error() {
        for text in [
            "",
            "null",
            "[]",
            "{}",
            r#"{"results":"nope"}"#,
            r#"{"results":{"a":1}}"#,
        ] {
            assert_eq!(bills(text).0, [], "{text}");
        }
        let broken = for_each_result("{\"results\": [", |_: Bill<'_>| -> Result<(), ()> {
            Ok(())
        });
        assert!(matches!(broken, Err(ReadError::Json(_))));
    }

    #[test]
    fn the_caller_can_stop_the_reading() {
        let mut calls = 0;
        let stopped = for_each_result(
            r#"{"results":[{"id":"a"},{"id":"b"},{"id":"c"}]}"#,
            |_: Bill<'_>| {
                calls += 1;
                if calls == 2 { Err("full") } else { Ok(()) }
            },
        );
        assert!(matches!(stopped, Err(ReadError::Stopped("full"))));
        assert_eq!(calls, 2);
    }

    #[test]
    fn strings_without_escapes_are_borrowed_from_the_text() {
        let text = r#"{"results":[{"id":"plain","reference":"with \"escape\""}]}"#;
        for_each_result(text, |bill: Bill<'_>| -> Result<(), ()> {
            assert!(matches!(bill.id.0, Some(Cow::Borrowed("plain"))));
            assert!(matches!(bill.reference.0, Some(Cow::Owned(_))));
            Ok(())
        })
        .unwrap();
    }
}
