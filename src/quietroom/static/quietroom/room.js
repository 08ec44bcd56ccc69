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

  // --- the correction window ------------------------------------------------------------
  // "Correct your last submission" shows the closing time in the reader's own clock, and goes
  // away when the window closes (the server refuses after it anyway).
  document.querySelectorAll("[data-closes-at]").forEach((el) => {
    const closes = Date.parse(el.dataset.closesAt);
    if (Number.isNaN(closes)) return;
    const time = el.querySelector("time");
    if (time) time.textContent = new Date(closes).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    window.setTimeout(() => { el.hidden = true; }, Math.max(0, closes - Date.now()));
  });
  const correction = document.getElementById("correction");
  if (correction) {
    document.addEventListener("keydown", (event) => {
      if (event.ctrlKey && !event.altKey && event.key === "Enter") {
        event.preventDefault();
        correction.requestSubmit();
      }
    });
  }

  if (!player || !form) {
    return;
  }
  player.addEventListener("contextmenu", (event) => event.preventDefault());

  // --- transport: the one player (the <audio> element has no native controls) ------------
  const playButton = document.getElementById("play");
  const speedSelect = document.getElementById("speed");
  const clock = document.getElementById("clock");
  const playerStatus = document.getElementById("player-status");
  const canvas = document.getElementById("wave");
  const length = () => (Number.isFinite(player.duration) && player.duration > 0 ? player.duration
    : parseFloat(canvas ? canvas.dataset.duration : "0") || 0);
  const showPosition = () => {
    const at = player.currentTime || 0;
    if (clock) clock.textContent = at.toFixed(1) + " / " + length().toFixed(1) + " s";
    if (canvas) {
      canvas.setAttribute("aria-valuenow", at.toFixed(1));
      canvas.setAttribute("aria-valuemax", length().toFixed(1));
      canvas.setAttribute("aria-valuetext", at.toFixed(1) + " of " + length().toFixed(1) + " seconds");
    }
  };
  const togglePlay = () => {
    if (player.paused) {
      const started = player.play();
      if (started && started.catch) started.catch(() => {});  // refused: the "error" event says why
    } else {
      player.pause();
    }
  };
  const seekTo = (seconds) => { player.currentTime = Math.min(length(), Math.max(0, seconds)); showPosition(); };
  const back = () => seekTo(player.currentTime - 2);
  const setSpeed = (delta) => {
    const rate = Math.min(2, Math.max(0.5, Math.round((player.playbackRate + delta) * 4) / 4));
    player.playbackRate = rate;
    if (speedSelect) speedSelect.value = String(rate);
  };
  if (playButton) playButton.addEventListener("click", togglePlay);
  const backButton = document.getElementById("back");
  if (backButton) backButton.addEventListener("click", back);
  if (speedSelect) speedSelect.addEventListener("change", () => { player.playbackRate = parseFloat(speedSelect.value) || 1; });
  player.addEventListener("play", () => { if (playButton) playButton.textContent = "Pause"; });
  player.addEventListener("pause", () => { if (playButton) playButton.textContent = "Play"; });
  player.addEventListener("ended", () => { if (playButton) playButton.textContent = "Play"; });
  player.addEventListener("loadedmetadata", showPosition);
  player.addEventListener("timeupdate", showPosition);
  player.addEventListener("error", () => {
    if (playerStatus) playerStatus.textContent = "Audio unavailable (the link may have expired: reload the page)";
  });
  // The waveform is also the position slider: arrow keys move 1 s, Home / End go to the ends,
  // Space or Enter play and pause (a click on it seeks: waveform.js).
  if (canvas) {
    canvas.addEventListener("keydown", (event) => {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      switch (event.key) {
        case "ArrowLeft": case "ArrowDown": seekTo(player.currentTime - 1); break;
        case "ArrowRight": case "ArrowUp": seekTo(player.currentTime + 1); break;
        case "Home": seekTo(0); break;
        case "End": seekTo(length()); break;
        case " ": case "Enter": togglePlay(); break;
        default: return;
      }
      event.preventDefault();
    });
  }

  // --- waveform and personal-data spans --------------------------------------------------
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
      showPosition();
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
      // The skip controls sit in the action row but belong to the skip form (form="skip").
      const active = document.activeElement;
      const target = active && skipForm && active.form === skipForm ? skipForm : form;
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
