//! `spendlens openapi`: print the OpenAPI document.

pub fn run() -> anyhow::Result<()> {
    print!("{}", server::openapi::pretty_json());
    Ok(())
}
