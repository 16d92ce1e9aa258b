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
    const section = document.getElementById(returnTo);
    returnTo = null;
    if (!section || section.id === "main") return;
    const heading = section.querySelector("h1, h2, h3") || section;
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    section.scrollIntoView({ block: "start" });
    heading.focus({ preventScroll: true });
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

  document.addEventListener("htmx:load", function (event) {
    showSearches(event.detail.elt);
    prepare(event.detail.elt);
    markFields(event.detail.elt);
  });
  document.addEventListener("DOMContentLoaded", function () {
    showSearches(document);
    prepare(document);
    markFields(document);
  });
})();
