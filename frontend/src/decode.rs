//! Reading the API's answers: the browser's `JSON.parse`, then serde over the
//! JavaScript values it made.
//!
//! Rationale: serde_json's parser is instantiated for every wire type, and a
//! general-purpose JS-value deserializer reports a wrong number with Rust's float
//! formatting (serde's default `invalid_type`); together about 60 KB of wasm
//! (docs/benchmarks.md). This reader is one small deserializer whose errors name
//! what was expected, never the value found.

use std::fmt;

use js_sys::{Array, Number, Object, Reflect};
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess,
    Visitor,
};
use wasm_bindgen::{JsCast, JsValue};

/// `text` (a JSON document) read as a `T`.
#[inline(never)]
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, DecodeError> {
    let value = js_sys::JSON::parse(text).map_err(|_| DecodeError("not JSON".to_owned()))?;
    T::deserialize(Js(value))
}

/// Why an answer could not be read as the type asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(String);

impl fmt::Display for DecodeError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        DecodeError(message.to_string())
    }

    // serde's own versions write the value found, which for a number takes Rust's
    // float formatting (about 10 KB of wasm) into the app.
    fn invalid_type(_found: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        DecodeError(format!("invalid type: expected {expected}"))
    }

    fn invalid_value(_found: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        DecodeError(format!("invalid value: expected {expected}"))
    }
}

/// A value from `JSON.parse`: null, a boolean, a number, a string, an array or a plain
/// object.
struct Js(JsValue);

/// A number from `JSON.parse`: whole ones as integers, so that integer fields take them.
enum JsNumber {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
}

// The tests on the JS value are kept out of the generic methods below, which are
// instantiated for every type read.
impl Js {
    #[inline(never)]
    fn string(&self) -> Option<String> {
        self.0.as_string()
    }

    fn is_nullish(&self) -> bool {
        self.0.is_null() || self.0.is_undefined()
    }

    #[inline(never)]
    fn number(&self) -> Option<JsNumber> {
        let number = self.0.as_f64()?;
        Some(if !Number::is_safe_integer(&self.0) {
            JsNumber::Float(number)
        } else if number < 0.0 {
            JsNumber::Signed(number as i64)
        } else {
            JsNumber::Unsigned(number as u64)
        })
    }

    #[inline(never)]
    fn array(self) -> Option<Elements> {
        Array::is_array(&self.0).then(|| {
            let array = self.0.unchecked_into::<Array>();
            Elements {
                length: array.length(),
                array,
                next: 0,
            }
        })
    }

    #[inline(never)]
    fn object(self) -> Option<Fields> {
        (self.0.is_object() && !Array::is_array(&self.0)).then(|| {
            let object = self.0.unchecked_into::<Object>();
            let keys = Object::keys(&object);
            Fields {
                length: keys.length(),
                keys,
                object,
                next: 0,
                value: None,
            }
        })
    }
}

impl Js {
    #[inline(never)]
    fn named_fields(self, names: &'static [&'static str]) -> Option<NamedFields> {
        (self.0.is_object() && !Array::is_array(&self.0)).then(|| NamedFields {
            object: self.0,
            names: names.iter(),
            value: None,
        })
    }
}

/// A struct's fields, by the names the struct has; absent ones are left out.
struct NamedFields {
    object: JsValue,
    names: std::slice::Iter<'static, &'static str>,
    value: Option<JsValue>,
}

impl NamedFields {
    /// The next field present; its value is kept for `next_value_seed`.
    #[inline(never)]
    fn advance(&mut self) -> Option<&'static str> {
        for name in self.names.by_ref() {
            let value =
                Reflect::get(&self.object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
            // JSON has no `undefined`: the field is absent.
            if !value.is_undefined() {
                self.value = Some(value);
                return Some(name);
            }
        }
        None
    }

    #[inline(never)]
    fn take_value(&mut self) -> JsValue {
        self.value.take().unwrap_or(JsValue::UNDEFINED)
    }
}

impl<'de> MapAccess<'de> for NamedFields {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        match self.advance() {
            Some(name) => seed.deserialize(name.into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    #[inline(never)]
    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        seed.deserialize(Js(self.take_value()))
    }
}

#[inline(never)]
fn expected(what: &dyn de::Expected) -> DecodeError {
    DecodeError(format!("invalid type: expected {what}"))
}

/// Methods that read their value as another method does: the wire has one integer
/// kind (read as `u64`, then narrowed by serde), one float kind and one string kind.
macro_rules! forward_to {
    ($target:ident: $($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
            self.$target(visitor)
        }
    )*};
}

impl<'de> Deserializer<'de> for Js {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        if self.is_nullish() {
            return visitor.visit_unit();
        }
        if let Some(flag) = self.0.as_bool() {
            return visitor.visit_bool(flag);
        }
        if let Some(number) = self.number() {
            return match number {
                JsNumber::Unsigned(number) => visitor.visit_u64(number),
                JsNumber::Signed(number) => visitor.visit_i64(number),
                JsNumber::Float(number) => visitor.visit_f64(number),
            };
        }
        if let Some(text) = self.string() {
            return visitor.visit_string(text);
        }
        if Array::is_array(&self.0) {
            return self.deserialize_seq(visitor);
        }
        self.deserialize_map(visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0.as_bool() {
            Some(flag) => visitor.visit_bool(flag),
            None => Err(expected(&visitor)),
        }
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.number() {
            Some(JsNumber::Unsigned(number)) => visitor.visit_u64(number),
            Some(JsNumber::Signed(number)) => visitor.visit_i64(number),
            _ => Err(expected(&visitor)),
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.number() {
            Some(JsNumber::Unsigned(number)) => visitor.visit_f64(number as f64),
            Some(JsNumber::Signed(number)) => visitor.visit_f64(number as f64),
            Some(JsNumber::Float(number)) => visitor.visit_f64(number),
            None => Err(expected(&visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.string() {
            Some(text) => visitor.visit_string(text),
            None => Err(expected(&visitor)),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.array() {
            Some(elements) => visitor.visit_seq(elements),
            None => Err(expected(&visitor)),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.object() {
            Some(fields) => visitor.visit_map(fields),
            None => Err(expected(&visitor)),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        if self.is_nullish() {
            visitor.visit_unit()
        } else {
            Err(expected(&visitor))
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        if self.is_nullish() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    /// A struct's fields are looked up by name: unknown ones are never read.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        match self.named_fields(fields) {
            Some(fields) => visitor.visit_map(fields),
            None => Err(expected(&visitor)),
        }
    }

    /// The wire's enums are strings (unit variants).
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        match self.string() {
            Some(variant) => visitor.visit_enum(variant.into_deserializer()),
            None => Err(expected(&visitor)),
        }
    }

    /// Fields the type does not know are skipped without being read.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char bytes byte_buf unit_struct tuple tuple_struct
    }

    forward_to! {
        deserialize_u64: deserialize_u8 deserialize_u16 deserialize_u32
            deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
    }
    forward_to! { deserialize_f64: deserialize_f32 }
    forward_to! { deserialize_string: deserialize_str deserialize_identifier }
}

struct Elements {
    array: Array,
    length: u32,
    next: u32,
}

impl Elements {
    #[inline(never)]
    fn advance(&mut self) -> Option<JsValue> {
        (self.next < self.length).then(|| {
            self.next += 1;
            self.array.get(self.next - 1)
        })
    }
}

impl<'de> SeqAccess<'de> for Elements {
    type Error = DecodeError;

    #[inline(never)]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        match self.advance() {
            Some(element) => seed.deserialize(Js(element)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some((self.length - self.next) as usize)
    }
}

struct Fields {
    object: Object,
    keys: Array,
    length: u32,
    next: u32,
    /// The value of the key just read.
    value: Option<JsValue>,
}

impl Fields {
    /// The next key; its value is kept for [`MapAccess::next_value_seed`].
    #[inline(never)]
    fn advance(&mut self) -> Option<JsValue> {
        (self.next < self.length).then(|| {
            let key = self.keys.get(self.next);
            self.next += 1;
            self.value = Some(Reflect::get(&self.object, &key).unwrap_or(JsValue::UNDEFINED));
            key
        })
    }

    #[inline(never)]
    fn take_value(&mut self) -> JsValue {
        self.value.take().unwrap_or(JsValue::UNDEFINED)
    }
}

impl<'de> MapAccess<'de> for Fields {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        match self.advance() {
            Some(key) => seed.deserialize(Js(key)).map(Some),
            None => Ok(None),
        }
    }

    #[inline(never)]
    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        seed.deserialize(Js(self.take_value()))
    }

    fn size_hint(&self) -> Option<usize> {
        Some((self.length - self.next) as usize)
    }
}
