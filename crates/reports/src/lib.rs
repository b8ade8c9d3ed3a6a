//! What a company's stored report data says, computed from the report payloads (the
//! shapes both providers store: `results` lists of suppliers and bills, as in
//! `docs/upstream-http-provider.md`).
//!
//! Architecture invariant: pure functions, no IO; the server reads the snapshots and
//! hands their payloads here.

mod changes;
mod export;

pub use changes::{Delta, Mover, SpendChanges, SupplierRef, spend_changes};
pub use export::{Cell, Column, ColumnKind, ExportError, columns, for_each_row, to_csv, to_xlsx};
