//! The Accounting API's data: a company's books as Codat's suppliers, bills, bill
//! payments, profit and loss and balance sheet, once a connection has been linked.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Months, NaiveDate, Utc};
use serde_json::{Value, json};

use super::Shared;
use super::api::{api_call, company_not_found, error, instant, paged, validation_error};
use crate::books::{
    AccountClass, Books, Cents, Contact, Invoice, Payment, ProfitAndLoss, cents_json, derived_uuid,
    month_end, month_start,
};
use crate::oauth::Form;

pub(super) fn routes(config: &mut web::ServiceConfig) {
    config
        .route(
            "/companies/{company}/data/financials/{report}",
            web::get().to(financials),
        )
        .route("/companies/{company}/data/{dataset}", web::get().to(list));
}

/// `2023-03-31T00:00:00`: how Codat writes the dates of records and reports.
fn day(date: NaiveDate) -> String {
    format!("{date}T00:00:00")
}

/// The company's books, once its data has synced: after its first link (and the
/// configured first sync). Data already read stays readable when the connection is
/// later `Deauthorized` or `Unlinked`, as Codat documents.
fn synced_books(
    shared: &Shared,
    company: &str,
    now: DateTime<Utc>,
) -> Result<Arc<Books>, HttpResponse> {
    let state = shared.lock();
    let Some(record) = company.parse().ok().and_then(|id| state.company(id)) else {
        return Err(company_not_found(company));
    };
    let first_linked = record
        .connections
        .iter()
        .filter_map(|c| c.first_linked)
        .min();
    let first_sync = chrono::Duration::from_std(shared.config.first_sync).expect("first sync");
    match first_linked {
        None => Err(error(
            StatusCode::CONFLICT,
            "PublicApi",
            "The data set has not been requested.",
        )),
        Some(linked) if linked + first_sync > now => Err(error(
            StatusCode::CONFLICT,
            "PublicApi",
            "The data set is still syncing.",
        )),
        Some(_) => Ok(record.books.clone()),
    }
}

/// `GET /companies/{companyId}/data/{suppliers|bills|billPayments}?page&pageSize&query`.
async fn list(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let (company, dataset) = path.into_inner();
    let endpoint = format!("GET data/{dataset}");
    api_call(&request, &shared, &endpoint, |query, now| {
        let render: fn(&Books) -> (Vec<Value>, &'static str) = match dataset.as_str() {
            "suppliers" => |books| (books.suppliers().map(supplier_json).collect(), "Supplier"),
            "bills" => |books| (books.bills().map(|b| bill_json(books, b)).collect(), "Bill"),
            "billPayments" => |books| {
                let items = books.bill_payments().map(|p| bill_payment_json(books, p));
                (items.collect(), "BillPayment")
            },
            other => {
                return error(
                    StatusCode::NOT_FOUND,
                    "PublicApi",
                    &format!("The fake serves suppliers, bills and billPayments, not {other}."),
                );
            }
        };
        let books = match synced_books(&shared, &company, now) {
            Ok(books) => books,
            Err(answer) => return answer,
        };
        let (items, what) = render(&books);
        match paged(request.path(), query, what, items) {
            Ok(body) => HttpResponse::Ok().json(body),
            Err(answer) => answer,
        }
    })
    .await
}

/// Four documented-looking fields the books do not keep, derived from the contact's
/// number so they stay the same from call to call.
fn contact_details(contact: &Contact) -> (String, String, String, String) {
    const PEOPLE: [&str; 8] = [
        "Alex Morgan",
        "Priya Shah",
        "Tom Fletcher",
        "Grace Okafor",
        "Daniel Evans",
        "Sophie Turner",
        "Omar Haddad",
        "Ellen Walsh",
    ];
    let n = contact.number;
    (
        PEOPLE[n as usize % PEOPLE.len()].to_owned(),
        // Ofcom's range for drama: never a real number.
        format!("0161 496 0{:03}", n % 1000),
        format!("{:08}", 10_000_000 + n * 7919 % 9_000_000),
        format!("GB{:09}", 100_000_000 + n * 104_729 % 900_000_000),
    )
}

fn supplier_json(contact: &Contact) -> Value {
    let (person, phone, registration, tax) = contact_details(contact);
    json!({
        "id": contact.id,
        "supplierName": contact.name,
        "contactName": person,
        "emailAddress": contact.email,
        "phone": phone,
        "addresses": [{
            "type": "Billing",
            "line1": format!("{} High Street", contact.number + 1),
            "city": "Manchester",
            "country": "United Kingdom",
            "postalCode": format!("M{} {}AB", contact.number % 30 + 1, contact.number % 9 + 1),
        }],
        "registrationNumber": registration,
        "taxNumber": tax,
        "status": "Active",
        "defaultCurrency": contact.currency,
        "modifiedDate": instant(contact.updated),
        "sourceModifiedDate": contact.updated.format("%Y-%m-%dT%H:%M:%S").to_string(),
        "metadata": { "isDeleted": false },
    })
}

fn reference(id: impl ToString, name: &str, name_key: &str) -> Value {
    json!({ "id": id.to_string(), name_key: name })
}

fn bill_json(books: &Books, bill: &Invoice) -> Value {
    let supplier = &books.contacts[bill.contact];
    // The books keep the tax per bill; each line gets its share, the last the rest.
    let mut tax_left = bill.tax;
    let last = bill.lines.len().saturating_sub(1);
    let lines: Vec<Value> = bill
        .lines
        .iter()
        .enumerate()
        .map(|(n, line)| {
            let tax = if n == last {
                tax_left
            } else {
                bill.tax * line.amount / bill.subtotal.max(1)
            };
            tax_left -= tax;
            let account = &books.accounts[line.account];
            json!({
                "description": line.description,
                "unitAmount": cents_json(line.amount),
                "quantity": 1,
                "discountAmount": 0,
                "subTotal": cents_json(line.amount),
                "taxAmount": cents_json(tax),
                "totalAmount": cents_json(line.amount + tax),
                "accountRef": reference(account.id, account.name, "name"),
                "trackingCategoryRefs": [],
            })
        })
        .collect();
    let status = if bill.is_paid() {
        "Paid"
    } else if bill.amount_paid > 0 {
        "PartiallyPaid"
    } else {
        "Open"
    };
    json!({
        "id": bill.id,
        "reference": bill.doc_number,
        "supplierRef": reference(supplier.id, &supplier.name, "supplierName"),
        "purchaseOrderRefs": [],
        "issueDate": day(bill.date),
        "dueDate": day(bill.due_date),
        "currency": bill.currency,
        "currencyRate": bill.rate,
        "lineItems": lines,
        "subTotal": cents_json(bill.subtotal),
        "taxAmount": cents_json(bill.tax),
        "totalAmount": cents_json(bill.total),
        "amountDue": cents_json(bill.amount_due()),
        "status": status,
        "modifiedDate": instant(bill.updated),
        "sourceModifiedDate": bill.updated.format("%Y-%m-%dT%H:%M:%S").to_string(),
        "metadata": { "isDeleted": false },
    })
}

fn bill_payment_json(books: &Books, payment: &Payment) -> Value {
    let bill = &books.invoices[payment.invoice];
    let supplier = &books.contacts[bill.contact];
    json!({
        "id": payment.id,
        "supplierRef": reference(supplier.id, &supplier.name, "supplierName"),
        "accountRef": reference(
            balance_account_id(books, "bank"),
            "Business Current Account",
            "name",
        ),
        "totalAmount": cents_json(payment.amount),
        "currency": bill.currency,
        "currencyRate": bill.rate,
        "date": day(payment.date),
        "note": payment.reference,
        "lines": [{
            "amount": cents_json(payment.amount),
            // Codat: a negative link amount reduces what is owed on the bill.
            "links": [{
                "type": "Bill",
                "id": bill.id,
                "amount": cents_json(-payment.amount),
                "currencyRate": bill.rate,
            }],
            "allocatedOnDate": day(payment.date),
        }],
        "modifiedDate": instant(payment.updated),
        "sourceModifiedDate": payment.updated.format("%Y-%m-%dT%H:%M:%S").to_string(),
        "metadata": { "isDeleted": false },
    })
}

/// `periodLength` (months, 1 to 12) and `periodsToCompare` (both required, as Codat
/// requires them) and `startMonth` (the first month of the earliest period; by default
/// the periods end with the current month). Periods that start after today or end
/// before the books begin are left out, as Codat leaves out months it has no data for.
fn periods(query: &Form, books: &Books) -> Result<Vec<(NaiveDate, NaiveDate)>, HttpResponse> {
    let number = |name: &str, max: u32| {
        query
            .get(name)
            .and_then(|raw| raw.parse::<u32>().ok())
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                validation_error(
                    name,
                    &format!("{name} is required: a whole number from 1 to {max}."),
                    "FinancialsValidator",
                )
            })
    };
    let length = number("periodLength", 12)?;
    let count = number("periodsToCompare", u32::MAX)?;
    let today = books.today;
    let start = match query.get("startMonth") {
        Some(raw) => raw
            .get(..10)
            .and_then(|date| NaiveDate::parse_from_str(date, "%Y-%m-%d").ok())
            .map(month_start)
            .ok_or_else(|| {
                validation_error(
                    "startMonth",
                    "startMonth must be a date (yyyy-MM-dd).",
                    "FinancialsValidator",
                )
            })?,
        None => length
            .checked_mul(count)
            .and_then(|months| month_start(today).checked_sub_months(Months::new(months - 1)))
            .unwrap_or(books.first_month)
            .max(books.first_month),
    };
    let mut periods = Vec::new();
    let mut from = start;
    for _ in 0..count {
        if from > today {
            break;
        }
        let Some(to) = from
            .checked_add_months(Months::new(length - 1))
            .map(month_end)
        else {
            break;
        };
        if to >= books.first_month {
            periods.push((from, to));
        }
        from = to + chrono::Days::new(1);
    }
    // Codat lists the newest period first.
    periods.reverse();
    Ok(periods)
}

fn report_line(name: &str, value: Cents, items: Vec<Value>) -> Value {
    json!({ "accountId": "", "name": name, "value": cents_json(value), "items": items })
}

fn leaf(account_id: impl ToString, name: &str, value: Cents) -> Value {
    json!({
        "accountId": account_id.to_string(),
        "name": name,
        "value": cents_json(value),
        "items": [],
    })
}

fn profit_and_loss_json(books: &Books, from: NaiveDate, to: NaiveDate) -> Value {
    let pnl: ProfitAndLoss = books.profit_and_loss(from, to);
    let accounts = |class: AccountClass| -> Vec<Value> {
        pnl.lines
            .iter()
            .filter(|(account, _)| books.accounts[*account].class == class)
            .map(|(account, amount)| {
                let account = &books.accounts[*account];
                leaf(account.id, account.name, *amount)
            })
            .collect()
    };
    let operating = pnl.net_profit(books);
    json!({
        "fromDate": day(from),
        "toDate": day(to),
        "income": report_line("Income", pnl.income(books), accounts(AccountClass::Revenue)),
        "costOfSales": report_line(
            "Cost of Sales",
            pnl.cost_of_sales(books),
            accounts(AccountClass::CostOfSales),
        ),
        "grossProfit": cents_json(pnl.gross_profit(books)),
        "expenses": report_line(
            "Expenses",
            pnl.operating_expenses(books),
            accounts(AccountClass::Expense),
        ),
        "netOperatingProfit": cents_json(operating),
        "otherIncome": report_line("Other Income", 0, vec![]),
        "otherExpenses": report_line("Other Expenses", 0, vec![]),
        "netOtherIncome": cents_json(0),
        "netProfit": cents_json(operating),
    })
}

/// The id of a balance sheet account the books do not list, stable per company (the
/// books' account ids are seeded by it).
fn balance_account_id(books: &Books, name: &str) -> uuid::Uuid {
    derived_uuid(&[books.accounts[0].id.as_bytes(), b"balance", name.as_bytes()])
}

fn balance_sheet_json(books: &Books, date: NaiveDate) -> Value {
    let sheet = books.balance_sheet(date);
    let id = |name: &str| balance_account_id(books, name);
    let tax = if books.base_currency == "GBP" {
        "VAT"
    } else {
        "Sales Tax"
    };
    json!({
        "date": day(date),
        "assets": report_line("Assets", sheet.total_assets, vec![
            report_line("Current Assets", sheet.bank + sheet.accounts_receivable, vec![
                report_line("Bank", sheet.bank, vec![
                    leaf(id("bank"), "Business Current Account", sheet.bank),
                ]),
                leaf(id("receivable"), "Accounts Receivable", sheet.accounts_receivable),
            ]),
            report_line("Fixed Assets", sheet.fixed_assets, vec![
                leaf(id("equipment"), "Office Equipment", sheet.fixed_assets),
            ]),
        ]),
        "liabilities": report_line("Liabilities", sheet.total_liabilities, vec![
            report_line("Current Liabilities", sheet.total_liabilities, vec![
                leaf(id("payable"), "Accounts Payable", sheet.accounts_payable),
                leaf(id("tax"), tax, sheet.sales_tax),
            ]),
        ]),
        "equity": report_line("Equity", sheet.total_equity, vec![
            leaf(id("retained"), "Retained Earnings", sheet.retained_earnings),
            leaf(id("current"), "Current Year Earnings", sheet.current_year_earnings),
        ]),
        "netAssets": cents_json(sheet.net_assets()),
    })
}

/// `GET /companies/{companyId}/data/financials/{profitAndLoss|balanceSheet}
/// ?periodLength&periodsToCompare&startMonth`.
async fn financials(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let (company, report) = path.into_inner();
    let endpoint = format!("GET financials/{report}");
    api_call(&request, &shared, &endpoint, |query, now| {
        if report != "profitAndLoss" && report != "balanceSheet" {
            return error(
                StatusCode::NOT_FOUND,
                "PublicApi",
                &format!("The fake serves profitAndLoss and balanceSheet, not {report}."),
            );
        }
        let books = match synced_books(&shared, &company, now) {
            Ok(books) => books,
            Err(answer) => return answer,
        };
        let periods = match periods(query, &books) {
            Ok(periods) => periods,
            Err(answer) => return answer,
        };
        let mut body = json!({
            "currency": books.base_currency,
            "mostRecentAvailableMonth": day(month_start(books.today)),
            "earliestAvailableMonth": day(books.first_month),
        });
        if report == "profitAndLoss" {
            body["reportBasis"] = json!("Accrual");
            body["reports"] = periods
                .iter()
                .map(|(from, to)| profit_and_loss_json(&books, *from, *to))
                .collect();
        } else {
            // At the end of each period, or today for the current one.
            body["reports"] = periods
                .iter()
                .map(|(_, to)| balance_sheet_json(&books, (*to).min(books.today)))
                .collect();
        }
        HttpResponse::Ok().json(body)
    })
    .await
}
