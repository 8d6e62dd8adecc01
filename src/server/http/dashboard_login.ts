/**
 * The dashboard's sign-in, for a node with an auth file (docs/operations.md, "HTTP
 * authentication"). The page itself is public and holds no data; its data comes from JSON
 * endpoints that want a bearer token. This script, included in the page before any other,
 * wraps the page's `fetch` for this node's own URLs: it adds the token kept in
 * sessionStorage (gone when the tab closes), and on a 401 it drops the token and shows a
 * small form that gets a new one from POST /auth/token. Every fetch the page makes, charts
 * added later included, is covered without knowing about it. With auth off nothing answers
 * 401, so the form never appears.
 */
export const DASHBOARD_LOGIN_SCRIPT = `
"use strict";
(() => {
  const KEY = "tinykv.dashboard.token";
  const plainFetch = window.fetch.bind(window);
  let form = null;

  const byId = (id) => document.getElementById(id);
  const ownUrl = (input) =>
    new URL(input instanceof Request ? input.url : String(input), location.href).origin ===
      location.origin;

  function buildForm() {
    const f = document.createElement("form");
    f.id = "login";
    f.setAttribute("style", "position: fixed; top: 64px; right: 24px; z-index: 10; " +
      "width: 280px; display: grid; gap: 8px; padding: 16px; background: #fff; " +
      "border: 1px solid #e3e6ec; border-radius: 8px; box-shadow: 0 4px 16px #0002");
    f.innerHTML = "<strong>Sign in to this node</strong>" +
      "<span class='dim'>It serves its data to users of its auth file.</span>" +
      "<input id='login-user' autocomplete='username' placeholder='user' required>" +
      "<input id='login-password' type='password' autocomplete='current-password' " +
      "placeholder='password' required>" +
      "<button id='login-submit' type='submit'>Sign in</button>" +
      "<span id='login-error' style='color: #c62828'></span>";
    f.addEventListener("submit", (event) => {
      event.preventDefault();
      signIn();
    });
    document.body.appendChild(f);
    return f;
  }

  function showLogin(message) {
    if (form === null) form = buildForm();
    form.style.display = "grid";
    byId("login-error").textContent = message;
  }

  async function signIn() {
    const password = byId("login-password");
    const error = byId("login-error");
    error.textContent = "signing in…";
    try {
      const res = await plainFetch("/auth/token", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ user: byId("login-user").value, password: password.value }),
        cache: "no-store",
      });
      const body = await res.json().catch(() => ({}));
      if (!res.ok || typeof body.token !== "string") {
        error.textContent = body.error || "HTTP " + res.status;
        return;
      }
      sessionStorage.setItem(KEY, body.token);
      password.value = "";
      form.style.display = "none";
    } catch (err) {
      error.textContent = String(err && err.message ? err.message : err);
    }
  }

  window.fetch = async (input, init) => {
    if (!ownUrl(input)) return plainFetch(input, init);
    const token = sessionStorage.getItem(KEY);
    let options = init;
    if (token !== null) {
      const given = init && init.headers
        ? init.headers
        : input instanceof Request ? input.headers : {};
      const headers = new Headers(given);
      if (!headers.has("Authorization")) headers.set("Authorization", "Bearer " + token);
      options = Object.assign({}, init, { headers });
    }
    const res = await plainFetch(input, options);
    if (res.status === 401) {
      if (token !== null && sessionStorage.getItem(KEY) === token) sessionStorage.removeItem(KEY);
      showLogin(token === null ? "" : "The session ended: sign in again.");
    }
    return res;
  };
})();
`;
