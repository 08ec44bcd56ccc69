// Reviewer care in the room: a content warning before a snippet scored as likely distressing
// plays, and a break reminder after a stretch of continuous work. No content is involved:
// the page only says "warned" and how many minutes count as a stretch (data attributes).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // --- content warning -------------------------------------------------------------------
  const player = document.getElementById("player");
  const warning = document.getElementById("content-warning");
  const proceed = document.getElementById("warning-continue");
  if (player && warning && player.dataset.careWarned === "1") {
    let acknowledged = false;
    // Any way of starting playback (button, shortcut, native controls) waits for consent.
    player.addEventListener("play", () => {
      if (!acknowledged) {
        player.pause();
        warning.classList.add("care-attention");
        if (proceed) proceed.focus();
      }
    });
    if (proceed) {
      proceed.addEventListener("click", () => {
        acknowledged = true;
        warning.hidden = true;
        player.preload = "auto";
        // Only now the machine transcript and the waveform are shown (and the waveform drawn).
        document.querySelectorAll("[data-care-veiled]").forEach((el) => el.removeAttribute("data-care-veiled"));
        document.dispatchEvent(new Event("quietroom:care-consent"));
        const transcript = document.getElementById("transcript");
        if (transcript) transcript.focus();
      });
    }
  }

  // --- break reminder -------------------------------------------------------------------
  // Continuous work = pages of the room opened with no gap longer than IDLE_GAP between them,
  // kept in sessionStorage (this tab only, nothing sent to the server).
  const reminder = document.getElementById("break-reminder");
  if (!reminder) return;
  const minutes = parseFloat(reminder.dataset.breakMinutes || "0");
  if (!(minutes > 0)) return;
  const IDLE_GAP = 10 * 60 * 1000;
  const START = "quietroom.care.workStart";
  const LAST = "quietroom.care.lastSeen";
  const now = () => Date.now();
  const read = (key) => parseInt(window.sessionStorage.getItem(key) || "0", 10);
  const write = (key, value) => window.sessionStorage.setItem(key, String(value));
  if (!read(START) || now() - read(LAST) > IDLE_GAP) write(START, now());
  const check = () => {
    if (document.visibilityState === "visible") write(LAST, now());
    if (now() - read(START) >= minutes * 60 * 1000) reminder.hidden = false;
  };
  const dismiss = document.getElementById("break-dismiss");
  if (dismiss) {
    dismiss.addEventListener("click", () => {
      write(START, now());
      reminder.hidden = true;
    });
  }
  check();
  window.setInterval(check, 1000);
});
