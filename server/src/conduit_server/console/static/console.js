// Conduit console: the few behaviours htmx does not cover. No inline scripts (the pages' CSP forbids them).
(function () {
  "use strict";

  function playFrom(player, seconds) {
    player.currentTime = seconds;
    var started = player.play();
    if (started && started.catch) { started.catch(function () { /* no audio device or autoplay refused */ }); }
  }

  function setupRecording() {
    var player = document.getElementById("player");
    if (!player) { return; }
    var container = document.getElementById("waveform");
    if (container && window.WaveSurfer) {
      window.WaveSurfer.create({
        container: container, media: player, height: 80, waveColor: "#9bb4de", progressColor: "#2f6fde",
        cursorColor: "#c23b4a", normalize: true
      });
    }
    var start = parseFloat(player.dataset.start || "");
    if (!isNaN(start)) {
      var seek = function () { player.currentTime = start; };
      if (player.readyState >= 1) { seek(); } else { player.addEventListener("loadedmetadata", seek, { once: true }); }
    }
    document.addEventListener("click", function (event) {
      var target = event.target.closest ? event.target.closest(".line, .span") : null;
      if (target && target.dataset.start) { playFrom(player, parseFloat(target.dataset.start)); }
    });
    document.addEventListener("keyup", function (event) {
      if (event.key === "Enter" && event.target.classList && event.target.classList.contains("line")) {
        playFrom(player, parseFloat(event.target.dataset.start));
      }
    });
    var lines = Array.prototype.slice.call(document.querySelectorAll(".transcript .line"));
    player.addEventListener("timeupdate", function () {
      var now = player.currentTime, current = null;
      lines.forEach(function (line) { if (parseFloat(line.dataset.start) <= now + 0.05) { current = line; } });
      lines.forEach(function (line) { line.classList.toggle("playing", line === current); });
    });
  }

  function setupReport() {
    document.addEventListener("click", function (event) {
      var claim = event.target.closest ? event.target.closest(".claim") : null;
      if (!claim) { return; }
      document.querySelectorAll(".claim.active").forEach(function (c) { c.classList.remove("active"); });
      claim.classList.add("active");
    });
  }

  document.addEventListener("DOMContentLoaded", function () { setupRecording(); setupReport(); });
})();
