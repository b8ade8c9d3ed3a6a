//! A row's download button: a small panel listing each report with its own update
//! time, each a link that downloads the JSON report.
//!
//! The list is fetched every time the panel opens, so it is current after a refresh.

use api_types::Report;
use domain::CompanyId;
use leptos::{ev::KeyboardEvent, html, prelude::*, task::spawn_local};

use super::{
    icons::DownloadIcon,
    local_time::LocalTime,
    popover::{close_on_outside_click, elements_in, focus},
};
use crate::api;
use crate::reactive::memo;

#[component]
pub fn ReportsMenu(company_id: CompanyId, company_name: String) -> impl IntoView {
    let open = RwSignal::new(false);
    let shown = memo(move || open.get());
    let reports = RwSignal::new(None::<Result<Vec<Report>, String>>);
    let container = NodeRef::<html::Div>::new();
    let trigger = NodeRef::<html::Button>::new();
    let panel = NodeRef::<html::Div>::new();
    close_on_outside_click(container, trigger, open);

    let load = move || {
        reports.set(None);
        spawn_local(async move {
            let loaded = api::list_reports(company_id)
                .await
                .map(|list| list.items)
                .map_err(|err| err.message());
            // The row may be gone by the time the answer arrives.
            let _ = reports.try_set(Some(loaded));
        });
    };
    let on_trigger_click = move |_| {
        if open.get_untracked() {
            open.set(false);
        } else {
            open.set(true);
            load();
        }
    };
    let on_keydown = move |event: KeyboardEvent| {
        let key = event.key();
        match key.as_str() {
            "Escape" if open.get_untracked() => {
                event.prevent_default();
                open.set(false);
                focus(trigger);
            }
            "ArrowDown" | "ArrowUp" if open.get_untracked() => {
                let Some(panel) = panel.get_untracked() else {
                    return;
                };
                let links = elements_in(&panel, "a");
                if links.is_empty() {
                    return;
                }
                event.prevent_default();
                let active = document().active_element();
                let current = links.iter().position(|link| {
                    let link: &web_sys::Element = link;
                    Some(link) == active.as_ref()
                });
                let index = match (key.as_str(), current) {
                    ("ArrowDown", None) => 0,
                    ("ArrowDown", Some(index)) => (index + 1) % links.len(),
                    (_, None) | (_, Some(0)) => links.len() - 1,
                    (_, Some(index)) => index - 1,
                };
                let _ = links[index].focus();
            }
            _ => {}
        }
    };

    let panel_id = format!("reports-{company_id}");
    let controls = {
        let panel_id = panel_id.clone();
        move || open.get().then(|| panel_id.clone())
    };
    let label = format!("Reports for {company_name}");
    view! {
        <div class="popup" node_ref=container on:keydown=on_keydown>
            <button
                type="button"
                class="icon-button"
                node_ref=trigger
                aria-label=label.clone()
                aria-expanded=move || open.get().to_string()
                aria-controls=controls
                on:click=on_trigger_click
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
                    node_ref=panel
                >
                    <p class="reports__heading">"Reports"</p>
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
