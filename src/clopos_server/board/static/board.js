/* The order board's script: live cards over Server-Sent Events, actions without a reload, sound, ages.
 * Plain JavaScript, no build step. Cards are rendered by the server (the same HTML a reload shows);
 * this script only places them. */
(function () {
  "use strict";

  var body = document.body;
  var venue = body.dataset.venue;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var clockOffset = Number(body.dataset.serverNow) - Date.now(); // server time minus browser time
  // the event log's cursor: decimal digits that can outgrow a Number's exact integers, compared as BigInt
  var lastEventId = /^[0-9]+$/.test(body.dataset.cursor || "") ? body.dataset.cursor : "0";
  function later(a, b) { return BigInt(a) > BigInt(b) ? a : b; }
  var DONE_LIMIT = 30;
  var BASE_TITLE = document.title;
  var TEXTS = JSON.parse(body.dataset.texts || "{}"); // the staff user's language, from the server
  function T(msgid, values) {
    var text = TEXTS[msgid] || msgid;
    Object.keys(values || {}).forEach(function (key) { text = text.split("{" + key + "}").join(values[key]); });
    return text;
  }
  var alertMinutes = 10; // an order waiting longer than this (New) turns red, and so does the tab title
  var pendingCount = 0;
  var lateCount = 0;
  var source = null;
  var retryTimer = null;
  var audio = null;
  var soundOn = true;

  // what tests and curious operators can read
  var stats = (window.boardStats = {
    events: 0, beeps: 0, connects: 0, lastEventId: lastEventId, audio: "none",
  });

  /* ------------------------------------------------------------------ time since arrival */
  function ageText(ms) {
    var minutes = Math.floor(ms / 60000);
    if (minutes < 1) return T("just now");
    if (minutes < 60) return T("{n} min", { n: minutes });
    var hours = Math.floor(minutes / 60);
    if (hours < 24) return T("{h} h {m} min", { h: hours, m: minutes % 60 });
    return T("{d} d", { d: Math.floor(hours / 24) });
  }
  function tickAges(root) {
    var now = Date.now() + clockOffset;
    (root || document).querySelectorAll("time.age[data-created]").forEach(function (el) {
      var ms = now - Number(el.dataset.created);
      el.textContent = ageText(Math.max(ms, 0));
      var card = el.closest(".card");
      var active = card && (card.dataset.status === "PENDING" || card.dataset.status === "RECEIVED");
      var late = Boolean(active) && ms > alertMinutes * 60000;
      el.classList.toggle("late", late);
      el.title = new Date(Number(el.dataset.created)).toLocaleString();
      if (card && card.dataset.status === "PENDING") markOverdue(card, late, ms);
    });
    lateCount = document.querySelectorAll("#col-PENDING .card.overdue").length;
    showTitle();
  }
  // waited too long: the card says so (and a screen reader hears it once)
  function markOverdue(card, late, ms) {
    var flag = card.querySelector(".overdue-flag");
    if (!late) {
      card.classList.remove("overdue");
      if (flag) flag.remove();
      return;
    }
    if (!card.classList.contains("overdue")) {
      card.classList.add("overdue");
      var title = card.querySelector(".num").lastChild.textContent;
      announce(T("Order {title} has waited {age}", { title: title, age: ageText(ms) }));
    }
    if (!flag) {
      flag = document.createElement("p");
      flag.className = "overdue-flag";
      card.querySelector(".card-head").after(flag);
    }
    flag.textContent = T("Waiting {age}: over {n} min", { age: ageText(ms), n: alertMinutes });
  }
  function showTitle() {
    document.title = (lateCount ? "\u26a0 " + T("{n} waiting too long", { n: lateCount }) + " \u00b7 " : "") +
      (pendingCount ? "(" + pendingCount + ") " : "") + BASE_TITLE;
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
    var newestFirst = column !== "RECEIVED"; // New and Done: the newest on top
    var before = null;
    var id = Number(el.dataset.id);
    for (var i = 0; i < list.children.length; i++) {
      var other = list.children[i];
      var otherKey = sortKey(other);
      var otherId = Number(other.dataset.id); // times have seconds: the id breaks a tie
      var after = otherKey === key ? otherId > id : otherKey > key;
      if (newestFirst ? !after : after) { before = other; break; }
    }
    list.insertBefore(el, before);
    if (column === "DONE") {
      while (list.children.length > DONE_LIMIT) list.removeChild(list.lastElementChild);
    }
  }
  function updateCounts() {
    document.querySelectorAll("[data-count]").forEach(function (el) {
      var n = document.getElementById("col-" + el.dataset.count).children.length;
      el.textContent = n;
      if (el.dataset.count === "PENDING") pendingCount = n;
    });
    lateCount = document.querySelectorAll("#col-PENDING .card.overdue").length;
    showTitle();
  }
  function applyCard(data, live) {
    var existing = document.getElementById("order-" + data.id);
    if (existing && Number(existing.dataset.version) > Number(data.version)) return; // older news
    var holder = document.createElement("div");
    holder.innerHTML = data.html;
    var el = holder.firstElementChild;
    var column = data.column || columnOf(data.status);
    var arrived = live && data.status === "PENDING" && (!existing || existing.classList.contains("fresh"));
    var hadFocus = existing && existing.contains(document.activeElement);
    if (existing) {
      // keep what the person is typing in an open payment form
      if (hadFocus && existing !== document.activeElement && existing.dataset.status === data.status) return;
      existing.parentNode.removeChild(existing);
    }
    place(el, column);
    tickAges(el);
    if (arrived) {
      markFresh(el);
      if (!existing) {
        var list = document.getElementById("col-" + column);
        if (list.scrollTop > 0) list.scrollTo({ top: 0, behavior: "smooth" }); // the newest is on top
        announce(data.summary || T("New order"));
        beep();
      }
    }
    if (hadFocus) el.focus();
    updateCounts();
  }
  // a new order stays marked until someone has seen it: pointed at, tapped or focused (not on a timer)
  function markFresh(el) {
    el.classList.add("fresh");
    if (!el.querySelector(".new-flag")) {
      var flag = document.createElement("span");
      flag.className = "new-flag";
      flag.textContent = T("New");
      el.querySelector(".card-head").insertBefore(flag, el.querySelector(".card-head .age"));
    }
    function seen() {
      if (document.visibilityState !== "visible") return;
      el.classList.remove("fresh");
      var f = el.querySelector(".new-flag");
      if (f) f.remove();
      ["pointerenter", "focusin", "pointerdown"].forEach(function (t) { el.removeEventListener(t, seen); });
    }
    ["pointerenter", "focusin", "pointerdown"].forEach(function (t) { el.addEventListener(t, seen); });
  }
  function announce(text) {
    var el = document.getElementById("announcer");
    el.textContent = "";
    setTimeout(function () { el.textContent = text; }, 50);
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
      setLive("live", T("Live"));
    };
    source.addEventListener("order", function (e) {
      stats.events += 1;
      if (/^[0-9]+$/.test(e.lastEventId || "")) {
        lastEventId = later(e.lastEventId, lastEventId);
        stats.lastEventId = lastEventId;
      }
      applyCard(JSON.parse(e.data), true);
    });
    source.addEventListener("waiter_call", function (e) {
      stats.events += 1;
      if (e.lastEventId) lastEventId = Math.max(lastEventId, Number(e.lastEventId));
      applyCall(JSON.parse(e.data), true);
    });
    source.addEventListener("reset", function () { location.reload(); });
    // the server is stopping: the stream ends and the browser reconnects (to another instance) by itself
    source.addEventListener("reconnect", function () { setLive("reconnecting", T("Reconnecting")); });
    source.addEventListener("signout", function () {
      source.close();
      location.href = "/board/login";
    });
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) {
        // the server refused: signed out (the board redirects to sign-in), or restarting (try again)
        setLive("offline", T("Offline, retrying"));
        fetch("/board?venue=" + encodeURIComponent(venue), { redirect: "manual", credentials: "same-origin" })
          .then(function (response) {
            if (response.type === "opaqueredirect") location.href = "/board/login";
            else retryTimer = setTimeout(connect, 3000);
          })
          .catch(function () { retryTimer = setTimeout(connect, 3000); });
      } else {
        setLive("reconnecting", T("Reconnecting"));
      }
    };
  }

  /* ------------------------------------------------------------------ waiter calls (board/waiter_calls.py) */
  // A call waits in the panel above the columns until someone acknowledges it; while any waits, the
  // board rings every RING_MS (a guest is waiting at a table).
  var RING_MS = 8000;
  var ringTimer = null;
  function callsWaiting() { return document.querySelectorAll("#call-list .call").length; }
  function ringWhileWaiting() {
    if (!callsWaiting() || ringTimer) return;
    ringTimer = setInterval(function () {
      if (callsWaiting()) { beep(); return; }
      clearInterval(ringTimer);
      ringTimer = null;
    }, RING_MS);
  }
  function applyCall(data, live) {
    var list = document.getElementById("call-list");
    if (!list) return;
    var old = list.querySelector('[data-call="' + data.call.id + '"]');
    if (!data.html) {
      if (old) old.remove();
    } else if (!old) {
      var holder = document.createElement("ul");
      holder.innerHTML = data.html;
      list.appendChild(holder.firstElementChild);
      if (live) { beep(); announce(data.announce); }
    }
    document.getElementById("calls").hidden = !callsWaiting();
    ringWhileWaiting();
  }

  /* ------------------------------------------------------------------ sound (WebAudio, no file) */
  // On unless this browser was switched off; a browser that allows audio only after a gesture gets it at
  // the first tap or key on the page, and the switch says so meanwhile.
  function ensureAudio() {
    if (!audio) {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (Context) audio = new Context();
    }
    if (audio && audio.state === "suspended") audio.resume().then(showSound, showSound);
    stats.audio = audio ? audio.state : "none";
  }
  function tone() {
    if (!audio) return;
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
  function beep() {
    if (!soundOn) return;
    stats.beeps += 1;
    ensureAudio();
    tone();
  }
  function showSound() {
    var button = document.getElementById("sound-toggle");
    var note = document.getElementById("sound-note");
    var blocked = soundOn && audio && audio.state !== "running";
    stats.audio = audio ? audio.state : "none";
    button.setAttribute("aria-checked", soundOn ? "true" : "false");
    document.getElementById("sound-state").textContent = soundOn ? T("On") : T("Off");
    note.hidden = !blocked;
    note.textContent = blocked ? T("Tap anywhere to allow sound") : "";
  }
  function setSound(on) {
    soundOn = on;
    try { localStorage.setItem("board-sound", on ? "on" : "off"); } catch (e) { /* private mode */ }
    if (on) ensureAudio();
    showSound();
  }
  document.getElementById("sound-toggle").addEventListener("click", function () { setSound(!soundOn); });
  document.getElementById("sound-test").addEventListener("click", function () {
    stats.beeps += 1;
    ensureAudio();
    tone();
    showSound();
  });
  try { soundOn = localStorage.getItem("board-sound") !== "off"; } catch (e) { /* private mode */ }
  if (soundOn) ensureAudio();
  showSound();
  ["pointerdown", "keydown"].forEach(function (type) {
    document.addEventListener(type, function () { if (soundOn) ensureAudio(); }, { capture: true });
  });

  /* ------------------------------------------------------------------ messages */
  var flashTimer = null;
  // in the page's flow under the top bar (never over a card's buttons); a polite live region
  function flash(text, bad) {
    var el = document.getElementById("flash");
    el.textContent = text;
    el.classList.toggle("bad", Boolean(bad));
    clearTimeout(flashTimer);
    flashTimer = setTimeout(function () { el.textContent = ""; }, bad ? 8000 : 3000);
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
          return { ok: false, message: T("The server answered {status}", { status: response.status }) };
        });
      })
      .then(function (answer) {
        if (!answer.ok) {
          flash(answer.message || T("Not done"), true);
          return;
        }
        flash(answer.message || T("Done"));
        if (answer.card) applyCard(answer.card, false);
        if (answer.waiter_call) applyCall(answer.waiter_call, false);
        if (answer.stop_list !== undefined) {
          document.getElementById("stoplist").innerHTML = answer.stop_list;
          document.getElementById("stop-count").textContent = answer.stop_count;
        }
      })
      .catch(function () { flash(T("No connection to the server"), true); })
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
    yes.textContent = T("Yes, ignore");
    var no = document.createElement("button");
    no.type = "button";
    no.textContent = T("Keep");
    text.className = "confirm-text";
    text.id = "confirm-" + form.closest(".card").dataset.id;
    bar.setAttribute("aria-labelledby", text.id);
    var buttons = document.createElement("div");
    buttons.className = "confirm-buttons";
    buttons.append(yes, no);
    bar.append(text, buttons);
    button.hidden = true;
    form.classList.add("confirming");
    form.append(bar);
    function done() {
      bar.remove();
      button.hidden = false;
      form.classList.remove("confirming");
    }
    no.addEventListener("click", function () { done(); button.focus(); });
    yes.addEventListener("click", function () {
      form.querySelector('input[name="confirm"]').value = "yes";
      done();
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
  document.getElementById("language").addEventListener("change", function (e) {
    e.target.form.submit(); // kept with the staff user; the page comes back in that language
  });
  var panel = document.getElementById("stoplist");
  var panelToggle = document.getElementById("stoplist-toggle");
  function showPanel(open) {
    panel.hidden = !open;
    panelToggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      var first = panel.querySelector("select, input:not([type=hidden]), button");
      if (first) first.focus();
    }
  }
  panelToggle.addEventListener("click", function () { showPanel(panel.hidden); });
  panel.addEventListener("click", function (e) {
    if (e.target.closest("[data-close-panel]")) { showPanel(false); panelToggle.focus(); }
  });
  // keys: Escape closes the stop list; on a focused card, A accepts and I ignores (asking first)
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && !panel.hidden) { showPanel(false); panelToggle.focus(); return; }
    var card = e.target.classList && e.target.classList.contains("card") ? e.target : null;
    if (!card || e.ctrlKey || e.metaKey || e.altKey) return;
    var kind = { a: "accept", i: "ignore" }[e.key.toLowerCase()];
    var form = kind && card.querySelector('form[data-action="' + kind + '"]');
    if (!form) return;
    e.preventDefault();
    form.requestSubmit();
  });

  var alertSelect = document.getElementById("alert-after");
  try { alertMinutes = Number(localStorage.getItem("board-alert-minutes")) || alertMinutes; } catch (e) { /* */ }
  if (!alertSelect.querySelector('option[value="' + alertMinutes + '"]')) alertMinutes = 10;
  alertSelect.value = String(alertMinutes);
  alertSelect.addEventListener("change", function () {
    alertMinutes = Number(alertSelect.value);
    try { localStorage.setItem("board-alert-minutes", String(alertMinutes)); } catch (e) { /* */ }
    tickAges();
  });
  tickAges();
  updateCounts();
  ringWhileWaiting();
  setInterval(tickAges, 15000);
  connect();
})();
