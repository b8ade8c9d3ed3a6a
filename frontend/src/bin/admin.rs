//! The admin pages' binary: only the pages under `/admin/` (`frontend::start_admin`).

fn main() {
    frontend::start_admin();
}
