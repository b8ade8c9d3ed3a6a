//! What changed between two refreshes of a company's spend detail: suppliers that
//! appeared or went, accounts payable and its overdue part, and the suppliers whose
//! outstanding balance moved most.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

/// A supplier, by the upstream's id and its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SupplierRef {
    pub id: String,
    pub name: String,
}

/// A figure before and after, and the change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Delta {
    pub before: f64,
    pub after: f64,
    pub change: f64,
}

impl Delta {
    fn new(before: f64, after: f64) -> Self {
        Self {
            before: cents(before),
            after: cents(after),
            change: cents(after - before),
        }
    }
}

/// A supplier whose outstanding balance moved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mover {
    pub supplier: SupplierRef,
    pub outstanding: Delta,
}

/// The comparison of two versions of the spend detail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpendChanges {
    pub new_suppliers: Vec<SupplierRef>,
    pub gone_suppliers: Vec<SupplierRef>,
    /// Open bills' amounts due.
    pub accounts_payable: Delta,
    /// The part of accounts payable past its due date (on each version's own day).
    pub overdue: Delta,
    /// Up to `movers` suppliers, largest absolute change in outstanding balance first.
    pub biggest_movers: Vec<Mover>,
}

fn cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn results(payload: &Value) -> &[Value] {
    payload
        .get("results")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn suppliers(payload: &Value) -> BTreeMap<String, SupplierRef> {
    results(payload)
        .iter()
        .map(|s| {
            let id = text(s, "id");
            (
                id.clone(),
                SupplierRef {
                    id,
                    name: text(s, "supplierName"),
                },
            )
        })
        .filter(|(id, _)| !id.is_empty())
        .collect()
}

/// Accounts payable (every open bill's amount due, credits included), its overdue part on `as_of`, and the outstanding balance per
/// supplier, from a bills payload.
fn payables(bills: &Value, as_of: NaiveDate) -> (f64, f64, BTreeMap<SupplierRef, f64>) {
    let mut total = 0.0;
    let mut overdue = 0.0;
    let mut by_supplier = BTreeMap::new();
    for bill in results(bills) {
        let due = bill.get("amountDue").and_then(Value::as_f64).unwrap_or(0.0);
        // A credit (a negative amount due) lowers what is owed, as in the ageing report.
        if due == 0.0 {
            continue;
        }
        total += due;
        let due_date = bill
            .get("dueDate")
            .and_then(Value::as_str)
            .and_then(|d| d.get(..10))
            .and_then(|d| d.parse::<NaiveDate>().ok());
        if due_date.is_some_and(|d| d < as_of) {
            overdue += due;
        }
        let supplier = bill.get("supplierRef").cloned().unwrap_or(Value::Null);
        let key = SupplierRef {
            id: text(&supplier, "id"),
            name: text(&supplier, "supplierName"),
        };
        *by_supplier.entry(key).or_insert(0.0) += due;
    }
    (total, overdue, by_supplier)
}

/// Compares two versions of a company's spend detail. `before` and `after` are
/// `(suppliers payload, bills payload, the day the version describes)`.
pub fn spend_changes(
    before: (&Value, &Value, NaiveDate),
    after: (&Value, &Value, NaiveDate),
    movers: usize,
) -> SpendChanges {
    let (old_suppliers, new_suppliers) = (suppliers(before.0), suppliers(after.0));
    let appeared = new_suppliers
        .iter()
        .filter(|(id, _)| !old_suppliers.contains_key(*id))
        .map(|(_, s)| s.clone())
        .collect();
    let gone = old_suppliers
        .iter()
        .filter(|(id, _)| !new_suppliers.contains_key(*id))
        .map(|(_, s)| s.clone())
        .collect();
    let (ap_before, overdue_before, owed_before) = payables(before.1, before.2);
    let (ap_after, overdue_after, owed_after) = payables(after.1, after.2);
    let everyone: BTreeSet<&SupplierRef> = owed_before.keys().chain(owed_after.keys()).collect();
    let mut moved: Vec<Mover> = everyone
        .into_iter()
        .map(|supplier| Mover {
            supplier: supplier.clone(),
            outstanding: Delta::new(
                owed_before.get(supplier).copied().unwrap_or(0.0),
                owed_after.get(supplier).copied().unwrap_or(0.0),
            ),
        })
        .filter(|m| m.outstanding.change != 0.0)
        .collect();
    moved.sort_by(|a, b| {
        b.outstanding
            .change
            .abs()
            .total_cmp(&a.outstanding.change.abs())
            .then_with(|| a.supplier.cmp(&b.supplier))
    });
    moved.truncate(movers);
    SpendChanges {
        new_suppliers: appeared,
        gone_suppliers: gone,
        accounts_payable: Delta::new(ap_before, ap_after),
        overdue: Delta::new(overdue_before, overdue_after),
        biggest_movers: moved,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn bill(supplier: &str, due: f64, due_date: &str) -> Value {
        json!({
            "supplierRef": {"id": supplier, "supplierName": format!("{supplier} Ltd")},
            "amountDue": due,
            "dueDate": due_date,
        })
    }

    #[test]
    fn suppliers_payables_overdue_and_movers_are_compared() {
        let before_suppliers = json!({"results": [
            {"id": "a", "supplierName": "a Ltd"}, {"id": "b", "supplierName": "b Ltd"}
        ]});
        let after_suppliers = json!({"results": [
            {"id": "b", "supplierName": "b Ltd"}, {"id": "c", "supplierName": "c Ltd"}
        ]});
        let before_bills = json!({"results": [
            bill("a", 100.0, "2026-01-10"), bill("b", 50.0, "2026-03-01"), bill("b", 0.0, "2026-01-01")
        ]});
        let after_bills = json!({"results": [
            bill("b", 80.0, "2026-02-01"), bill("c", 500.25, "2026-04-01")
        ]});
        let changes = spend_changes(
            (&before_suppliers, &before_bills, day("2026-02-01")),
            (&after_suppliers, &after_bills, day("2026-03-01")),
            5,
        );
        assert_eq!(
            changes.new_suppliers,
            [SupplierRef {
                id: "c".into(),
                name: "c Ltd".into()
            }]
        );
        assert_eq!(
            changes.gone_suppliers,
            [SupplierRef {
                id: "a".into(),
                name: "a Ltd".into()
            }]
        );
        assert_eq!(
            changes.accounts_payable,
            Delta {
                before: 150.0,
                after: 580.25,
                change: 430.25
            }
        );
        // Before: a's 100 was due on 10 Jan (overdue on 1 Feb). After: b's 80 due 1 Feb.
        assert_eq!(
            changes.overdue,
            Delta {
                before: 100.0,
                after: 80.0,
                change: -20.0
            }
        );
        let movers: Vec<(&str, f64)> = changes
            .biggest_movers
            .iter()
            .map(|m| (m.supplier.id.as_str(), m.outstanding.change))
            .collect();
        assert_eq!(movers, [("c", 500.25), ("a", -100.0), ("b", 30.0)]);
    }

    #[test]
    fn nothing_changed_gives_zeros_and_no_movers() {
        let suppliers = json!({"results": [{"id": "a", "supplierName": "a Ltd"}]});
        let bills = json!({"results": [bill("a", 10.0, "2026-01-01")]});
        let changes = spend_changes(
            (&suppliers, &bills, day("2026-02-01")),
            (&suppliers, &bills, day("2026-02-01")),
            5,
        );
        assert!(changes.new_suppliers.is_empty() && changes.gone_suppliers.is_empty());
        assert_eq!(changes.accounts_payable.change, 0.0);
        assert!(changes.biggest_movers.is_empty());
        // Malformed payloads read as empty rather than failing.
        let odd = spend_changes(
            (&json!(null), &json!({"results": "no"}), day("2026-02-01")),
            (&json!([]), &json!({}), day("2026-02-01")),
            5,
        );
        assert_eq!(odd.accounts_payable.after, 0.0);
    }
}
