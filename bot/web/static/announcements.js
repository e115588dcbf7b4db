// klbot web console, announcements: the previews follow the typing, a broadcast's
// figures follow its delivery. Without this script the Preview button and reloading
// the page do the same.
"use strict";

(() => {
  const WAIT_MS = 400; // after the last key press
  const POLL_MS = 2000;

  for (const form of document.querySelectorAll("form[data-live-preview]")) {
    const target = form.querySelector(".live-preview");
    let timer = 0;
    let running = null;
    const refresh = async () => {
      if (running) running.abort();
      running = new AbortController();
      try {
        const response = await fetch(form.dataset.livePreview, {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
          signal: running.signal,
        });
        if (response.ok) target.innerHTML = await response.text(); // escaped on the server
      } catch (error) {
        if (error.name !== "AbortError") console.warn("preview:", error);
      }
    };
    const later = () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, WAIT_MS);
    };
    form.addEventListener("input", later);
    form.addEventListener("change", later);
  }

  const follow = async (box) => {
    let state;
    try {
      const response = await fetch(box.dataset.progress, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return; // signed out or gone: the page still shows the last figures
      state = await response.json();
    } catch (error) {
      setTimeout(() => follow(box), POLL_MS); // the server restarts: try again
      return;
    }
    const bar = box.querySelector("progress");
    bar.max = Math.max(state.recipients, 1);
    bar.value = state.through;
    bar.textContent = state.figures.delivered;
    for (const [name, text] of Object.entries(state.figures)) {
      const figure = box.querySelector(`[data-figure="${name}"]`);
      if (figure) figure.textContent = text;
    }
    if (state.finished) box.dataset.finished = "true";
    else setTimeout(() => follow(box), POLL_MS);
  };

  for (const box of document.querySelectorAll("[data-progress]")) {
    if (box.dataset.finished !== "true") setTimeout(() => follow(box), POLL_MS);
  }
})();
