// The reset page: ask for a link by e-mail, or, opened from that link, choose a new password;
// or, when the project serves resetkit.codes, ask for a code and type it with the new password.
//
// The e-mailed link carries the token in the address's fragment (/reset/#token=...), which the
// browser never sends to the server: no access log or proxy sees it. The script takes it out of
// the address bar at once and keeps it in this closure only, so that it is not left in the
// visible URL, a bookmark, a copied link or a screenshot, and is gone when the tab is closed.
// A token in the query string (?token=...) is not read: it would already be in the server's log.
"use strict";

(() => {
  const app = document.getElementById("reset-app");
  const urls = {
    request: app.dataset.requestUrl,
    validate: app.dataset.validateUrl,
    confirm: app.dataset.confirmUrl,
    // Present only when the project serves the e-mail + code flow (resetkit.codes).
    codeRequest: app.dataset.codeRequestUrl,
    codeConfirm: app.dataset.codeConfirmUrl,
  };
  const steps = app.querySelectorAll("section");

  let token = null; // the reset token, in memory only

  // --- helpers -------------------------------------------------------------------------

  // Show one step, hide the others, and move focus there so screen readers follow.
  function showStep(id) {
    for (const step of steps) step.hidden = step.id !== id;
    const step = document.getElementById(id);
    const target = step.querySelector("input:not([type=checkbox])") || step.querySelector("h1");
    target.focus();
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // POST JSON; resolve to {status, data}. A network failure resolves to status 0.
  async function postJson(url, body) {
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrfToken(),
        },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch (error) {
      return { status: 0, data: {} };
    }
    let data = {};
    try {
      data = await response.json();
    } catch (error) {
      // An empty or non-JSON body (a proxy's error page): the status says enough.
    }
    return { status: response.status, data };
  }

  // The words for an answer that is neither success nor a field error.
  function problemText(status) {
    if (status === 0) return "The server could not be reached. Check your connection and try again.";
    if (status === 429) return "Too many attempts. Wait a while, then try again.";
    if (status === 503) return "The service is unavailable right now. Try again in a minute.";
    return `Something went wrong (HTTP ${status}). Try again.`;
  }

  function showProblem(element, text) {
    element.textContent = text;
    element.hidden = !text;
  }

  // Put the server's messages for one field next to it, and mark the field invalid.
  function showFieldErrors(input, messages) {
    const list = document.getElementById(`${input.id}-errors`);
    list.replaceChildren(
      ...messages.map((message) => {
        const item = document.createElement("li");
        item.textContent = message;
        return item;
      }),
    );
    list.hidden = messages.length === 0;
    if (messages.length) {
      input.setAttribute("aria-invalid", "true");
    } else {
      input.removeAttribute("aria-invalid");
    }
  }

  // Disable a form's buttons while its request runs, so a double click sends one request.
  async function whileBusy(form, work) {
    const buttons = form.querySelectorAll("button[type=submit]");
    for (const button of buttons) button.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      await work();
    } finally {
      for (const button of buttons) button.disabled = false;
      form.removeAttribute("aria-busy");
    }
  }

  // --8<-- [start:take-token] (docs/reset-page.md shows this function)
  // Read the token from the address's fragment (#token=...), then remove the fragment from
  // the address bar (and from the current history entry). Returns null when the page was
  // opened without one. The fragment never left the browser: the request was for /reset/.
  function takeTokenFromAddress() {
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    if (!fragment.has("token")) return null;
    const value = fragment.get("token").trim();
    history.replaceState(history.state, "", window.location.pathname + window.location.search);
    return value;
  }
  // --8<-- [end:take-token]

  // --- step 1: ask for a link ----------------------------------------------------------

  const requestForm = document.getElementById("request-form");
  const emailInput = document.getElementById("email");
  const requestProblem = document.getElementById("request-problem");

  requestForm.addEventListener("submit", (event) => {
    event.preventDefault();
    whileBusy(requestForm, async () => {
      showFieldErrors(emailInput, []);
      showProblem(requestProblem, "");
      const email = emailInput.value.trim();
      // "Send me a code instead" asks the code endpoint; the answer is as neutral.
      const wantsCode = Boolean(urls.codeRequest) && event.submitter?.value === "code";
      const { status, data } = await postJson(wantsCode ? urls.codeRequest : urls.request, {
        email,
      });
      if (status === 200 && wantsCode) {
        showCodeStep(email);
      } else if (status === 200) {
        document.getElementById("sent-email").textContent = email;
        showStep("step-sent");
      } else if (status === 400 && data.email) {
        showFieldErrors(emailInput, [].concat(data.email));
        emailInput.focus();
      } else {
        showProblem(requestProblem, problemText(status));
      }
    });
  });

  // --- step 2: the link was opened; is its token still good? ----------------------------

  const checkingStatus = document.getElementById("checking-status");
  const checkingRetry = document.getElementById("checking-retry");

  async function checkToken() {
    checkingStatus.textContent = "Checking your link…";
    checkingRetry.hidden = true;
    const { status } = await postJson(urls.validate, { token });
    if (status === 200) {
      showStep("step-choose");
    } else if (status === 404 || status === 400) {
      // 404: unknown, expired or used; 400: not even shaped like a token.
      token = null;
      showStep("step-invalid");
    } else {
      // The token may be fine: keep it and offer a retry (reloading would lose it).
      checkingStatus.textContent = problemText(status);
      checkingRetry.hidden = false;
      checkingRetry.focus();
    }
  }

  checkingRetry.addEventListener("click", checkToken);

  // --- step 3: choose the new password --------------------------------------------------

  const confirmForm = document.getElementById("confirm-form");
  const passwordInput = document.getElementById("password");
  const confirmProblem = document.getElementById("confirm-problem");

  document.getElementById("show-password").addEventListener("change", (event) => {
    passwordInput.type = event.target.checked ? "text" : "password";
  });

  confirmForm.addEventListener("submit", (event) => {
    event.preventDefault();
    whileBusy(confirmForm, async () => {
      showFieldErrors(passwordInput, []);
      showProblem(confirmProblem, "");
      const { status, data } = await postJson(urls.confirm, {
        token,
        password: passwordInput.value,
      });
      if (status === 200) {
        token = null;
        confirmForm.reset();
        showStep("step-done");
      } else if (status === 400 && data.password) {
        // The validators refused the password; the token is still good for another try.
        showFieldErrors(passwordInput, [].concat(data.password));
        passwordInput.focus();
      } else if (status === 404 || status === 400) {
        token = null;
        confirmForm.reset();
        showStep("step-invalid");
      } else {
        showProblem(confirmProblem, problemText(status));
      }
    });
  });

  // --- the code flow: e-mail, code and new password in one form ---------------------------

  const codeForm = document.getElementById("code-form");

  // Show the code form; after a code was requested, say so and start at the code field.
  function showCodeStep(email) {
    const sent = document.getElementById("code-sent");
    sent.hidden = !email;
    document.getElementById("code-sent-email").textContent = email || "";
    const emailField = document.getElementById("code-email");
    if (email) emailField.value = email;
    showStep("step-code");
    if (email) document.getElementById("code").focus();
  }

  if (codeForm && urls.codeConfirm) {
    const codeEmail = document.getElementById("code-email");
    const codeInput = document.getElementById("code");
    const codePassword = document.getElementById("code-password");
    const codeProblem = document.getElementById("code-problem");

    document.getElementById("have-code").addEventListener("click", () => showCodeStep(""));

    codeForm.addEventListener("submit", (event) => {
      event.preventDefault();
      whileBusy(codeForm, async () => {
        for (const input of [codeEmail, codeInput, codePassword]) showFieldErrors(input, []);
        showProblem(codeProblem, "");
        const { status, data } = await postJson(urls.codeConfirm, {
          email: codeEmail.value.trim(),
          code: codeInput.value.trim(),
          password: codePassword.value,
        });
        if (status === 200) {
          codeForm.reset();
          showStep("step-done");
        } else if (status === 400 && (data.email || data.code || data.password)) {
          // Field errors: a malformed address or code, or a password the validators refused
          // (the code is still good for another try).
          const fields = [
            [codeEmail, data.email],
            [codeInput, data.code],
            [codePassword, data.password],
          ];
          for (const [input, messages] of fields) showFieldErrors(input, [].concat(messages || []));
          fields.find(([, messages]) => messages)[0].focus();
        } else if (status === 404) {
          // A wrong, expired or used code (the answer does not say which); a few wrong tries
          // end every code of the account, so a new one may be needed.
          codeInput.value = "";
          showProblem(
            codeProblem,
            "This code is wrong or no longer valid. Check it, or ask for a new one.",
          );
          codeInput.focus();
        } else {
          showProblem(codeProblem, problemText(status));
        }
      });
    });
  }

  // --- start ----------------------------------------------------------------------------

  // Opened without a token, the page keeps showing the request form it starts with.
  function openFromAddress() {
    const found = takeTokenFromAddress();
    if (found === null) return;
    token = found;
    if (token === "") {
      showStep("step-invalid");
    } else {
      showStep("step-checking");
      checkToken();
    }
  }

  openFromAddress();
  // A link pasted into this tab while the page is open changes only the fragment: no reload.
  window.addEventListener("hashchange", openFromAddress);
})();
