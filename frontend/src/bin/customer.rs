//! The customer's binary: only the pages under `/connect/` (`frontend::start_customer`).

fn main() {
    frontend::start_customer();
}
