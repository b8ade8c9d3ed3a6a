//! The audit log (admins only): filter it, page through it, export it as CSV.

use actix_web::{HttpResponse, get, http::header, web};
use api_types::{AuditEventPage, AuditFormat, AuditQuery, Problem};
use store::AuditFilter;
use uuid::Uuid;

use crate::{auth::Admin, error::ApiError, views};

/// The most entries one CSV export holds (narrow the filter for more).
const CSV_LIMIT: usize = 100_000;

fn uuid_param(name: &'static str, value: Option<&str>) -> Result<Option<Uuid>, ApiError> {
    value
        .map(|v| {
            v.parse().map_err(|_| ApiError::BadRequest {
                title: "Invalid query string",
                detail: format!("`{name}` must be a UUID."),
            })
        })
        .transpose()
}

/// The organization's audit log, newest first (admins only).
///
/// Every change (companies, refreshes, information requests, users, API keys, sign-ins)
/// and every report download, with who did it (a user, an API key, the customer through
/// their link, or the system), when, and from which address. `format=csv` answers every
/// matching entry as a CSV file instead of a page.
#[utoipa::path(
    operation_id = "list_audit_events",
    tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of entries (or, with `format=csv`, all of them as CSV)", body = AuditEventPage,
            content(
                (AuditEventPage = "application/json"),
                (String = "text/csv"),
            )),
        (status = 400, description = "A query parameter is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/audit-events")]
pub async fn list(admin: Admin, query: web::Query<AuditQuery>) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::BadRequest {
            title: "Invalid query string",
            detail: "`limit` must be between 1 and 500.".to_owned(),
        });
    }
    let mut filter = AuditFilter {
        company: query.company_id,
        actor: uuid_param("actor_id", query.actor_id.as_deref())?,
        action: query.action.map(|action| action.as_str().to_owned()),
        since: query.since,
        until: query.until,
        cursor: uuid_param("cursor", query.cursor.as_deref())?,
        limit,
    };
    let organization = admin.0.organization;
    if query.format != Some(AuditFormat::Csv) {
        let (events, next) = admin.store().audit_events(organization, &filter).await?;
        return Ok(HttpResponse::Ok().json(AuditEventPage {
            items: events.into_iter().map(views::audit_event).collect(),
            next_cursor: next.map(|id| id.to_string()),
        }));
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "id",
        "at",
        "actor_kind",
        "actor_id",
        "actor",
        "action",
        "company_id",
        "target",
        "ip",
        "detail",
    ])
    .map_err(anyhow::Error::from)?;
    filter.limit = 500;
    let mut written = 0;
    loop {
        let (events, next) = admin.store().audit_events(organization, &filter).await?;
        for event in events {
            let event = views::audit_event(event);
            out.write_record([
                event.id.to_string(),
                event.at.to_rfc3339(),
                event.actor_kind,
                event.actor_id.unwrap_or_default(),
                event.actor,
                event.action,
                event.company_id.map(|c| c.to_string()).unwrap_or_default(),
                event.target.unwrap_or_default(),
                event.ip.unwrap_or_default(),
                event.detail.map(|d| d.to_string()).unwrap_or_default(),
            ])
            .map_err(anyhow::Error::from)?;
            written += 1;
        }
        match next {
            Some(cursor) if written < CSV_LIMIT => filter.cursor = Some(cursor),
            _ => break,
        }
    }
    let body = out.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"audit-events-{}.csv\"",
                admin.store().now().format("%Y-%m-%d")
            ),
        ))
        .body(body))
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use domain::AuditAction;

    /// The string literals of a Rust source outside `//` comments, with the line each
    /// starts on (escapes kept as written).
    fn string_literals(source: &str) -> Vec<(usize, String)> {
        let mut found = Vec::new();
        let mut line = 1;
        let mut literal: Option<(usize, String)> = None;
        let mut chars = source.chars().peekable();
        while let Some(c) = chars.next() {
            match (&mut literal, c) {
                (Some((_, text)), '\\') => {
                    text.push(c);
                    if let Some(escaped) = chars.next() {
                        text.push(escaped);
                        line += usize::from(escaped == '\n');
                    }
                }
                (Some(_), '"') => found.extend(literal.take()),
                (Some((_, text)), _) => text.push(c),
                (None, '/') if chars.peek() == Some(&'/') => {
                    chars.by_ref().find(|&c| c == '\n');
                    line += 1;
                    continue;
                }
                (None, '\'') if chars.peek() == Some(&'"') => {
                    chars.next();
                }
                (None, '"') => literal = Some((line, String::new())),
                (None, _) => {}
            }
            if c == '\n' {
                line += 1;
            }
        }
        found
    }

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The server writes audit entries through `Caller::audit` and friends, which take an
    /// `AuditAction`; the store still writes a few as text. Every dotted name in either
    /// that looks like an action (its resource is one the log knows, or it is assigned
    /// to an `action`) must be one, or the admin page's filter cannot offer it.
    #[test]
    fn every_audit_action_written_is_an_audit_action() {
        let resources: Vec<&str> = AuditAction::ALL
            .iter()
            .map(|a| a.as_str().split('.').next().unwrap())
            .collect();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        rust_files(&root.join("src"), &mut files);
        rust_files(&root.join("../store/src"), &mut files);
        assert!(files.len() > 20, "the sources were not found");
        let mut unknown = Vec::new();
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            let lines: Vec<&str> = source.lines().collect();
            for (line, literal) in string_literals(&source) {
                let Some((resource, verb)) = literal.split_once('.') else {
                    continue;
                };
                let dotted_name = [resource, verb].iter().all(|part| {
                    !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                });
                let looks_like_action =
                    resources.contains(&resource) || lines[line - 1].contains("action");
                if dotted_name && looks_like_action && literal.parse::<AuditAction>().is_err() {
                    unknown.push(format!("{}:{line}: {literal:?}", file.display()));
                }
            }
        }
        assert!(
            unknown.is_empty(),
            "not in domain::AuditAction (add them there): {unknown:#?}"
        );
    }

    #[test]
    fn string_literals_are_found_outside_comments() {
        let source = "let a = \"refresh.failed\"; // \"not.this\"\nf('\"', \"x\\\"y\");";
        assert_eq!(
            string_literals(source),
            [(1, "refresh.failed".to_owned()), (2, "x\\\"y".to_owned())]
        );
    }
}
