//! A fake of QuickBooks Online (to come).
pub struct FakeQuickBooks;
pub struct QuickBooksConfig;
