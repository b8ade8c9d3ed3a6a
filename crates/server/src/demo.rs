//! The organization a server acts for, the demo portfolio of the embedded default, and
//! the refusal to serve a real deployment while a demo user keeps the published password.

use chrono::{Duration, Utc};
use domain::{
    CompanyName, ContactName, DataType, Description, EmailAddress, ErrorCode, OrganizationId,
    RefreshSchedule, StatusError, StatusEvent, UserId,
};
use providers::{SandboxBooks, SandboxProvider};
use store::{CompanyWrite, Store, StoredReport};

/// The demo users' password as the README publishes it.
pub const PUBLISHED_PASSWORD: &str = "spendlens-demo";

/// The demo organization's users: name, email address, role.
const USERS: [(&str, &str, &str); 3] = [
    (
        "Alex Morgan",
        "alex.morgan@demobank.example",
        "relationship_manager",
    ),
    (
        "Sam Patel",
        "sam.patel@demobank.example",
        "relationship_manager",
    ),
    ("Dana Admin", "admin@demobank.example", "admin"),
];

/// Finds the organization with `slug`, creating it (and, when `with_sample_data`, its
/// demo users and companies) if it does not exist yet. An existing organization's users
/// are left as they are: startup never sets anyone's password.
pub async fn ensure_organization(
    store: &Store,
    slug: &str,
    with_sample_data: bool,
    demo_password: &str,
) -> anyhow::Result<OrganizationId> {
    if let Some(org) = store.organization_by_slug(slug).await? {
        return Ok(OrganizationId::from_uuid(org.id));
    }
    let name = if slug == "demo" { "Demo Bank" } else { slug };
    let org = store.create_organization(slug, name).await?;
    let id = OrganizationId::from_uuid(org.id);
    if with_sample_data {
        seed(store, id, demo_password).await?;
        tracing::info!(
            organization = slug,
            "created the demo organization with sample companies"
        );
    } else {
        tracing::info!(organization = slug, "created the organization");
    }
    Ok(id)
}

/// Fails while an active demo user can sign in with the published password (or the
/// configured demo one): outside the embedded default, anyone who read the README could.
pub async fn refuse_demo_passwords(store: &Store, demo_password: &str) -> anyhow::Result<()> {
    let mut passwords = vec![PUBLISHED_PASSWORD];
    if demo_password != PUBLISHED_PASSWORD {
        passwords.push(demo_password);
    }
    let mut exposed = Vec::new();
    for (_, email, _) in USERS {
        for (user, organization) in store.users_signing_in(email).await? {
            let Some(hash) = user.password_hash else {
                continue;
            };
            for password in &passwords {
                if crate::secrets::verify_password((*password).to_owned(), hash.clone()).await? {
                    exposed.push(format!(
                        "{} (organization {})",
                        user.email, organization.slug
                    ));
                    break;
                }
            }
        }
    }
    if exposed.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "refusing to start: these users sign in with the published demo password, which \
         anyone can read in the README: {}.\n\
         Give each a new one-time password with `spendlens user reset-password --email ADDRESS` \
         (same DATABASE_URL), or run the demo on a loopback address (`--demo`).",
        exposed.join(", ")
    )
}

/// How a demo company starts.
enum Start {
    NotRequested,
    Requested {
        days_ago: i64,
    },
    Available {
        hours_ago: i64,
    },
    Failed {
        hours_ago: i64,
        code: ErrorCode,
        connected: bool,
    },
}

const COMPANIES: [(&str, &str, &str, &[DataType], Start); 20] = [
    (
        "Aldgate Bakery Ltd",
        "Priya Shah",
        "priya.shah@aldgatebakery.example",
        &[DataType::Financials, DataType::SpendDetail],
        Start::Available { hours_ago: 3 },
    ),
    (
        "Brightwater Logistics plc",
        "Tom Hughes",
        "tom.hughes@brightwater.example",
        &[DataType::SpendDetail],
        Start::Available { hours_ago: 26 },
    ),
    (
        "Cedar & Pine Furniture",
        "Laura Kim",
        "laura@cedarpine.example",
        &[DataType::Financials],
        Start::Available { hours_ago: 50 },
    ),
    (
        "Dunmore Engineering Ltd",
        "Marcus Reid",
        "m.reid@dunmore-eng.example",
        &[DataType::Financials, DataType::SpendDetail],
        Start::Available { hours_ago: 5 },
    ),
    (
        "Elmstead Dental Group",
        "Sofia Alvarez",
        "sofia.alvarez@elmstead.example",
        &[DataType::Financials],
        Start::Available { hours_ago: 170 },
    ),
    (
        "Foxglove Garden Centres",
        "James O'Neill",
        "james.oneill@foxglove.example",
        &[DataType::SpendDetail],
        Start::Available { hours_ago: 9 },
    ),
    (
        "Greyfriars Printing Co",
        "Hannah Cole",
        "hannah@greyfriarsprint.example",
        &[DataType::Financials, DataType::SpendDetail],
        Start::Available { hours_ago: 74 },
    ),
    (
        "Harbourside Hotels Ltd",
        "Daniel Osei",
        "d.osei@harbourside.example",
        &[DataType::Financials, DataType::SpendDetail],
        Start::Available { hours_ago: 30 },
    ),
    (
        "Ironbridge Tools Ltd",
        "Chloe Martin",
        "chloe.martin@ironbridgetools.example",
        &[DataType::SpendDetail],
        Start::Requested { days_ago: 2 },
    ),
    (
        "Juniper Health Clinics",
        "Ravi Patel",
        "ravi.patel@juniperhealth.example",
        &[DataType::Financials],
        Start::Requested { days_ago: 5 },
    ),
    (
        "Kingsway Motors",
        "Emma Walsh",
        "emma.walsh@kingswaymotors.example",
        &[DataType::Financials, DataType::SpendDetail],
        Start::Requested { days_ago: 1 },
    ),
    (
        "Larkspur Software Ltd",
        "Oliver Grant",
        "oliver@larkspur.example",
        &[DataType::SpendDetail],
        Start::Requested { days_ago: 9 },
    ),
    (
        "Millbrook Dairy Farms",
        "Grace Turner",
        "grace.turner@millbrook.example",
        &[DataType::Financials],
        Start::Requested { days_ago: 3 },
    ),
    (
        "Northgate Recruitment",
        "Ben Carter",
        "ben.carter@northgate.example",
        &[DataType::Financials, DataType::SpendDetail],
        Start::Failed {
            hours_ago: 20,
            code: ErrorCode::CustomerDeclined,
            connected: false,
        },
    ),
    (
        "Oakridge Builders Merchants",
        "Fatima Noor",
        "fatima.noor@oakridge.example",
        &[DataType::SpendDetail],
        Start::Failed {
            hours_ago: 400,
            code: ErrorCode::LinkExpired,
            connected: false,
        },
    ),
    (
        "Pembroke Pharmacy Ltd",
        "Luke Evans",
        "luke.evans@pembroke.example",
        &[DataType::Financials, DataType::SpendDetail],
        Start::Failed {
            hours_ago: 7,
            code: ErrorCode::ProviderUnavailable,
            connected: true,
        },
    ),
    (
        "Quayside Seafoods",
        "Isla Murray",
        "isla@quaysideseafoods.example",
        &[DataType::Financials],
        Start::NotRequested,
    ),
    (
        "Riverside Veterinary Practice",
        "Noah Clarke",
        "noah.clarke@riversidevets.example",
        &[DataType::Financials, DataType::SpendDetail],
        Start::NotRequested,
    ),
    (
        "Stonegate Architects LLP",
        "Amelia Brooks",
        "amelia@stonegate.example",
        &[DataType::SpendDetail],
        Start::NotRequested,
    ),
    (
        "Thornbury Textiles Ltd",
        "Jack Robinson",
        "jack.robinson@thornbury.example",
        &[DataType::Financials],
        Start::NotRequested,
    ),
];

async fn seed(store: &Store, org: OrganizationId, password: &str) -> anyhow::Result<()> {
    let password_hash = crate::secrets::hash_password(password.to_owned()).await?;
    let mut users = Vec::new();
    for (name, email, role) in USERS {
        let user = store
            .create_user(org, &EmailAddress::parse(email)?, name, role)
            .await?;
        store
            .set_password(UserId::from_uuid(user.id), &password_hash)
            .await?;
        users.push(UserId::from_uuid(user.id));
    }
    let now = store.now();
    for (index, (name, contact, email, data_types, start)) in COMPANIES.iter().enumerate() {
        let record = store
            .create_company(
                org,
                CompanyWrite {
                    name: CompanyName::parse(name)?,
                    description: Description::parse("")?,
                    contact_name: ContactName::parse(contact)?,
                    contact_email: EmailAddress::parse(email)?,
                    assignees: vec![users[index % 2]],
                    data_types: data_types.to_vec(),
                    // A few portfolios refresh by themselves.
                    schedule: Some(match index % 5 {
                        0 => RefreshSchedule::Monthly,
                        3 => RefreshSchedule::Weekly,
                        _ => RefreshSchedule::Off,
                    }),
                },
            )
            .await?;
        let id = record.id();
        match *start {
            Start::NotRequested => {}
            Start::Requested { days_ago } => {
                store
                    .seed_company_status(
                        org,
                        id,
                        &[StatusEvent::InformationRequested],
                        now - Duration::days(days_ago),
                        None,
                    )
                    .await?;
            }
            Start::Available { hours_ago } => {
                let at = now - Duration::hours(hours_ago);
                store
                    .seed_company_status(
                        org,
                        id,
                        &[
                            StatusEvent::InformationRequested,
                            StatusEvent::RefreshSucceeded,
                        ],
                        at,
                        Some(SandboxProvider::PLATFORM),
                    )
                    .await?;
                store
                    .put_reports(org, id, sample_reports(id, name, data_types, at), at)
                    .await?;
            }
            Start::Failed {
                hours_ago,
                code,
                connected,
            } => {
                let at = now - Duration::hours(hours_ago);
                store
                    .seed_company_status(
                        org,
                        id,
                        &[
                            StatusEvent::InformationRequested,
                            StatusEvent::RefreshFailed(StatusError::new(code)),
                        ],
                        at,
                        connected.then_some(SandboxProvider::PLATFORM),
                    )
                    .await?;
                if connected {
                    // It had data before the refresh that failed: keep showing it.
                    store
                        .put_reports(
                            org,
                            id,
                            sample_reports(id, name, data_types, at - Duration::days(1)),
                            at - Duration::days(1),
                        )
                        .await?;
                }
            }
        }
    }
    Ok(())
}

fn sample_reports(
    id: domain::CompanyId,
    name: &str,
    data_types: &[DataType],
    at: chrono::DateTime<Utc>,
) -> Vec<StoredReport> {
    let books = SandboxBooks::new(id, name, at);
    data_types
        .iter()
        .flat_map(|t| books.reports(*t))
        .map(|r| StoredReport {
            kind: r.kind,
            payload: r.payload,
        })
        .collect()
}
