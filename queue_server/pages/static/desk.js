// The consultation desk: issue a ticket for someone, look one up (by the number printed on it or
// its serial), put it back, cancel or reprint it, and the hall's queues live. Everything goes
// through the JSON API with the session; durations use the server's time plus the time elapsed here.
"use strict";

(() => {
  const centre = OW.data.centre;
  const code = centre.code;
  const base = "/centres/" + encodeURIComponent(code);
  const en = OW.data.lang === "en";
  const $ = (id) => document.getElementById(id);
  const named = (item) => (en && item.name_en) || item.name;
  const timeFormat = new Intl.DateTimeFormat(en ? "en-GB" : "zh-CN", {
    timeZone: centre.time_zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });
  const localTime = (iso) => (iso ? timeFormat.format(new Date(iso)) : "");
  const problemText = (body) => OW.refusalWords(body);

  // --- Issuing -------------------------------------------------------------------------------------

  const issueForm = $("issue-form");
  const search = $("matter-search");
  const mattersBox = $("matters");
  const green = $("green");
  const category = $("category");

  for (const value of OW.data.categories) category.append(OW.el("option", { value, text: OW.t("category_" + value) }));

  for (const domain of centre.domains) {
    const matters = centre.matters.filter((m) => m.domain === domain.code);
    if (!matters.length) continue;
    const box = OW.el("fieldset", { class: "domain", dataset: { domain: domain.code } }, OW.el("legend", { text: named(domain) }));
    for (const matter of matters) {
      const haystack = [matter.name, matter.name_en, matter.code].join(" ").toLowerCase();
      box.append(OW.el("label", { class: "matter", dataset: { search: haystack } },
        OW.el("input", { type: "radio", name: "matter", value: matter.code }),
        OW.el("span", { class: "matter-name", text: named(matter) }),
        OW.el("span", { class: "matter-code", text: matter.prefix + " · " + matter.code })));
    }
    mattersBox.append(box);
  }

  // The wait told: the range when the ticket has one (约 15-25 分钟; one figure when both ends meet),
  // else the single estimate.
  function waitWords(position) {
    if (!position || position.estimated_wait_minutes === null) return OW.t("wait_unknown");
    const told = position.wait_range_minutes;
    if (told && told[0] !== told[1]) return OW.t("wait_range", { low: told[0], high: told[1] });
    return OW.t("wait_minutes", { n: told ? told[0] : position.estimated_wait_minutes });
  }

  function filterMatters() {
    const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const box of mattersBox.querySelectorAll("fieldset.domain")) {
      let inBox = 0;
      for (const label of box.querySelectorAll("label.matter")) {
        const hit = words.every((w) => label.dataset.search.includes(w));
        label.hidden = !hit;
        if (hit) inBox += 1;
      }
      box.hidden = inBox === 0;
      shown += inBox;
    }
    $("matters-none").hidden = shown > 0;
    return [...mattersBox.querySelectorAll("label.matter:not([hidden]) input")];
  }
  search.addEventListener("input", filterMatters);
  search.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const left = filterMatters();
    if (left.length === 1) { left[0].checked = true; left[0].focus(); left[0].dispatchEvent(new Event("change", { bubbles: true })); }
  });
  green.addEventListener("change", () => { category.disabled = !green.checked; });

  // A real-name matter (实名取号) takes the applicant's ID number, typed or from a reader that types it.
  const realName = (code) => centre.matters.some((m) => m.code === code && m.real_name);
  const idRow = $("real-name-row");
  const idInput = $("issue-id-number");
  mattersBox.addEventListener("change", () => {
    const chosen = issueForm.querySelector("input[name=matter]:checked");
    idRow.hidden = !(chosen && realName(chosen.value));
  });

  const issue = OW.action($("issue-button"), async (requestId) => {
    OW.clearProblems(issueForm);
    const chosen = issueForm.querySelector("input[name=matter]:checked");
    if (!chosen) {
      OW.showProblem(issueForm, { errors: [{ field: "matter", message: OW.t("matter_missing") }] });
      search.focus();
      return;
    }
    const body = { request_id: requestId, matter: chosen.value };
    if (green.checked) body.category = category.value;
    if (!idRow.hidden && idInput.value.trim()) body.id_number = idInput.value.trim();
    const answer = await OW.api("POST", base + "/tickets", body);
    if (!answer.ok) {
      OW.showProblem(issueForm, answer.body);
      if (answer.body.message) { // a refusal says why in words for the citizen, in both languages
        const general = issueForm.querySelector(".form-error");
        general.textContent = problemText(answer.body);
        general.hidden = false;
      }
      return;
    }
    showIssued(answer.body.ticket);
    chosen.checked = false;
    search.value = "";
    filterMatters();
    green.checked = false;
    category.disabled = true;
    idInput.value = "";
    idRow.hidden = true;
    refreshHall();
  });
  issueForm.addEventListener("submit", (event) => { event.preventDefault(); issue(); });

  function showIssued(ticket) {
    $("issued").hidden = false;
    $("issued-number").textContent = ticket.number;
    $("issued-matter").textContent = (en && ticket.matter_name_en) || ticket.matter_name;
    const badge = $("issued-green");
    badge.hidden = !ticket.green_channel;
    badge.textContent = ticket.green_channel ? OW.t("green") + " · " + OW.t("category_" + ticket.category) : "";
    const position = ticket.position;
    $("issued-wait").textContent = position
      ? OW.t("people_ahead", { n: position.people_ahead }) + " · " +
        waitWords(position)
      : OW.t("wait_unknown");
    const link = $("issued-link");
    link.href = ticket.status_url;
    link.textContent = ticket.status_url;
    issuedSerial = ticket.serial;
    const sms = $("sms-form");
    if (sms) { // the centre sends SMS: the citizen may ask for it here, with consent
      sms.reset();
      OW.clearProblems(sms);
      sms.hidden = false;
      $("sms-kept").hidden = true;
    }
  }

  let issuedSerial = null;
  const smsForm = $("sms-form");
  if (smsForm) OW.smsForm(smsForm, $("sms-kept"), () => base + "/tickets/" + issuedSerial + "/sms", { source: "desk" });

  $("copy-link").addEventListener("click", async () => {
    const text = $("issued-link").textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch (error) { // plain HTTP on the hall LAN has no clipboard API: select the link to copy by hand
      const range = document.createRange();
      range.selectNodeContents($("issued-link"));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      return;
    }
    $("copy-link").textContent = OW.t("copied");
    setTimeout(() => { $("copy-link").textContent = OW.t("copy_link"); }, 2000);
  });

  // --- Looking a ticket up ----------------------------------------------------------------------------

  const lookupForm = $("lookup-form");
  const lookupInput = $("lookup-number");
  const actionsForm = $("actions-form");
  const reprintForm = $("reprint-form");
  let shownSerial = null;

  const printerSelect = $("reprint-printer");
  printerSelect.append(OW.el("option", { value: "", text: OW.t("reprint_kiosk_printer") }));
  for (const printer of OW.data.printers) printerSelect.append(OW.el("option", { value: printer, text: printer }));

  function fieldProblem(message) {
    OW.showProblem(lookupForm, { errors: [{ field: "ticket_number", message }] });
    lookupInput.focus();
  }

  async function lookUp() {
    OW.clearProblems(lookupForm);
    const asked = lookupInput.value.trim().toUpperCase();
    let path;
    if (/^[0-9]{1,18}$/.test(asked)) path = base + "/tickets/" + asked;
    else if (/^[A-Z]{1,2}[0-9]{1,9}$/.test(asked)) path = base + "/tickets/by-number/" + asked;
    else return fieldProblem(OW.t("lookup_bad"));
    const answer = await readLookUp(path);
    if (!answer) return;  // a later look-up is the one shown
    if (answer.status === 404) return fieldProblem(OW.t(path.includes("by-number") ? "lookup_none" : "lookup_no_serial", { number: asked }));
    if (!answer.ok) return OW.showProblem(lookupForm, answer.body);
    $("found-message").textContent = "";
    await showTicket(answer.body);
  }
  lookupForm.addEventListener("submit", (event) => { event.preventDefault(); lookUp(); });

  // A look-up answered after a later one is not shown (OW.latest).
  const readLookUp = OW.latest(async (current, path) => {
    const answer = await OW.api("GET", path);
    return current() ? answer : null;
  });

  // The ticket shown, read again after an action and on every change in the hall: only the newest
  // read is shown, and none once another ticket has been looked up meanwhile.
  const reloadShown = OW.latest(async (current) => {
    const serial = shownSerial;
    if (serial === null) return;
    const answer = await OW.api("GET", base + "/tickets/" + serial);
    if (current() && shownSerial === serial && answer.ok) await showTicket(answer.body);
  });

  const showTicket = OW.latest(async (current, ticket) => {
    const changed = shownSerial !== ticket.serial;
    shownSerial = ticket.serial;
    if (changed) { OW.clearProblems(actionsForm); OW.clearProblems(reprintForm); }
    $("found").hidden = false;
    $("found-number").textContent = ticket.number;
    const state = $("found-state");
    state.textContent = OW.t("status_" + ticket.status);
    state.className = "pill state-" + ticket.status;
    $("found-green").hidden = !ticket.green_channel;
    $("found-green").textContent = ticket.green_channel ? OW.t("green") + " · " + OW.t("category_" + ticket.category) : "";
    $("found-serial").textContent = OW.t("serial", { n: ticket.serial });
    $("found-matter").textContent = (en && ticket.matter_name_en) || ticket.matter_name;
    $("found-window").textContent = ticket.window ? OW.t("window_n", { n: ticket.window }) : "—";
    $("found-issued").textContent = ticket.service_day + " " + localTime(ticket.issued_at);
    const position = ticket.position;
    $("found-position").textContent = position
      ? OW.t("people_ahead", { n: position.people_ahead }) + " · " +
        waitWords(position)
      : "";
    $("requeue-button").hidden = ticket.status !== "no_show";
    $("cancel-box").hidden = ["finished", "cancelled"].includes(ticket.status);
    const [prints, events] = await Promise.all([
      OW.api("GET", base + "/tickets/" + ticket.serial + "/prints"),
      OW.api("GET", base + "/tickets/" + ticket.serial + "/events"),
    ]);
    if (!current() || shownSerial !== ticket.serial) return;
    if (prints.ok) showPrints(prints.body.jobs, ticket);
    if (events.ok) showEvents(events.body.events);
  });

  function showPrints(jobs, ticket) {
    const body = $("prints").querySelector("tbody");
    body.replaceChildren(...jobs.map((job) => {
      const note = job.reprinted_by
        ? OW.t("replaces", { job: job.rerouted_from, who: job.reprinted_by })
        : job.rerouted_from ? OW.t("rerouted", { job: job.rerouted_from }) : "";
      const printerState = job.printer_online === false ? "offline" : job.printer_state;
      return OW.el("tr", { dataset: { job: job.job_id, status: job.status } },
        OW.el("td", {}, job.job_id, note ? OW.el("div", { class: "muted small", text: note }) : null),
        OW.el("td", { text: job.printer }),
        OW.el("td", { text: OW.t("printer_" + (printerState || "unheard")) }),
        OW.el("td", {}, OW.el("span", { class: "pill print-" + job.status, text: OW.t("print_" + job.status) }),
          job.reason ? OW.el("div", { class: "muted small", text: job.reason }) : null),
        OW.el("td", { text: localTime(job.sent_at) }));
    }));
    $("prints").hidden = jobs.length === 0;
    $("prints-none").hidden = jobs.length > 0;
    const tickets = jobs.filter((job) => job.kind === "ticket");
    const last = tickets[tickets.length - 1];
    const ended = ["finished", "cancelled"].includes(ticket.status);
    reprintForm.hidden = ended || !last || !["unknown", "failed"].includes(last.status);
  }

  function showEvents(events) {
    const body = $("events").querySelector("tbody");
    body.replaceChildren(...events.map((event) => {
      const detail = [];
      if (event.window) detail.push(OW.t("window_n", { n: event.window }));
      for (const key of ["number", "reason", "note", "outcome"]) if (event[key]) detail.push(String(event[key]));
      return OW.el("tr", {},
        OW.el("td", { text: localTime(event.at) }),
        OW.el("td", { text: OW.t("event_" + event.kind) }),
        OW.el("td", { text: event.actor || "" }),
        OW.el("td", { class: "muted", text: detail.join(" · ") }));
    }));
  }

  function ticketAction(button, path, bodyOf, done) {
    return OW.action(button, async (requestId) => {
      if (shownSerial === null) return;
      OW.clearProblems(actionsForm);
      const answer = await OW.api("POST", base + "/tickets/" + shownSerial + "/" + path, { request_id: requestId, ...bodyOf() });
      if (!answer.ok) { OW.showProblem(actionsForm, answer.body); return; }
      $("found-message").textContent = OW.t(done);
      await reloadShown();
    });
  }
  ticketAction($("requeue-button"), "requeue", () => ({}), "requeued");
  ticketAction($("cancel-button"), "cancel", () => ({ reason: $("cancel-reason").value, note: $("cancel-note").value }), "cancelled");

  const reprint = OW.action($("reprint-button"), async (requestId) => {
    if (shownSerial === null) return;
    OW.clearProblems(reprintForm);
    const body = { request_id: requestId };
    if (printerSelect.value) body.printer = printerSelect.value;
    const answer = await OW.api("POST", base + "/tickets/" + shownSerial + "/reprint", body);
    if (!answer.ok) { OW.showProblem(reprintForm, answer.body); return; }
    $("found-message").textContent = OW.t("reprinted", { job: answer.body.job_id, printer: answer.body.printer });
    await reloadShown();
  });
  reprintForm.addEventListener("submit", (event) => { event.preventDefault(); reprint(); });

  // --- The hall at a glance -----------------------------------------------------------------------------

  let hall = null; // {at (server ms), read (browser ms), oldest (server ms of the oldest issue)}

  // Read again on every change in the hall: only the newest answer is drawn.
  const refreshDevices = OW.latest(async (current) => {
    const answer = await OW.api("GET", base + "/devices");
    if (current() && answer.ok) OW.showLostDevices($("devices-lost"), answer.body.devices);
  });

  const refreshHall = OW.latest(async (current) => {
    const answer = await OW.api("GET", base + "/queue");
    if (!current() || !answer.ok) return;
    const queue = answer.body;
    const body = $("glance").querySelector("tbody");
    body.replaceChildren(...queue.groups.map((group) =>
      OW.el("tr", { dataset: { prefix: group.prefix } },
        OW.el("td", {}, OW.el("strong", { text: group.prefix }), " ", named(group)),
        OW.el("td", { class: "num", text: group.waiting }))));
    $("glance-total").textContent = queue.waiting.length ? OW.t("glance_total", { n: queue.waiting.length }) : OW.t("glance_empty");
    const oldest = Math.min(...queue.waiting.map((t) => Date.parse(t.issued_at)));
    hall = { at: Date.parse(queue.at), read: performance.now(), oldest: queue.waiting.length ? oldest : null };
    tick();
  });

  function tick() {
    const line = $("glance-longest");
    if (!hall || hall.oldest === null) { line.textContent = ""; return; }
    const now = hall.at + (performance.now() - hall.read);
    line.textContent = OW.t("glance_longest", { n: Math.max(0, Math.ceil((now - hall.oldest) / 60000)) });
  }
  setInterval(tick, 15000);

  OW.live("/live/centres/" + encodeURIComponent(code), () => { refreshHall(); reloadShown(); refreshDevices(); });
})();
