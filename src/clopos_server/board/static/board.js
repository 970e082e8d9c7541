/* The order board's script: live cards over Server-Sent Events, actions without a reload, sound, ages.
 * Plain JavaScript, no build step. Cards are rendered by the server (the same HTML a reload shows);
 * this script only places them. */
(function () {
  "use strict";

  var body = document.body;
  var venue = body.dataset.venue;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var clockOffset = Number(body.dataset.serverNow) - Date.now(); // server time minus browser time
  var lastEventId = Number(body.dataset.cursor) || 0;
  var DONE_LIMIT = 30;
  var FRESH_MS = 20000;
  var LATE_MINUTES = 15;
  var source = null;
  var retryTimer = null;
  var audio = null;
  var soundOn = false;

  // what tests and curious operators can read
  var stats = (window.boardStats = { events: 0, beeps: 0, connects: 0, lastEventId: lastEventId });

  /* ------------------------------------------------------------------ time since arrival */
  function ageText(ms) {
    var minutes = Math.floor(ms / 60000);
    if (minutes < 1) return "just now";
    if (minutes < 60) return minutes + " min";
    var hours = Math.floor(minutes / 60);
    if (hours < 24) return hours + " h " + (minutes % 60) + " min";
    return Math.floor(hours / 24) + " d";
  }
  function tickAges(root) {
    var now = Date.now() + clockOffset;
    (root || document).querySelectorAll("time.age[data-created]").forEach(function (el) {
      var ms = now - Number(el.dataset.created);
      el.textContent = ageText(Math.max(ms, 0));
      var card = el.closest(".card");
      var active = card && (card.dataset.status === "PENDING" || card.dataset.status === "RECEIVED");
      el.classList.toggle("late", Boolean(active) && ms > LATE_MINUTES * 60000);
      el.title = new Date(Number(el.dataset.created)).toLocaleString();
    });
  }

  /* ------------------------------------------------------------------ placing cards */
  function columnOf(status) {
    return status === "PENDING" || status === "RECEIVED" ? status : "DONE";
  }
  function sortKey(el) {
    return Number(el.dataset.sort || 0);
  }
  function place(el, column) {
    var list = document.getElementById("col-" + column);
    var key = sortKey(el);
    var newestFirst = column === "DONE";
    var before = null;
    for (var i = 0; i < list.children.length; i++) {
      var other = list.children[i];
      var otherKey = sortKey(other);
      if (newestFirst ? otherKey < key : otherKey > key) { before = other; break; }
    }
    list.insertBefore(el, before);
    if (column === "DONE") {
      while (list.children.length > DONE_LIMIT) list.removeChild(list.lastElementChild);
    }
  }
  function updateCounts() {
    var pending = 0;
    document.querySelectorAll("[data-count]").forEach(function (el) {
      var n = document.getElementById("col-" + el.dataset.count).children.length;
      el.textContent = n;
      if (el.dataset.count === "PENDING") pending = n;
    });
    document.title = (pending ? "(" + pending + ") " : "") + document.title.replace(/^\(\d+\) /, "");
  }
  function applyCard(data, live) {
    var existing = document.getElementById("order-" + data.id);
    if (existing && Number(existing.dataset.version) > Number(data.version)) return; // older news
    var holder = document.createElement("div");
    holder.innerHTML = data.html;
    var el = holder.firstElementChild;
    var column = data.column || columnOf(data.status);
    var arrived = live && data.status === "PENDING" && (!existing || existing.classList.contains("fresh"));
    if (existing) {
      // keep what the person is typing in an open payment form
      if (existing.contains(document.activeElement) && existing.dataset.status === data.status) return;
      existing.parentNode.removeChild(existing);
    }
    place(el, column);
    tickAges(el);
    if (arrived) {
      el.classList.add("fresh");
      setTimeout(function () { el.classList.remove("fresh"); }, FRESH_MS);
      if (!existing) beep();
    }
    updateCounts();
  }

  /* ------------------------------------------------------------------ live events */
  function setLive(state, text) {
    var el = document.getElementById("live");
    el.dataset.state = state;
    el.textContent = text;
  }
  function connect() {
    clearTimeout(retryTimer);
    if (source) source.close();
    // a new EventSource sends no Last-Event-ID: since= carries the newest event this page has seen
    source = new EventSource("/board/events?venue=" + encodeURIComponent(venue) + "&since=" + lastEventId);
    source.onopen = function () {
      stats.connects += 1;
      setLive("live", "Live");
    };
    source.addEventListener("order", function (e) {
      stats.events += 1;
      if (e.lastEventId) {
        lastEventId = Math.max(lastEventId, Number(e.lastEventId));
        stats.lastEventId = lastEventId;
      }
      applyCard(JSON.parse(e.data), true);
    });
    source.addEventListener("reset", function () { location.reload(); });
    source.addEventListener("signout", function () {
      source.close();
      location.href = "/board/login";
    });
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) {
        // the server refused: signed out (the board redirects to sign-in), or restarting (try again)
        setLive("offline", "Offline, retrying");
        fetch("/board?venue=" + encodeURIComponent(venue), { redirect: "manual", credentials: "same-origin" })
          .then(function (response) {
            if (response.type === "opaqueredirect") location.href = "/board/login";
            else retryTimer = setTimeout(connect, 3000);
          })
          .catch(function () { retryTimer = setTimeout(connect, 3000); });
      } else {
        setLive("reconnecting", "Reconnecting");
      }
    };
  }

  /* ------------------------------------------------------------------ sound (WebAudio, no file) */
  function beep() {
    if (!soundOn || !audio) return;
    stats.beeps += 1;
    if (audio.state === "suspended") audio.resume();
    var start = audio.currentTime + 0.02;
    [0, 0.22].forEach(function (offset, i) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = i ? 1320 : 880;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.35, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.18);
      osc.connect(gain).connect(audio.destination);
      osc.start(start + offset);
      osc.stop(start + offset + 0.2);
    });
  }
  function setSound(on) {
    soundOn = on;
    var button = document.getElementById("sound-toggle");
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? "Sound on" : "Sound off";
    try { localStorage.setItem("board-sound", on ? "on" : "off"); } catch (e) { /* private mode */ }
    if (on && !audio) {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (Context) audio = new Context();
    }
    if (on && audio && audio.state === "suspended") audio.resume();
  }
  document.getElementById("sound-toggle").addEventListener("click", function () {
    setSound(!soundOn);
    if (soundOn) beep();
  });
  // browsers start audio only after a gesture: a remembered "on" waits for the first tap anywhere
  var remembered = null;
  try { remembered = localStorage.getItem("board-sound"); } catch (e) { /* private mode */ }
  if (remembered === "on") {
    document.addEventListener("pointerdown", function first() {
      document.removeEventListener("pointerdown", first);
      if (!soundOn) setSound(true);
    });
  }

  /* ------------------------------------------------------------------ messages */
  var flashTimer = null;
  function flash(text, bad) {
    var el = document.getElementById("flash");
    el.textContent = text;
    el.classList.toggle("bad", Boolean(bad));
    el.hidden = false;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(function () { el.hidden = true; }, bad ? 6000 : 2500);
  }

  /* ------------------------------------------------------------------ actions */
  function send(form) {
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    return fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf },
      body: new URLSearchParams(new FormData(form)),
    })
      .then(function (response) {
        return response.json().catch(function () {
          return { ok: false, message: "The server answered " + response.status };
        });
      })
      .then(function (answer) {
        if (!answer.ok) {
          flash(answer.message || "Not done", true);
          return;
        }
        flash(answer.message || "Done");
        if (answer.card) applyCard(answer.card, false);
        if (answer.stop_list !== undefined) {
          document.getElementById("stoplist").innerHTML = answer.stop_list;
          document.getElementById("stop-count").textContent = answer.stop_count;
        }
      })
      .catch(function () { flash("No connection to the server", true); })
      .finally(function () { buttons.forEach(function (b) { if (b.isConnected) b.disabled = false; }); });
  }
  function askToConfirm(form) {
    var button = form.querySelector("button");
    if (form.querySelector(".confirm-bar")) return;
    var bar = document.createElement("div");
    bar.className = "confirm-bar";
    bar.setAttribute("role", "alertdialog");
    var text = document.createElement("span");
    text.textContent = form.dataset.confirm;
    var yes = document.createElement("button");
    yes.type = "button";
    yes.className = "danger armed";
    yes.textContent = "Yes, ignore";
    var no = document.createElement("button");
    no.type = "button";
    no.textContent = "Keep";
    bar.append(text, yes, no);
    button.hidden = true;
    form.append(bar);
    no.addEventListener("click", function () { bar.remove(); button.hidden = false; });
    yes.addEventListener("click", function () {
      form.querySelector('input[name="confirm"]').value = "yes";
      bar.remove();
      button.hidden = false;
      send(form);
    });
    no.focus();
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches("form.act")) return;
    e.preventDefault();
    if (form.dataset.confirm) askToConfirm(form);
    else send(form);
  });

  /* ------------------------------------------------------------------ small things */
  document.getElementById("venue-select").addEventListener("change", function (e) {
    location.href = "/board?venue=" + encodeURIComponent(e.target.value);
  });
  var panel = document.getElementById("stoplist");
  document.getElementById("stoplist-toggle").addEventListener("click", function () {
    panel.hidden = !panel.hidden;
  });
  panel.addEventListener("click", function (e) {
    if (e.target.closest("[data-close-panel]")) panel.hidden = true;
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") panel.hidden = true;
  });

  tickAges();
  updateCounts();
  setInterval(tickAges, 15000);
  connect();
})();
