// The snippet's waveform on a canvas, drawn from the audio itself: the bytes are fetched from
// the same gated stream URL as the player (session-bound, audited, never cached) and decoded
// in memory with the Web Audio API. Redacted spans from the pipeline are shaded; the reviewer
// marks personal data the pipeline missed by dragging, or with Alt+M at the playhead.
"use strict";
(function () {
  const MIN_SPAN = 0.05;

  class Waveform {
    constructor(canvas, player) {
      this.canvas = canvas;
      this.player = player;
      this.ctx = canvas.getContext("2d");
      this.duration = parseFloat(canvas.dataset.duration) || 0;
      this.redactions = JSON.parse(canvas.dataset.redactions || "[]");
      this.peaks = null;
      this.samples = null;   // the decoded channel, kept in memory to redraw at a new width
      this.spans = [];
      this.pending = null;   // start of a span being marked with the keyboard
      this.dragFrom = null;  // start of a span being dragged with the mouse
      this.dragTo = null;
      this.onChange = () => {};
      this.bindMouse();
      this.fit();
      window.addEventListener("resize", () => { if (this.fit()) this.draw(); });
      this.draw();
    }

    // One canvas pixel per device pixel at the size the page lays it out, so the waveform stays
    // sharp however wide the room is. True when the size changed.
    fit() {
      const ratio = window.devicePixelRatio || 1;
      const width = Math.round((this.canvas.clientWidth || this.canvas.width) * ratio);
      const height = Math.round((this.canvas.clientHeight || this.canvas.height) * ratio);
      if (width === this.canvas.width && height === this.canvas.height) return false;
      this.canvas.width = width;
      this.canvas.height = height;
      if (this.samples) this.peaks = Waveform.peaksOf(this.samples, width);
      return true;
    }

    async load() {
      const status = document.getElementById("wave-status");
      try {
        const response = await fetch(this.canvas.dataset.src, { credentials: "same-origin", cache: "no-store" });
        if (!response.ok) throw new Error("HTTP " + response.status);
        const bytes = await response.arrayBuffer();
        const AudioCtx = window.AudioContext || window.webkitAudioContext;
        const audioCtx = new AudioCtx();
        const audio = await audioCtx.decodeAudioData(bytes);
        audioCtx.close();
        this.duration = audio.duration;
        this.samples = audio.getChannelData(0);
        this.peaks = Waveform.peaksOf(this.samples, this.canvas.width);
        this.canvas.dataset.decoded = "1";
        this.draw();
      } catch (err) {
        if (status) status.textContent = "(waveform unavailable)";
        this.canvas.dataset.decoded = "error";
      }
    }

    static peaksOf(samples, columns) {
      const peaks = new Float32Array(columns);
      const step = Math.max(1, Math.floor(samples.length / columns));
      for (let c = 0; c < columns; c++) {
        let max = 0;
        const end = Math.min(samples.length, (c + 1) * step);
        for (let i = c * step; i < end; i++) {
          const v = Math.abs(samples[i]);
          if (v > max) max = v;
        }
        peaks[c] = max;
      }
      return peaks;
    }

    x(t) { return this.duration ? (t / this.duration) * this.canvas.width : 0; }

    timeAt(clientX) {
      const rect = this.canvas.getBoundingClientRect();
      const frac = Math.min(1, Math.max(0, (clientX - rect.left) / rect.width));
      return frac * this.duration;
    }

    shade(start, end, colour) {
      this.ctx.fillStyle = colour;
      this.ctx.fillRect(this.x(start), 0, Math.max(2, this.x(end) - this.x(start)), this.canvas.height);
    }

    draw() {
      const { ctx, canvas } = this;
      const mid = canvas.height / 2;
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      this.redactions.forEach((r) => this.shade(r.start, r.end, "rgba(164, 38, 44, 0.25)"));
      this.spans.forEach((s) => this.shade(s.start, s.end, "rgba(230, 145, 0, 0.35)"));
      if (this.dragFrom !== null && this.dragTo !== null) {
        this.shade(Math.min(this.dragFrom, this.dragTo), Math.max(this.dragFrom, this.dragTo), "rgba(230, 145, 0, 0.2)");
      }
      ctx.fillStyle = "#1f5f8b";
      if (this.peaks) {
        for (let c = 0; c < this.peaks.length; c++) {
          const h = Math.max(1, this.peaks[c] * mid * 0.95);
          ctx.fillRect(c, mid - h, 1, 2 * h);
        }
      } else {
        ctx.fillRect(0, mid, canvas.width, 1);
      }
      if (this.pending !== null) this.shade(this.pending, this.pending + 0.01, "rgba(230, 145, 0, 0.9)");
      const head = this.x(this.player.currentTime || 0);
      ctx.fillStyle = "#1d232a";
      ctx.fillRect(head, 0, Math.max(2, Math.round(window.devicePixelRatio || 1) * 2), canvas.height);
    }

    addSpan(start, end) {
      const a = Math.max(0, Math.min(start, end));
      const b = Math.min(this.duration || Math.max(start, end), Math.max(start, end));
      if (b - a < MIN_SPAN) return false;
      this.spans.push({ start: Math.round(a * 100) / 100, end: Math.round(b * 100) / 100 });
      this.spans.sort((p, q) => p.start - q.start);
      this.onChange(this.spans);
      this.draw();
      return true;
    }

    removeSpan(index) {
      this.spans.splice(index, 1);
      this.onChange(this.spans);
      this.draw();
    }

    // First press marks the start at the playhead, the second the end.
    markAtPlayhead() {
      const t = this.player.currentTime || 0;
      if (this.pending === null) {
        this.pending = t;
      } else {
        const start = this.pending;
        this.pending = null;
        this.addSpan(start, t);
      }
      this.draw();
      return this.pending;
    }

    bindMouse() {
      this.canvas.addEventListener("mousedown", (e) => {
        e.preventDefault();  // a click seeks or marks; the focus stays in the transcript being typed
        this.dragFrom = this.timeAt(e.clientX);
        this.dragTo = null;
      });
      this.canvas.addEventListener("mousemove", (e) => {
        if (this.dragFrom === null) return;
        this.dragTo = this.timeAt(e.clientX);
        this.draw();
      });
      window.addEventListener("mouseup", (e) => {
        if (this.dragFrom === null) return;
        const from = this.dragFrom;
        const to = this.timeAt(e.clientX);
        this.dragFrom = this.dragTo = null;
        if (!this.addSpan(from, to)) {
          this.player.currentTime = from;  // a click without a drag seeks
          this.draw();
        }
      });
    }
  }

  window.QuietWaveform = Waveform;
})();
