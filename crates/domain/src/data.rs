//! What an organization can request from a client, and the reports it yields.

use std::{fmt, str::FromStr};

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

    /// The reports a fetch of this data type produces.
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

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DataType {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DataType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownName(s.to_owned()))
    }
}

/// One report of a company, kept with its own update time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    ProfitAndLoss,
    BalanceSheet,
    Suppliers,
    Bills,
    BillPayments,
}

impl ReportKind {
    pub const ALL: [ReportKind; 5] = [
        ReportKind::ProfitAndLoss,
        ReportKind::BalanceSheet,
        ReportKind::Suppliers,
        ReportKind::Bills,
        ReportKind::BillPayments,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ReportKind::ProfitAndLoss => "profit_and_loss",
            ReportKind::BalanceSheet => "balance_sheet",
            ReportKind::Suppliers => "suppliers",
            ReportKind::Bills => "bills",
            ReportKind::BillPayments => "bill_payments",
        }
    }

    pub const fn title(self) -> &'static str {
        match self {
            ReportKind::ProfitAndLoss => "Profit and loss",
            ReportKind::BalanceSheet => "Balance sheet",
            ReportKind::Suppliers => "Suppliers",
            ReportKind::Bills => "Bills",
            ReportKind::BillPayments => "Bill payments",
        }
    }

    pub const fn data_type(self) -> DataType {
        match self {
            ReportKind::ProfitAndLoss | ReportKind::BalanceSheet => DataType::Financials,
            ReportKind::Suppliers | ReportKind::Bills | ReportKind::BillPayments => {
                DataType::SpendDetail
            }
        }
    }
}

impl fmt::Display for ReportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReportKind {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReportKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownName(s.to_owned()))
    }
}

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
        assert_eq!(listed, ReportKind::ALL.len());
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
