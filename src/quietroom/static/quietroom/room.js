// Reviewer room helpers: keyboard shortcuts that never collide with typing (they all need
// Ctrl), and a submit button that cannot send twice (the server also dedupes by key).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const player = document.getElementById("player");
  const form = document.getElementById("transcribe");
  document.addEventListener("keydown", (event) => {
    if (!event.ctrlKey) return;
    if (event.code === "Space" && player) {
      event.preventDefault();
      if (player.paused) player.play(); else player.pause();
    } else if (event.key === "Enter" && form) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  if (form) {
    form.addEventListener("submit", () => {
      const button = document.getElementById("submit");
      if (button) button.disabled = true;
    });
  }
  if (player) player.addEventListener("contextmenu", (event) => event.preventDefault());
});
