// The display page: draws the board's snapshot, then every snapshot the /events stream pushes.
// Every value is set with textContent, never as HTML. While the stream is down, what was shown
// stays and a banner says so; EventSource reconnects by itself.
"use strict";

(function () {
  const config = JSON.parse(document.getElementById("config").textContent);
  const words = config.words;
  const locale = config.english ? "en-GB" : "zh-CN";
  let state = JSON.parse(document.getElementById("initial-state").textContent);
  let streamUp = true;
  let lastCallId = null;

  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  };
  const pick = (zh, en) => (config.english && en ? en : zh);

  function windowName(view) {
    return pick(view.name, view.name_en);
  }

  function callWindowName(call) {
    return pick(call.window_name, call.window_name_en);
  }

  // "3号窗口" / "Window 3": what a citizen looks for on the signs above the counters.
  function windowNo(number) {
    return words.window_no.replace("{n}", String(number));
  }

  function statusText(view) {
    if (view.status === "closed") return words.closed;
    if (view.status === "paused") return words.paused;
    if (view.ticket) return view.ticket.status === "serving" ? words.serving : words.called;
    return words.idle;
  }

  function pauseDetail(view) {
    const pause = view.pause;
    if (!pause) return "";
    const parts = [];
    if (pause.reason_name && !config.english) parts.push(pause.reason_name);
    else if (pause.reason) parts.push(words["reason_" + pause.reason] || pause.reason);
    if (pause.note) parts.push(pause.note);
    if (pause.until) {
      // The planned end as a time of day: right whatever this screen's clock says.
      const until = new Date(pause.until);
      const time = until.toLocaleTimeString(locale, { timeZone: state.time_zone, hour: "2-digit", minute: "2-digit", hour12: false });
      parts.push(words.back_at.replace("{time}", time));
    }
    return parts.join(" · ");
  }

  function renderBanner() {
    const banner = $("link-banner");
    let message = "";
    if (!streamUp) message = words.page_lost;
    else if (state.link !== "live") {
      // "outdated": the server speaks a newer protocol than this display; say which, never guess.
      message = (words[state.link] || state.link)
        .replace("{seen}", String(state.unknown_protocol))
        .replace("{known}", String(state.protocol));
    }
    banner.textContent = message;
    banner.hidden = !message;
    document.body.classList.toggle("stale", Boolean(message));
  }

  // For the hall's staff, not the citizens: small, at the bottom edge, while the display keeps working.
  function renderMaintenanceHint() {
    const hint = $("maintenance-hint");
    const seen = state.update_available;
    hint.textContent = seen
      ? words.update_available.replace("{seen}", seen).replace("{known}", state.protocol + "." + state.revision)
      : "";
    hint.hidden = !seen;
  }

  function renderHall() {
    $("centre-name").textContent = pick(state.centre_name, state.centre_name_en) || state.centre;
    // The large call stands while its window still holds that ticket (the board clears it after a
    // pause, a close or the end of the service); the list below keeps every recent call.
    const newest = state.current;
    const current = $("current-call");
    if (newest) {
      $("current-number").textContent = newest.number;
      $("current-window").textContent = windowNo(newest.window);
      $("current-window-name").textContent = callWindowName(newest);
      $("current-recall").hidden = !newest.recall;
      $("current-green").hidden = !newest.green_channel;
      $("current-booked").hidden = !newest.booked;
      $("current-please").hidden = false;
      $("current-do").hidden = !words.to_window;
      if (lastCallId !== null && newest.call_id !== lastCallId) {
        current.classList.remove("flash");
        void current.offsetWidth; // restart the animation
        current.classList.add("flash");
      }
      lastCallId = newest.call_id;
      current.dataset.callId = newest.call_id;
    } else {
      $("current-number").textContent = "—";
      $("current-window").textContent = state.calls.length ? words.wait_for_call : words.no_calls;
      delete current.dataset.callId;
      $("current-window-name").textContent = "";
      $("current-please").hidden = true;
      $("current-do").hidden = true;
      $("current-recall").hidden = true;
      $("current-green").hidden = true;
      $("current-booked").hidden = true;
    }

    const recent = $("recent-calls");
    recent.replaceChildren(
      ...state.calls.filter((call) => !newest || call.call_id !== newest.call_id).map((call) => {
        const row = el("li", "call-row" + (call.green_channel ? " green" : ""));
        row.dataset.callId = call.call_id;
        row.append(el("span", "call-number", call.number), el("span", "call-arrow", "→"),
          el("span", "call-window", windowNo(call.window)));
        if (call.recall) row.append(el("span", "tag recall", words.recall));
        if (call.booked) row.append(el("span", "tag booked", words.booked));
        return row;
      })
    );

    const tiles = $("window-tiles");
    tiles.replaceChildren(
      ...state.windows.map((view) => {
        const tile = el("div", "window-tile status-" + view.status + (view.green_channel ? " green-window" : ""));
        tile.dataset.window = String(view.number);
        tile.append(el("div", "tile-no", windowNo(view.number)), el("div", "tile-name", windowName(view)));
        const ticket = view.status === "open" && view.ticket ? view.ticket.number : "";
        tile.append(el("div", "tile-ticket", ticket || statusText(view)));
        const detail = view.status === "paused" ? pauseDetail(view) : ticket ? statusText(view) : "";
        tile.append(el("div", "tile-detail", detail));
        return tile;
      })
    );

    fitTiles();
    fitRecent();

    const groups = $("waiting-groups");
    groups.replaceChildren(
      ...state.waiting.map((group) => {
        const tile = el("div", "group");
        tile.dataset.prefix = group.prefix;
        tile.append(el("span", "group-prefix", group.prefix), el("span", "group-name", pick(group.name, group.name_en)),
          el("span", "group-count", String(group.waiting) + (words.people ? " " + words.people : "")));
        const told = group.wait_range_minutes;
        if (told) {  // one figure when both ends meet
          const shown = told[0] === told[1] ? words.wait_one.replace("{n}", String(told[0]))
            : words.wait_range.replace("{low}", String(told[0])).replace("{high}", String(told[1]));
          tile.append(el("span", "group-wait", shown));
        }
        return tile;
      })
    );
  }

  // Size the window tiles so that every window fits the space, however many the hall has:
  // try each column count and keep the one giving the largest tile of a pleasant shape.
  function fitTiles() {
    const container = $("window-tiles");
    const count = container ? container.children.length : 0;
    if (!count) return;
    const style = getComputedStyle(container);
    const gap = parseFloat(style.rowGap) || 0;
    const width = container.clientWidth;
    const height = container.clientHeight;
    let best = { cols: 1, rows: count, size: 0, rowHeight: 0 };
    for (let cols = 1; cols <= count; cols++) {
      const rows = Math.ceil(count / cols);
      const w = (width - gap * (cols - 1)) / cols;
      const h = (height - gap * (rows - 1)) / rows;
      const size = Math.min(h, w / 1.5);
      if (size > best.size) best = { cols, rows, size, rowHeight: Math.min(h, size * 1.25) };
    }
    container.style.gridTemplateColumns = "repeat(" + best.cols + ", minmax(0, 1fr))";
    container.style.gridAutoRows = Math.floor(best.rowHeight) + "px";
    container.style.setProperty("--tile", Math.floor(best.size) + "px");
  }

  // Show only the recent calls that fit whole: a half-cut row reads as a mistake from afar.
  function fitRecent() {
    const list = $("recent-calls");
    if (!list) return;
    const section = list.parentElement;
    const bottom = section.getBoundingClientRect().bottom - (parseFloat(getComputedStyle(section).paddingBottom) || 0);
    for (const row of list.children) row.hidden = false;
    for (const row of list.children) row.hidden = row.getBoundingClientRect().bottom > bottom + 1;
  }

  // Who serves here (工作证), as far as the centre shows it; the server sends nothing when closed.
  function renderStaff(shown) {
    $("window-staff").hidden = !shown;
    $("staff-name").textContent = shown && shown.name ? shown.name : "";
    $("staff-number").textContent = shown ? words.staff_number.replace("{number}", shown.number) : "";
    // The photo comes through this display client, which fetched it from the server and checked it.
    const photo = $("staff-photo");
    const path = config.photos && shown && shown.photo ? shown.photo : "";
    if (photo.getAttribute("src") !== path) { if (path) photo.src = path; else photo.removeAttribute("src"); }
    photo.hidden = !path;
    photo.alt = path ? words.staff_photo.replace("{name}", shown.name || shown.number) : "";
  }

  // The rating QR of the service the window finished last: for that service alone, until the next call.
  function renderRating(view) {
    const rating = config.rating_qr && view && view.status === "open" && !view.ticket ? view.rating : null;
    $("window-rating").hidden = !rating;
    $("rating-text").textContent = rating ? words.rate_scan.replace("{number}", rating.number) : "";
    const qr = $("rating-qr");
    const src = rating ? "/rating.svg?code=" + encodeURIComponent(rating.code) : "";
    if (qr.getAttribute("src") !== src) { if (src) qr.src = src; else qr.removeAttribute("src"); }
    qr.alt = rating ? words.rate_qr.replace("{number}", rating.number) : "";
  }

  function renderWindow() {
    const view = state.windows.find((w) => w.number === state.window);
    $("window-number").textContent = String(state.window);
    $("centre-name").textContent = pick(state.centre_name, state.centre_name_en) || state.centre;
    const body = $("window-body");
    if (!view) {
      body.className = "window-body state-unknown";
      $("window-name").textContent = "";
      $("window-status").textContent = words.window_unknown;
      $("window-ticket").textContent = "";
      $("window-booked").hidden = true;
      $("window-detail").textContent = "";
      renderStaff(null);
      renderRating(null);
      return;
    }
    $("window-name").textContent = windowName(view);
    body.className = "window-body status-" + view.status + (view.ticket && view.ticket.green_channel ? " green" : "");
    $("window-status").textContent = statusText(view);
    $("window-ticket").textContent = view.status === "open" && view.ticket ? view.ticket.number : "";
    $("window-booked").hidden = !(view.status === "open" && view.ticket && view.ticket.booked);
    $("window-detail").textContent = view.status === "paused" ? pauseDetail(view) : "";
    renderStaff(view.shown_staff);
    renderRating(view);
    const led = $("led");
    if (led) led.src = "/led.png?t=" + Date.now();
  }

  function render() {
    renderBanner();
    renderMaintenanceHint();
    if (state.mode === "hall") renderHall();
    else renderWindow();
    document.body.dataset.rendered = String(Date.now());
  }

  function tick() {
    const now = new Date();
    // The hall's time, not this screen's: a board's machine may run on UTC or another zone.
    const zone = state.time_zone;
    $("date").textContent = now.toLocaleDateString(locale, { timeZone: zone, year: "numeric", month: "long", day: "numeric", weekday: "long" });
    $("time").textContent = now.toLocaleTimeString(locale, { timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  }

  function connect() {
    const source = new EventSource("/events");
    source.addEventListener("state", (event) => {
      state = JSON.parse(event.data);
      streamUp = true;
      render();
    });
    source.addEventListener("open", () => {
      streamUp = true;
      renderBanner();
    });
    source.addEventListener("error", () => {
      streamUp = false;
      renderBanner();
    });
  }

  window.addEventListener("resize", () => {
    fitTiles();
    fitRecent();
  });
  render();
  tick();
  setInterval(tick, 1000);
  connect();
})();
