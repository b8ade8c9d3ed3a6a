//! The template's sheets and columns: what the template writes and the reader expects.

/// One of the template's three data sheets (or CSV files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SheetKind {
    Suppliers,
    Bills,
    BillPayments,
}

impl SheetKind {
    /// In the order they are read: a bill refers to a supplier, a payment to a bill.
    pub const ALL: [SheetKind; 3] = [
        SheetKind::Suppliers,
        SheetKind::Bills,
        SheetKind::BillPayments,
    ];

    pub const fn index(self) -> usize {
        match self {
            SheetKind::Suppliers => 0,
            SheetKind::Bills => 1,
            SheetKind::BillPayments => 2,
        }
    }

    /// The sheet's name in the workbook.
    pub const fn title(self) -> &'static str {
        match self {
            SheetKind::Suppliers => "Suppliers",
            SheetKind::Bills => "Bills",
            SheetKind::BillPayments => "Bill payments",
        }
    }

    /// The CSV file of the template.
    pub const fn file_name(self) -> &'static str {
        match self {
            SheetKind::Suppliers => "suppliers.csv",
            SheetKind::Bills => "bills.csv",
            SheetKind::BillPayments => "bill_payments.csv",
        }
    }

    pub const fn columns(self) -> &'static [Column] {
        match self {
            SheetKind::Suppliers => SUPPLIER_COLUMNS,
            SheetKind::Bills => BILL_COLUMNS,
            SheetKind::BillPayments => PAYMENT_COLUMNS,
        }
    }

    /// The sheet a sheet or file name means, compared by [`normalize`]d name (a CSV
    /// file's extension dropped first).
    pub fn from_name(name: &str) -> Option<SheetKind> {
        let stem = match name.rsplit_once('.') {
            Some((stem, ext)) if ext.eq_ignore_ascii_case("csv") => stem,
            _ => name,
        };
        let stem = stem.rsplit(['/', '\\']).next().unwrap_or(stem);
        match normalize(stem).as_str() {
            "suppliers" | "supplierlist" => Some(SheetKind::Suppliers),
            "bills" => Some(SheetKind::Bills),
            "billpayments" | "payments" => Some(SheetKind::BillPayments),
            _ => None,
        }
    }

    /// The column a header names, by [`normalize`]d text.
    pub fn column_of(self, header: &str) -> Option<usize> {
        self.columns()
            .iter()
            .position(|c| same_header(c.header, header))
    }

    pub fn headers(self) -> impl Iterator<Item = &'static str> {
        self.columns().iter().map(|c| c.header)
    }

    /// The sheet a header row belongs to: the one with the most of its columns, if
    /// that is at least two and no other sheet has as many.
    pub fn from_headers(headers: &[String]) -> Option<SheetKind> {
        let scores = SheetKind::ALL.map(|kind| {
            headers
                .iter()
                .take(MAX_COLUMNS as usize)
                .filter(|h| kind.column_of(h).is_some())
                .count()
        });
        let best = scores.iter().copied().max().unwrap_or(0);
        let leaders = scores.iter().filter(|s| **s == best).count();
        (best >= 2 && leaders == 1)
            .then(|| SheetKind::ALL[scores.iter().position(|s| *s == best).unwrap_or(0)])
    }
}

/// Lower-case letters and digits only: `Supplier ID`, `supplier_id` and `SupplierId`
/// are the same header.
pub(crate) fn normalize(text: &str) -> String {
    normalized(text).collect()
}

fn normalized(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
}

/// Whether two headers [`normalize`] to the same text (without allocating).
fn same_header(a: &str, b: &str) -> bool {
    normalized(a).eq(normalized(b))
}

/// The columns of a sheet that are looked at; the template has ten at most.
pub(crate) const MAX_COLUMNS: u32 = 1000;

/// What a column holds, and how it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// One line of text of at most this many characters.
    Line(usize),
    /// Text that may span lines, of at most this many characters.
    Text(usize),
    Email,
    Currency,
    Date,
    Amount,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    pub header: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// The column's width in the template, in Excel's character units.
    pub width: f64,
    /// What to enter, for the template's instructions.
    pub note: &'static str,
}

const fn col(
    header: &'static str,
    kind: Kind,
    required: bool,
    width: f64,
    note: &'static str,
) -> Column {
    Column {
        header,
        kind,
        required,
        width,
        note,
    }
}

pub(crate) const ID_CHARS: usize = 100;
pub(crate) const NAME_CHARS: usize = 200;

/// Column positions, so the reader names them rather than counting.
pub(crate) mod suppliers {
    pub const ID: usize = 0;
    pub const NAME: usize = 1;
    pub const CONTACT: usize = 2;
    pub const EMAIL: usize = 3;
    pub const PHONE: usize = 4;
    pub const TERMS: usize = 5;
    pub const METHOD: usize = 6;
    pub const CURRENCY: usize = 7;
}

pub(crate) mod bills {
    pub const ID: usize = 0;
    pub const SUPPLIER: usize = 1;
    pub const REFERENCE: usize = 2;
    pub const ISSUE_DATE: usize = 3;
    pub const DUE_DATE: usize = 4;
    pub const CURRENCY: usize = 5;
    pub const TOTAL: usize = 6;
    pub const AMOUNT_DUE: usize = 7;
    pub const DESCRIPTION: usize = 8;
    pub const ACCOUNT: usize = 9;
}

pub(crate) mod payments {
    pub const ID: usize = 0;
    pub const BILL: usize = 1;
    pub const SUPPLIER: usize = 2;
    pub const DATE: usize = 3;
    pub const CURRENCY: usize = 4;
    pub const AMOUNT: usize = 5;
    pub const METHOD: usize = 6;
}

const SUPPLIER_COLUMNS: &[Column] = &[
    col(
        "Supplier ID",
        Kind::Line(ID_CHARS),
        true,
        14.0,
        "Your reference for the supplier, used once on this sheet; bills and payments name the supplier by it.",
    ),
    col(
        "Supplier name",
        Kind::Line(NAME_CHARS),
        true,
        32.0,
        "The supplier's name.",
    ),
    col(
        "Contact name",
        Kind::Line(NAME_CHARS),
        false,
        20.0,
        "The person you deal with.",
    ),
    col(
        "Email",
        Kind::Email,
        false,
        30.0,
        "An email address like name@example.com.",
    ),
    col("Phone", Kind::Line(50), false, 18.0, "A phone number."),
    col(
        "Payment terms",
        Kind::Line(100),
        false,
        15.0,
        "For example Net 30.",
    ),
    col(
        "Payment method",
        Kind::Line(100),
        false,
        16.0,
        "How you usually pay them, for example Bank transfer; used for payments that name none.",
    ),
    col(
        "Currency",
        Kind::Currency,
        false,
        10.0,
        "The supplier's usual currency: a 3-letter code like GBP.",
    ),
];

const BILL_COLUMNS: &[Column] = &[
    col(
        "Bill ID",
        Kind::Line(ID_CHARS),
        true,
        14.0,
        "Your reference for the bill, used once on this sheet; payments name the bill by it.",
    ),
    col(
        "Supplier ID",
        Kind::Line(ID_CHARS),
        true,
        14.0,
        "A Supplier ID from the Suppliers sheet.",
    ),
    col(
        "Reference",
        Kind::Line(ID_CHARS),
        false,
        16.0,
        "The supplier's invoice number.",
    ),
    col(
        "Issue date",
        Kind::Date,
        true,
        12.0,
        "The date on the bill.",
    ),
    col(
        "Due date",
        Kind::Date,
        false,
        12.0,
        "When it is due: not before the issue date.",
    ),
    col(
        "Currency",
        Kind::Currency,
        true,
        10.0,
        "A 3-letter currency code like GBP.",
    ),
    col(
        "Total amount",
        Kind::Amount,
        true,
        14.0,
        "The bill's total, tax included, like 1234.56.",
    ),
    col(
        "Amount due",
        Kind::Amount,
        true,
        14.0,
        "What is still owed: 0 when paid in full, at most the total amount.",
    ),
    col(
        "Description",
        Kind::Text(1000),
        false,
        30.0,
        "What the bill is for.",
    ),
    col(
        "Expense account",
        Kind::Line(NAME_CHARS),
        false,
        20.0,
        "The account the spend is booked to, for example Office expenses.",
    ),
];

const PAYMENT_COLUMNS: &[Column] = &[
    col(
        "Payment ID",
        Kind::Line(ID_CHARS),
        true,
        14.0,
        "Your reference for the payment, used once on this sheet.",
    ),
    col(
        "Bill ID",
        Kind::Line(ID_CHARS),
        true,
        14.0,
        "The Bill ID, from the Bills sheet, of the bill paid.",
    ),
    col(
        "Supplier ID",
        Kind::Line(ID_CHARS),
        false,
        14.0,
        "The bill's supplier, or empty.",
    ),
    col("Date", Kind::Date, true, 12.0, "The day it was paid."),
    col(
        "Currency",
        Kind::Currency,
        false,
        10.0,
        "The bill's currency, or empty.",
    ),
    col(
        "Amount",
        Kind::Amount,
        true,
        14.0,
        "The amount paid; a bill's payments add up to at most its total amount.",
    ),
    col(
        "Payment method",
        Kind::Line(100),
        false,
        16.0,
        "For example Bank transfer; empty means the supplier's payment method.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_headers_are_recognised_loosely() {
        assert_eq!(
            SheetKind::from_name("Bill payments"),
            Some(SheetKind::BillPayments)
        );
        assert_eq!(
            SheetKind::from_name("uploads/BILL_PAYMENTS.CSV"),
            Some(SheetKind::BillPayments)
        );
        assert_eq!(SheetKind::from_name("bills.csv"), Some(SheetKind::Bills));
        assert_eq!(SheetKind::from_name("Sheet1"), None);
        assert_eq!(SheetKind::Bills.column_of(" supplier_id "), Some(1));
        assert_eq!(SheetKind::Bills.column_of("Issue Date"), Some(3));
        assert_eq!(SheetKind::Bills.column_of("Issued"), None);
        for kind in SheetKind::ALL {
            let headers: Vec<String> = kind.headers().map(str::to_owned).collect();
            assert_eq!(SheetKind::from_headers(&headers), Some(kind));
        }
        let few = ["Supplier ID".to_owned(), "Currency".to_owned()];
        assert_eq!(SheetKind::from_headers(&few), None);
    }

    #[test]
    fn column_constants_name_their_columns() {
        let check = |sheet: SheetKind, index: usize, header: &str| {
            assert_eq!(sheet.columns()[index].header, header);
        };
        check(SheetKind::Suppliers, suppliers::ID, "Supplier ID");
        check(SheetKind::Suppliers, suppliers::NAME, "Supplier name");
        check(SheetKind::Suppliers, suppliers::CONTACT, "Contact name");
        check(SheetKind::Suppliers, suppliers::EMAIL, "Email");
        check(SheetKind::Suppliers, suppliers::PHONE, "Phone");
        check(SheetKind::Suppliers, suppliers::TERMS, "Payment terms");
        check(SheetKind::Suppliers, suppliers::METHOD, "Payment method");
        check(SheetKind::Suppliers, suppliers::CURRENCY, "Currency");
        check(SheetKind::Bills, bills::ID, "Bill ID");
        check(SheetKind::Bills, bills::SUPPLIER, "Supplier ID");
        check(SheetKind::Bills, bills::REFERENCE, "Reference");
        check(SheetKind::Bills, bills::ISSUE_DATE, "Issue date");
        check(SheetKind::Bills, bills::DUE_DATE, "Due date");
        check(SheetKind::Bills, bills::CURRENCY, "Currency");
        check(SheetKind::Bills, bills::TOTAL, "Total amount");
        check(SheetKind::Bills, bills::AMOUNT_DUE, "Amount due");
        check(SheetKind::Bills, bills::DESCRIPTION, "Description");
        check(SheetKind::Bills, bills::ACCOUNT, "Expense account");
        check(SheetKind::BillPayments, payments::ID, "Payment ID");
        check(SheetKind::BillPayments, payments::BILL, "Bill ID");
        check(SheetKind::BillPayments, payments::SUPPLIER, "Supplier ID");
        check(SheetKind::BillPayments, payments::DATE, "Date");
        check(SheetKind::BillPayments, payments::CURRENCY, "Currency");
        check(SheetKind::BillPayments, payments::AMOUNT, "Amount");
        check(SheetKind::BillPayments, payments::METHOD, "Payment method");
        for sheet in SheetKind::ALL {
            let mut seen = std::collections::HashSet::new();
            for header in sheet.headers() {
                assert!(seen.insert(normalize(header)), "{header}");
            }
        }
    }
}
