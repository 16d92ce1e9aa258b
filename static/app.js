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
      if (form.hasAttribute("hx-boost")) continue;
      form.setAttribute("hx-boost", "true");
      window.htmx.process(form);
    }
  }

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

  document.addEventListener("htmx:beforeSwap", function (event) {
    const detail = event.detail;
    const form = detail.requestConfig && detail.requestConfig.elt;
    if (!detail.isError || !form || !form.matches || !form.matches("form[data-keeps-input]")) return;
    const body = typeof detail.serverResponse === "string" ? detail.serverResponse.trimStart() : "";
    if (/^<!doctype/i.test(body)) return;  // a whole page (a form re-rendered with its input)
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
    }
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

  document.addEventListener("htmx:load", function (event) { prepare(event.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { prepare(document); });
})();
