//! Starts the fake Xero, QuickBooks Online and data partner on loopback and prints the
//! settings that point Spendlens at them. Runs until Ctrl-C.
//!
//! `spendlens-fakes [--xero-port N] [--quickbooks-port N] [--partner-port N]
//! [--public-url URL]` (defaults: 7410, 7411, 7412, http://127.0.0.1:8080, Spendlens's
//! default address).

use fakes::{FakePartner, FakeQuickBooks, FakeXero, PartnerConfig, QuickBooksConfig, XeroConfig};

const CLIENT_ID: &str = "spendlens-fake-client";
const CLIENT_SECRET: &str = "spendlens-fake-secret";
const PARTNER_API_KEY: &str = "spendlens-fake-partner-key";

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|arg| arg == name)
        .and_then(|at| args.get(at + 1).cloned())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let port = |name: &str, default: u16| -> u16 {
        flag(&args, name)
            .map(|p| p.parse().expect("a port number"))
            .unwrap_or(default)
    };
    let public_url =
        flag(&args, "--public-url").unwrap_or_else(|| "http://127.0.0.1:8080".to_owned());
    let public_url = public_url.trim_end_matches('/');

    let mut xero = XeroConfig::new(
        CLIENT_ID,
        CLIENT_SECRET,
        &format!("{public_url}/api/v1/oauth/xero/callback"),
    );
    xero.port = port("--xero-port", 7410);
    let xero = FakeXero::start(xero)?;
    let mut quickbooks = QuickBooksConfig::new(
        CLIENT_ID,
        CLIENT_SECRET,
        &format!("{public_url}/api/v1/oauth/quickbooks/callback"),
    );
    quickbooks.port = port("--quickbooks-port", 7411);
    let quickbooks = FakeQuickBooks::start(quickbooks)?;
    // The redirect URL docs/upstream-http-provider.md asks to set in the partner's portal.
    let redirect = format!(
        "{public_url}/connect/{{spendlens_link}}/done?statuscode={{statusCode}}&connectionId={{connectionId}}"
    );
    let mut partner = PartnerConfig::new(PARTNER_API_KEY, &redirect);
    partner.port = port("--partner-port", 7412);
    let partner = FakePartner::start(partner)?;

    println!(
        "# Fake Xero, QuickBooks Online and data partner are running. Point Spendlens at them with:"
    );
    println!("export SPENDLENS_PUBLIC_URL={public_url}");
    println!("export SPENDLENS_XERO_CLIENT_ID={CLIENT_ID}");
    println!("export SPENDLENS_XERO_CLIENT_SECRET={CLIENT_SECRET}");
    println!(
        "export SPENDLENS_XERO_AUTHORIZE_URL={}",
        xero.authorize_url()
    );
    println!("export SPENDLENS_XERO_TOKEN_URL={}", xero.token_url());
    println!("export SPENDLENS_XERO_API_URL={}", xero.base_url());
    println!("export SPENDLENS_QUICKBOOKS_CLIENT_ID={CLIENT_ID}");
    println!("export SPENDLENS_QUICKBOOKS_CLIENT_SECRET={CLIENT_SECRET}");
    println!(
        "export SPENDLENS_QUICKBOOKS_AUTHORIZE_URL={}",
        quickbooks.authorize_url()
    );
    println!(
        "export SPENDLENS_QUICKBOOKS_TOKEN_URL={}",
        quickbooks.token_url()
    );
    println!(
        "export SPENDLENS_QUICKBOOKS_API_URL={}",
        quickbooks.base_url()
    );
    println!("export SPENDLENS_HTTP_BASE_URL={}", partner.base_url());
    // The partner wants the key base64-encoded after `Basic `.
    println!(
        "export SPENDLENS_HTTP_API_KEY={}",
        partner.encoded_api_key()
    );
    println!("# The data partner's hosted link redirects to {redirect}");
    println!("# Organisations (Xero tenants):");
    for organisation in xero.organisations() {
        println!(
            "#   {} {} ({})",
            organisation.tenant_id, organisation.name, organisation.base_currency
        );
    }
    println!("# Companies (QuickBooks realms):");
    for company in quickbooks.companies() {
        println!(
            "#   {} {} ({})",
            company.realm_id, company.name, company.currency
        );
    }
    println!("# Data partner companies are created by Spendlens, each with its own books.");
    println!(
        "# Their books' totals: GET <fake>/_fake/books/<tenant, realm or partner company id>. Ctrl-C stops."
    );

    tokio::signal::ctrl_c().await?;
    xero.stop().await;
    quickbooks.stop().await;
    partner.stop().await;
    Ok(())
}
