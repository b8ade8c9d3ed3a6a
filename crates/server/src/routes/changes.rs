//! What changed in a company's spend detail since the refresh before.

use actix_web::{get, web};
use api_types::{AmountChange, CompanyChanges, Problem, SupplierChange, SupplierMovement};
use domain::{CompanyId, ReportKind};

use crate::{error::ApiError, extract::Tenant};

fn amount(delta: reports::Delta) -> AmountChange {
    AmountChange {
        before: delta.before,
        after: delta.after,
        change: delta.change,
    }
}

fn supplier(s: reports::SupplierRef) -> SupplierChange {
    SupplierChange {
        id: s.id,
        name: s.name,
    }
}

/// What changed since the last refresh: suppliers that appeared or went, accounts
/// payable and its overdue part before and after, and the suppliers whose outstanding
/// balance moved most — comparing the two newest kept versions of the spend detail.
#[utoipa::path(
    operation_id = "get_company_changes",
    tag = "reports",
    params(("id" = CompanyId, Path, description = "The company's id")),
    responses(
        (status = 200, description = "The changes; `since` is null until two refreshes are kept", body = CompanyChanges),
        (status = 404, description = "No such company in this organization", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/companies/{id}/changes")]
pub async fn get(
    tenant: Tenant,
    id: web::Path<CompanyId>,
) -> Result<web::Json<CompanyChanges>, ApiError> {
    let company = id.into_inner();
    tenant.company(company).await?;
    let bills = tenant
        .store()
        .latest_two(tenant.0, company, ReportKind::Bills)
        .await?;
    let suppliers = tenant
        .store()
        .latest_two(tenant.0, company, ReportKind::Suppliers)
        .await?;
    let (Some(new_bills), Some(old_bills), Some(new_suppliers), Some(old_suppliers)) = (
        bills.first(),
        bills.get(1),
        suppliers.first(),
        suppliers.get(1),
    ) else {
        return Ok(web::Json(CompanyChanges {
            since: None,
            until: bills.first().map(|b| b.updated_at),
            currency: None,
            new_suppliers: vec![],
            gone_suppliers: vec![],
            accounts_payable: None,
            overdue: None,
            biggest_movers: vec![],
        }));
    };
    let changes = reports::spend_changes(
        (
            &old_suppliers.payload,
            &old_bills.payload,
            old_bills.updated_at.date_naive(),
        ),
        (
            &new_suppliers.payload,
            &new_bills.payload,
            new_bills.updated_at.date_naive(),
        ),
        5,
    );
    Ok(web::Json(CompanyChanges {
        since: Some(old_bills.updated_at),
        until: Some(new_bills.updated_at),
        currency: new_bills
            .payload
            .get("currency")
            .and_then(|c| c.as_str())
            .map(str::to_owned),
        new_suppliers: changes.new_suppliers.into_iter().map(supplier).collect(),
        gone_suppliers: changes.gone_suppliers.into_iter().map(supplier).collect(),
        accounts_payable: Some(amount(changes.accounts_payable)),
        overdue: Some(amount(changes.overdue)),
        biggest_movers: changes
            .biggest_movers
            .into_iter()
            .map(|m| SupplierMovement {
                id: m.supplier.id,
                name: m.supplier.name,
                outstanding: amount(m.outstanding),
            })
            .collect(),
    }))
}
