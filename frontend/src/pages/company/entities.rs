//! A company page's Entities panel (issue #21): an entity names its group; a group (or
//! a company about to become one) lists its entities with their statuses, offers the
//! consolidated workbook, and adds an entity. Removing one is its own page's Delete.

use api_types::Company;
use leptos::{prelude::*, task::spawn_local};

use crate::{
    api,
    components::{field::Field, later::after_paint, notices::Notices},
    pages::companies::platform_label,
};

#[component]
pub(super) fn Entities(company: Company, on_changed: Callback<()>) -> impl IntoView {
    if let Some(parent) = company.parent {
        return view! {
            <section class="panel entities-panel" aria-labelledby="entities-title">
                <h2 id="entities-title" class="panel__title">"Group"</h2>
                <p>
                    "An entity of "
                    <a href=format!("/companies/{}", parent.id)>{parent.name}</a>
                    ", with its own connection, refreshes and reports."
                </p>
            </section>
        }
        .into_any();
    }
    let id = company.id;
    let notices = expect_context::<Notices>();
    let entities = RwSignal::new(None::<Result<Vec<Company>, String>>);
    let load = move || {
        spawn_local(async move {
            let loaded = api::list_entities(id).await.map_err(|e| e.message());
            let _ = entities.try_set(Some(loaded));
        });
    };
    // Once the company's details are painted (components/later.rs).
    spawn_local(async move {
        after_paint().await;
        load();
    });
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let entity = name.get_untracked().trim().to_owned();
        if entity.is_empty() {
            error.set(Some("Enter the entity's name.".to_owned()));
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::add_entity(id, entity).await {
                Ok(added) => {
                    notices.confirm(format!(
                        "{} added. Request information for it, or let the customer add it through the group's link.",
                        added.name
                    ));
                    let _ = name.try_set(String::new());
                    load();
                    on_changed.run(());
                }
                Err(err) => {
                    let _ = error.try_set(Some(err.message()));
                }
            }
            let _ = busy.try_set(false);
        });
    };
    let has_entities = company.group.is_some();
    view! {
        <section class="panel entities-panel" aria-labelledby="entities-title">
            <h2 id="entities-title" class="panel__title">"Entities"</h2>
            <p class="muted">
                "A group's legal entities each keep their own connection, status, refreshes and reports. This company's own books are its first entity."
            </p>
            {move || match entities.get() {
                None => view! { <p class="muted" aria-busy="true">"Loading the entities…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="status__error">{message}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => {
                    view! { <p class="muted">"No other entities."</p> }.into_any()
                }
                Some(Ok(list)) => view! {
                    <ul class="group-list">
                        {list
                            .into_iter()
                            .map(|entity| {
                                let status = entity.status.map_or("Not requested", |s| s.label());
                                let how = entity.platform.as_deref().map_or(String::new(), |p| {
                                    format!(" · {}", platform_label(p))
                                });
                                view! {
                                    <li class="group-list__item">
                                        <a class="group-list__name" href=format!("/companies/{}", entity.id)>
                                            {entity.name}
                                        </a>
                                        <span class="group-list__state">{format!("{status}{how}")}</span>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any(),
            }}
            {has_entities.then(|| view! {
                <p>
                    <a class="button" href=format!("/api/v1/companies/{id}/consolidated-report?format=xlsx") download=true>
                        "Download the consolidated workbook"
                    </a>
                </p>
            })}
            <form class="add-entity" on:submit=add>
                <div class="add-entity__row">
                    <Field id="new-entity-name" label="Add an entity" value=name error autocomplete="organization" />
                    <button type="submit" class="button" disabled=move || busy.get()>"Add entity"</button>
                </div>
            </form>
        </section>
    }
    .into_any()
}
