//! What an organization can request from a client, and the reports it yields.

use serde::{Deserialize, Serialize};

/// A kind of data an organization requests from a client company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DataType {
    /// Profit and loss, balance sheet.
    Financials,
    /// Accounts payable: suppliers, bills, bill payments, payment methods and terms.
    SpendDetail,
}

impl DataType {
    pub const ALL: [DataType; 2] = [DataType::Financials, DataType::SpendDetail];

    pub const fn as_str(self) -> &'static str {
        match self {
            DataType::Financials => "financials",
            DataType::SpendDetail => "spend_detail",
        }
    }

    /// How the portal names it to a person.
    pub const fn label(self) -> &'static str {
        match self {
            DataType::Financials => "Financials",
            DataType::SpendDetail => "Spend detail",
        }
    }

    /// What sharing this data type means, in words a company's contact understands.
    pub fn contents(self) -> &'static [&'static str] {
        match self {
            DataType::Financials => &["Profit and loss", "Balance sheet"],
            DataType::SpendDetail => &[
                "Suppliers",
                "Bills",
                "Bill payments",
                "Payment methods and terms",
            ],
        }
    }

    /// The reports a fetch of this data type stores (the reports derived from them,
    /// [`ReportKind::is_derived`], are not stored: they are computed when downloaded).
    pub fn reports(self) -> &'static [ReportKind] {
        match self {
            DataType::Financials => &[ReportKind::ProfitAndLoss, ReportKind::BalanceSheet],
            DataType::SpendDetail => &[
                ReportKind::Suppliers,
                ReportKind::Bills,
                ReportKind::BillPayments,
            ],
        }
    }
}

named!(DataType);

/// One report of a company, with its own update time: either stored as fetched, or
/// derived from the stored spend detail of the same refresh when downloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    ProfitAndLoss,
    BalanceSheet,
    Suppliers,
    Bills,
    BillPayments,
    /// A workbook of the spend detail: customer summary, monthly breakdown, spend by
    /// payment method, supplier analysis, bills, bill payments, expense accounts.
    SpendAnalysis,
    /// Accounts payable ageing: what is owed to each supplier by days overdue.
    AgedPayables,
}

impl ReportKind {
    pub const ALL: [ReportKind; 7] = [
        ReportKind::ProfitAndLoss,
        ReportKind::BalanceSheet,
        ReportKind::Suppliers,
        ReportKind::Bills,
        ReportKind::BillPayments,
        ReportKind::SpendAnalysis,
        ReportKind::AgedPayables,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ReportKind::ProfitAndLoss => "profit_and_loss",
            ReportKind::BalanceSheet => "balance_sheet",
            ReportKind::Suppliers => "suppliers",
            ReportKind::Bills => "bills",
            ReportKind::BillPayments => "bill_payments",
            ReportKind::SpendAnalysis => "spend_analysis",
            ReportKind::AgedPayables => "aged_payables",
        }
    }

    pub const fn title(self) -> &'static str {
        match self {
            ReportKind::ProfitAndLoss => "Profit and loss",
            ReportKind::BalanceSheet => "Balance sheet",
            ReportKind::Suppliers => "Supplier list",
            ReportKind::Bills => "Bills",
            ReportKind::BillPayments => "Bill payments",
            ReportKind::SpendAnalysis => "Spend analysis",
            ReportKind::AgedPayables => "Accounts payable ageing",
        }
    }

    pub const fn data_type(self) -> DataType {
        match self {
            ReportKind::ProfitAndLoss | ReportKind::BalanceSheet => DataType::Financials,
            ReportKind::Suppliers
            | ReportKind::Bills
            | ReportKind::BillPayments
            | ReportKind::SpendAnalysis
            | ReportKind::AgedPayables => DataType::SpendDetail,
        }
    }

    /// Computed from stored reports when downloaded, rather than stored itself.
    pub const fn is_derived(self) -> bool {
        matches!(self, ReportKind::SpendAnalysis | ReportKind::AgedPayables)
    }

    /// The stored reports this report's files are made from, the one whose versions
    /// it follows first: a derived report has the `updated_at` and the snapshots of
    /// its first source; the others are read from the same refresh. The supplier list
    /// also reads the bills, for each supplier's bills, spend and outstanding balance.
    pub const fn sources(self) -> &'static [ReportKind] {
        match self {
            ReportKind::ProfitAndLoss => &[ReportKind::ProfitAndLoss],
            ReportKind::BalanceSheet => &[ReportKind::BalanceSheet],
            ReportKind::Suppliers => &[ReportKind::Suppliers, ReportKind::Bills],
            ReportKind::Bills | ReportKind::AgedPayables => &[ReportKind::Bills],
            ReportKind::BillPayments => &[ReportKind::BillPayments],
            ReportKind::SpendAnalysis => &[
                ReportKind::Bills,
                ReportKind::Suppliers,
                ReportKind::BillPayments,
            ],
        }
    }
}

named!(ReportKind);

/// A stored name that matches no variant: the database and the code disagree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown name {0:?}")]
pub struct UnknownName(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_belongs_to_the_data_type_that_lists_it() {
        for data_type in DataType::ALL {
            for kind in data_type.reports() {
                assert_eq!(kind.data_type(), data_type);
            }
        }
        let listed: usize = DataType::ALL.iter().map(|t| t.reports().len()).sum();
        let stored = ReportKind::ALL.iter().filter(|k| !k.is_derived()).count();
        assert_eq!(listed, stored);
    }

    #[test]
    fn reports_are_made_from_stored_reports_of_their_own_data_type() {
        for kind in ReportKind::ALL {
            let sources = kind.sources();
            assert!(!sources.is_empty(), "{kind}");
            if !kind.is_derived() {
                assert_eq!(sources[0], kind, "a stored report follows its own versions");
            }
            for source in sources {
                assert!(!source.is_derived(), "{kind} reads {source}");
                assert_eq!(source.data_type(), kind.data_type());
                assert!(kind.data_type().reports().contains(source));
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for kind in ReportKind::ALL {
            assert_eq!(kind.as_str().parse::<ReportKind>().unwrap(), kind);
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
        }
        for data_type in DataType::ALL {
            assert_eq!(data_type.as_str().parse::<DataType>().unwrap(), data_type);
        }
        assert!("everything".parse::<DataType>().is_err());
    }
}
