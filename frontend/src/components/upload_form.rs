//! The upload fallback's form (issue #21): the template's files to download, how dates
//! are written, and the filled-in file(s) to upload — on the customer's consent page
//! ("My software isn't listed") and on a company's page (a user uploading a file the
//! customer sent). A file that does not follow the template is answered with every
//! problem, by sheet, row and column; nothing is stored until it is right.

use api_types::{DateOrder, TEMPLATE_FILES, UploadProblem};
use domain::CompanyId;
use leptos::{prelude::*, task::spawn_local};

use crate::api::{self, ApiError};

/// Where an upload goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadTarget {
    /// The customer, through their link's token.
    Link(String),
    /// A user, for the company.
    Company(CompanyId),
}

/// Why the last upload was refused: a sentence, and the file's problems if it had any.
#[derive(Debug, Clone, PartialEq)]
struct Refusal {
    message: String,
    problems: Vec<UploadProblem>,
}

#[component]
pub fn UploadForm(
    target: UploadTarget,
    /// Told the organization's name (customer) or the company's (user) once stored.
    #[prop(into)]
    on_uploaded: Callback<String>,
) -> impl IntoView {
    let form = NodeRef::<leptos::html::Form>::new();
    let dates = RwSignal::new(DateOrder::DayFirst);
    let busy = RwSignal::new(false);
    let refusal = RwSignal::new(None::<Refusal>);
    let target = StoredValue::new(target);
    let id = match target.get_value() {
        UploadTarget::Link(_) => "upload".to_owned(),
        UploadTarget::Company(id) => format!("upload-{id}"),
    };

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(element) = form.get() else {
            return;
        };
        let Ok(data) = web_sys::FormData::new_with_form(&element) else {
            return;
        };
        busy.set(true);
        refusal.set(None);
        let order = dates.get_untracked();
        spawn_local(async move {
            let answer = match target.get_value() {
                UploadTarget::Link(token) => api::upload_through_link(&token, order, data)
                    .await
                    .map(|outcome| outcome.organization_name),
                UploadTarget::Company(id) => api::upload_for_company(id, order, data)
                    .await
                    .map(|company| company.name),
            };
            match answer {
                Ok(name) => {
                    let _ = busy.try_set(false);
                    if let Some(element) = form.get_untracked() {
                        element.reset();
                    }
                    on_uploaded.run(name);
                }
                Err(err) => {
                    let _ = refusal.try_set(Some(refusal_of(&err)));
                    let _ = busy.try_set(false);
                }
            }
        });
    };

    let file_input = format!("{id}-file");
    let dates_input = format!("{id}-dates");
    view! {
        <form class="upload" node_ref=form on:submit=submit aria-busy=move || busy.get().to_string()>
            <p class="upload__step">
                "1. Download the template and fill in your suppliers, bills and bill payments:"
            </p>
            <ul class="upload__templates">
                <li>
                    <a
                        class="upload__template"
                        href=move || api::upload_template_href(TEMPLATE_FILES[0], dates.get())
                        download=TEMPLATE_FILES[0]
                    >
                        "Template workbook (.xlsx)"
                    </a>
                </li>
                {TEMPLATE_FILES[1..]
                    .iter()
                    .map(|file| {
                        view! {
                            <li>
                                <a
                                    class="upload__template"
                                    href=move || api::upload_template_href(file, dates.get())
                                    download=*file
                                >
                                    {*file}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <div class="field">
                <label class="field__label" for=dates_input.clone()>"Dates written as"</label>
                <select
                    id=dates_input
                    class="field__input"
                    on:change=move |event| {
                        let order = match event_target_value(&event).as_str() {
                            "month_first" => DateOrder::MonthFirst,
                            _ => DateOrder::DayFirst,
                        };
                        dates.set(order);
                    }
                >
                    {DateOrder::ALL
                        .into_iter()
                        .map(|order| view! { <option value=order.as_str()>{order.label()}</option> })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label class="field__label" for=file_input.clone()>
                    "2. Upload the filled-in workbook, or the three CSV files (at most 10 MB each)"
                </label>
                <input
                    id=file_input
                    class="field__input"
                    type="file"
                    name="file"
                    accept=".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                    multiple
                    required
                />
            </div>
            {move || refusal.get().map(|refusal| view! { <UploadRefusal refusal /> })}
            <button type="submit" class="button button--primary" disabled=move || busy.get()>
                {move || if busy.get() { "Checking the file…" } else { "Upload" }}
            </button>
        </form>
    }
}

fn refusal_of(err: &ApiError) -> Refusal {
    Refusal {
        message: err.message(),
        problems: err.upload_problems().to_vec(),
    }
}

#[component]
fn UploadRefusal(refusal: Refusal) -> impl IntoView {
    view! {
        <div class="upload__refusal" role="alert">
            <p class="upload__refusal-title">{refusal.message}</p>
            {(!refusal.problems.is_empty())
                .then(|| {
                    view! {
                        <ul class="upload__problems">
                            {refusal
                                .problems
                                .into_iter()
                                // Each message says where: "bills.csv, row 2, Issue date: …".
                                .map(|problem| view! { <li>{problem.message}</li> })
                                .collect_view()}
                        </ul>
                    }
                })}
        </div>
    }
}
