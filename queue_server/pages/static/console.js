// The counter console: one window's current ticket, its actions, its queue, live.
// Everything goes through the JSON API with the session; the page reads again on every change of
// the centre (OW.live), so a keypad or another PC acting at the same window shows here at once.
// Timers use the server's time from the last queue answer plus the time elapsed here since.
"use strict";

(() => {
  const { t, el, api, action, showProblem, clearProblems } = OW;
  const centre = OW.data.centre;
  const C = centre.code;
  const role = OW.data.role;
  const me = OW.data.staff_code;
  const manager = role === "manager" || role === "admin";
  const $ = (id) => document.getElementById(id);
  // Each outcome's first paper (the "I" key opens it), and the outcomes whose paper the window's
  // printer prints at the finish: the server's (domain.papers), given with the page.
  const FIRST_PAPER = OW.data.first_papers;
  const PRINTED_OUTCOMES = OW.data.printed_at_window;
  const NOTICE_OUTCOMES = OW.data.notice_outcomes;
  const OUTCOMES = ["on_the_spot", "promised", "joint", "reported", "commitment", "deferred", "returned", "supplement"];
  const terms = OW.finishTerms;
  const PAUSE_REASONS = ["break", "meeting", "system_fault", "training", "other"];
  const matters = new Map(centre.matters.map((m) => [m.code, m]));
  const windowsConfig = new Map(centre.windows.map((w) => [w.number, w]));

  const state = {
    windows: [], queue: null, ticket: null, number: null, clock: null, seq: 0,
    last: JSON.parse(sessionStorage.getItem("ow-console-last") || "null"), lastView: null,
    noShows: JSON.parse(sessionStorage.getItem("ow-console-no-shows") || "[]"), noShowViews: [],
  };

  // --- Time: the server's clock, advanced by this browser's monotonic clock ---------------------
  function serverNow() {
    if (!state.clock) return null;
    return state.clock.server + (performance.now() - state.clock.local);
  }

  // --- What this window serves (the routing rule's first part, docs/routing.md) ----------------
  function servedMatters(number) {
    const config = windowsConfig.get(number);
    if (!config) return new Set();
    return new Set(centre.matters.filter((m) => m.window_kinds.some((k) => config.kinds.includes(k))).map((m) => m.code));
  }
  function canServe(ticket, number) {
    if (ticket.target_window !== null && ticket.target_window !== undefined) return ticket.target_window === number;
    return servedMatters(number).has(ticket.matter);
  }
  const SHOWN_WAITING = 8; // the next tickets listed for the clerk, in calling order
  function forMe() {
    if (!state.queue || state.number === null) return [];
    return state.queue.waiting.filter((ticket) => canServe(ticket, state.number));
  }
  function currentWindow() {
    return state.windows.find((w) => w.number === state.number) || null;
  }

  // --- Messages: what happened, and plain refusals ---------------------------------------------
  function say(text) {
    $("message").textContent = text;
    $("problem").hidden = true;
  }
  function matterName(ticket) {
    return (OW.data.lang === "en" && ticket.matter_name_en) || ticket.matter_name;
  }
  // A refusal in the page's language after a lead saying what sort of no it is: the server's own
  // words (OW.refusalWords), naming the window, the matter and the ticket as the clerk knows them.
  function refusal(result) {
    const body = result.body || {};
    const lead = result.status === 403 ? t("forbidden")
      : result.status === 422 ? t("invalid")
        : result.status >= 500 ? t("server_error")
          : result.status === 0 ? t("offline") : t("refused");
    const en = OW.data.lang === "en";
    const said = en ? body.message_en : body.message;
    const sep = en ? ": " : "：";
    if (result.status === 422) {  // the fields are marked; an English page lists them too
      const details = (body.errors || []).map((e) => e.field.replace(/^body\./, "") + ": " + e.message);
      return en && details.length ? lead + sep + details.join("; ") : lead;
    }
    if (said) return lead + sep + said;
    const detail = en ? (body.detail || body.title || "") : "";
    return detail ? lead + sep + detail : lead;
  }
  // A refusal shown in its dialog: on the field it is about when the form has it (the days of a
  // promised case whose matter sets no time limit, the window a transfer names ...), else at the
  // top of the form; the server's 422 field errors on their fields.
  const CODE_FIELDS = {
    promised_days_missing: "promised_days", outcome_reason_missing: "reasons",
    outcome_materials_missing: "missing_materials", transfer_target_missing: "to_matter",
    transfer_no_window_open: "to_matter", transfer_window_closed: "to_window", transfer_same_window: "to_window",
    window_not_for_matter: "to_window",
    pause_minutes: "minutes", call_reason_missing: "reason", ...terms.codeFields,
  };
  function refuseIn(form, result) {
    const body = result.body || {};
    const field = CODE_FIELDS[body.code];
    const there = field && form.querySelector(`[name="${field}"], [data-field="${field}"]`);
    if (there && !there.closest("[hidden]")) showProblem(form, { errors: [{ field, message: refusal(result) }] });
    else showProblem(form, { ...body, said: refusal(result) });
  }
  function complain(result) {
    $("message").textContent = "";
    const box = $("problem");
    box.textContent = refusal(result);
    box.hidden = false;
  }

  // --- Reading ----------------------------------------------------------------------------------
  let reading = null;
  let again = false;
  async function refresh() {
    if (reading) { again = true; return reading; }
    reading = (async () => {
      do {
        again = false;
        await read();
      } while (again);
    })();
    try { await reading; } finally { reading = null; }
  }

  async function read() {
    const seq = state.seq;
    const [windows, queue] = await Promise.all([
      api("GET", `/centres/${C}/windows`), api("GET", `/centres/${C}/queue`),
    ]);
    if (!windows.ok || !queue.ok) {
      if ($("desk").hidden) {
        $("sign-on").hidden = false;
        $("sign-on-problem").textContent = refusal(windows.ok ? queue : windows);
        $("sign-on-problem").hidden = false;
      } else complain(windows.ok ? queue : windows);
      return;
    }
    if (seq !== state.seq) { again = true; return; }
    state.windows = windows.body.windows;
    state.queue = queue.body;
    state.clock = { server: Date.parse(queue.body.at), local: performance.now() };
    state.number = chosenWindow();
    OW.windowNumber = state.number;  // the result desk's hand-overs print at this window (console_result.js)
    const held = currentWindow() && currentWindow().ticket;
    const reads = [];
    if (held) reads.push(api("GET", `/centres/${C}/tickets/${held.serial}`).then((r) => { state.ticket = r.ok ? r.body : null; }));
    else state.ticket = null;
    const recent = state.noShows.filter((n) => n.window === state.number);
    reads.push(Promise.all(recent.map((n) => api("GET", `/centres/${C}/tickets/${n.serial}`))).then((answers) => {
      state.noShowViews = answers.filter((r) => r.ok && r.body.status === "no_show").map((r) => r.body);
    }));
    if (state.last) reads.push(api("GET", `/centres/${C}/tickets/${state.last.serial}`).then((r) => { state.lastView = r.ok ? r.body : null; }));
    // The list is the order this window's calls will come in (the server plays the routing rule forward).
    if (state.number !== null) {
      reads.push(api("GET", `/centres/${C}/windows/${state.number}/call-order?limit=${SHOWN_WAITING}`)
        .then((r) => { state.callOrder = r.ok ? r.body : null; }));
    } else state.callOrder = null;
    await Promise.all(reads);
    if (seq !== state.seq) { again = true; return; }
    draw();
  }

  function asked() {
    const raw = new URLSearchParams(location.search).get("window");
    const number = raw && /^[0-9]{1,4}$/.test(raw) ? Number(raw) : null;
    return number !== null && windowsConfig.has(number) ? number : null;
  }
  function chosenWindow() {
    const wanted = asked();
    if (wanted !== null) return wanted;
    const mine = me ? state.windows.find((w) => w.staff === me || w.cover === me) : null;
    return mine ? mine.number : null;
  }
  function goToWindow(number) {
    const url = new URL(location.href);
    if (number === null) url.searchParams.delete("window");
    else url.searchParams.set("window", String(number));
    history.replaceState(null, "", url);
    refresh();
  }

  // --- Drawing ----------------------------------------------------------------------------------
  function draw() {
    const signedOn = state.number !== null;
    $("sign-on").hidden = signedOn;
    $("desk").hidden = !signedOn;
    if (!signedOn) { drawSignOn(); return; }
    drawWindow();
    drawTicket();
    drawWaiting();
    drawLast();
    drawNoShows();
    tick();
  }

  // No-shows marked here: put back in the queue when the citizen comes back (B), or cancelled.
  let noShowsDrawn = "";
  function drawNoShows() {
    const views = state.noShowViews;
    $("no-shows").hidden = !views.length;
    const drawn = views.map((view) => view.serial).join(",");
    if (drawn === noShowsDrawn) return; // a live update keeps a focused button where it is
    noShowsDrawn = drawn;
    $("no-show-list").replaceChildren(...views.map((view) => {
      const requeue = el("button", { type: "button", class: "small", text: t("requeue") });
      const cancel = el("button", { type: "button", class: "small", text: t("cancel_ticket") });
      action(requeue, (id) => ticketPost(id, view, "requeue", {}, "done_requeued"));
      action(cancel, (id) => ticketPost(id, view, "cancel", { reason: "staff" }, "done_cancelled"));
      return el("li", { dataset: { serial: view.serial } }, el("strong", { text: view.number }), " ",
        el("span", { class: "muted", text: view.matter_name }), " ", requeue, " ", cancel);
    }));
  }
  async function ticketPost(id, view, segment, body, done) {
    const result = await api("POST", `/centres/${C}/tickets/${view.serial}/${segment}`, { request_id: id, ...body });
    if (!result.ok) complain(result);
    else {
      say(t(done, { number: view.number }));
      forgetNoShow(view.serial);
    }
    await refresh();
  }
  function rememberNoShow(ticket) {
    state.noShows = [{ serial: ticket.serial, number: ticket.number, window: state.number },
      ...state.noShows.filter((n) => n.serial !== ticket.serial)].slice(0, 5);
    sessionStorage.setItem("ow-console-no-shows", JSON.stringify(state.noShows));
  }
  function forgetNoShow(serial) {
    state.noShows = state.noShows.filter((n) => n.serial !== serial);
    sessionStorage.setItem("ow-console-no-shows", JSON.stringify(state.noShows));
  }
  const requeueLatest = action(null, async (id) => {
    const view = state.noShowViews[0];
    if (view) await ticketPost(id, view, "requeue", {}, "done_requeued");
  });

  function staffName(code) {
    const person = centre.staff.find((s) => s.code === code);
    return person ? `${person.name}（${code}）` : code;
  }

  // Drawn again only when a window's staffing changed, keeping what was chosen and focused, so a
  // live update never takes the staff member a manager picked from under their hand.
  let signOnDrawn = "";
  function drawSignOn() {
    $("sign-on-help").textContent = manager ? t("sign_on_manager_help") : t("sign_on_help");
    const list = $("sign-on-windows");
    const drawn = JSON.stringify(state.windows.map((w) => [w.number, w.status, w.staff, w.cover]));
    if (drawn === signOnDrawn && list.childElementCount) return;
    signOnDrawn = drawn;
    const picked = new Map(Array.from(list.querySelectorAll("select"), (s) => [s.closest("li").dataset.window, s.value]));
    const focusedRow = document.activeElement && document.activeElement.closest ? document.activeElement.closest("li.sign-on-window") : null;
    const focusedTag = document.activeElement ? document.activeElement.tagName : "";
    const person = me ? centre.staff.find((s) => s.code === me) : null;
    const allowed = (number) => !person || !person.windows.length || person.windows.includes(number);
    const rows = [];
    for (const config of centre.windows) {
      if (!manager && !allowed(config.number)) continue;
      const live = state.windows.find((w) => w.number === config.number) || { status: "closed" };
      const posts = [live.staff && `${t("post_a")} ${staffName(live.staff)}`, live.cover && `${t("post_b")} ${staffName(live.cover)}`]
        .filter(Boolean).join(" · ");
      const row = el("li", { class: "sign-on-window", dataset: { window: config.number } },
        el("span", { class: "sign-on-number", text: t("window_n", { n: config.number }) }),
        el("span", { class: "sign-on-name", text: config.name }),
        el("span", { class: "state state-" + live.status, text: t("status_" + live.status) }),
        el("span", { class: "muted", text: posts }));
      if (manager && live.status !== "closed") {
        row.append(el("button", { type: "button", class: "primary", text: t("enter_window"), onclick: () => goToWindow(config.number) }));
      } else if (manager) {
        const choices = centre.staff.filter((s) => !s.windows.length || s.windows.includes(config.number));
        const select = el("select", { "aria-label": t("staff_member"), name: "staff" },
          choices.map((s) => el("option", { value: s.code, text: staffName(s.code) })));
        const button = el("button", { type: "button", class: "primary", text: t("sign_on") });
        action(button, (id) => signOn(id, config.number, select.value));
        row.append(select, button);
      } else if (live.staff && live.cover) {
        row.append(el("span", { class: "muted", text: t("window_full") }));
      } else {
        const button = el("button", { type: "button", class: "primary", text: live.staff ? t("sign_on_cover") : t("sign_on_a") });
        action(button, (id) => signOn(id, config.number, null));
        row.append(button);
      }
      rows.push(row);
    }
    list.replaceChildren(...(rows.length ? rows : [el("li", { class: "muted", text: t("no_windows") })]));
    for (const select of list.querySelectorAll("select")) {
      const before = picked.get(select.closest("li").dataset.window);
      if (before && Array.from(select.options).some((o) => o.value === before)) select.value = before;
    }
    const again = focusedRow ? list.querySelector(`li[data-window="${focusedRow.dataset.window}"] ${focusedTag.toLowerCase()}`) : null;
    const focused = document.activeElement;
    if (again) again.focus();
    else if (!focused || focused === document.body) {
      const first = list.querySelector("button");
      if (first) first.focus();
    }
  }

  async function signOn(id, number, staff) {
    const body = { request_id: id };
    if (staff) body.staff = staff;
    const result = await api("POST", `/centres/${C}/windows/${number}/sign-on`, body);
    const box = $("sign-on-problem");
    if (!result.ok) { box.textContent = refusal(result); box.hidden = false; return; }
    box.hidden = true;
    say(t("done_signed_on", { n: number }));
    if (manager) goToWindow(number); else await refresh();
  }

  function drawWindow() {
    const live = currentWindow();
    const config = windowsConfig.get(state.number);
    $("window-title").textContent = `${t("window_n", { n: state.number })} · ${config.name}`;
    const status = live ? live.status : "closed";
    const badge = $("window-status");
    badge.className = "state state-" + status;
    let text = t("status_" + status);
    if (status === "paused" && live.pause) {
      text = t("paused_for", { reason: t("reason_" + live.pause.reason) });
      if (live.pause.until) {
        const until = new Date(live.pause.until).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", timeZone: centre.time_zone });
        text += " · " + t("paused_until", { time: until });
      }
      if (live.pause.note) text += " · " + t(live.pause.note_public ? "note_shown" : "note_internal", { note: live.pause.note });
    }
    badge.textContent = text;
    $("window-posts").textContent = live
      ? [live.staff && `${t("post_a")} ${staffName(live.staff)}`, live.cover && `${t("post_b")} ${staffName(live.cover)}`].filter(Boolean).join(" · ")
      : "";
    const mine = Boolean(live && me && (live.staff === me || live.cover === me));
    const warning = $("not-yours");
    warning.hidden = mine || manager;
    warning.textContent = t("not_your_window", { n: state.number });
    const held = Boolean(live && live.ticket);
    const open = status === "open";
    setOn("next-button", open && !held);
    setOn("choose-button", open && !held);
    setOn("recall-button", held);
    setOn("start-button", held && live.ticket.status === "called");
    setOn("finish-button", held);
    setOn("no-show-button", held);
    setOn("transfer-button", held);
    $("pause-button").hidden = status === "paused";
    $("resume-button").hidden = status !== "paused";
    setOn("pause-button", open && !held);
    setOn("resume-button", status === "paused");
    setOn("close-button", status !== "closed" && !held);
    const signOff = $("sign-off-button");
    signOff.firstChild.textContent = (mine ? t("sign_off") : t("leave_window")) + " ";
    setOn("sign-off-button", true);
  }

  function setOn(id, on) {
    const button = $(id);
    if (on) button.removeAttribute("aria-disabled"); else button.setAttribute("aria-disabled", "true");
  }
  const isOn = (id) => !$(id).hidden && $(id).getAttribute("aria-disabled") !== "true";

  // A dialog that cannot fit the window's state says why instead of opening.
  function ready(id, needsTicket) {
    if (isOn(id)) return true;
    const live = currentWindow();
    let why;
    if (needsTicket) why = !live || live.status === "closed" ? t("off_closed") : t("off_empty");
    else if (!live || live.status === "closed") why = t("off_closed");
    else if (live.ticket) why = t("off_held", { number: live.ticket.number });
    else why = t("off_paused");
    $("message").textContent = "";
    $("problem").textContent = why;
    $("problem").hidden = false;
    return false;
  }

  function drawTicket() {
    const ticket = state.ticket;
    const card = $("current");
    card.classList.toggle("empty", !ticket);
    card.classList.toggle("is-green", Boolean(ticket && ticket.green_channel));
    if (!ticket) {
      $("ticket-number").textContent = "—";
      $("ticket-matter").textContent = t("nobody");
      $("ticket-state").textContent = "";
      $("ticket-state").hidden = true;
      $("ticket-green").hidden = true;
      $("ticket-category").hidden = true;
      $("ticket-calls").textContent = t("nobody_help");
      $("ticket-timer-label").textContent = "";
      $("ticket-timer").textContent = "";
      return;
    }
    $("ticket-number").textContent = ticket.number;
    const matter = matters.get(ticket.matter);
    $("ticket-matter").textContent = OW.data.lang === "en" && matter && matter.name_en ? matter.name_en : ticket.matter_name;
    $("ticket-state").hidden = false;
    $("ticket-state").textContent = ticket.status === "serving" ? t("serving") : t("called");
    $("ticket-state").className = "pill state-" + ticket.status;
    $("ticket-green").hidden = !ticket.green_channel;
    $("ticket-category").hidden = !ticket.category_name;
    $("ticket-category").textContent = ticket.category_name || "";
    $("ticket-calls").textContent = t("calls", { n: ticket.calls });
    $("ticket-timer-label").textContent = ticket.status === "serving" ? t("since_serving") : t("since_called");
  }

  function tick() {
    const ticket = state.ticket;
    const now = serverNow();
    if (!ticket || now === null) return;
    const from = ticket.status === "serving" && ticket.serving_at ? ticket.serving_at : ticket.called_at;
    if (from) $("ticket-timer").textContent = OW.minutes((now - Date.parse(from)) / 1000);
  }

  function waitedMinutes(ticket) {
    const now = serverNow();
    return now === null ? 0 : Math.max(0, Math.floor((now - Date.parse(ticket.issued_at)) / 60000));
  }

  function drawWaiting() {
    const mine = forMe();
    $("waiting-total").textContent = mine.length ? t("waiting_total", { n: mine.length }) : t("waiting_none");
    const green = mine.filter((ticket) => ticket.green_channel).length;
    $("waiting-green").textContent = green ? t("waiting_green", { n: green }) : "";
    $("waiting-longest").textContent = mine.length ? t("waiting_longest", { n: Math.max(...mine.map(waitedMinutes)) }) : "";
    const served = servedMatters(state.number);
    const prefixes = new Set(centre.matters.filter((m) => served.has(m.code)).map((m) => m.prefix));
    const groups = centre.ticket_groups.filter((g) => prefixes.has(g.prefix) || mine.some((ticket) => ticket.group === g.prefix));
    $("waiting-groups").replaceChildren(...groups.map((g) => el("li", { dataset: { prefix: g.prefix } },
      el("span", { text: `${g.prefix} ${OW.data.lang === "en" && g.name_en ? g.name_en : g.name}` }),
      el("strong", { class: "group-count", text: mine.filter((ticket) => ticket.group === g.prefix).length }))));
    const order = state.callOrder && state.callOrder.window === state.number ? state.callOrder : null;
    const upcoming = order ? order.upcoming : [];
    const shown = upcoming.map((ticket) => el("li", { class: ticket.green_channel ? "green" : "", dataset: { serial: ticket.serial, why: ticket.why } },
      el("strong", { text: ticket.number }), " ",
      el("span", { text: ticket.matter_name }), " ",
      el("span", { class: "muted", text: t("waited", { n: waitedMinutes(ticket) }) }),
      ticket.why !== "in_order" ? el("span", { class: "why", text: t("why_" + ticket.why) }) : null));
    const more = order ? order.waiting - upcoming.length : 0;
    if (more > 0) shown.push(el("li", { class: "muted more", text: t("waiting_more", { n: more }) }));
    $("waiting-list").replaceChildren(...shown);
    $("waiting-list").setAttribute("aria-label", t("waiting_order"));
  }

  function drawLast() {
    const view = state.lastView;
    $("last").hidden = !view;
    if (!view) return;
    const rating = view.rating_status === "requested" ? t("rating_requested", { number: view.number })
      : view.rating_status === "rated" ? t("rating_done", { number: view.number, rating: view.rating_name })
        : t("rating_none", { number: view.number });
    $("last-rating").textContent = rating;
    const kind = FIRST_PAPER[view.outcome];
    const link = $("notice-link");
    link.hidden = !kind;
    link.href = `/console/paper/${view.serial}/${kind}` + (OW.data.lang === "en" ? "?lang=en" : "");
    if (kind) link.firstChild.textContent = t("paper_title_" + kind) + " ";
  }

  // --- Simple window actions -------------------------------------------------------------------
  // An action's answer carries the window as it now is: shown at once, so the next key works
  // without waiting for the read that follows.
  async function windowPost(id, segment, body) {
    const result = await api("POST", `/centres/${C}/windows/${state.number}/${segment}`, { request_id: id, ...(body || {}) });
    if (result.ok) adopt(result.body);
    return result;
  }
  function adopt(answer) {
    const live = answer.window;
    if (!live || live.number !== state.number) return;
    state.seq += 1; // a read begun before this answer must not draw over it
    state.windows = state.windows.map((w) => (w.number === live.number ? live : w));
    const held = live.ticket;
    if (!held) state.ticket = null;
    else if (answer.ticket && answer.ticket.serial === held.serial) state.ticket = answer.ticket;
    else if (!state.ticket || state.ticket.serial !== held.serial) state.ticket = null;
    drawWindow();
    drawTicket();
    tick();
  }

  function simple(buttonId, segment, done, after) {
    const button = $(buttonId);
    // Sent even when the page thinks it will not fit: the server is the judge, and says why plainly.
    return action(button, async (id) => {
      const number = state.ticket ? state.ticket.number : "";
      const result = await windowPost(id, segment);
      if (!result.ok) complain(result);
      else {
        say(done(result.body, number));
        if (after) after(result.body);
      }
      // Not awaited: the action ends with its answer, so the next key is taken at once. A read
      // that live updates keep going would otherwise hold the action open, and a second "n"
      // would be taken for a double click of the first.
      refresh();
    });
  }

  const next = simple("next-button", "call-next", (body) => body.changed && body.ticket
    ? t("done_called", { number: body.ticket.number }) : t("done_none_waiting"));
  const recall = simple("recall-button", "recall", (_, number) => t("done_recalled", { number }));
  const start = simple("start-button", "start", (_, number) => t("done_started", { number }));
  const noShow = simple("no-show-button", "no-show", (_, number) => t("done_no_show", { number }),
    (body) => { if (body.ticket) rememberNoShow(body.ticket); });
  const resume = simple("resume-button", "resume", () => t("done_resumed"));

  // --- Dialogs ------------------------------------------------------------------------------------
  function openDialog(dialog) {
    const form = dialog.querySelector("form");
    clearProblems(form);
    dialog.showModal();
    const first = dialog.querySelector("input:checked, input, select, button[type=submit]");
    if (first) first.focus();
  }
  function anyDialogOpen() {
    return Boolean(document.querySelector("dialog[open]"));
  }
  for (const dialog of document.querySelectorAll("dialog")) {
    dialog.querySelector("button.cancel").addEventListener("click", () => dialog.close());
    dialog.addEventListener("keydown", (event) => {
      const target = event.target;
      if (event.key === "Enter" && !event.isComposing && target.tagName !== "BUTTON" && target.tagName !== "TEXTAREA") {
        event.preventDefault();
        dialog.querySelector("form").requestSubmit();
        return;
      }
      const typing = ["SELECT", "TEXTAREA"].includes(target.tagName) || (target.tagName === "INPUT" && !["radio", "checkbox"].includes(target.type));
      if (!typing && /^[1-9]$/.test(event.key) && !event.ctrlKey && !event.altKey && !event.metaKey) {
        const first = dialog.querySelector(".choices");
        const chosen = first ? first.querySelectorAll("input[type=radio]")[Number(event.key) - 1] : null;
        if (chosen && !chosen.closest("[hidden]")) {  // an outcome the matter does not allow is hidden
          event.preventDefault();
          chosen.checked = true;
          chosen.focus();
          chosen.dispatchEvent(new Event("change", { bubbles: true }));
        }
      }
    });
  }

  function choice(type, name, value, label, key) {
    const id = `${name}-${value}`.replace(/[^A-Za-z0-9_-]/g, "_") + "-" + Math.random().toString(36).slice(2, 7);
    return el("label", { class: "choice", for: id },
      el("input", { type, name, value, id }),
      key ? el("kbd", { class: "kbd", text: key }) : null,
      el("span", { text: label }));
  }

  // Finish 办结, with the case's outcome; returned and supplement cases tell the citizen once.
  const finishForm = $("finish-form");
  $("outcome-choices").replaceChildren(...OUTCOMES.map((o, i) => choice("radio", "outcome", o, t("outcome_" + o), String(i + 1))));
  finishForm.addEventListener("change", (event) => { if (event.target.name === "outcome") showOutcomeFields(); });

  function chosenValue(form, name) {
    const checked = form.querySelector(`input[name="${name}"]:checked`);
    return checked ? checked.value : null;
  }
  function checkedValues(form, name) {
    return Array.from(form.querySelectorAll(`input[name="${name}"]:checked`), (input) => input.value);
  }

  function showOutcomeFields() {
    const outcome = chosenValue(finishForm, "outcome");
    const notice = NOTICE_OUTCOMES.includes(outcome);
    $("promised-field").hidden = outcome !== "promised";
    $("reasons-field").hidden = !notice;
    $("materials-field").hidden = !notice;
    terms.show(outcome);
  }

  function openFinish() {
    if (!ready("finish-button", true)) return;
    const ticket = state.ticket;
    const matter = matters.get(ticket.matter);
    $("finish-heading").textContent = t("finish_heading", { number: ticket.number });
    finishForm.reset();
    finishForm.querySelector('input[value="on_the_spot"]').checked = true;
    $("promised-days").value = matter && matter.promised_days ? String(matter.promised_days) : "";
    $("reason-choices").replaceChildren(...centre.policy.rejection_reasons.map((r) => choice("checkbox", "reasons", r, r)));
    $("material-choices").replaceChildren(...(matter ? matter.materials : []).map((m) => choice("checkbox", "missing_materials", m, m)));
    terms.reset(finishForm, matter, windowsConfig.get(state.number), choice);
    finishForm.dataset.serial = String(ticket.serial);
    finishForm.dataset.number = ticket.number;
    showOutcomeFields();
    openDialog($("finish-dialog"));
  }

  const finish = action(null, async (id) => {
    const outcome = chosenValue(finishForm, "outcome");
    const notice = NOTICE_OUTCOMES.includes(outcome);
    const body = { outcome, note: $("finish-note").value.trim() };
    const errors = [];
    if (notice) {
      body.reasons = checkedValues(finishForm, "reasons");
      body.missing_materials = checkedValues(finishForm, "missing_materials");
      if (outcome === "returned" && !body.reasons.length) errors.push({ field: "reasons", message: t("need_reason") });
      if (outcome === "supplement" && !body.missing_materials.length) errors.push({ field: "missing_materials", message: t("need_material") });
    }
    if (outcome === "promised") {
      const raw = $("promised-days").value.trim();
      const matter = matters.get(state.ticket ? state.ticket.matter : "");
      // Without days the hall takes the matter's own time limit; a matter with none needs them.
      if (!raw && !(matter && matter.promised_days)) {
        errors.push({ field: "promised_days", message: t("need_promised_days", { matter: matterName(state.ticket) }) });
      }
      if (raw) {
        const days = Number(raw);
        if (!Number.isInteger(days) || days < 1 || days > 365) errors.push({ field: "promised_days", message: t("need_days") });
        else body.promised_days = days;
      }
    }
    if (!outcome) errors.push({ field: "outcome", message: t("invalid") });
    Object.assign(body, terms.collect(finishForm, outcome, errors));
    if (errors.length) { showProblem(finishForm, { errors }); return; }
    const serial = Number(finishForm.dataset.serial);
    const number = finishForm.dataset.number;
    const result = await windowPost(id, "finish", body);
    if (!result.ok) { refuseIn(finishForm, result); return; }
    $("finish-dialog").close();
    say(t("done_finished", { number, outcome: t("outcome_" + outcome) }));
    state.last = { serial, number };
    sessionStorage.setItem("ow-console-last", JSON.stringify(state.last));
    $("notice-print").textContent = "";
    if (PRINTED_OUTCOMES.includes(outcome)) await OW.noticePrint.follow(serial, t("paper_title_" + FIRST_PAPER[outcome]));
    if (outcome === "promised") document.dispatchEvent(new CustomEvent("ow:promised", { detail: { serial } }));
    await refresh();
  });
  finishForm.addEventListener("submit", (event) => { event.preventDefault(); finish(); });

  // Pause 暂停服务, with the reason and, if known, the minutes.
  const pauseForm = $("pause-form");
  $("pause-choices").replaceChildren(...PAUSE_REASONS.map((r, i) => choice("radio", "reason", r, t("reason_" + r), String(i + 1))));
  function openPause() {
    if (!ready("pause-button", false)) return;
    pauseForm.reset();
    openDialog($("pause-dialog"));
  }
  const pause = action(null, async (id) => {
    const reason = chosenValue(pauseForm, "reason");
    if (!reason) { showProblem(pauseForm, { errors: [{ field: "reason", message: t("need_pause_reason") }] }); return; }
    const body = { reason, note: $("pause-note").value.trim(), public: $("pause-public").checked };
    const minutes = $("pause-minutes").value.trim();
    if (minutes) body.minutes = Number(minutes);
    const result = await windowPost(id, "pause", body);
    if (!result.ok) { refuseIn(pauseForm, result); return; }
    $("pause-dialog").close();
    say(t("done_paused"));
    await refresh();
  });
  pauseForm.addEventListener("submit", (event) => { event.preventDefault(); pause(); });

  // Transfer 转移: to another matter's queue, or to a window.
  const transferForm = $("transfer-form");
  function openTransfer() {
    if (!ready("transfer-button", true)) return;
    const ticket = state.ticket;
    $("transfer-heading").textContent = t("transfer_heading", { number: ticket.number });
    transferForm.reset();
    $("to-matter").replaceChildren(
      el("option", { value: "", text: `${t("same_matter")} ${ticket.matter_name}` }),
      ...centre.matters.filter((m) => m.code !== ticket.matter).map((m) => el("option", { value: m.code, text: `${m.prefix} · ${m.name}` })));
    $("to-window").replaceChildren(
      el("option", { value: "", text: t("any_window") }),
      ...centre.windows.filter((w) => w.number !== state.number).map((w) => {
        const live = state.windows.find((x) => x.number === w.number);
        const mark = !live || live.status === "closed" ? t("window_closed_mark") : live.status === "paused" ? t("window_paused_mark") : "";
        return el("option", { value: String(w.number), text: `${t("window_n", { n: w.number })} · ${w.name}${mark}` });
      }));
    openDialog($("transfer-dialog"));
  }
  const transfer = action(null, async (id) => {
    const toMatter = $("to-matter").value;
    const toWindow = $("to-window").value;
    if (!toMatter && !toWindow) { showProblem(transferForm, { errors: [{ field: "to_matter", message: t("transfer_need") }] }); return; }
    const number = state.ticket ? state.ticket.number : "";
    const body = { note: $("transfer-note").value.trim() };
    if (toMatter) body.to_matter = toMatter;
    if (toWindow) body.to_window = Number(toWindow);
    const result = await windowPost(id, "transfer", body);
    if (!result.ok) { refuseIn(transferForm, result); return; }
    $("transfer-dialog").close();
    say(t("done_transferred", { number }));
    await refresh();
  });
  transferForm.addEventListener("submit", (event) => { event.preventDefault(); transfer(); });

  // Choose 选号: call a waiting ticket out of order, with the reason the log keeps.
  const chooseForm = $("choose-form");
  function openChoose() {
    if (!ready("choose-button", false)) return;
    chooseForm.reset();
    const mine = [...forMe(), ...state.noShowViews];
    const items = mine.map((ticket, i) => {
      const label = `${ticket.number} · ${ticket.matter_name} · `
        + (ticket.status === "no_show" ? t("no_show_mark") : t("waited", { n: waitedMinutes(ticket) }))
        + (ticket.green_channel ? ` · ${t("green")}` : "");
      return choice("radio", "serial", String(ticket.serial), label, i < 9 ? String(i + 1) : null);
    });
    $("ticket-choices").replaceChildren(...(items.length ? items : [el("p", { class: "muted", text: t("choose_none") })]));
    openDialog($("choose-dialog"));
  }
  const choose = action(null, async (id) => {
    const serial = chosenValue(chooseForm, "serial");
    const reason = $("choose-reason").value.trim();
    const errors = [];
    if (!serial) errors.push({ field: "serial", message: t("need_ticket") });
    if (!reason) errors.push({ field: "reason", message: t("need_choose_reason") });
    if (errors.length) { showProblem(chooseForm, { errors }); return; }
    const result = await windowPost(id, "call", { serial: Number(serial), reason });
    if (!result.ok) { refuseIn(chooseForm, result); return; }
    $("choose-dialog").close();
    say(t("done_called", { number: result.body.ticket ? result.body.ticket.number : "" }));
    await refresh();
  });
  chooseForm.addEventListener("submit", (event) => { event.preventDefault(); choose(); });

  // Close the window, sign off: asked once more, since they end the window's service.
  const confirmForm = $("confirm-form");
  let confirmed = null;
  function ask(heading, help, run) {
    $("confirm-heading").textContent = heading;
    $("confirm-help").textContent = help;
    confirmed = run;
    openDialog($("confirm-dialog"));
  }
  const confirmAction = action(null, async (id) => {
    const result = await confirmed(id);
    if (!result) return;
    if (!result.ok) { refuseIn(confirmForm, result); return; }
    $("confirm-dialog").close();
    await refresh();
  });
  confirmForm.addEventListener("submit", (event) => { event.preventDefault(); confirmAction(); });

  function openClose() {
    if (!ready("close-button", false)) return;
    ask(t("close_heading"), t("close_help"), async (id) => {
      const result = await windowPost(id, "close");
      if (result.ok) say(t("done_closed"));
      return result;
    });
  }
  function openSignOff() {
    const live = currentWindow();
    const mine = Boolean(live && me && (live.staff === me || live.cover === me));
    if (!mine) { goToWindow(null); return; }
    ask(t("sign_off_heading"), t("sign_off_help"), async (id) => {
      const result = await windowPost(id, "sign-off");
      if (result.ok) { say(t("done_signed_off")); goToWindow(null); }
      return result;
    });
  }
  function openNotice() {
    const link = $("notice-link");
    if (!link.hidden && !$("last").hidden) window.open(link.href, "_blank", "noopener");
  }

  $("finish-button").addEventListener("click", openFinish);
  $("pause-button").addEventListener("click", openPause);
  $("transfer-button").addEventListener("click", openTransfer);
  $("choose-button").addEventListener("click", openChoose);
  $("close-button").addEventListener("click", openClose);
  $("sign-off-button").addEventListener("click", openSignOff);

  // --- Keys: one letter per action, no modifier, never while typing or in a dialog ---------------
  const KEYS = {
    n: next, r: recall, s: start, x: noShow, f: openFinish, t: openTransfer, c: openChoose,
    p: () => (isOn("resume-button") ? resume() : openPause()), q: openClose, o: openSignOff, i: openNotice, b: requeueLatest,
    l: () => $("result-query").focus(), // the result desk's search box, ready for the scanner
  };
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey || event.repeat || event.isComposing) return;
    if (anyDialogOpen() || $("desk").hidden) return;
    const target = event.target;
    if (target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
    const run = KEYS[event.key.toLowerCase()];
    if (!run) return;
    event.preventDefault();
    run();
  });

  setInterval(tick, 1000);
  setInterval(() => { if (!$("desk").hidden) drawWaiting(); }, 30000);
  refresh();
  OW.live(`/live/centres/${C}`, refresh);
})();
