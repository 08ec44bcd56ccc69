// Reviewer room: transport, labels, personal-data spans, autosave and keyboard shortcuts.
// Every shortcut needs Ctrl or Alt, so none of them can collide with typing a transcript;
// the list is on screen (#shortcuts). The server dedupes submissions by idempotency key, and
// the submit button also disables itself so a double click sends once.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const player = document.getElementById("player");
  const form = document.getElementById("transcribe");
  const skipForm = document.getElementById("skip");
  if (form) {
    form.addEventListener("submit", () => {
      const button = document.getElementById("submit");
      if (button) button.disabled = true;
    });
  }
  if (!player || !form) {
    return;
  }
  player.addEventListener("contextmenu", (event) => event.preventDefault());

  // --- transport -----------------------------------------------------------------------
  const playButton = document.getElementById("play");
  const speedOut = document.getElementById("speed");
  const clock = document.getElementById("clock");
  const togglePlay = () => { if (player.paused) player.play(); else player.pause(); };
  const back = () => { player.currentTime = Math.max(0, player.currentTime - 2); };
  const setSpeed = (delta) => {
    const rate = Math.min(2, Math.max(0.5, Math.round((player.playbackRate + delta) * 4) / 4));
    player.playbackRate = rate;
    if (speedOut) speedOut.textContent = rate.toFixed(2) + "×";
  };
  if (playButton) playButton.addEventListener("click", togglePlay);
  const backButton = document.getElementById("back");
  if (backButton) backButton.addEventListener("click", back);
  player.addEventListener("play", () => { if (playButton) playButton.textContent = "Pause"; });
  player.addEventListener("pause", () => { if (playButton) playButton.textContent = "Play"; });

  // --- waveform and personal-data spans --------------------------------------------------
  const canvas = document.getElementById("wave");
  const spansInput = document.getElementById("pii-spans");
  const spansList = document.getElementById("pii-list");
  let wave = null;
  const renderSpans = (spans) => {
    spansInput.value = JSON.stringify(spans);
    spansList.replaceChildren();
    spans.forEach((span, index) => {
      const item = document.createElement("li");
      item.textContent = span.start.toFixed(2) + "–" + span.end.toFixed(2) + " s ";
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary";
      remove.textContent = "remove";
      remove.addEventListener("click", () => wave.removeSpan(index));
      item.appendChild(remove);
      spansList.appendChild(item);
    });
    markDirty();
  };
  if (canvas && window.QuietWaveform) {
    wave = new window.QuietWaveform(canvas, player);
    try { wave.spans = JSON.parse(spansInput.value || "[]"); } catch (err) { wave.spans = []; }
    wave.onChange = renderSpans;
    // A warned snippet draws nothing (and fetches no audio) until the reviewer chooses to listen.
    if (player && player.dataset.careWarned === "1") {
      document.addEventListener("quietroom:care-consent", () => wave.load(), { once: true });
    } else {
      wave.load();
    }
    const tick = () => {
      wave.draw();
      if (clock) clock.textContent = (player.currentTime || 0).toFixed(1) + " s";
      if (!player.paused) window.requestAnimationFrame(tick);
    };
    player.addEventListener("play", () => window.requestAnimationFrame(tick));
    player.addEventListener("seeked", tick);
    player.addEventListener("pause", tick);
  }

  // --- labels ----------------------------------------------------------------------------
  const setActivation = (value) => {
    const radio = document.getElementById("activation-" + value);
    if (radio) { radio.checked = true; markDirty(); }
  };
  const toggleOtherLanguage = () => {
    const box = document.getElementById("other-language");
    if (box) { box.checked = !box.checked; markDirty(); }
  };
  const cycleQuality = () => {
    const select = document.getElementById("quality");
    if (select) { select.selectedIndex = (select.selectedIndex + 1) % select.options.length; markDirty(); }
  };
  const focusField = (id) => { const el = document.getElementById(id); if (el) el.focus(); };

  // --- autosave (encrypted on the server like a transcript) --------------------------------
  let dirty = false;
  let saving = false;
  const status = document.getElementById("autosave");
  function markDirty() { dirty = true; }
  form.addEventListener("input", markDirty);
  form.addEventListener("change", markDirty);
  const saveDraft = async (keepalive) => {
    if (!dirty || saving) return;
    saving = true;
    dirty = false;
    try {
      const response = await fetch(form.dataset.draftUrl, {
        method: "POST", body: new FormData(form), credentials: "same-origin", keepalive: !!keepalive,
      });
      if (status) status.textContent = response.ok ? "Draft saved " + new Date().toLocaleTimeString() : "Draft not saved";
      if (!response.ok) dirty = true;
    } catch (err) {
      dirty = true;
      if (status) status.textContent = "Draft not saved (offline?)";
    } finally {
      saving = false;
    }
  };
  window.setInterval(saveDraft, 2000);
  form.addEventListener("submit", () => { dirty = false; });
  if (skipForm) skipForm.addEventListener("submit", () => { dirty = false; });

  // --- keyboard ----------------------------------------------------------------------------
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey && !event.altKey && event.code === "Space") {
      togglePlay();
    } else if (event.ctrlKey && !event.altKey && event.key === "Enter") {
      const active = document.activeElement;
      const target = active && skipForm && skipForm.contains(active) ? skipForm : form;
      target.requestSubmit();
    } else if (event.altKey && !event.ctrlKey && !event.metaKey) {
      switch (event.code) {
        case "ArrowLeft": back(); break;
        case "ArrowDown": setSpeed(-0.25); break;
        case "ArrowUp": setSpeed(0.25); break;
        case "KeyM": if (wave) wave.markAtPlayhead(); break;
        case "KeyI": setActivation("intended"); break;
        case "KeyA": setActivation("accidental"); break;
        case "KeyL": toggleOtherLanguage(); break;
        case "KeyQ": cycleQuality(); break;
        case "KeyX": focusField("sensitive"); break;
        case "KeyS": focusField("skip-reason"); break;
        default: return;
      }
    } else {
      return;
    }
    event.preventDefault();
  });
});
