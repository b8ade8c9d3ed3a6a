//! PostgreSQL stores no NUL character (U+0000) in text. Generated from the OpenAPI
//! document: a NUL in any JSON body string of any operation is a 422 naming the field,
//! in a query parameter a 400 naming it, in a path parameter a 404 (as for any segment
//! that names nothing) — on either backend, never a 500. (Header values cannot carry a
//! NUL: the HTTP parser refuses it.)

use reqwest::Method;
use serde_json::{Value, json};

use crate::{client::assert_problem, helpers::spawn_app};

/// A request with a NUL in one place, the status it gets, and the field the answer
/// names (none for a path).
struct Case {
    method: Method,
    path: String,
    body: Option<Value>,
    status: u16,
    field: Option<String>,
}

/// The schema `$ref` points at, or the schema itself.
fn resolve<'d>(document: &'d Value, schema: &'d Value) -> &'d Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            &document["components"]["schemas"][name]
        }
        None => schema,
    }
}

fn variants<'d>(document: &'d Value, schema: &'d Value) -> Vec<&'d Value> {
    let schema = resolve(document, schema);
    let mut found = vec![schema];
    for key in ["oneOf", "anyOf", "allOf"] {
        for inner in schema[key].as_array().into_iter().flatten() {
            found.extend(variants(document, inner));
        }
    }
    found
}

/// Each text a body of this schema can hold, as (field path, a body with a NUL there).
fn body_cases(document: &Value, schema: &Value, field: &str) -> Vec<(String, Value)> {
    let mut cases = Vec::new();
    for schema in variants(document, schema) {
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if types.contains(&"string") {
            cases.push((field.to_owned(), json!("a\u{0}b")));
        }
        if types.contains(&"array") {
            for (inner, value) in body_cases(document, &schema["items"], &format!("{field}[0]")) {
                cases.push((inner, json!([value])));
            }
        }
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            let path = if field.is_empty() {
                name.clone()
            } else {
                format!("{field}.{name}")
            };
            for (inner, value) in body_cases(document, property, &path) {
                cases.push((inner, json!({ name: value })));
            }
        }
    }
    cases
}

fn cases() -> Vec<Case> {
    let document = serde_json::to_value(server::openapi::document()).unwrap();
    let mut cases = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let filled =
                parameters
                    .iter()
                    .filter(|p| p["in"] == "path")
                    .fold(path.clone(), |p, param| {
                        let name = param["name"].as_str().unwrap();
                        p.replace(&format!("{{{name}}}"), &uuid::Uuid::nil().to_string())
                    });
            for param in &parameters {
                let name = param["name"].as_str().unwrap();
                match param["in"].as_str() {
                    Some("query") => cases.push(Case {
                        method: method.clone(),
                        path: format!("{filled}?{name}=a%00b"),
                        body: None,
                        status: 400,
                        field: Some(name.to_owned()),
                    }),
                    Some("path") => cases.push(Case {
                        method: method.clone(),
                        path: path
                            .replace(&format!("{{{name}}}"), "a%00b")
                            .replace(['{', '}'], ""),
                        body: None,
                        status: 404,
                        field: None,
                    }),
                    _ => {}
                }
            }
            let body = &operation["requestBody"]["content"]["application/json"]["schema"];
            if !body.is_null() {
                for (field, value) in body_cases(&document, body, "") {
                    cases.push(Case {
                        method: method.clone(),
                        path: filled.clone(),
                        body: Some(value),
                        status: 422,
                        field: Some(field),
                    });
                }
            }
        }
    }
    cases
}

#[tokio::test]
async fn a_nul_anywhere_the_api_reads_text_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    let cases = cases();
    for needed in ["email", "password", "q", "name"] {
        assert!(
            cases.iter().any(|c| c.field.as_deref() == Some(needed)),
            "the walk reaches `{needed}`"
        );
    }
    for case in &cases {
        let mut request = app.as_user(&admin, case.method.clone(), &case.path);
        if let Some(body) = &case.body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let what = format!("{} {} {:?}", case.method, case.path, case.body);
        assert_eq!(response.status(), case.status, "{what}");
        let problem = assert_problem(response, case.status).await;
        let fields: Vec<String> = problem.errors.iter().map(|e| e.field.clone()).collect();
        assert_eq!(fields, Vec::from_iter(case.field.clone()), "{what}");
    }
    assert!(cases.len() > 60, "only {} cases", cases.len());
}
