//! `/admin/api-keys`: create keys (the secret is shown once) and revoke them; keys
//! stopped because their creator was deactivated say so.

use api_types::{ApiKey, CreatedApiKey, NewApiKey};
use leptos::{ev::SubmitEvent, html, prelude::*, task::spawn_local};

use super::{AdminTable, load_failure};
use crate::reactive::effect;
use crate::{
    api::{self, ApiError},
    clipboard,
    components::{
        confirm_dialog::{ConfirmDialog, Confirmation},
        field::Field,
        local_time::LocalTime,
        notices::Notices,
    },
};

#[component]
pub(super) fn ApiKeysSection() -> impl IntoView {
    let notices = expect_context::<Notices>();
    let keys = RwSignal::new(None::<Result<Vec<RwSignal<ApiKey>>, ApiError>>);
    spawn_local(async move {
        let listed = api::list_api_keys()
            .await
            .map(|list| list.items.into_iter().map(RwSignal::new).collect());
        let _ = keys.try_set(Some(listed));
    });
    let name = RwSignal::new(String::new());
    let name_error = RwSignal::new(None::<String>);
    let creating = RwSignal::new(false);
    let created = RwSignal::new(None::<CreatedApiKey>);
    let revoking = RwSignal::new(None::<RwSignal<ApiKey>>);

    let create = move |event: SubmitEvent| {
        event.prevent_default();
        if creating.get_untracked() {
            return;
        }
        let key = NewApiKey {
            name: name.get_untracked().trim().to_owned(),
        };
        creating.set(true);
        spawn_local(async move {
            match api::create_api_key(&key).await {
                Ok(new) => {
                    name.set(String::new());
                    name_error.set(None);
                    keys.update(|keys| {
                        if let Some(Ok(keys)) = keys {
                            keys.insert(0, RwSignal::new(new.api_key.clone()));
                        }
                    });
                    created.set(Some(new));
                }
                Err(err) => name_error.set(Some(
                    err.field_errors()
                        .first()
                        .map_or_else(|| err.message(), |field| field.message.clone()),
                )),
            }
            let _ = creating.try_set(false);
        });
    };

    let revoke_dialog = move || {
        revoking.get().map(|key| {
            let (id, key_name) = key.with_untracked(|key| (key.id, key.name.clone()));
            view! {
                <ConfirmDialog
                    title=format!("Revoke {key_name}?")
                    text="Every integration using this key is refused from now on. This can't be undone: create a new key to connect again.".to_owned()
                    confirm="Revoke key"
                    on_confirm=Callback::new(move |confirmation: Confirmation| {
                        confirmation.close();
                        let key_name = key_name.clone();
                        spawn_local(async move {
                            match api::revoke_api_key(id).await {
                                Ok(()) => {
                                    notices.confirm(format!("{key_name} is revoked"));
                                    // The list again: it has the time of revocation.
                                    if let Ok(list) = api::list_api_keys().await
                                        && let Some(revoked) = list.items.into_iter().find(|k| k.id == id)
                                    {
                                        let _ = key.try_set(revoked);
                                    }
                                }
                                Err(err) => notices.fail(err.message()),
                            }
                        });
                    })
                    on_closed=Callback::new(move |()| revoking.set(None))
                />
            }
        })
    };

    view! {
        <form class="admin__create" novalidate=true on:submit=create>
            <Field id="api-key-name" label="New key's name" value=name error=name_error />
            <button type="submit" class="button button--primary" disabled=move || creating.get()>
                "Create key"
            </button>
        </form>
        {move || created.get().map(|new| view! { <NewKey new created /> })}
        {move || match keys.get() {
            None => view! { <p class="panel panel--quiet" aria-busy="true">"Loading API keys…"</p> }.into_any(),
            Some(Err(err)) => load_failure("API keys", &err),
            Some(Ok(keys)) if keys.is_empty() => view! {
                <p class="panel panel--quiet">"No API keys yet. Create one for each system that calls the Spendlens API."</p>
            }
                .into_any(),
            Some(Ok(keys)) => view! {
                <AdminTable label="All API keys" columns=&["Name", "Key", "Created", "Last used", "Status"] actions=true>
                    {keys.into_iter().map(|key| view! { <KeyRowView key revoking /> }).collect_view()}
                </AdminTable>
            }
                .into_any(),
        }}
        {revoke_dialog}
    }
}

/// The new key's secret, shown this once, with a way to copy it.
#[component]
fn NewKey(new: CreatedApiKey, created: RwSignal<Option<CreatedApiKey>>) -> impl IntoView {
    let notices = expect_context::<Notices>();
    let heading = NodeRef::<html::H2>::new();
    effect(move || {
        if let Some(heading) = heading.get() {
            let _ = heading.focus();
        }
    });
    let CreatedApiKey { api_key, key } = new;
    let secret = StoredValue::new(key.clone());
    let copy = move |_| {
        spawn_local(async move {
            match clipboard::copy_text(&secret.get_value()).await {
                Ok(()) => notices.confirm("API key copied"),
                Err(err) => {
                    leptos::logging::warn!("copying the key failed: {err}");
                    notices.fail(
                        "The key could not be copied automatically. Select it and copy it by hand.",
                    );
                }
            }
        });
    };
    view! {
        <section class="key-reveal" aria-labelledby="new-key-title">
            <h2 id="new-key-title" class="key-reveal__title" tabindex="-1" node_ref=heading>
                {format!("Your new API key: {}", api_key.name)}
            </h2>
            <p class="key-reveal__warning">
                <strong>"Copy it now: you will not see it again."</strong>
                " Spendlens keeps only a fingerprint of it. Send it as "
                <code>"Authorization: Bearer <key>"</code>
                "."
            </p>
            <div class="key-reveal__row">
                <input
                    class="field__input key-reveal__key"
                    readonly=true
                    aria-label="New API key"
                    value=key
                />
                <button type="button" class="button" on:click=copy>"Copy key"</button>
            </div>
            <button type="button" class="button button--quiet" on:click=move |_| created.set(None)>
                "I have copied it"
            </button>
        </section>
    }
}

#[component]
fn KeyRowView(
    key: RwSignal<ApiKey>,
    revoking: RwSignal<Option<RwSignal<ApiKey>>>,
) -> impl IntoView {
    let ApiKey {
        name,
        prefix,
        created_at,
        ..
    } = key.get_untracked();
    let last_used = move || match key.with(|key| key.last_used_at) {
        Some(at) => view! { <LocalTime at /> }.into_any(),
        None => view! { <span class="muted">"Never"</span> }.into_any(),
    };
    let revoked = move || key.with(|key| key.revoked_at.is_some());
    let status = move || {
        if revoked() {
            view! { <span class="badge badge--error">"Revoked"</span> }.into_any()
        } else if key.with(|key| key.owner_deactivated) {
            view! {
                <span
                    class="badge badge--error"
                    title="It works again if they are reactivated"
                >
                    "Stopped: its creator was deactivated"
                </span>
            }
            .into_any()
        } else {
            view! { <span class="badge badge--available">"Active"</span> }.into_any()
        }
    };
    view! {
        <tr>
            <td>{name.clone()}</td>
            <td><code>{format!("{prefix}…")}</code></td>
            <td><LocalTime at=created_at /></td>
            <td>{last_used}</td>
            <td>{status}</td>
            <td class="table__actions">
                {move || (!revoked()).then(|| view! {
                    <button
                        type="button"
                        class="button button--quiet"
                        on:click=move |_| revoking.set(Some(key))
                    >
                        "Revoke"
                        <span class="visually-hidden">{format!(" {}", name)}</span>
                    </button>
                })}
            </td>
        </tr>
    }
}
