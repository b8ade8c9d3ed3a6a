//! The portal's binary: every page of the web app (`frontend::start_portal`).

fn main() {
    frontend::start_portal();
}
