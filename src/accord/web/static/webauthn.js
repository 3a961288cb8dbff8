// Passkeys and security keys (WebAuthn): the browser's half of the ceremonies whose other
// half is accord.identity.passkeys. A form marked data-webauthn="register" or "authenticate"
// asks its data-options URL for the options, lets the browser make or use a credential, and
// posts it to the form's action; the answer says where to go next, or why it was refused.
(function () {
  "use strict";

  function bytes(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var raw = atob(b64);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out.buffer;
  }

  function text(buffer) {
    var view = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < view.length; i++) raw += String.fromCharCode(view[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      return { type: d.type, id: bytes(d.id), transports: d.transports };
    });
  }

  function creationOptions(o) {
    o.challenge = bytes(o.challenge);
    o.user.id = bytes(o.user.id);
    o.excludeCredentials = descriptors(o.excludeCredentials);
    return { publicKey: o };
  }

  function requestOptions(o) {
    o.challenge = bytes(o.challenge);
    o.allowCredentials = descriptors(o.allowCredentials);
    return { publicKey: o };
  }

  function serialize(credential) {
    var r = credential.response;
    var response = { clientDataJSON: text(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = text(r.attestationObject);
      if (r.getTransports) response.transports = r.getTransports();
    } else {
      response.authenticatorData = text(r.authenticatorData);
      response.signature = text(r.signature);
      if (r.userHandle) response.userHandle = text(r.userHandle);
    }
    return JSON.stringify({
      id: credential.id,
      rawId: text(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined
    });
  }

  function post(url, form) {
    return fetch(url, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (answer) {
      return answer.json().then(function (body) {
        if (!answer.ok) throw new Error(body.message || answer.statusText);
        return body;
      });
    });
  }

  function run(form, event) {
    event.preventDefault();
    var register = form.dataset.webauthn === "register";
    var error = form.querySelector("[data-webauthn-error]");
    error.hidden = true;
    if (!window.PublicKeyCredential) {
      error.textContent = form.dataset.unsupported || "This browser cannot use passkeys.";
      error.hidden = false;
      return;
    }
    var csrf = new FormData();
    csrf.append("csrf_token", form.elements.csrf_token.value);
    post(form.dataset.options, csrf)
      .then(function (options) {
        return register
          ? navigator.credentials.create(creationOptions(options))
          : navigator.credentials.get(requestOptions(options));
      })
      .then(function (credential) {
        var data = new FormData(form);
        data.append("credential", serialize(credential));
        return post(form.action, data);
      })
      .then(function (body) {
        window.location.assign(body.next);
      })
      .catch(function (failure) {
        error.textContent = failure.message || String(failure);
        error.hidden = false;
      });
  }

  document.querySelectorAll("form[data-webauthn]").forEach(function (form) {
    form.addEventListener("submit", function (event) { run(form, event); });
  });
})();
