// Security keys and passkeys (WebAuthn). The server (accounts/webauthn_flow.py) issues the
// options with a one-time challenge and verifies the answer; this file only converts between
// JSON (base64url) and the browser's ArrayBuffers. No inline script: strict CSP.
"use strict";
(() => {
  const toBytes = (b64url) => {
    const b64 = b64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((b64url.length + 3) % 4);
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  };
  const toB64url = (buffer) => {
    let text = "";
    new Uint8Array(buffer).forEach((b) => { text += String.fromCharCode(b); });
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const csrfToken = () => {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  };
  const post = async (url, body) => {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/json" },
      body: body === undefined ? "{}" : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || `request failed (${response.status})`);
    return data;
  };
  const showError = (message) => {
    const box = document.getElementById("webauthn-error");
    if (box) { box.textContent = message; box.classList.remove("hidden"); }
  };

  async function register(button) {
    const options = await post(button.dataset.optionsUrl);
    options.challenge = toBytes(options.challenge);
    options.user.id = toBytes(options.user.id);
    (options.excludeCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
    const credential = await navigator.credentials.create({ publicKey: options });
    const nameInput = document.getElementById("webauthn-name");
    const name = nameInput ? nameInput.value : "Security key";
    const answer = {
      id: credential.id, rawId: toB64url(credential.rawId), type: credential.type,
      response: {
        clientDataJSON: toB64url(credential.response.clientDataJSON),
        attestationObject: toB64url(credential.response.attestationObject),
        transports: credential.response.getTransports ? credential.response.getTransports() : [],
      },
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
    };
    const result = await post(`${button.dataset.verifyUrl}?name=${encodeURIComponent(name)}`, answer);
    window.location.assign(result.redirect);
  }

  async function signIn(button) {
    const options = await post(button.dataset.optionsUrl);
    options.challenge = toBytes(options.challenge);
    (options.allowCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
    const credential = await navigator.credentials.get({ publicKey: options });
    const answer = {
      id: credential.id, rawId: toB64url(credential.rawId), type: credential.type,
      response: {
        clientDataJSON: toB64url(credential.response.clientDataJSON),
        authenticatorData: toB64url(credential.response.authenticatorData),
        signature: toB64url(credential.response.signature),
        userHandle: credential.response.userHandle ? toB64url(credential.response.userHandle) : undefined,
      },
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
    };
    const result = await post(button.dataset.verifyUrl, answer);
    window.location.assign(result.redirect);
  }

  const wire = (id, action) => {
    const button = document.getElementById(id);
    if (!button) return;
    if (!window.PublicKeyCredential) {
      button.disabled = true;
      showError("This browser cannot use security keys here (it needs HTTPS or localhost).");
      return;
    }
    button.addEventListener("click", () => {
      button.disabled = true;
      action(button).catch((error) => { showError(error.message || String(error)); button.disabled = false; });
    });
  };
  document.addEventListener("DOMContentLoaded", () => {
    wire("webauthn-register", register);
    wire("webauthn-login", signIn);
  });
})();
