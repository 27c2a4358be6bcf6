// The kiosk: choose a matter (by domain or by search), answer the green-channel question, get the
// ticket on screen with its QR code, and learn whether it printed. Everything through the API with
// the kiosk's session; one request id per intended ticket; back to the start by itself. When no
// ticket can be had here for the matter, or the centre does not handle it at all, the other centres
// that do are shown, with their address and how many wait there (全城通办). For the elderly and the
// disabled: a large-text, high-contrast mode and spoken guidance (the server speaks the kiosk's own
// phrases in the hall board's voice), one tap away, kept while a citizen is here, reset when they go.
// Before any tap the kiosk knows, from the hall's own rule, whether each matter can be issued now:
// a closed hall says so with its next opening and hours, a matter that cannot be had is shown so
// with its reason, and the answer is read again when the hall changes and when time alone changes
// it (08:30, the lunch break, the stop-issuing time). A kiosk in the 24-hour self-service area shows
// the matters' guides while the hall is closed.
"use strict";

(() => {
  const centre = OW.data.centre;
  const base = "/centres/" + encodeURIComponent(centre);
  const $ = (id) => document.getElementById(id);
  const english = OW.data.lang === "en";
  const ARM_MS = 450;          // a screen's buttons wake after this: a double tap never lands on the next screen
  const IDLE_MS = 60000;       // a half-finished choice goes back to the start after a minute untouched
  const TICKET_SECONDS = 30;   // the ticket stays this long once it printed
  const SMS_SECONDS = 60;      // ... and this long after each key while a number is typed for SMS
  const PHOTO_SECONDS = 90;    // ... and this long when it must be photographed
  const REFUSED_SECONDS = 25;
  const ELSEWHERE_SECONDS = 60;  // long enough to read, or photograph, where else to go
  const PRINT_WATCH_MS = 12000;
  const CANNOT_PRINT = ["paper_out", "cover_open", "offline"];
  const ELSEWHERE_REASONS = ["no_window_open", "quota_used_up"];   // another centre may serve it today
  const elsewhereMatters = OW.data.elsewhere_matters || [];       // handled at other centres, not here
  const selfService = Boolean(OW.data.self_service);               // in the 24-hour self-service area
  const RECHECK_MIN_MS = 1000;
  const RECHECK_MAX_MS = 5 * 60000;   // read again at least this often, whatever the hall said

  let matters = [];
  let domains = [];
  let waitingByMatter = {};
  let windows = [];
  let issuing = null;       // the hall's answer: closed or not, and each matter's reason
  let recheck = null;
  let domainFilter = "";
  let chosen = null;
  let idNumber = null;      // a real-name matter's ID number, typed or read: sent with the ticket, then forgotten
  let screen = "start";
  let lastInput = performance.now();
  let countdown = null;
  let printWatch = null;
  let serverTime = null;   // {at: Date (the server's), read: performance.now() when read}
  const ASSIST_KEY = "ow-kiosk-assist";   // sessionStorage: survives the language switch's reload
  const NO_ASSIST = { large: false, voice: false };
  let assist = readAssist();
  const spoken = [];        // phrases waiting to be said, one after another

  const nameOf = (item) => (english && item.name_en ? item.name_en : item.name);

  // --- Screens --------------------------------------------------------------------------------------
  // A new screen takes the focus to its heading: a keyboard or a screen reader goes on from there
  // rather than from a button that has just been hidden.
  // The wait told: the range when the ticket has one (约 15-25 分钟; one figure when both ends meet),
  // else the single estimate.
  function waitWords(position) {
    if (!position || position.estimated_wait_minutes === null) return OW.t("wait_unknown");
    const told = position.wait_range_minutes;
    if (told && told[0] !== told[1]) return OW.t("wait_range", { low: told[0], high: told[1] });
    return OW.t("wait_minutes", { n: told ? told[0] : position.estimated_wait_minutes });
  }

  function showScreen(name) {
    const changed = screen !== name;
    screen = name;
    for (const id of ["start", "green", "id", "guide", "checkin", "ticket", "refused"]) $("screen-" + id).hidden = id !== name;
    const buttons = $("screen-" + name).querySelectorAll("button");
    buttons.forEach((button) => { button.disabled = true; });
    setTimeout(() => { if (screen === name) buttons.forEach((button) => { button.disabled = false; }); }, ARM_MS);
    window.scrollTo(0, 0);
    const heading = $("screen-" + name).querySelector("[data-focus]");
    if (heading && (changed || !document.activeElement || document.activeElement === document.body)) heading.focus({ preventScroll: true });
  }

  // resetLanguage: the citizen has gone (their ticket is done, or the kiosk sat idle), so the next
  // one starts in Chinese, in the normal mode, in silence.
  function toStart(resetLanguage) {
    stopCountdown();
    stopPrintWatch();
    chosen = null;
    idNumber = null;
    $("id-input").value = "";
    if (resetLanguage) setAssist(NO_ASSIST);
    if (resetLanguage && english) {
      window.location.assign("/kiosk?lang=zh");
      return;
    }
    $("search").value = "";
    domainFilter = "";
    drawMatters();
    showScreen("start");
    loadCentre();
  }

  function startCountdown(seconds, label) {
    stopCountdown();
    let left = seconds;
    const tick = () => {
      $(label).textContent = OW.t("back_in", { n: left });
      if (left <= 0) { toStart(true); return; }
      left -= 1;
    };
    tick();
    countdown = setInterval(tick, 1000);
  }

  function stopCountdown() {
    if (countdown !== null) clearInterval(countdown);
    countdown = null;
  }

  // --- Large text, and spoken guidance ------------------------------------------------------------
  function readAssist() {
    try {
      const kept = JSON.parse(sessionStorage.getItem(ASSIST_KEY) || "null");
      return { large: Boolean(kept && kept.large), voice: Boolean(kept && kept.voice) };
    } catch (error) {
      return NO_ASSIST;
    }
  }

  function setAssist(next) {
    assist = { large: next.large, voice: next.voice };
    if (assist.large || assist.voice) sessionStorage.setItem(ASSIST_KEY, JSON.stringify(assist));
    else sessionStorage.removeItem(ASSIST_KEY);
    document.body.classList.toggle("large", assist.large);
    $("large-mode").setAttribute("aria-pressed", String(assist.large));
    $("voice-guide").setAttribute("aria-pressed", String(assist.voice));
    if (!assist.voice) { spoken.length = 0; $("voice").pause(); }
  }

  // Say one of the kiosk's phrases (the server knows their words); queued behind the one playing.
  function say(phrase, values) {
    if (!assist.voice) return;
    spoken.push(new URLSearchParams({ say: phrase, lang: english ? "en" : "zh", ...(values || {}) }).toString());
    const audio = $("voice");
    if (audio.paused || audio.ended) sayNext();
  }

  function sayNext() {
    const next = spoken.shift();
    if (next === undefined) return;
    const audio = $("voice");
    audio.src = "/kiosk/voice?" + next;
    audio.play().catch(sayNext);   // no sound on this kiosk: the screen says it all the same
  }
  $("voice").addEventListener("ended", sayNext);
  $("voice").addEventListener("error", sayNext);

  $("large-mode").addEventListener("click", () => {
    const large = !assist.large;
    setAssist({ large, voice: large });
    if (large) sayStart();
  });
  $("voice-guide").addEventListener("click", () => {
    setAssist({ large: assist.large, voice: !assist.voice });
    sayStart();
  });

  // What the start screen says: when the hall opens again while it issues nothing, else the invitation.
  function sayStart() {
    say(issuing !== null && issuing.closed !== null ? "closed" : "choose");
  }

  // --- The clock: the server's time plus what elapsed here since ---------------------------------------
  function drawClock() {
    if (serverTime === null) return;
    const now = new Date(serverTime.at.getTime() + (performance.now() - serverTime.read));
    const options = { timeZone: OW.data.time_zone, hour: "2-digit", minute: "2-digit", month: "long", day: "numeric", weekday: "short", hour12: false };
    $("clock").textContent = new Intl.DateTimeFormat(english ? "en-GB" : "zh-CN", options).format(now);
  }

  function timeOf(iso) {
    const options = { timeZone: OW.data.time_zone, hour: "2-digit", minute: "2-digit", hour12: false };
    return new Intl.DateTimeFormat(english ? "en-GB" : "zh-CN", options).format(new Date(iso));
  }

  // --- The matters ------------------------------------------------------------------------------------
  async function loadCentre() {
    const answer = await OW.api("GET", base);
    if (answer.status === 401) { window.location.assign("/kiosk"); return; }
    $("matters-loading").hidden = true;
    if (!answer.ok) { $("matters-error").hidden = matters.length > 0; return; }
    $("matters-error").hidden = true;
    matters = answer.body.matters;
    windows = answer.body.windows;
    domains = answer.body.domains.filter((d) => matters.some((m) => m.domain === d.code));
    drawDomains();
    drawMatters();
  }

  // Read again on every change in the hall: only the newest answer is drawn (OW.latest).
  const loadQueue = OW.latest(async (current) => {
    const answer = await OW.api("GET", base + "/queue");
    if (!current() || !answer.ok) return;
    serverTime = { at: new Date(answer.body.at), read: performance.now() };
    drawClock();
    waitingByMatter = {};
    for (const ticket of answer.body.waiting) waitingByMatter[ticket.matter] = (waitingByMatter[ticket.matter] || 0) + 1;
    drawWaitingCounts();
  });

  // Whether each matter can be issued now (the hall's own rule), read again when the hall changes
  // and at the instant the hall said time alone may change it.
  // Only the newest read is drawn, and only it sets the next read's timer.
  const loadIssuing = OW.latest(async (current) => {
    if (recheck !== null) clearTimeout(recheck);
    recheck = null;
    const answer = await OW.api("GET", base + "/issuing");
    if (!current()) return;
    if (!answer.ok) {
      if (recheck === null) recheck = setTimeout(loadIssuing, 30000);
      return;
    }
    issuing = answer.body;
    serverTime = { at: new Date(issuing.at), read: performance.now() };
    drawClock();
    drawIssuing();
    const wait = Date.parse(issuing.recheck_at) - Date.parse(issuing.at) + 500;
    if (recheck !== null) clearTimeout(recheck);   // two reads crossed: keep one timer
    recheck = setTimeout(loadIssuing, Math.min(RECHECK_MAX_MS, Math.max(RECHECK_MIN_MS, wait)));
  });

  const guideMode = () => selfService && issuing !== null && issuing.closed !== null;
  const refusalOf = (code) => {
    const found = issuing === null ? null : issuing.matters.find((m) => m.matter === code);
    return found && !found.can_issue ? found : null;
  };
  const reasonOf = (code) => { const refused = refusalOf(code); return refused ? refused.reason : null; };

  function localDay(date) {
    return new Intl.DateTimeFormat("en-CA", { timeZone: OW.data.time_zone }).format(date);
  }

  function dayText(date, zone) {
    const format = (options) => new Intl.DateTimeFormat(english ? "en-GB" : "zh-CN", { timeZone: zone, ...options }).format(date);
    return english ? format({ weekday: "short", day: "numeric", month: "long" })
      : format({ month: "long", day: "numeric" }) + " " + format({ weekday: "short" });
  }

  // "08:30" later today, "12月7日 周一 08:30" on another day.
  function whenText(iso) {
    const at = new Date(iso);
    const time = timeOf(iso);
    return localDay(at) === localDay(new Date(issuing.at)) ? time : dayText(at, OW.data.time_zone) + " " + time;
  }

  function hoursText() {
    const hours = issuing.hours.map((p) => p.start + "–" + p.end).join(english ? ", " : "，");
    const today = issuing.hours_day === localDay(new Date(issuing.at));
    if (today) return OW.t("hours_today", { hours });
    return OW.t("hours_on", { day: dayText(new Date(issuing.hours_day + "T12:00:00Z"), "UTC"), hours });
  }

  function closedText() {
    return OW.t("closed_" + issuing.closed, { when: whenText(issuing.next_opening) });
  }

  // The start screen's heading and notice, and each matter button's state, changed where they stand.
  function drawIssuing() {
    if (issuing === null) return;
    const closed = issuing.closed !== null;
    const heading = closed ? closedText() : OW.t("choose_matter");
    if ($("start-heading").textContent !== heading) $("start-heading").textContent = heading;
    $("start-heading").classList.toggle("closed", closed);
    $("closed-notice").hidden = !closed;
    $("closed-hours").textContent = closed && issuing.hours.length ? hoursText() : "";
    $("closed-self-service").hidden = !guideMode();
    document.body.dataset.issuing = closed ? (guideMode() ? "guides" : "closed") : "open";
    for (const button of document.querySelectorAll("#matters button.matter")) drawAvailability(button);
  }

  function drawAvailability(button) {
    const reason = guideMode() ? null : reasonOf(button.dataset.matter);
    const label = button.querySelector(".matter-reason");
    const text = reason ? OW.t("cannot_" + reason) : "";
    if (label.textContent !== text) label.textContent = text;
    label.hidden = !reason;
    button.classList.toggle("unavailable", Boolean(reason));
    // A tap on it does nothing, unless other centres may serve the matter today: then it says where.
    button.setAttribute("aria-disabled", String(Boolean(reason) && !ELSEWHERE_REASONS.includes(reason)));
    button.classList.toggle("guide", guideMode());
    if (reason) button.dataset.reason = reason;
    else delete button.dataset.reason;
  }

  // A change in the hall updates the counts on the buttons where they stand: the buttons are not
  // redrawn, so a citizen's tap in that instant is not lost and the keyboard's focus stays put.
  function drawWaitingCounts() {
    for (const button of document.querySelectorAll("#matters button.matter")) {
      const meta = button.querySelector(".matter-meta");
      const text = OW.t("waiting_count", { n: waitingByMatter[button.dataset.matter] || 0 });
      if (meta.textContent !== text) meta.textContent = text;
    }
  }

  function drawDomains() {
    const nav = $("domains");
    const button = (code, label) => OW.el("button", {
      type: "button", class: "domain", "aria-pressed": String(domainFilter === code), dataset: { domain: code },
      onclick: () => { domainFilter = code; $("search").value = ""; drawDomains(); drawMatters(); },
    }, label);
    nav.replaceChildren(button("", OW.t("all_domains")), ...domains.map((d) => button(d.code, nameOf(d))));
  }

  function shownMatters() {
    const query = $("search").value.trim().toLowerCase();
    if (query) {
      return matters.filter((m) => matches(m, query));
    }
    return matters.filter((m) => !domainFilter || m.domain === domainFilter);
  }

  function drawMatters() {
    const list = shownMatters();
    const byDomain = domains.map((d) => [d, list.filter((m) => m.domain === d.code)]).filter(([, ms]) => ms.length);
    const groups = byDomain.map(([domain, ms]) => OW.el("section", { class: "matter-group" },
      OW.el("h2", { text: nameOf(domain) }),
      OW.el("div", { class: "matter-grid" }, ms.map(matterButton))));
    $("matters").replaceChildren(...groups);
    const query = $("search").value.trim().toLowerCase();
    const away = query ? elsewhereMatters.filter((m) => matches(m, query)) : [];
    $("elsewhere-matter-grid").replaceChildren(...away.map((m) => OW.el("button", {
      type: "button", class: "matter elsewhere", dataset: { matter: m.code }, onclick: () => showNotServed(m),
    }, OW.el("span", { class: "matter-name", text: nameOf(m) }))));
    $("elsewhere-matters").hidden = away.length === 0;
    $("no-match").hidden = list.length > 0 || away.length > 0 || matters.length === 0;
    drawIssuing();
  }

  const matches = (m, query) => [m.name, m.name_en || "", m.code].some((text) => text.toLowerCase().includes(query));

  function matterButton(matter) {
    const waiting = waitingByMatter[matter.code] || 0;
    return OW.el("button", {
      type: "button", class: "matter", dataset: { matter: matter.code },
      onclick: () => chooseMatter(matter),
    },
    OW.el("span", { class: "matter-name", text: nameOf(matter) }),
    OW.el("span", { class: "matter-meta", text: OW.t("waiting_count", { n: waiting }) }),
    OW.el("span", { class: "matter-reason", hidden: true }));
  }

  // A matter that cannot be issued now shows why on its button; a tap on it asks nothing, at most it
  // says why once and where else the matter is served today. A tap before the hall's rule was read
  // (a kiosk just started, a slow network) waits for it rather than asking a question in vain.
  async function chooseMatter(matter) {
    if (issuing === null) await loadIssuing();
    if (guideMode()) { showGuide(matter); return; }
    const refused = refusalOf(matter.code);
    if (refused !== null) {
      if (ELSEWHERE_REASONS.includes(refused.reason)) { chosen = matter; showRefusal(refused); }
      else say("closed");
      return;
    }
    chosen = matter;
    idNumber = null;
    $("chosen-matter").textContent = nameOf(matter);
    $("issuing").hidden = true;
    elderlyChoice.hidden = false;
    if (matter.real_name) { askId(matter); return; }
    showScreen("green");
    say("matter", { matter: matter.code });
  }

  // --- A real-name matter (实名取号): the ID number first, typed on the keypad or by a reader that types it.
  // Its birth date answers the green channel's age question: from the policy's age on, the ticket is a
  // green-channel one without asking; under it, the elderly choice is not offered. The server decides
  // again from the number itself, and keeps only its keyed hash.
  const elderlyChoice = document.querySelector('#choices button[data-category="elderly"]');
  function askId(matter) {
    $("id-matter").textContent = nameOf(matter);
    $("id-help").textContent = OW.t("id_help", { n: OW.data.real_name_per_day });
    $("id-input").value = "";
    $("id-error").hidden = true;
    showScreen("id");
  }
  function ageOn(number) {
    const now = serverTime ? new Date(serverTime.at.getTime() + (performance.now() - serverTime.read)) : new Date();
    const [year, month, day] = localDay(now).split("-").map(Number);
    const born = [number.slice(6, 10), number.slice(10, 12), number.slice(12, 14)].map(Number);
    return year - born[0] - (month < born[1] || (month === born[1] && day < born[2]) ? 1 : 0);
  }
  $("id-keypad").addEventListener("click", (event) => {
    const key = event.target.closest("button[data-key]");
    if (!key) return;
    const input = $("id-input");
    input.value = key.dataset.key === "back" ? input.value.slice(0, -1) : (input.value + key.dataset.key).slice(0, 18);
    $("id-error").hidden = true;
  });
  // A reader types the number and Enter at once, before the screen's buttons wake: Enter is taken here.
  $("id-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); takeId(); }
  });
  $("id-form").addEventListener("submit", (event) => { event.preventDefault(); takeId(); });
  function takeId() {
    const typed = $("id-input").value.trim().toUpperCase();
    if (chosen === null || screen !== "id") return;
    if (!/^[0-9]{17}[0-9X]$/.test(typed)) { $("id-error").hidden = false; return; }
    idNumber = typed;
    if (ageOn(typed) >= OW.data.green_channel_age) { issue(""); return; }
    elderlyChoice.hidden = true;
    showScreen("green");
    say("matter", { matter: chosen.code });
  }
  $("id-back").addEventListener("click", () => toStart(false));

  // --- A matter's guide (the 24-hour self-service area while the hall is closed) ----------------------
  // Also one tap away before a ticket (一次性告知): from the matter's screen, then back to it.
  let guideFromMatter = false;
  const MATERIAL_FORMS = ["original", "copy", "original_and_copy", "form", "electronic"];

  function materialLine(m) {
    const form = MATERIAL_FORMS.includes(m.form) ? OW.t("form_" + m.form) : m.form;
    const line = OW.t(m.copies ? "guide_material_line" : "guide_material_line_shown", { name: m.name, form, copies: m.copies });
    return m.note ? line + (english ? "; " : "；") + m.note : line;
  }

  function showGuide(matter, fromMatter = false) {
    guideFromMatter = fromMatter;
    $("guide-heading").textContent = nameOf(matter);
    const domain = domains.find((d) => d.code === matter.domain);
    $("guide-domain").textContent = domain ? nameOf(domain) : "";
    const guide = matter.guide || null;
    $("guide-missing").hidden = guide !== null;
    const materials = guide ? guide.materials.map(materialLine) : matter.materials.length ? matter.materials : [OW.t("guide_no_materials")];
    $("guide-materials").replaceChildren(...materials.map((text) => OW.el("li", { text })));
    const taking = windows.filter((w) => w.kinds.some((kind) => matter.window_kinds.includes(kind)));
    $("guide-windows").textContent = taking.map((w) => OW.t("guide_window", { number: w.number, name: nameOf(w) })).join(english ? ", " : "，");
    $("guide-time").textContent = OW.t("guide_minutes", { n: Math.round(matter.expected_minutes) });
    $("guide-promised").textContent = matter.promised_days ? OW.t("guide_promised_days", { n: matter.promised_days }) : OW.t("guide_on_the_spot");
    for (const row of document.querySelectorAll("#screen-guide .guide-full")) row.hidden = guide === null;
    if (guide) {
      $("guide-time-limit").textContent = guide.time_limit;
      $("guide-procedure").replaceChildren(...guide.procedure.map((text) => OW.el("li", { text })));
      $("guide-fees").textContent = guide.fees;
      $("guide-result").textContent = guide.result;
      $("guide-collection").textContent = guide.collection;
      $("guide-basis").replaceChildren(...guide.legal_basis.map((text) => OW.el("li", { text })));
    }
    $("guide-source").textContent = guide ? OW.t("guide_source", { source: guide.source }) : "";
    const closed = issuing !== null && issuing.closed !== null;
    $("guide-closed").replaceChildren(...(closed ? [OW.el("p", { text: closedText() }), OW.el("p", { text: hoursText() })] : []));
    $("guide-take").hidden = !fromMatter;
    document.body.dataset.guide = matter.code;
    showScreen("guide");
  }
  $("guide-back").addEventListener("click", () => (guideFromMatter ? showScreen("green") : toStart(false)));
  $("guide-take").addEventListener("click", () => showScreen("green"));
  $("green-guide").addEventListener("click", () => { if (chosen) showGuide(chosen, true); });

  // --- Issuing: one request id per intended ticket -----------------------------------------------------
  const issue = OW.action(null, async (id, category) => {
    if (chosen === null) return;
    const choices = $("choices").querySelectorAll("button");
    choices.forEach((button) => { button.disabled = true; });
    $("issuing").hidden = false;
    const body = { matter: chosen.code, request_id: id };
    if (category) body.category = category;
    if (idNumber) body.id_number = idNumber;
    const answer = await OW.api("POST", base + "/tickets", body);
    $("issuing").hidden = true;
    choices.forEach((button) => { button.disabled = false; });
    if (answer.status === 401) { window.location.assign("/kiosk"); return; }
    if (answer.ok) showTicket(answer.body.ticket);
    else showRefusal(answer.body);
    loadQueue();
    loadIssuing();
  });

  $("choices").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-category]");
    if (button && !button.disabled) issue(button.dataset.category);
  });
  $("green-back").addEventListener("click", () => toStart(false));

  // --- The ticket on screen ---------------------------------------------------------------------------
  function showTicket(ticket, booked) {
    $("ticket-booked").hidden = !booked;
    $("ticket-booked").textContent = booked || "";
    $("ticket-number").textContent = ticket.number;
    $("ticket-matter").textContent = english && ticket.matter_name_en ? ticket.matter_name_en : ticket.matter_name;
    $("ticket-green").hidden = !ticket.green_channel;
    const position = ticket.position;
    $("ticket-ahead").textContent = position ? OW.t("people_unit", { n: position.people_ahead }) : "—";
    $("ticket-wait").textContent = waitWords(position);
    $("ticket-time").textContent = timeOf(ticket.issued_at);
    $("ticket-qr").src = "/ticket/" + encodeURIComponent(ticket.status_token) + "/qr.svg";
    $("print-status").textContent = OW.t("printing");
    $("print-status").className = "print-status";
    $("print-photo").hidden = true;
    showScreen("ticket");
    resetSms(ticket.serial);
    startCountdown(TICKET_SECONDS, "ticket-countdown");
    say("ticket", { number: ticket.number, ahead: position ? position.people_ahead : 0 });
    watchPrints(ticket.serial);
  }

  // 叫号时短信提醒我: a number typed on the screen's own keypad, with consent (only where the centre sends SMS).
  let smsSerial = null;
  const smsForm = $("sms-form");
  function resetSms(serial) {
    smsSerial = serial;
    if (!smsForm) return;
    smsForm.reset();
    OW.clearProblems(smsForm);
    smsForm.hidden = false;
    $("sms-kept").hidden = true;
    $("kiosk-sms").open = false;
  }
  if (smsForm) {
    const more = () => startCountdown(SMS_SECONDS, "ticket-countdown"); // typing takes a while
    $("kiosk-sms").addEventListener("toggle", () => { if ($("kiosk-sms").open) more(); });
    $("sms-keypad").addEventListener("click", (event) => {
      const key = event.target.closest("button[data-key]");
      if (!key) return;
      const input = smsForm.elements.phone;
      input.value = key.dataset.key === "back" ? input.value.slice(0, -1) : (input.value + key.dataset.key).slice(0, 11);
      more();
    });
    smsForm.addEventListener("change", more);
    const path = () => base + "/tickets/" + smsSerial + "/sms";
    OW.smsForm(smsForm, $("sms-kept"), path, { source: "kiosk" }, () => startCountdown(TICKET_SECONDS, "ticket-countdown"));
  }

  function cannotPrint(job) {
    if (job.status === "failed" || job.status === "unknown") return true;
    return CANNOT_PRINT.includes(job.printer_state) || job.printer_online === false;
  }

  function whyNot(job) {
    if (CANNOT_PRINT.includes(job.printer_state)) return OW.t("why_" + job.printer_state);
    if (job.printer_online === false) return OW.t("why_offline");
    return OW.t(job.status === "unknown" ? "why_unknown" : "why_failed");
  }

  function askForPhoto(status, photo) {
    $("print-status").textContent = status;
    $("print-status").className = "print-status trouble";
    $("print-photo").textContent = photo;
    $("print-photo").hidden = false;
    startCountdown(PHOTO_SECONDS, "ticket-countdown");
    say("photo");
  }

  function stopPrintWatch() {
    if (printWatch !== null) clearTimeout(printWatch);
    printWatch = null;
  }

  // Read the ticket's print jobs for a few seconds: done, failed, or a printer that cannot print.
  // Only the newest ticket's jobs are shown: a look for the ticket before never answers over it.
  const watchPrints = OW.latest((current, serial) => {
    const until = performance.now() + PRINT_WATCH_MS;
    let told = "";
    const look = async () => {
      printWatch = null;
      if (screen !== "ticket" || !current()) return;
      const answer = await OW.api("GET", base + "/tickets/" + serial + "/prints");
      if (screen !== "ticket" || !current()) return;
      const jobs = answer.ok ? answer.body.jobs : null;
      if (jobs !== null && jobs.length === 0) {
        askForPhoto(OW.t("no_printer"), OW.t("photo_ticket"));
        return;
      }
      if (jobs !== null && jobs.some((job) => job.status === "done")) {
        $("print-status").textContent = OW.t("take_ticket");
        $("print-status").className = "print-status ok";
        $("print-photo").hidden = true;
        say("take");
        if (told) startCountdown(TICKET_SECONDS, "ticket-countdown");
        return;
      }
      const last = jobs !== null ? jobs[jobs.length - 1] : null;
      if (last !== null && cannotPrint(last)) {
        const status = OW.t("print_failed", { why: whyNot(last) });
        if (told !== status) askForPhoto(status, OW.t("photo_ticket"));
        told = status;
        if (last.status !== "queued") return;   // failed for good; a queued one may still print elsewhere
      }
      if (performance.now() >= until) {
        if (!told) askForPhoto(OW.t("print_slow"), OW.t("photo_ticket"));
        return;
      }
      printWatch = setTimeout(look, 1000);
    };
    look();
  });

  $("ticket-done").addEventListener("click", () => toStart(true));

  // --- A refusal, said once in plain words: why, and when to come back or where to ask -------------------
  function showRefusal(problem) {
    const refused = problem.reason !== undefined && (problem.message || problem.message_en);
    $("refused-heading").textContent = OW.t("refused_title");
    $("refused-message").textContent = refused
      ? (english ? problem.message_en || problem.message : problem.message || problem.message_en)
      : problem.code ? OW.refusalWords(problem) : OW.t("refused_other");
    document.body.dataset.refusal = problem.reason || problem.code || "error";
    $("elsewhere").hidden = true;
    showScreen("refused");
    startCountdown(REFUSED_SECONDS, "refused-countdown");
    if (chosen !== null && ELSEWHERE_REASONS.includes(problem.reason)) showElsewhere(chosen.code, false);
  }

  // A matter this centre does not handle: say so, and where it is handled.
  function showNotServed(matter) {
    chosen = null;
    $("refused-heading").textContent = OW.t("not_served_title");
    $("refused-message").textContent = OW.t("not_served", { matter: nameOf(matter) });
    document.body.dataset.refusal = "not_served";
    $("elsewhere").hidden = true;
    showScreen("refused");
    startCountdown(ELSEWHERE_SECONDS, "refused-countdown");
    showElsewhere(matter.code, true);
  }

  // The other centres serving the matter (the API's elsewhere answer: open ones, short queues first).
  // Only the newest refusal's list is shown.
  const showElsewhere = OW.latest(async (current, code, always) => {
    const answer = await OW.api("GET", base + "/elsewhere?matter=" + encodeURIComponent(code));
    if (!current() || screen !== "refused" || !answer.ok) return;
    const centres = answer.body.centres;
    if (!centres.length && !always) return;
    $("elsewhere-list").replaceChildren(...(centres.length ? centres.map(elsewhereItem)
      : [OW.el("li", { class: "elsewhere-none", text: OW.t("elsewhere_none") })]));
    $("elsewhere").hidden = false;
    startCountdown(ELSEWHERE_SECONDS, "refused-countdown");
  });

  function elsewhereItem(other) {
    return OW.el("li", { class: "elsewhere-centre", dataset: { centre: other.code, opening: other.opening } },
      OW.el("span", { class: "elsewhere-name", text: english && other.name_en ? other.name_en : other.name }),
      other.address ? OW.el("span", { class: "elsewhere-address", text: other.address }) : null,
      OW.el("span", { class: "elsewhere-state" },
        OW.el("span", { class: "opening opening-" + other.opening, text: OW.t("opening_" + other.opening) }),
        " · ",
        OW.el("span", { class: "elsewhere-waiting", text: OW.t("elsewhere_waiting", { n: other.waiting }) })),
      other.phone ? OW.el("span", { class: "elsewhere-phone", text: OW.t("elsewhere_phone", { phone: other.phone }) }) : null);
  }
  $("refused-done").addEventListener("click", () => toStart(false));

  // --- Checking a booking in: its QR (a scanner types the code and Enter), its code or the ID number ------
  // On time, a booked ticket (called first once its slot begins); too late, a walk-in ticket: the
  // answer's words say which, on the ticket screen. A refusal says why (too early, another day ...).
  $("check-in-open").hidden = !OW.data.bookings;
  $("check-in-open").addEventListener("click", () => {
    $("check-in-input").value = "";
    showScreen("checkin");
  });
  $("check-in-back").addEventListener("click", () => toStart(false));
  const checkIn = OW.action($("check-in-submit"), async (requestId) => {
    const typed = $("check-in-input").value.trim().toUpperCase();
    if (!typed) return;
    const body = { request_id: requestId, ...(typed.length === 8 ? { code: typed } : { id_number: typed }) };
    $("checking-in").hidden = false;
    const answer = await OW.api("POST", base + "/check-in", body);
    $("checking-in").hidden = true;
    if (answer.ok) {
      showTicket(answer.body.ticket, english ? answer.body.message_en : answer.body.message);
      return;
    }
    $("refused-heading").textContent = OW.t("check_in_refused");
    $("refused-message").textContent = OW.refusalWords(answer.body);
    document.body.dataset.refusal = answer.body.code || "error";
    $("elsewhere").hidden = true;
    showScreen("refused");
    startCountdown(REFUSED_SECONDS, "refused-countdown");
  });
  $("check-in-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); checkIn(); }
  });

  // --- Searching, idling, the clock, live counts --------------------------------------------------------
  $("search").addEventListener("input", () => { domainFilter = ""; drawDomains(); drawMatters(); });
  $("search").addEventListener("keydown", (event) => {
    const list = shownMatters();
    if (event.key === "Enter" && list.length === 1) chooseMatter(list[0]);
  });
  for (const kind of ["pointerdown", "keydown", "input"]) {
    document.addEventListener(kind, () => { lastInput = performance.now(); }, true);
  }
  setInterval(() => {
    drawClock();
    const idle = performance.now() - lastInput > IDLE_MS;
    const halfway = screen === "green" || screen === "id" || screen === "guide" || screen === "checkin" || (screen === "start" && ($("search").value || domainFilter || assist.large || assist.voice));
    if (idle && halfway) toStart(true);
  }, 1000);

  setAssist(assist);
  drawDomains();
  loadCentre();
  OW.live("/live/centres/" + encodeURIComponent(centre), () => { loadQueue(); loadIssuing(); });
})();
