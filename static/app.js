// Forms marked data-keeps-input are sent by htmx (boosted). When the server refuses one
// (a 4xx fragment), the message is shown just above the form and what was typed stays in
// place; a saved form moves on to the next page as before. Without JavaScript the forms
// post normally and the error page offers the way back.
(function () {
  "use strict";

  function prepare(root) {
    if (!root || !root.querySelectorAll) return;
    const forms = root.matches && root.matches("form[data-keeps-input]")
      ? [root] : root.querySelectorAll("form[data-keeps-input]");
    for (const form of forms) {
      if (form.hasAttribute("hx-boost") || form.hasAttribute("hx-post")) continue;
      // A second click while the form is being sent is dropped, not queued and sent again.
      if (!form.hasAttribute("hx-sync")) form.setAttribute("hx-sync", "this:drop");
      if (form.hasAttribute("data-workspace")) {
        // The meeting page's workspace: the answer is the changed sections, each swapped
        // in place by its id (hx-swap-oob), not the page.
        form.setAttribute("hx-post", form.getAttribute("action"));
        form.setAttribute("hx-swap", "none");
      } else {
        form.setAttribute("hx-boost", "true");
      }
      window.htmx.process(form);
    }
  }

  // After a change in the workspace: every form on the page sends the meeting's new
  // version (carried by #meeting-version), and focus that was on a form now replaced
  // goes to what the section marks (data-focus-after-change), else to its heading.
  let workspaceFocus = null;

  document.addEventListener("htmx:beforeRequest", function (event) {
    const form = event.detail.elt;
    if (!form || !form.matches || !form.matches("form[data-workspace]")) return;
    const section = form.closest("#meeting-workspace > [id]");
    workspaceFocus = section ? section.id : null;
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    const holder = document.getElementById("meeting-version");
    const version = holder && holder.getAttribute("data-version");
    if (version) {
      for (const input of document.querySelectorAll("input[data-meeting-version]")) {
        input.value = version;
      }
    }
    if (!workspaceFocus || !event.detail.elt || event.detail.elt.id !== "meeting-version") return;
    const id = workspaceFocus;
    workspaceFocus = null;
    const active = document.activeElement;
    if (active && active !== document.body && document.body.contains(active)) return;
    const section = document.getElementById(id);
    if (!section) return;
    // The section may name where the user goes on (the point just moved, the field for
    // the next point); else its heading.
    const wanted = section.querySelector("[data-focus-after-change]");
    if (wanted) {
      wanted.focus();
      return;
    }
    const heading = section.querySelector("h1, h2, h3") || section;
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    heading.focus();
  });

  function slotFor(form) {
    let slot = form.previousElementSibling;
    if (!slot || !slot.classList.contains("form-refusal")) {
      slot = document.createElement("div");
      slot.className = "form-refusal";
      slot.setAttribute("tabindex", "-1");
      form.parentNode.insertBefore(slot, form);
    }
    return slot;
  }

  // A refusal that names a field (data-field on the alert) is also shown at the field: the
  // message right after the input, the input aria-invalid and described by the message,
  // and focus on it. The next submit of the form clears the marks.
  let fieldErrors = 0;

  function formOf(alert) {
    const inside = alert.closest("form");
    if (inside) return inside;
    const holder = alert.closest(".form-refusal");
    if (holder && holder.nextElementSibling && holder.nextElementSibling.matches("form")) {
      return holder.nextElementSibling;
    }
    let next = alert.nextElementSibling;
    while (next && !next.matches("form")) next = next.nextElementSibling;
    return next || (alert.parentElement && alert.parentElement.querySelector("form"));
  }

  function clearFields(form) {
    for (const note of form.querySelectorAll(".field-error")) note.remove();
    for (const input of form.querySelectorAll("[aria-invalid='true'][data-described-before]")) {
      const before = input.getAttribute("data-described-before");
      if (before) input.setAttribute("aria-describedby", before);
      else input.removeAttribute("aria-describedby");
      input.removeAttribute("data-described-before");
      input.removeAttribute("aria-invalid");
    }
  }

  function markFields(root) {
    if (!root || !root.querySelectorAll) return;
    const alerts = root.matches && root.matches(".alert[data-field]")
      ? [root] : root.querySelectorAll(".alert[data-field]");
    for (const alert of alerts) {
      const name = alert.getAttribute("data-field");
      if (!name || alert.hasAttribute("data-marked")) continue;
      alert.setAttribute("data-marked", "");
      // The form the refusal belongs to; a page-level alert (a page rendered again) names
      // a field of one of the page's forms.
      const near = formOf(alert);
      const forms = [near].concat(Array.prototype.slice.call(document.querySelectorAll("form")));
      let form = null;
      let input = null;
      for (const candidate of forms) {
        if (!candidate) continue;
        input = Array.prototype.find.call(candidate.querySelectorAll("[name]"), function (el) {
          return el.getAttribute("name") === name && el.type !== "hidden";
        });
        if (input) { form = candidate; break; }
      }
      if (!form || !input) continue;
      clearFields(form);
      const text = alert.querySelector(".refusal-message") || alert;
      const note = document.createElement("p");
      fieldErrors += 1;
      note.id = "field-error-" + fieldErrors;
      note.className = "field-error";
      note.textContent = text.textContent.trim();
      const fieldset = input.type === "checkbox" || input.type === "radio"
        ? input.closest("fieldset") : null;
      const anchor = fieldset || input.closest(".field") || input;
      if (anchor === input) input.insertAdjacentElement("afterend", note);
      else anchor.appendChild(note);
      const targets = fieldset ? fieldset.querySelectorAll("[name='" + name + "']") : [input];
      for (const el of targets) {
        const before = el.getAttribute("aria-describedby") || "";
        el.setAttribute("data-described-before", before);
        el.setAttribute("aria-describedby", (before ? before + " " : "") + note.id);
        el.setAttribute("aria-invalid", "true");
      }
      input.focus();
    }
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    const detail = event.detail;
    const form = detail.requestConfig && detail.requestConfig.elt;
    if (!detail.isError || !form || !form.matches || !form.matches("form")) return;
    const body = typeof detail.serverResponse === "string" ? detail.serverResponse.trimStart() : "";
    if (/^<!doctype/i.test(body)) return;  // a whole page (a form re-rendered with its input)
    // Other htmx forms (hx-post) swap their own re-rendered section; only a bare refusal
    // (the error fragment) goes to the form they were sent from.
    if (!form.matches("form[data-keeps-input]") && !/^<div class="alert alert-error"/.test(body)) return;
    detail.target = slotFor(form);
    detail.swapOverride = "innerHTML";
  });

  // After a saved form the whole next page is shown: return to the section the form was
  // in (what the redirect's #anchor did before), with focus on its heading.
  let returnTo = null;

  document.addEventListener("htmx:beforeRequest", function (event) {
    const form = event.detail.elt;
    if (!form || !form.matches || !form.matches("form[data-keeps-input]")) return;
    const section = form.parentElement && form.parentElement.closest("[id]");
    returnTo = section ? section.id : null;
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    const target = event.detail.target;
    if (target && target.classList && target.classList.contains("form-refusal")) {
      returnTo = null;
      target.focus();
      markFields(target);
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    const form = event.detail.elt;
    if (form && form.matches && form.matches("form")) clearFields(form);
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (!returnTo || event.detail.target !== document.body) return;
    const id = returnTo;
    const refused = !!event.detail.failed;
    returnTo = null;
    // Run after htmx's own scroll to the top of a boosted page, which follows this event.
    window.setTimeout(function () {
      const section = document.getElementById(id);
      // A refused form shown again on its whole page: to the field the refusal is about
      // (or its message), where the form is, however far down the page.
      const wrong = refused && (document.querySelector("form [aria-invalid='true']")
        || (section && section.querySelector(".alert")));
      if (wrong) {
        if (!wrong.matches("input, select, textarea, button, [tabindex]")) {
          wrong.setAttribute("tabindex", "-1");
        }
        wrong.scrollIntoView({ block: "center" });
        wrong.focus({ preventScroll: true });
        return;
      }
      if (!section || section.id === "main") return;
      const heading = section.querySelector("h1, h2, h3") || section;
      if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
      section.scrollIntoView({ block: "start" });
      heading.focus({ preventScroll: true });
    }, 0);
  });

  // A large organisation directory is searched (templates/_org_search.html): the search
  // field is shown only where this script runs (it searches as one types), and Enter in
  // it does not send the form around it.
  function showSearches(root) {
    if (!root || !root.querySelectorAll) return;
    for (const field of root.querySelectorAll("[data-org-search][hidden]")) {
      field.hidden = false;
    }
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.matches) return;
    if (event.target.matches("[data-org-search] input")) event.preventDefault();
  });

  // A form sent after the session ran out (401, the server sends the user to log in and
  // back to this page): what was typed is kept in this tab's sessionStorage meanwhile and
  // put back into the same form when the same user is on the same page again, within an
  // hour. It is never sent by itself: the user reads it and sends it again. The form's
  // hidden version goes back too, so a change someone else saved in between is a conflict
  // shown as such, not overwritten.
  const DRAFT_KEY = "coordinator:draft";
  const DRAFT_KEPT_MS = 60 * 60 * 1000;

  function formsLike(action) {
    return Array.prototype.filter.call(document.querySelectorAll("form"), function (form) {
      return (form.getAttribute("action") || "") === action;
    });
  }

  document.addEventListener("htmx:beforeOnLoad", function (event) {
    const xhr = event.detail.xhr;
    const form = event.detail.requestConfig && event.detail.requestConfig.elt;
    const user = document.body.getAttribute("data-user");
    if (!xhr || xhr.status !== 401 || !user || !form || !form.matches || !form.matches("form")) return;
    const action = form.getAttribute("action") || "";
    const values = [];
    const secret = {};  // a password is never kept, not even in the tab
    for (const field of form.querySelectorAll("input[type='password']")) secret[field.name] = true;
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && name !== "_csrf_token" && !secret[name]) {
        values.push([name, value]);
      }
    });
    try {
      sessionStorage.setItem(DRAFT_KEY, JSON.stringify({
        user: user, page: location.pathname, action: action,
        index: formsLike(action).indexOf(form), values: values, at: Date.now()}));
    } catch (e) {
      // storage disabled or full: nothing is kept
    }
  });

  function restoreDraft() {
    const user = document.body.getAttribute("data-user");
    if (!user) return;  // the login page: kept for the page after it
    let draft = null;
    try {
      draft = JSON.parse(sessionStorage.getItem(DRAFT_KEY) || "null");
      sessionStorage.removeItem(DRAFT_KEY);
    } catch (e) {
      return;
    }
    if (!draft || draft.user !== user || draft.page !== location.pathname
        || !(Date.now() - draft.at < DRAFT_KEPT_MS)) return;
    const form = formsLike(draft.action)[draft.index];
    if (!form) return;
    const sent = {};
    for (const pair of draft.values) (sent[pair[0]] = sent[pair[0]] || []).push(pair[1]);
    const used = {};
    for (const field of form.elements) {
      const name = field.name;
      if (!name || name === "_csrf_token" || field.type === "file" || field.type === "submit"
          || field.type === "button" || field.type === "password") continue;
      const values = sent[name] || [];
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = values.indexOf(field.value) >= 0;
      } else if (field.tagName === "SELECT" && field.multiple) {
        for (const option of field.options) option.selected = values.indexOf(option.value) >= 0;
      } else if (name in sent) {
        const at = used[name] || 0;  // several fields of one name, in order
        used[name] = at + 1;
        if (at < values.length) field.value = values[at];
      }
    }
    for (let shut = form.closest("details"); shut; shut = shut.parentElement.closest("details")) {
      shut.open = true;  // a form folded away (»Ret titel, sted og beskrivelse«) is shown
    }
    const notice = document.createElement("div");
    notice.className = "alert alert-warn";
    notice.setAttribute("role", "status");
    notice.setAttribute("tabindex", "-1");
    notice.textContent = "Du blev logget ud, før det blev gemt. Det, du skrev, er sat ind igen " +
      "herunder. Se det igennem, og gem igen.";
    form.parentNode.insertBefore(notice, form);
    notice.scrollIntoView({ block: "start" });
    notice.focus({ preventScroll: true });
  }

  document.addEventListener("htmx:load", function (event) {
    showSearches(event.detail.elt);
    prepare(event.detail.elt);
    markFields(event.detail.elt);
  });
  document.addEventListener("DOMContentLoaded", function () {
    showSearches(document);
    prepare(document);
    markFields(document);
    restoreDraft();
  });
})();
