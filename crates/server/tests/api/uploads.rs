//! The upload fallback (issue #21): the template downloaded from the API, filled in and
//! uploaded by the customer through their link or by a user on their behalf; every
//! problem of a bad file reported and nothing stored; uploaded data not refreshable.

use api_types::{
    NewRefreshBatch, ProblemKind, RefreshCompanies, ReportFormat, ReportQuery, SkipReason,
};
use domain::{
    DataStatus,
    DataType::{Financials, SpendDetail},
    ReportKind,
};
use reqwest::Method;

use crate::helpers::{TestApp, spawn_app};

/// A file of the template, as the API serves it.
async fn template_file(app: &TestApp, name: &str) -> Vec<u8> {
    let answer = app
        .public_api()
        .request::<()>(Method::GET, &format!("/api/v1/upload-template/{name}"))
        .send()
        .await;
    assert_eq!(answer.status(), 200, "{name}");
    assert!(
        answer.header("content-disposition").contains(name),
        "{name} is an attachment named after itself"
    );
    answer.bytes().await
}

async fn csv_template(app: &TestApp) -> Vec<(&'static str, Vec<u8>)> {
    let mut files = Vec::new();
    for name in ["suppliers.csv", "bills.csv", "bill_payments.csv"] {
        files.push((name, template_file(app, name).await));
    }
    files
}

#[tokio::test]
async fn the_customer_uploads_the_template_through_the_link_and_the_data_is_available_as_uploaded()
{
    let app = spawn_app().await;
    let company = app.create_company("Hollis Bakery", &[SpendDetail]).await;
    let token = app.link_token(company.id).await;
    let workbook = template_file(&app, "spendlens-template.xlsx").await;

    let outcome = app
        .public_api()
        .upload_through_link(&token, &[("hollis-books.xlsx", workbook.clone())])
        .expect(201)
        .await;
    assert_eq!(outcome.upload.file_name, "hollis-books.xlsx");
    assert_eq!(outcome.upload.uploaded_by, None, "the customer uploaded it");
    assert!(outcome.upload.bills >= 1, "the template's example bill");

    let shown = app.api().company(company.id).ok().await;
    assert_eq!(shown.status, Some(DataStatus::Available));
    assert_eq!(shown.platform.as_deref(), Some("upload"));
    assert_eq!(shown.upload, Some(outcome.upload.clone()));
    assert_eq!(shown.data_updated_at, Some(outcome.upload.uploaded_at));

    // Every spend report works on it: the bills, and the workbook derived from them.
    let reports = app.api().reports(company.id).ok().await;
    for kind in [
        ReportKind::Suppliers,
        ReportKind::Bills,
        ReportKind::BillPayments,
    ] {
        assert!(
            reports.items.iter().any(|r| r.kind == kind),
            "{kind:?} after the upload: {reports:?}"
        );
    }
    let xlsx = ReportQuery {
        format: Some(ReportFormat::Xlsx),
        ..ReportQuery::default()
    };
    let analysis = app
        .api()
        .report(company.id, ReportKind::SpendAnalysis, &xlsx)
        .send()
        .await;
    assert_eq!(analysis.status(), 200);
    assert!(analysis.bytes().await.starts_with(b"PK"));

    // The link is used up, for uploads as for grants.
    let again = app
        .public_api()
        .upload_through_link(&token, &[("hollis-books.xlsx", workbook)])
        .problem(410)
        .await;
    assert_eq!(again.kind(), Some(ProblemKind::LinkUsed));

    // Nothing to refresh it from: a 409 that says so, and a bulk refresh skips it.
    let refused = app.api().refresh(company.id).problem(409).await;
    assert_eq!(refused.kind(), Some(ProblemKind::NotRefreshable));
    let batch = app
        .api()
        .create_refresh_batch(&NewRefreshBatch::Companies(RefreshCompanies {
            company_ids: vec![company.id],
        }))
        .expect(202)
        .await;
    assert_eq!(batch.skipped.len(), 1);
    assert_eq!(batch.skipped[0].reason, SkipReason::Uploaded);
}

#[tokio::test]
async fn a_file_with_problems_is_answered_with_every_problem_and_nothing_is_stored() {
    let app = spawn_app().await;
    let company = app
        .create_company("Brightwell Joinery", &[SpendDetail])
        .await;
    let token = app.link_token(company.id).await;
    let mut files = csv_template(&app).await;
    // A bill dated the 45th, and a payment of a bill that does not exist.
    let bills = String::from_utf8(files[1].1.clone()).unwrap();
    let mut lines: Vec<String> = bills.lines().map(str::to_owned).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let issue = header
        .iter()
        .position(|h| h.contains("Issue date"))
        .unwrap();
    let mut row: Vec<String> = lines[1].split(',').map(str::to_owned).collect();
    row[issue] = "45/01/2026".to_owned();
    lines[1] = row.join(",");
    files[1].1 = (lines.join("\n") + "\n").into_bytes();

    let problem = app
        .public_api()
        .upload_through_link(&token, &files)
        .problem(422)
        .await;
    assert_eq!(problem.kind(), Some(ProblemKind::InvalidUpload));
    let dated = problem
        .upload_problems
        .iter()
        .find(|p| {
            p.column
                .as_deref()
                .is_some_and(|c| c.contains("Issue date"))
        })
        .unwrap_or_else(|| panic!("the bad date is listed: {problem:?}"));
    assert_eq!(dated.row, Some(2), "the first row after the header");
    assert!(dated.sheet.as_deref().is_some_and(|s| s.contains("bills")));
    assert!(!dated.expected.is_empty());

    // Nothing stored, and the link can still be used.
    let shown = app.api().company(company.id).ok().await;
    assert_eq!(shown.status, Some(DataStatus::Requested));
    assert_eq!(shown.upload, None);
    let reports = app.api().reports(company.id).ok().await;
    assert!(
        reports.items.iter().all(|r| r.kind != ReportKind::Bills),
        "{reports:?}"
    );
    app.public_api().consent(&token).ok().await;
}

#[tokio::test]
async fn a_user_uploads_the_csv_files_on_the_customers_behalf() {
    let app = spawn_app().await;
    let company = app
        .create_company("Marlow Tiles", &[Financials, SpendDetail])
        .await;
    let manager = app.signed_in_manager().await;
    let files = csv_template(&app).await;

    let shown = app
        .api_as(&manager)
        .upload_for_company(company.id, &files)
        .expect(201)
        .await;
    assert_eq!(shown.status, Some(DataStatus::Available));
    let upload = shown.upload.expect("the upload is shown");
    assert!(upload.uploaded_by.is_some(), "by the signed-in user");
    assert_eq!(
        upload.file_name,
        "suppliers.csv, bills.csv, bill_payments.csv"
    );

    // A hostile file name is stored as its last segment, without control characters;
    // one that breaks the form's header is a 400, never a 500.
    let workbook = template_file(&app, "spendlens-template.xlsx").await;
    let shown = app
        .api_as(&manager)
        .upload_for_company(company.id, &[("../../etc/evil\t.xlsx", workbook.clone())])
        .expect(201)
        .await;
    assert_eq!(shown.upload.unwrap().file_name, "evil.xlsx");
    app.api_as(&manager)
        .upload_for_company(company.id, &[("evil\u{0}.xlsx", workbook)])
        .problem(400)
        .await;
}

#[tokio::test]
async fn a_refresh_running_when_the_data_is_uploaded_stores_nothing_over_it() {
    let app = spawn_app().await;
    let company = app
        .connected_company("Racing Ledger Ltd", &[SpendDetail])
        .await;
    app.api().refresh(company).expect(202).await;
    let owner = "slow-worker";
    let claimed = app
        .store
        .claim_next_job(owner, chrono::Duration::seconds(60), 3)
        .await
        .unwrap()
        .expect("the refresh just queued");
    assert_eq!(claimed.company.id, company.as_uuid());

    let files = csv_template(&app).await;
    app.api()
        .upload_for_company(company, &files)
        .expect(201)
        .await;

    // The worker comes back with the platform's data: its job was cancelled.
    let finished = app
        .store
        .finish_job_succeeded(&claimed, owner, Vec::new())
        .await;
    assert!(
        matches!(finished, Err(store::FinishError::LeaseLost)),
        "{finished:?}"
    );
    let shown = app.api().company(company).ok().await;
    assert_eq!(shown.platform.as_deref(), Some("upload"));
    assert!(shown.refresh.is_none(), "no refresh left running");
}

#[tokio::test]
async fn a_file_over_ten_megabytes_is_refused_unread() {
    let app = spawn_app().await;
    let company = app.create_company("Large Ledger", &[SpendDetail]).await;
    let token = app.link_token(company.id).await;
    let big = vec![b'a'; uploads_limit() + 1];
    app.public_api()
        .upload_through_link(&token, &[("bills.csv", big)])
        .problem(413)
        .await;
    // A request for financials alone has no use for the template, which holds spend detail.
    let financials = app.create_company("Numbers Only Ltd", &[Financials]).await;
    let financials_token = app.link_token(financials.id).await;
    let workbook = template_file(&app, "spendlens-template.xlsx").await;
    let refused = app
        .public_api()
        .upload_through_link(&financials_token, &[("books.xlsx", workbook.clone())])
        .problem(409)
        .await;
    assert_eq!(refused.kind(), Some(ProblemKind::UploadNotRequested));
    app.api()
        .upload_for_company(financials.id, &[("books.xlsx", workbook)])
        .problem(409)
        .await;
    let problem = app
        .public_api()
        .upload_through_link(
            &token,
            &[("garbage.xlsx", b"PK\x03\x04 not a zip".to_vec())],
        )
        .problem(422)
        .await;
    assert!(!problem.upload_problems.is_empty(), "{problem:?}");
    // An unknown template file.
    app.public_api()
        .request::<()>(Method::GET, "/api/v1/upload-template/passwords.txt")
        .problem(404)
        .await;
}

fn uploads_limit() -> usize {
    10 * 1024 * 1024
}
