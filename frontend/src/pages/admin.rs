//! `/admin/users`, `/admin/api-keys` and `/admin/audit`: the organization's people,
//! its API keys and its audit log. Admins only.
//!
//! The account menu links here only for admins. Anyone else who opens one of these
//! addresses sees an "Admins only" page, and so does an admin whose role was taken
//! away meanwhile (the API answers `403`).

use api_types::{ApiKey, AuditAction, CreatedApiKey, NewApiKey, NewUser, UserSummary, UserUpdate};
use domain::{Role, UserId};
use leptos::{ev::SubmitEvent, html, prelude::*, task::spawn_local};
use wasm_bindgen::JsValue;

use crate::reactive::effect;
use crate::{
    api::{self, ApiError, AuditEntry, AuditFilters},
    clipboard,
    components::{
        company_form::TextField,
        dialog::{DialogHandle, ModalDialog},
        local_time::LocalTime,
        notices::Notices,
        user_menu::role_label,
    },
    session::SessionContext,
};

/// The three admin pages, in the order of their tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminSection {
    Users,
    ApiKeys,
    Audit,
}

impl AdminSection {
    pub const ALL: [AdminSection; 3] = [
        AdminSection::Users,
        AdminSection::ApiKeys,
        AdminSection::Audit,
    ];

    pub fn path(self) -> &'static str {
        match self {
            AdminSection::Users => "/admin/users",
            AdminSection::ApiKeys => "/admin/api-keys",
            AdminSection::Audit => "/admin/audit",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            AdminSection::Users => "Users",
            AdminSection::ApiKeys => "API keys",
            AdminSection::Audit => "Audit log",
        }
    }

    /// The section at `segment` of `/admin/{segment}` (`/admin` alone is Users).
    pub fn at(segment: Option<&str>) -> Option<Self> {
        match segment {
            None | Some("users") => Some(AdminSection::Users),
            Some("api-keys") => Some(AdminSection::ApiKeys),
            Some("audit") => Some(AdminSection::Audit),
            Some(_) => None,
        }
    }
}

#[component]
pub fn AdminPage(section: AdminSection) -> impl IntoView {
    let session = expect_context::<SessionContext>();
    let is_admin = session.user().is_some_and(|user| user.role == Role::Admin);
    if !is_admin {
        return view! { <AdminsOnly /> }.into_any();
    }
    let tabs = AdminSection::ALL
        .into_iter()
        .map(|tab| {
            view! {
                <a
                    class="admin-tabs__tab"
                    href=tab.path()
                    aria-current=(tab == section).then_some("page")
                >
                    {tab.title()}
                </a>
            }
        })
        .collect_view();
    view! {
        <section class="admin" aria-labelledby="admin-title">
            <div class="page-header">
                <h1 id="admin-title">{section.title()}</h1>
            </div>
            <nav class="admin-tabs" aria-label="Administration">{tabs}</nav>
            {match section {
                AdminSection::Users => view! { <UsersSection /> }.into_any(),
                AdminSection::ApiKeys => view! { <ApiKeysSection /> }.into_any(),
                AdminSection::Audit => view! { <AuditSection /> }.into_any(),
            }}
        </section>
    }
    .into_any()
}

/// What a relationship manager sees at an admin address.
#[component]
fn AdminsOnly() -> impl IntoView {
    view! {
        <section class="not-found" aria-labelledby="admins-only-title">
            <h1 id="admins-only-title">"Admins only"</h1>
            <p>
                "Users, API keys and the audit log are managed by your organization's admins. Ask an admin if something needs to change."
            </p>
            <a href="/" class="button button--primary">
                "Go to companies"
            </a>
        </section>
    }
}

/// A section's list could not be loaded: "Admins only" for a `403`, else why.
fn load_failure(what: &'static str, err: &ApiError) -> AnyView {
    if err.status() == Some(403) {
        return view! { <AdminsOnly /> }.into_any();
    }
    view! {
        <div class="panel panel--error" role="alert">
            <p class="panel__title">{format!("The {what} could not be loaded.")}</p>
            <p>{err.message()}</p>
        </div>
    }
    .into_any()
}

// Users ----------------------------------------------------------------------------

#[component]
fn UsersSection() -> impl IntoView {
    let notices = expect_context::<Notices>();
    let me = expect_context::<SessionContext>().user_id_untracked();
    let users = RwSignal::new(None::<Result<Vec<RwSignal<UserSummary>>, ApiError>>);
    spawn_local(async move {
        let listed = api::list_users()
            .await
            .map(|list| list.items.into_iter().map(RwSignal::new).collect());
        let _ = users.try_set(Some(listed));
    });
    let inviting = RwSignal::new(false);
    let deactivating = RwSignal::new(None::<RwSignal<UserSummary>>);

    // A role change or (re)activation; `undo` puts the control back if it is refused.
    let change = Callback::new(
        move |(user, update, undo): (RwSignal<UserSummary>, UserUpdate, Option<JsValue>)| {
            let id = user.with_untracked(|user| user.id);
            spawn_local(async move {
                match api::update_user(id, &update).await {
                    Ok(changed) => {
                        notices.confirm(change_message(&changed, &update));
                        let _ = user.try_set(changed);
                    }
                    Err(err) => {
                        if let Some((select, previous)) = undo.zip(
                            user.try_with_untracked(|user| user.role.as_str())
                                .map(JsValue::from_str),
                        ) {
                            let _ = js_sys::Reflect::set(&select, &"value".into(), &previous);
                        }
                        notices.fail(err.message());
                    }
                }
            });
        },
    );

    let invite_dialog = move || {
        inviting.get().then(|| {
            let on_invited = Callback::new(move |user: UserSummary| {
                notices.confirm(format!("Invitation sent to {}", user.email));
                users.update(|users| {
                    if let Some(Ok(users)) = users {
                        users.push(RwSignal::new(user));
                    }
                });
            });
            view! {
                <ModalDialog
                    labelled_by="invite-title"
                    on_closed=Callback::new(move |()| inviting.set(false))
                    class="dialog--form"
                >
                    <InviteForm on_invited />
                </ModalDialog>
            }
        })
    };
    let deactivate_dialog = move || {
        deactivating.get().map(|user| {
            let name = user.with_untracked(|user| user.name.clone());
            view! {
                <ConfirmDialog
                    title=format!("Deactivate {name}?")
                    text=format!(
                        "{name} is signed out at once and can no longer sign in. Their companies stay assigned to them. You can reactivate them later.",
                    )
                    confirm="Deactivate"
                    on_confirm=Callback::new(move |()| {
                        change.run((user, UserUpdate { role: None, active: Some(false) }, None));
                    })
                    on_closed=Callback::new(move |()| deactivating.set(None))
                />
            }
        })
    };

    view! {
        <div class="admin__actions">
            <button
                type="button"
                class="button button--primary"
                on:click=move |_| inviting.set(true)
            >
                "Invite user"
            </button>
        </div>
        {move || match users.get() {
            None => view! { <p class="panel panel--quiet" aria-busy="true">"Loading users…"</p> }.into_any(),
            Some(Err(err)) => load_failure("users", &err),
            Some(Ok(users)) => view! {
                <div class="table-card">
                    <table class="table" aria-labelledby="admin-title">
                        <thead>
                            <tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Email"</th>
                                <th scope="col">"Role"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"Last signed in"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            {users
                                .into_iter()
                                .map(|user| view! { <UserRowView user me change deactivating /> })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            }
                .into_any(),
        }}
        {invite_dialog}
        {deactivate_dialog}
    }
}

/// The confirmation after a user was changed.
fn change_message(user: &UserSummary, update: &UserUpdate) -> String {
    let name = &user.name;
    match (update.role, update.active) {
        (Some(Role::Admin), _) => format!("{name} is now an admin"),
        (Some(Role::RelationshipManager), _) => format!("{name} is now a relationship manager"),
        (None, Some(false)) => format!("{name} is deactivated and can no longer sign in"),
        _ => format!("{name} can sign in again"),
    }
}

#[component]
fn UserRowView(
    user: RwSignal<UserSummary>,
    me: Option<UserId>,
    change: Callback<(RwSignal<UserSummary>, UserUpdate, Option<JsValue>)>,
    deactivating: RwSignal<Option<RwSignal<UserSummary>>>,
) -> impl IntoView {
    let UserSummary {
        id, name, email, ..
    } = user.get_untracked();
    let is_me = me == Some(id);
    let role_options = Role::ALL
        .into_iter()
        .map(|role| {
            view! {
                <option
                    value=role.as_str()
                    prop:selected=move || user.with(|user| user.role == role)
                >
                    {role_label(role)}
                </option>
            }
        })
        .collect_view();
    let status = move || {
        user.with(|user| {
            let (label, modifier) = if !user.active {
                ("Deactivated", "error")
            } else if user.invitation_pending {
                ("Invitation pending", "requested")
            } else {
                ("Active", "available")
            };
            view! { <span class=format!("badge badge--{modifier}")>{label}</span> }
        })
    };
    let last_sign_in = move || match user.with(|user| user.last_sign_in_at) {
        Some(at) => view! { <LocalTime at /> }.into_any(),
        None => view! { <span class="muted">"Never"</span> }.into_any(),
    };
    let active = move || user.with(|user| user.active);
    let action_name = name.clone();
    view! {
        <tr>
            <td>
                {name.clone()}
                {is_me.then(|| view! { <span class="muted">" (you)"</span> })}
            </td>
            <td>{email}</td>
            <td>
                <select
                    class="field__input field__input--compact"
                    aria-label=format!("Role of {name}")
                    on:change=move |event| {
                        let chosen = event_target_value(&event);
                        let Some(role) = Role::ALL.into_iter().find(|role| role.as_str() == chosen) else {
                            return;
                        };
                        let select = event.target().map(JsValue::from);
                        change.run((user, UserUpdate { role: Some(role), active: None }, select));
                    }
                >
                    {role_options}
                </select>
            </td>
            <td>{status}</td>
            <td>{last_sign_in}</td>
            <td class="table__actions">
                <button
                    type="button"
                    class="button button--quiet"
                    on:click=move |_| {
                        if active() {
                            deactivating.set(Some(user));
                        } else {
                            change.run((user, UserUpdate { role: None, active: Some(true) }, None));
                        }
                    }
                >
                    {move || if active() { "Deactivate" } else { "Reactivate" }}
                    <span class="visually-hidden">{format!(" {action_name}")}</span>
                </button>
            </td>
        </tr>
    }
}

#[component]
fn InviteForm(on_invited: Callback<UserSummary>) -> impl IntoView {
    let dialog = expect_context::<DialogHandle>();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(Role::RelationshipManager);
    let errors = RwSignal::new(Vec::<api_types::FieldError>::new());
    let failure = RwSignal::new(None::<String>);
    let sending = RwSignal::new(false);
    let error_for = move |field: &'static str| {
        Signal::derive(move || {
            errors.with(|errors| {
                errors
                    .iter()
                    .find(|error| error.field == field)
                    .map(|error| error.message.clone())
            })
        })
    };
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if sending.get_untracked() {
            return;
        }
        let user = NewUser {
            name: name.get_untracked().trim().to_owned(),
            email: email.get_untracked().trim().to_owned(),
            role: role.get_untracked(),
        };
        sending.set(true);
        failure.set(None);
        spawn_local(async move {
            match api::invite_user(&user).await {
                Ok(invited) => {
                    on_invited.run(invited);
                    dialog.close();
                }
                Err(err) => {
                    let fields = err.field_errors().to_vec();
                    let _ = failure.try_set(Some(if fields.is_empty() {
                        err.message()
                    } else {
                        "Some details need attention. Check the highlighted fields.".to_owned()
                    }));
                    let _ = errors.try_set(fields);
                    let _ = sending.try_set(false);
                }
            }
        });
    };
    view! {
        <header class="dialog__header">
            <h2 id="invite-title" class="dialog__title" tabindex="-1">"Invite a user"</h2>
            <p class="dialog__lead">
                "They get an email with a link to choose their password. The link works for 7 days."
            </p>
        </header>
        <form id="invite-form" class="dialog__body form" novalidate=true on:submit=submit>
            <TextField id="invite-name" label="Name" value=name error=error_for("name") />
            <TextField
                id="invite-email"
                label="Email"
                value=email
                error=error_for("email")
                input_type="email"
            />
            <label class="field">
                <span class="field__label">"Role"</span>
                <select
                    class="field__input"
                    on:change=move |event| {
                        let chosen = event_target_value(&event);
                        if let Some(chosen) = Role::ALL.into_iter().find(|role| role.as_str() == chosen) {
                            role.set(chosen);
                        }
                    }
                >
                    <option value="relationship_manager" selected=true>"Relationship manager"</option>
                    <option value="admin">"Admin"</option>
                </select>
            </label>
            {move || failure.get().map(|message| view! {
                <div class="inline-alert" role="alert">
                    <p class="inline-alert__title">"The invitation was not sent."</p>
                    <p>{message}</p>
                </div>
            })}
        </form>
        <footer class="dialog__footer">
            <button type="button" class="button" on:click=move |_| dialog.close()>
                "Cancel"
            </button>
            <button
                type="submit"
                form="invite-form"
                class="button button--primary"
                disabled=move || sending.get()
            >
                "Send invitation"
            </button>
        </footer>
    }
}

/// A yes-or-no question before something that can't be taken back.
#[component]
fn ConfirmDialog(
    title: String,
    text: String,
    confirm: &'static str,
    /// Runs when the person confirms; the dialog closes at once.
    on_confirm: Callback<()>,
    on_closed: Callback<()>,
) -> impl IntoView {
    view! {
        <ModalDialog labelled_by="confirm-title" on_closed class="dialog--confirm">
            <ConfirmBody title text confirm on_confirm />
        </ModalDialog>
    }
}

#[component]
fn ConfirmBody(
    title: String,
    text: String,
    confirm: &'static str,
    on_confirm: Callback<()>,
) -> impl IntoView {
    let dialog = expect_context::<DialogHandle>();
    view! {
        <header class="dialog__header">
            <h2 id="confirm-title" class="dialog__title" tabindex="-1">{title}</h2>
        </header>
        <div class="dialog__body">
            <p>{text}</p>
        </div>
        <footer class="dialog__footer">
            <button type="button" class="button" on:click=move |_| dialog.close()>
                "Cancel"
            </button>
            <button
                type="button"
                class="button button--danger"
                on:click=move |_| {
                    on_confirm.run(());
                    dialog.close();
                }
            >
                {confirm}
            </button>
        </footer>
    }
}

// API keys -------------------------------------------------------------------------

#[component]
fn ApiKeysSection() -> impl IntoView {
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
                    on_confirm=Callback::new(move |()| {
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
            <TextField id="api-key-name" label="New key's name" value=name error=name_error.into() />
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
                <div class="table-card">
                    <table class="table" aria-labelledby="admin-title">
                        <thead>
                            <tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Key"</th>
                                <th scope="col">"Created"</th>
                                <th scope="col">"Last used"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            {keys.into_iter().map(|key| view! { <KeyRowView key revoking /> }).collect_view()}
                        </tbody>
                    </table>
                </div>
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
            view! { <span class="badge badge--error">"Revoked"</span> }
        } else {
            view! { <span class="badge badge--available">"Active"</span> }
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

// Audit log ------------------------------------------------------------------------

#[component]
fn AuditSection() -> impl IntoView {
    let notices = expect_context::<Notices>();
    let filters = RwSignal::new(AuditFilters::default());
    let events = RwSignal::new(None::<Result<Vec<AuditEntry>, ApiError>>);
    let next_cursor = RwSignal::new(None::<String>);
    let loading_more = RwSignal::new(false);
    let users = RwSignal::new(Vec::<UserSummary>::new());
    spawn_local(async move {
        if let Ok(list) = api::list_users().await {
            let _ = users.try_set(list.items);
        }
    });
    // Each change of the filters starts the list again; only the newest answer counts.
    let serial = StoredValue::new(0_u64);
    effect(move || {
        let filters = filters.get();
        serial.update_value(|serial| *serial += 1);
        let mine = serial.get_value();
        spawn_local(async move {
            let page = api::list_audit_events(&filters, None).await;
            if serial.try_get_value() != Some(mine) {
                return;
            }
            let _ =
                next_cursor.try_set(page.as_ref().ok().and_then(|page| page.next_cursor.clone()));
            let _ = events.try_set(Some(page.map(|page| page.items)));
        });
    });
    let load_more = move |_| {
        let Some(cursor) = next_cursor.get_untracked() else {
            return;
        };
        loading_more.set(true);
        let filters = filters.get_untracked();
        spawn_local(async move {
            match api::list_audit_events(&filters, Some(cursor)).await {
                Ok(page) => {
                    next_cursor.set(page.next_cursor);
                    events.update(|events| {
                        if let Some(Ok(events)) = events {
                            events.extend(page.items);
                        }
                    });
                }
                Err(err) => notices.fail(err.message()),
            }
            let _ = loading_more.try_set(false);
        });
    };
    let set_filter = move |apply: fn(&mut AuditFilters, Option<String>), value: String| {
        let value = Some(value).filter(|value| !value.is_empty());
        filters.update(|filters| apply(filters, value));
    };
    let action_options = AuditAction::ALL
        .iter()
        .map(|action| view! { <option value=action.as_str()>{action.as_str()}</option> })
        .collect_view();

    view! {
        <div class="toolbar" role="search" aria-label="Filter the audit log">
            <label class="field">
                <span class="field__label">"Action"</span>
                <select
                    class="field__input"
                    on:change=move |event| set_filter(|f, v| f.action = v, event_target_value(&event))
                >
                    <option value="">"All actions"</option>
                    {action_options}
                </select>
            </label>
            <label class="field">
                <span class="field__label">"User"</span>
                <select
                    class="field__input"
                    on:change=move |event| set_filter(|f, v| f.actor_id = v, event_target_value(&event))
                >
                    <option value="">"Anyone"</option>
                    {move || {
                        users
                            .get()
                            .into_iter()
                            .map(|user| view! { <option value=user.id.to_string()>{user.name}</option> })
                            .collect_view()
                    }}
                </select>
            </label>
            <label class="field">
                <span class="field__label">"From"</span>
                <input
                    type="date"
                    class="field__input"
                    on:change=move |event| {
                        set_filter(|f, v| f.since = v, day_start(&event_target_value(&event), 0));
                    }
                />
            </label>
            <label class="field">
                <span class="field__label">"To"</span>
                <input
                    type="date"
                    class="field__input"
                    on:change=move |event| {
                        set_filter(|f, v| f.until = v, day_start(&event_target_value(&event), 1));
                    }
                />
            </label>
            <a
                class="button"
                href=move || filters.with(AuditFilters::csv_href)
                download="audit-log.csv"
            >
                "Export CSV"
            </a>
        </div>
        {move || match events.get() {
            None => view! { <p class="panel panel--quiet" aria-busy="true">"Loading the audit log…"</p> }.into_any(),
            Some(Err(err)) => load_failure("audit log", &err),
            Some(Ok(events)) if events.is_empty() => view! {
                <p class="panel panel--quiet">"No entries match these filters."</p>
            }
                .into_any(),
            Some(Ok(events)) => view! {
                <div class="table-card">
                    <table class="table" aria-labelledby="admin-title">
                        <thead>
                            <tr>
                                <th scope="col">"When"</th>
                                <th scope="col">"Who"</th>
                                <th scope="col">"Action"</th>
                                <th scope="col">"Target"</th>
                                <th scope="col">"Details"</th>
                                <th scope="col">"Address"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {events.into_iter().map(audit_row).collect_view()}
                        </tbody>
                    </table>
                </div>
            }
                .into_any(),
        }}
        {move || next_cursor.with(Option::is_some).then(|| view! {
            <div class="load-more">
                <button type="button" class="button" disabled=move || loading_more.get() on:click=load_more>
                    {move || if loading_more.get() { "Loading…" } else { "Load more" }}
                </button>
            </div>
        })}
    }
}

fn audit_row(event: AuditEntry) -> impl IntoView {
    let who = match event.actor_kind.as_str() {
        "api_key" => format!("{} (API key)", event.actor),
        "customer" => format!("{} (customer)", event.actor),
        _ => event.actor,
    };
    view! {
        <tr>
            <td><LocalTime at=event.at /></td>
            <td>{who}</td>
            <td><code>{event.action}</code></td>
            <td>{event.target.unwrap_or_default()}</td>
            <td class="audit-detail">{event.detail}</td>
            <td>{event.ip.unwrap_or_default()}</td>
        </tr>
    }
}

/// The start of the local day `date` (`YYYY-MM-DD`, from a date input) plus `days`, as
/// an RFC 3339 instant; empty when the input is.
fn day_start(date: &str, days: u32) -> String {
    if date.is_empty() {
        return String::new();
    }
    // A date-time without an offset is local time to `Date`.
    let day = js_sys::Date::new(&JsValue::from_str(&format!("{date}T00:00")));
    if days > 0 {
        day.set_date(day.get_date() + days);
    }
    if day.get_time().is_nan() {
        return String::new();
    }
    day.to_iso_string().into()
}
