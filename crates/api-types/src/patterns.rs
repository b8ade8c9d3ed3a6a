//! The JSON Schema patterns of request bodies' text fields, written once: `domain`'s
//! constants, which its parsers match exactly.
//!
//! utoipa's `pattern = …` takes only a string literal, so a field names its pattern
//! (`schema(max_length = 200, pattern = "LINE_PATTERN")`) and the server puts the
//! constant in the name's place with [`resolve`] when it builds the OpenAPI document.

/// Each pattern's name, as fields write it, and the pattern.
pub const PATTERNS: [(&str, &str); 4] = [
    ("LINE_PATTERN", domain::LINE_PATTERN),
    ("TEXT_PATTERN", domain::TEXT_PATTERN),
    ("EMAIL_PATTERN", domain::EMAIL_PATTERN),
    ("NO_NUL_PATTERN", domain::NO_NUL_PATTERN),
];

/// Replaces every pattern name in `doc`'s schemas with the pattern.
///
/// # Panics
/// On a name that is not in [`PATTERNS`] (an upper-case word such as `LINE_PATERN`), so
/// that a misspelt name fails the OpenAPI test instead of reaching the document.
#[cfg(feature = "openapi")]
pub fn resolve(doc: &mut utoipa::openapi::OpenApi) {
    if let Some(components) = doc.components.as_mut() {
        for schema in components.schemas.values_mut() {
            resolve_in(schema);
        }
    }
}

#[cfg(feature = "openapi")]
fn resolve_in(schema: &mut utoipa::openapi::RefOr<utoipa::openapi::Schema>) {
    use utoipa::openapi::{RefOr, Schema, schema::ArrayItems};

    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(object) => {
            if let Some(pattern) = object.pattern.as_mut() {
                *pattern = named(pattern).to_owned();
            }
            object.properties.values_mut().for_each(resolve_in);
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                resolve_in(items);
            }
        }
        Schema::OneOf(one_of) => one_of.items.iter_mut().for_each(resolve_in),
        Schema::AllOf(all_of) => all_of.items.iter_mut().for_each(resolve_in),
        Schema::AnyOf(any_of) => any_of.items.iter_mut().for_each(resolve_in),
        _ => {}
    }
}

/// The pattern `value` names, or `value` itself when it is a pattern already.
#[cfg(feature = "openapi")]
fn named(value: &str) -> &str {
    if let Some((_, pattern)) = PATTERNS.iter().find(|(name, _)| *name == value) {
        return pattern;
    }
    assert!(
        !value.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
        "unknown pattern name {value:?}: use one of api_types::patterns::PATTERNS"
    );
    value
}
