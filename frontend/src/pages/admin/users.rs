//! `/admin/users`: invite people, change their role, deactivate and reactivate them.

use api_types::{NewUser, UserSummary, UserUpdate};
use domain::{Role, UserId};
use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use wasm_bindgen::JsValue;

use super::{AdminTable, load_failure};
use crate::{
    api::{self, ApiError},
    components::{
        confirm_dialog::{ConfirmDialog, Confirmation},
        dialog::{DialogFooter, DialogHandle, ModalDialog},
        failure_alert::FailureAlert,
        field::{Field, error_for},
        local_time::LocalTime,
        notices::Notices,
        user_menu::role_label,
    },
    session::SessionContext,
};

#[component]
pub(super) fn UsersSection() -> impl IntoView {
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
                        "{name} is signed out at once and can no longer sign in, and the API keys they created stop working. Their companies stay assigned to them. You can reactivate them later: their keys then work again.",
                    )
                    confirm="Deactivate"
                    on_confirm=Callback::new(move |confirmation: Confirmation| {
                        change.run((user, UserUpdate { role: None, active: Some(false) }, None));
                        confirmation.close();
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
                <AdminTable label="All users" columns=&["Name", "Email", "Role", "Status", "Last signed in"] actions=true>
                    {users
                        .into_iter()
                        .map(|user| view! { <UserRowView user me change deactivating /> })
                        .collect_view()}
                </AdminTable>
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
            <Field id="invite-name" label="Name" value=name error=error_for(errors, "name") />
            <Field
                id="invite-email"
                label="Email"
                value=email
                error=error_for(errors, "email")
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
            <FailureAlert title="The invitation was not sent." failure />
        </form>
        <DialogFooter dialog>
            <button
                type="submit"
                form="invite-form"
                class="button button--primary"
                disabled=move || sending.get()
            >
                "Send invitation"
            </button>
        </DialogFooter>
    }
}
