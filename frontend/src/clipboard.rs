//! Writing text to the system clipboard (`navigator.clipboard.writeText`).

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Copies `text`. Fails where the browser has no clipboard API (an insecure origin),
/// refuses (no permission, the document is not focused), or the write fails.
pub async fn copy_text(text: &str) -> Result<(), String> {
    let navigator = leptos::prelude::window().navigator();
    // `navigator.clipboard` is undefined outside secure contexts; calling through it
    // unchecked would throw inside the WASM module.
    let clipboard = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))
        .ok()
        .filter(|clipboard| !clipboard.is_undefined() && !clipboard.is_null())
        .ok_or_else(|| "this browser offers no clipboard here".to_owned())?;
    let clipboard: web_sys::Clipboard = clipboard.unchecked_into();
    JsFuture::from(clipboard.write_text(text))
        .await
        .map(|_| ())
        .map_err(|err| format!("{err:?}"))
}
