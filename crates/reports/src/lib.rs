//! What a company's stored report data says, computed from the report payloads (the
//! shapes both providers store: `results` lists of suppliers, bills and payments, as in
//! `docs/upstream-http-provider.md`): the report files (`write`: CSV, xlsx, JSON
//! tables), the reports derived from the spend detail (supplier list figures, accounts
//! payable ageing, the spend analysis workbook), the consolidated report of a client
//! group's entities (`write_consolidated`: a row per entity, a column set per
//! currency), and what changed between refreshes.
//!
//! Architecture invariant: pure functions, no IO; the server reads the snapshots and
//! hands their payloads here (as the stored JSON text, so nothing is held twice).

mod changes;
mod consolidated;
mod export;
mod source;
mod spend;
mod table;

pub use changes::{Delta, Mover, SpendChanges, SupplierRef, spend_changes};
pub use consolidated::{
    NO_CURRENCY, choose_consolidated_sheet, consolidated_sheet_ids, write_consolidated,
};
pub use export::{Sources, choose_sheet, sheets, write};
pub use spend::{AGEING_BUCKETS, ageing_bucket};
pub use table::{Cell, Column, ColumnKind, ExportError, Sheet, TableFormat, spreadsheet_text};
