// The ecomap on screen (templates/network/_figure.html): zoom and pan, and focus on one
// person. The SVG arrives at its natural size (one CSS pixel per map unit, every label at
// least 12 px); this script shows the tools, keeps the view's centre in place when zooming,
// pans with the arrow keys, the buttons or by dragging, and highlights the ties of the
// person chosen in the list (the others are dimmed; keep-apart lines never are). Without
// JavaScript the tools stay hidden and the view simply scrolls.
(function () {
  "use strict";

  const STEP = 1.25;      // one zoom step
  const MAX_ZOOM = 3;
  const PAN = 80;         // pixels per arrow key press or pan button

  function setup(figure) {
    if (figure.dataset.ecomapReady) return;
    const viewport = figure.querySelector("[data-ecomap-viewport]");
    const svg = viewport && viewport.querySelector("svg");
    const tools = figure.querySelector("[data-ecomap-tools]");
    if (!svg || !tools || !svg.viewBox || !svg.viewBox.baseVal) return;
    figure.dataset.ecomapReady = "1";
    const box = svg.viewBox.baseVal;
    const level = figure.querySelector("[data-ecomap-level]");
    let zoom = 1;

    function fitZoom() {
      return Math.min(viewport.clientWidth / box.width, viewport.clientHeight / box.height);
    }
    function minZoom() { return Math.min(fitZoom(), 1); }

    // Zoom to z, keeping the map point under (px, py) of the view (default its centre) in place.
    function zoomTo(z, px, py) {
      z = Math.max(minZoom(), Math.min(MAX_ZOOM, z));
      if (px === undefined) { px = viewport.clientWidth / 2; py = viewport.clientHeight / 2; }
      const ux = (viewport.scrollLeft + px) / zoom;
      const uy = (viewport.scrollTop + py) / zoom;
      zoom = z;
      svg.setAttribute("width", String(Math.round(box.width * zoom)));
      svg.setAttribute("height", String(Math.round(box.height * zoom)));
      viewport.scrollLeft = ux * zoom - px;
      viewport.scrollTop = uy * zoom - py;
      if (level) level.textContent = Math.round(zoom * 100) + " %";
    }

    // Scroll so that the map point (x, y), in map units, is in the middle of the view.
    function centreOn(x, y) {
      viewport.scrollLeft = (x - box.x) * zoom - viewport.clientWidth / 2;
      viewport.scrollTop = (y - box.y) * zoom - viewport.clientHeight / 2;
    }

    function pan(direction) {
      const dx = { left: -PAN, right: PAN }[direction] || 0;
      const dy = { up: -PAN, down: PAN }[direction] || 0;
      viewport.scrollBy(dx, dy);
    }

    function act(what) {
      if (what === "in") zoomTo(zoom * STEP);
      else if (what === "out") zoomTo(zoom / STEP);
      else if (what === "fit") { zoomTo(fitZoom()); centreOn(box.x + box.width / 2, box.y + box.height / 2); }
      else if (what === "normal") zoomTo(1);
    }

    tools.hidden = false;
    tools.addEventListener("click", function (event) {
      const button = event.target.closest("button");
      if (!button) return;
      if (button.dataset.ecomapZoom) act(button.dataset.ecomapZoom);
      if (button.dataset.ecomapPan) pan(button.dataset.ecomapPan);
    });

    viewport.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      const keys = { "+": "in", "=": "in", "-": "out", "−": "out", "0": "normal" };
      const arrows = { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down" };
      if (keys[event.key]) act(keys[event.key]);
      else if (arrows[event.key]) pan(arrows[event.key]);
      else return;
      event.preventDefault();
    });

    // Drag to pan; a click without dragging on a person focuses on that person.
    let drag = null;
    viewport.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) return;
      drag = { x: event.clientX, y: event.clientY, left: viewport.scrollLeft,
               top: viewport.scrollTop, moved: false };
    });
    viewport.addEventListener("pointermove", function (event) {
      if (!drag) return;
      const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 5) return;
      if (!drag.moved) { drag.moved = true; viewport.classList.add("dragging"); viewport.setPointerCapture(event.pointerId); }
      viewport.scrollLeft = drag.left - dx;
      viewport.scrollTop = drag.top - dy;
    });
    function endDrag(event) {
      if (!drag) return;
      const clicked = !drag.moved;
      drag = null;
      viewport.classList.remove("dragging");
      if (clicked && select) {
        const node = event.target.closest && event.target.closest("g[data-key]");
        if (node && select.querySelector('option[value="' + node.dataset.key + '"]')) {
          select.value = node.dataset.key;
          focusOn(node.dataset.key);
        }
      }
    }
    viewport.addEventListener("pointerup", endDrag);
    viewport.addEventListener("pointercancel", function () { drag = null; viewport.classList.remove("dragging"); });

    // Focus on one person: their node, label, lines and the people they are tied to.
    const select = figure.querySelector("[data-ecomap-focus]");
    const said = figure.querySelector("[data-ecomap-said]");

    function titleOf(element) {
      const title = element.querySelector("title");
      return title ? title.textContent : "";
    }

    function focusOn(key) {
      const tied = new Set();
      const ties = [];
      for (const line of svg.querySelectorAll(".edges [data-a], .keep-apart [data-a]")) {
        const mine = key && (line.dataset.a === key || line.dataset.b === key);
        line.classList.toggle("is-tied", Boolean(mine));
        if (mine) {
          tied.add(line.dataset.a === key ? line.dataset.b : line.dataset.a);
          ties.push(titleOf(line));
        }
      }
      let focused = null;
      for (const group of svg.querySelectorAll(".nodes g[data-key], .labels g[data-key]")) {
        group.classList.toggle("is-focus", group.dataset.key === key);
        group.classList.toggle("is-tied", tied.has(group.dataset.key));
        if (group.dataset.key === key && group.closest(".nodes")) focused = group;
      }
      svg.classList.toggle("ecomap-focused", Boolean(key));
      if (!said) return;
      if (!key || !focused) { said.textContent = ""; return; }
      const name = select.options[select.selectedIndex].text;
      said.textContent = "Fremhævet: " + name + ". " + (ties.length
        ? ties.length + (ties.length === 1 ? " forbindelse: " : " forbindelser: ") + ties.join("; ") + "."
        : "Ingen forbindelser på kortet.");
      const shape = focused.getBBox();
      centreOn(shape.x + shape.width / 2, shape.y + shape.height / 2);
    }

    if (select) {
      select.addEventListener("change", function () { focusOn(select.value); });
      if (select.value) focusOn(select.value);
    }

    // Start at the natural size, centred on the middle of the map (the family).
    zoomTo(1);
    centreOn(0, 0);
  }

  function prepare(root) {
    if (!root || !root.querySelectorAll) return;
    for (const figure of root.querySelectorAll("[data-ecomap]")) setup(figure);
    for (const button of root.querySelectorAll("[data-print]")) {
      if (button.dataset.printReady) continue;
      button.dataset.printReady = "1";
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    }
  }

  document.addEventListener("DOMContentLoaded", function () { prepare(document); });
  document.addEventListener("htmx:load", function (event) { prepare(event.detail.elt); });
})();
