//! A row's download button: a small panel listing each report with its own update
//! time, each a link that downloads the JSON report.
//!
//! The list is fetched every time the panel opens, so it is current after a refresh.
//! The keyboard and closing are [`Popup`]'s.

use api_types::Report;
use domain::CompanyId;
use leptos::{prelude::*, task::spawn_local};

use super::{
    icons::DownloadIcon,
    local_time::LocalTime,
    popover::{Popup, PopupKind},
};
use crate::api;
use crate::reactive::memo;

#[component]
pub fn ReportsMenu(
    company_id: CompanyId,
    company_name: String,
    /// A group: its consolidated workbook across entities is offered first.
    #[prop(optional)]
    group: bool,
) -> impl IntoView {
    let reports = RwSignal::new(None::<Result<Vec<Report>, String>>);
    let load = Callback::new(move |()| {
        reports.set(None);
        spawn_local(async move {
            let loaded = api::list_reports(company_id)
                .await
                .map(|list| list.items)
                .map_err(|err| err.message());
            // The row may be gone by the time the answer arrives.
            let _ = reports.try_set(Some(loaded));
        });
    });
    let popup = Popup::new(PopupKind::Panel, "a").with_on_open(load);
    let open = popup.open;
    let shown = memo(move || open.get());

    let panel_id = format!("reports-{company_id}");
    let controls = {
        let panel_id = panel_id.clone();
        move || open.get().then(|| panel_id.clone())
    };
    let label = format!("Reports for {company_name}");
    view! {
        <div class="popup" node_ref=popup.container on:keydown=move |event| popup.on_keydown(event)>
            <button
                type="button"
                class="icon-button"
                node_ref=popup.trigger
                aria-label=label.clone()
                aria-expanded=move || open.get().to_string()
                aria-controls=controls
                on:click=move |_| popup.toggle()
            >
                <DownloadIcon />
            </button>
            // A memo, not `<Show>`: redrawn only when it opens or closes, in less wasm.
            {move || shown.get().then(|| view! {
                <div
                    class="popup__panel reports"
                    id=panel_id.clone()
                    role="group"
                    aria-label=label.clone()
                    node_ref=popup.panel
                >
                    {group.then(|| view! {
                        <p class="reports__heading">"All entities"</p>
                        <ul class="reports__list">
                            <li>
                                <a
                                    class="report-link"
                                    href=format!("/api/v1/companies/{company_id}/consolidated-report?format=xlsx")
                                    download=true
                                >
                                    <span class="report-link__title">"Consolidated spend and AP ageing"</span>
                                    <span class="report-link__meta">"One column set per currency"</span>
                                </a>
                            </li>
                        </ul>
                    })}
                    <p class="reports__heading">{if group { "Own books" } else { "Reports" }}</p>
                    {move || match reports.get() {
                        None => {
                            view! { <p class="reports__hint">"Loading reports…"</p> }.into_any()
                        }
                        Some(Err(message)) => {
                            view! { <p class="reports__error">{message}</p> }.into_any()
                        }
                        Some(Ok(items)) if items.is_empty() => {
                            view! { <p class="reports__hint">"No reports yet"</p> }.into_any()
                        }
                        Some(Ok(items)) => {
                            view! {
                                <ul class="reports__list">
                                    {items
                                        .into_iter()
                                        .map(|report| {
                                            // The workbook people open in Excel; the API's
                                            // link answers JSON by default.
                                            let sep = if report.href.contains('?') { '&' } else { '?' };
                                            let href = format!("{}{sep}format=xlsx", report.href);
                                            view! {
                                                <li>
                                                    <a class="report-link" href=href download=true>
                                                        <span class="report-link__title">{report.title}</span>
                                                        <span class="report-link__meta">
                                                            "Updated " <LocalTime at=report.updated_at />
                                                        </span>
                                                    </a>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                    }}
                </div>
            })}
        </div>
    }
}
