// Rectification (整改跟踪): the cases from bad ratings and complaints, each moved step by step with a
// note, and the promised cases (承诺件) due and overdue, delivered or handed to another centre (and
// those handed here, delivered naming where they were accepted). Everything goes through the
// JSON API with the session. A case keeps its follow-up calls (回访: a named bad rating closes only
// once its follow-up has an outcome) and the window's appeal of its rating (申诉), which a manager
// files and a supervisor decides (复核); a supervisor's page has no other forms (the API refuses them anyway).
"use strict";

(() => {
  const centre = OW.data.centre;
  const canAct = Boolean(OW.data.can_act);
  const canDecide = Boolean(OW.data.can_decide);
  const canAppeal = Boolean(OW.data.can_appeal);
  const base = "/centres/" + encodeURIComponent(centre.code);
  const en = OW.data.lang === "en";
  const $ = (id) => document.getElementById(id);
  const named = (item) => (en && item.name_en) || item.name;
  const timeFormat = new Intl.DateTimeFormat(en ? "en-GB" : "zh-CN", {
    timeZone: centre.time_zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    hour12: false,
  });
  const localTime = (iso) => (iso ? timeFormat.format(new Date(iso)) : "");
  const problemText = (body) => OW.refusalWords(body);
  const NEXT = { new: "verified", verified: "rectified", rectified: "followed_up", followed_up: "closed" };

  const windows = new Map(centre.windows.map((w) => [w.number, w]));
  const staff = new Map(centre.staff.map((s) => [s.code, s]));
  const matters = new Map(centre.matters.map((m) => [m.code, m]));
  const windowName = (n) => (n === null || n === undefined ? "" : OW.t("window_n", { n }));
  const staffName = (code) => (code ? (staff.has(code) ? staff.get(code).name + " (" + code + ")" : code) : "");
  const matterName = (code) => (code ? (matters.has(code) ? named(matters.get(code)) : code) : "");
  const levelName = (level) => (level ? OW.t("level_" + level) : "");
  const statusName = (status) => OW.t("status_" + status);

  function showRefusal(form, body) {
    OW.showProblem(form, body);
    if (body && body.message) {
      const general = form.querySelector(".form-error");
      general.textContent = OW.t("refused", { detail: problemText(body) });
      general.hidden = false;
    }
  }

  // --- Tabs ------------------------------------------------------------------------------------------

  const tabs = [["tab-cases", "cases-panel"], ["tab-promised", "promised-panel"]];
  for (const [tab, panel] of tabs) {
    $(tab).addEventListener("click", () => {
      for (const [otherTab, otherPanel] of tabs) {
        $(otherTab).setAttribute("aria-selected", String(otherTab === tab));
        $(otherPanel).hidden = otherPanel !== panel;
      }
      if (panel === "promised-panel") loadPromised();
    });
  }

  // --- The list ---------------------------------------------------------------------------------------

  let selected = null;

  // A read answered after a later one (another filter chosen, a change in the hall meanwhile) is
  // dropped: the later answer is the one to show, whichever arrives first (OW.latest).
  const loadCases = OW.latest(async (current) => {
    const wanted = $("filter").value;
    const query = wanted === "overdue" ? "?status=open&overdue=1" : "?status=" + wanted;
    const answer = await OW.api("GET", base + "/rectifications" + query);
    if (!current() || !answer.ok) return;
    const body = $("cases").querySelector("tbody");
    body.replaceChildren(...answer.body.cases.map(caseRow));
    $("no-cases").hidden = answer.body.cases.length > 0;
    const overdue = answer.body.overdue;
    $("overdue-count").textContent = overdue ? OW.t("overdue_count", { n: overdue }) : "";
  });

  function caseRow(item) {
    const due = OW.el("td", { class: item.overdue ? "due overdue-text" : "due" }, item.due_on,
      item.overdue ? OW.el("span", { class: "pill overdue", text: OW.t("overdue") }) : null);
    return OW.el("tr", { dataset: { case: item.id }, class: item.id === selected ? "chosen" : null,
      onclick: () => select(item.id) },
    OW.el("td", {}, OW.el("button", { type: "button", class: "link case-open", text: String(item.id) })),
    OW.el("td", { text: OW.t("source_" + item.source) }),
    OW.el("td", { text: windowName(item.window) }),
    OW.el("td", { text: staffName(item.staff) }),
    OW.el("td", { text: matterName(item.matter) }),
    OW.el("td", { text: levelName(item.level) }),
    OW.el("td", { text: item.reasons.join("、") }),
    OW.el("td", { text: localTime(item.opened_at) }),
    due,
    OW.el("td", {}, OW.el("span", { class: "pill status-" + item.status, text: statusName(item.status) }),
      item.appeal ? OW.el("span", { class: "pill appeal-" + item.appeal.status, text: OW.t("appeal_" + item.appeal.status) }) : null),
    OW.el("td", { text: item.assignee || "" }),
    OW.el("td", { class: "contact", text: item.contact || "" }));
  }

  $("filter").addEventListener("change", () => loadCases());

  // --- One case ---------------------------------------------------------------------------------------

  async function select(id) {
    if (selected !== id) {
      $("detail-message").textContent = "";
      for (const form of document.querySelectorAll("#advance-form, #assign-form, #call-form, #appeal-form, #decision-form, #reveal-form")) {
        OW.clearProblems(form);
        form.reset();
      }
    }
    selected = id;
    for (const row of $("cases").querySelectorAll("tbody tr")) row.classList.toggle("chosen", Number(row.dataset.case) === id);
    await loadCase();
  }

  // The case shown is read on a choice and on a change in the hall: only the newest read is shown,
  // so a case chosen before another never comes back over it.
  const loadCase = OW.latest(async (current) => {
    if (selected === null) return;
    const answer = await OW.api("GET", base + "/rectifications/" + selected);
    if (current() && answer.ok) showCase(answer.body);
  });

  function showCase(item) {
    $("detail-pick").hidden = true;
    $("detail").hidden = false;
    $("detail").dataset.case = item.id;
    $("detail-heading").textContent = OW.t("detail_heading", { n: item.id });
    $("detail-source").textContent = OW.t("source_" + item.source);
    const status = $("detail-status");
    status.textContent = statusName(item.status);
    status.className = "pill status-" + item.status;
    $("detail-overdue").hidden = !item.overdue;
    $("detail-window").textContent = windowName(item.window);
    $("detail-staff").textContent = staffName(item.staff);
    $("detail-matter").textContent = matterName(item.matter);
    $("detail-serial").textContent = item.serial === null ? "" : item.ticket_number || String(item.serial);
    $("detail-level").textContent = levelName(item.level);
    $("detail-reasons").textContent = item.reasons.join("、");
    $("detail-opened").textContent = localTime(item.opened_at);
    const due = $("detail-due");
    due.textContent = item.due_on;
    due.classList.toggle("overdue-text", item.overdue);
    $("detail-assignee").textContent = item.assignee || "";
    $("detail-phone").textContent = item.contact_phone || item.contact || OW.t("no_contact");
    $("reveal-form").hidden = !item.contact || Boolean(item.contact_phone);
    $("detail-comment").textContent = item.comment;
    $("steps").querySelector("tbody").replaceChildren(...item.notes.map((note) => OW.el("tr", {},
      OW.el("td", { text: localTime(note.at) }),
      OW.el("td", { text: note.actor }),
      OW.el("td", { text: statusName(note.status) }),
      OW.el("td", {}, note.text, note.assignee ? OW.el("span", { class: "muted", text: " · " + OW.t("assigned_to", { who: note.assignee }) }) : null))));
    showFollowUp(item);
    showAppeal(item);
    if (canAct) showSteps(item);
  }

  // --- The follow-up calls (回访) and the appeal (申诉) ------------------------------------------------

  function showFollowUp(item) {
    const outcome = $("follow-up-outcome");
    $("detail-named").hidden = !item.named;
    if (item.follow_up) outcome.textContent = OW.t("follow_up_done", { outcome: OW.t("outcome_" + item.follow_up) });
    else if (item.named) outcome.textContent = OW.t("follow_up_due", { n: OW.data.follow_up_tries });
    else outcome.textContent = item.follow_up_calls.length ? "" : OW.t("follow_up_none");
    outcome.classList.toggle("overdue-text", item.named && !item.follow_up);
    $("calls").hidden = item.follow_up_calls.length === 0;
    $("calls").querySelector("tbody").replaceChildren(...item.follow_up_calls.map((call) => OW.el("tr", {},
      OW.el("td", { text: localTime(call.at) }),
      OW.el("td", { text: call.actor }),
      OW.el("td", { text: OW.t("result_" + call.result) }),
      OW.el("td", { text: call.note }))));
    if (canAct) $("call-form").hidden = item.status === "closed" || Boolean(item.follow_up);
  }

  // The appeal's files, each a link the supervisor opens (a photo or a PDF, served to those who read cases).
  function showFiles(files) {
    const list = $("appeal-files");
    list.replaceChildren(...(files.length ? files.map((file) => OW.el("li", {},
      OW.el("a", { href: "/api/v1" + base + "/appeal-evidence/" + file.sha256, target: "_blank", rel: "noopener",
        text: file.name }), " (" + Math.max(1, Math.round(file.size / 1024)) + " KB)"))
      : [OW.el("li", { text: OW.t("appeal_files_none") })]));
  }

  function showAppeal(item) {
    const appeal = item.appeal;
    const pill = $("detail-appeal");
    pill.hidden = !appeal;
    $("appeal").hidden = item.source !== "rating";
    $("appeal-facts").hidden = !appeal;
    if (appeal) {
      pill.textContent = OW.t("appeal_" + appeal.status);
      pill.className = "pill appeal-" + appeal.status;
      $("appeal-status").textContent = OW.t("appeal_" + appeal.status);
      $("appeal-by").textContent = appeal.filed_by + " · " + localTime(appeal.filed_at);
      $("appeal-reason").textContent = appeal.reason;
      $("appeal-evidence").textContent = appeal.evidence;
      showFiles(appeal.files || []);
      $("decision-by").textContent = appeal.decided_by ? appeal.decided_by + " · " + localTime(appeal.decided_at) : "";
      $("decision-note-shown").textContent = appeal.decision_note;
    }
    if ($("appeal-form")) $("appeal-form").hidden = item.source !== "rating" || Boolean(appeal);
    if ($("decision-form")) $("decision-form").hidden = !appeal || appeal.status !== "pending";
  }

  async function post(form, path, body, done) {
    const answer = await OW.api("POST", base + "/rectifications/" + selected + path, body);
    if (!answer.ok) { showRefusal(form, answer.body); return; }
    form.reset();
    $("detail-message").textContent = done(answer.body);
    await refreshCases();
  }

  function required(form, input, word) {
    OW.clearProblems(form);
    if (input.value.trim()) return true;
    OW.showProblem(form, { errors: [{ field: input.name, message: OW.t(word) }] });
    input.focus();
    return false;
  }

  {
    const form = $("reveal-form");
    const reason = $("reveal-reason");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (selected === null || !required(form, reason, "reveal_reason_missing")) return;
      const answer = await OW.api("GET", base + "/rectifications/" + selected + "?reason=" + encodeURIComponent(reason.value.trim()));
      if (!answer.ok) { showRefusal(form, answer.body); return; }
      form.reset();
      showCase(answer.body);
    });
  }

  if (canAct) {
    const form = $("call-form");
    const record = OW.action($("call-button"), (requestId) => {
      OW.clearProblems(form);
      return post(form, "/follow-up-calls", { request_id: requestId, result: $("call-result").value,
        note: $("call-note").value.trim() }, () => OW.t("call_recorded"));
    });
    form.addEventListener("submit", (event) => { event.preventDefault(); record(); });
  }

  if (canAppeal) {
    const appealForm = $("appeal-form");
    const reason = $("appeal-reason-input");
    const chosen = $("appeal-files-input");
    const appeal = OW.action($("appeal-button"), async (requestId) => {
      if (!required(appealForm, reason, "appeal_reason_missing")) return;
      const files = await uploadFiles(appealForm, Array.from(chosen.files || []));
      if (files === null) return;
      await post(appealForm, "/appeal", { request_id: requestId, reason: reason.value.trim(),
        evidence: $("appeal-evidence-input").value.trim(), files }, () => OW.t("appealed"));
    });
    appealForm.addEventListener("submit", (event) => { event.preventDefault(); appeal(); });
  }

  // A photo is made at most 1600 pixels a side before it is sent (the server keeps a JPEG that size);
  // a PDF goes as it is. Each file is uploaded first; the appeal then names them by their hash.
  function asSent(file) {
    return file.type === "application/pdf" ? file : OW.shrunkPhoto(file, 1600, 0.85);
  }

  async function uploadFiles(form, files) {
    if (files.length > 5) {
      OW.showProblem(form, { errors: [{ field: "files", message: OW.t("appeal_files_too_many") }] });
      return null;
    }
    const sent = [];
    for (const file of files) {
      let blob = null;
      try { blob = await asSent(file); } catch (error) { blob = null; }
      const refused = (detail) => OW.showProblem(form, { errors: [{ field: "files",
        message: OW.t("appeal_file_refused", { name: file.name, detail }) }] });
      if (!blob) { refused(OW.t("appeal_file_unreadable")); return null; }
      const answer = await OW.api("POST", base + "/appeal-evidence",
        { name: file.name, data: await OW.base64Of(blob), request_id: OW.requestId() });
      if (!answer.ok) { refused(OW.refusalWords(answer.body)); return null; }
      sent.push({ sha256: answer.body.sha256, name: answer.body.name });
    }
    return sent;
  }

  if (canDecide) {
    const form = $("decision-form");
    const note = $("decision-note");
    const decide = (uphold) => async (requestId) => {
      if (!required(form, note, "decision_note_missing")) return;
      await post(form, "/appeal/decision", { request_id: requestId, uphold, note: note.value.trim() },
        (body) => OW.t("decided", { status: OW.t("appeal_" + body.appeal.status) }));
    };
    OW.action($("uphold-button"), decide(true));
    OW.action($("reject-button"), decide(false));
    form.addEventListener("submit", (event) => event.preventDefault());
  }

  function showSteps(item) {
    const closed = item.status === "closed";
    $("advance-form").hidden = closed;
    $("assign-form").hidden = closed;
    if (closed) return;
    const buttons = [stepButton(NEXT[item.status], "to_" + NEXT[item.status], "primary")];
    if (item.status === "verified") buttons.push(stepButton("closed", "close_unfounded", "danger", "close-unfounded"));
    $("advance-buttons").replaceChildren(...buttons);
  }

  function stepButton(to, word, kind, id) {
    const button = OW.el("button", { type: "button", class: kind + " step", id: id || "advance-button", dataset: { to },
      text: OW.t(word) });
    OW.action(button, (requestId) => advance(requestId, to));
    return button;
  }

  async function advance(requestId, to) {
    const form = $("advance-form");
    const note = $("advance-note");
    OW.clearProblems(form);
    if (!note.value.trim()) {
      OW.showProblem(form, { errors: [{ field: "note", message: OW.t("note_missing") }] });
      note.focus();
      return;
    }
    const answer = await OW.api("POST", base + "/rectifications/" + selected + "/advance",
      { request_id: requestId, to, note: note.value.trim() });
    if (!answer.ok) { showRefusal(form, answer.body); return; }
    note.value = "";
    $("detail-message").textContent = OW.t("moved", { status: statusName(answer.body.status) });
    await refreshCases();
  }

  if (canAct) {
    const staffNames = $("staff-names");
    for (const person of centre.staff) staffNames.append(OW.el("option", { value: person.code, text: person.name }));
    const assignForm = $("assign-form");
    const assignNow = OW.action($("assign-button"), async (requestId) => {
      OW.clearProblems(assignForm);
      const assignee = $("assignee").value.trim();
      if (!assignee) {
        OW.showProblem(assignForm, { errors: [{ field: "assignee", message: OW.t("assignee_missing") }] });
        return;
      }
      const answer = await OW.api("POST", base + "/rectifications/" + selected + "/assign",
        { request_id: requestId, assignee, note: $("assign-note").value.trim() });
      if (!answer.ok) { showRefusal(assignForm, answer.body); return; }
      assignForm.reset();
      $("detail-message").textContent = OW.t("assigned", { who: answer.body.assignee });
      await refreshCases();
    });
    assignForm.addEventListener("submit", (event) => { event.preventDefault(); assignNow(); });
    $("advance-form").addEventListener("submit", (event) => event.preventDefault());
  }

  // --- A complaint ------------------------------------------------------------------------------------

  if (canAct) {
    const form = $("complaint-form");
    const choices = (select, items) => {
      select.append(OW.el("option", { value: "", text: OW.t("none_chosen") }));
      for (const [value, text] of items) select.append(OW.el("option", { value, text }));
    };
    choices($("complaint-window"), centre.windows.map((w) => [String(w.number), windowName(w.number) + " · " + named(w)]));
    choices($("complaint-staff"), centre.staff.map((s) => [s.code, staffName(s.code)]));
    choices($("complaint-matter"), centre.matters.map((m) => [m.code, named(m)]));
    const openCase = OW.action($("complaint-button"), async (requestId) => {
      OW.clearProblems(form);
      $("complaint-message").textContent = "";
      const comment = $("complaint-comment").value.trim();
      if (!comment) {
        OW.showProblem(form, { errors: [{ field: "comment", message: OW.t("comment_missing") }] });
        $("complaint-comment").focus();
        return;
      }
      const body = { request_id: requestId, comment };
      const window = $("complaint-window").value;
      const serial = $("complaint-serial").value.trim();
      if (window) body.window = Number(window);
      if ($("complaint-staff").value) body.staff = $("complaint-staff").value;
      if ($("complaint-matter").value) body.matter = $("complaint-matter").value;
      if (serial) body.serial = /^\d+$/.test(serial) ? Number(serial) : serial;
      const answer = await OW.api("POST", base + "/rectifications", body);
      if (!answer.ok) { showRefusal(form, answer.body); return; }
      form.reset();
      $("complaint-message").textContent = OW.t("opened", { n: answer.body.id });
      await refreshCases();
      await select(answer.body.id);
    });
    form.addEventListener("submit", (event) => { event.preventDefault(); openCase(); });
  }

  // --- Promised cases ---------------------------------------------------------------------------------

  const loadPromised = OW.latest(async (current) => {
    if ($("promised-panel").hidden) return;
    const answer = await OW.api("GET", base + "/promised?state=" + encodeURIComponent($("promised-filter").value));
    if (!current() || !answer.ok) return;
    OW.replaceRows($("promised").querySelector("tbody"), answer.body.cases.map(promisedRow));
    $("promised-none").hidden = answer.body.cases.length > 0;
    const overdue = answer.body.overdue;
    $("promised-overdue").textContent = overdue ? OW.t("overdue_count", { n: overdue }) : "";
  });

  // A case handed here from another centre is delivered naming that centre (origin); a case this
  // centre handed away is followed there, so it has no controls here.
  const otherCentres = new Map((OW.data.other_centres || []).map((c) => [c.code, c]));
  const centreName = (code) => (otherCentres.has(code) ? otherCentres.get(code).name : code);
  const received = (item) => item.centre !== centre.code;

  function promisedRow(item) {
    const state = item.state === "due" ? OW.t("state_due") + " · " + OW.t("days_left", { n: item.days_left })
      : OW.t("state_" + item.state);
    const note = (text, kind) => OW.el("span", { class: "muted small " + kind, text: " " + text });
    const cells = [
      OW.el("td", {}, item.number,
        received(item) ? OW.el("div", { class: "muted small origin", text: OW.t("received_from", { centre: centreName(item.centre) }) }) : null),
      OW.el("td", { text: item.service_day }),
      OW.el("td", { text: matterName(item.matter) }),
      OW.el("td", { text: received(item) ? "" : windowName(item.window) }),
      OW.el("td", { text: received(item) ? item.staff || "" : staffName(item.staff) }),
      OW.el("td", { class: item.state === "overdue" ? "overdue-text" : null }, item.due_date,
        item.due_provisional ? OW.el("span", { class: "muted small provisional", title: OW.t("provisional_why"),
          text: " " + OW.t("provisional") }) : null),
      OW.el("td", {}, OW.el("span", { class: "pill state-" + item.state, text: state }),
        item.handed_to && !received(item) ? note(OW.t("handed_to", { centre: centreName(item.handed_to),
          who: item.handed_by, at: localTime(item.handed_at) }), "handed-to") : null,
        item.delivered_at ? note(OW.t("delivered_by", { who: item.delivered_by, at: localTime(item.delivered_at) }),
          "delivered-by") : null,
        // The proof of delivery (送达回证) the citizen signs at the hand-over, on A4.
        canAct && !received(item) ? OW.el("a", { class: "small delivery-receipt", href: `/console/paper/${item.serial}/delivery`,
          target: "_blank", rel: "noopener", text: " " + OW.t("delivery_receipt") }) : null),
    ];
    const open = ["due", "overdue", "ready"].includes(item.state);
    if (canAct) {
      cells.push(OW.el("td", {}, open ? deliverControls(item) : null,
        open && !received(item) && !item.handed_to && otherCentres.size ? handoverControls(item) : null));
    }
    return OW.el("tr", { dataset: { serial: item.serial, origin: item.centre, key: item.centre + "/" + item.serial }, class: received(item) ? "received" : null }, cells);
  }

  function deliverControls(item) {
    const note = OW.el("input", { class: "deliver-note", maxlength: 500, "aria-label": OW.t("deliver_note"),
      placeholder: OW.t("deliver_note") });
    const button = OW.el("button", { type: "button", class: "primary deliver", text: OW.t("deliver") });
    OW.action(button, async (requestId) => {
      const form = $("promised-form");
      OW.clearProblems(form);
      const body = { request_id: requestId, note: note.value.trim() };
      if (received(item)) body.origin = item.centre;
      const answer = await OW.api("POST", base + "/promised/" + item.serial + "/deliver", body);
      if (!answer.ok) { showRefusal(form, answer.body); return; }
      $("promised-message").textContent = OW.t("delivered", { number: answer.body.number });
      await loadPromised();
    });
    return OW.el("span", { class: "deliver-row" }, note, button);
  }

  function handoverControls(item) {
    const choice = OW.el("select", { class: "handover-centre", name: "to_centre", "aria-label": OW.t("handover_to"),
      onchange: () => OW.clearProblems($("promised-form")) },
      OW.el("option", { value: "", text: OW.t("handover_pick") }),
      [...otherCentres.values()].map((c) => OW.el("option", { value: c.code, text: c.name })));
    const note = OW.el("input", { class: "handover-note", maxlength: 500, "aria-label": OW.t("handover_note"),
      placeholder: OW.t("handover_note") });
    const button = OW.el("button", { type: "button", class: "handover", text: OW.t("handover") });
    OW.action(button, async (requestId) => {
      const form = $("promised-form");
      OW.clearProblems(form);
      if (!choice.value) {
        const general = form.querySelector(".form-error");
        general.textContent = OW.t("handover_missing");
        general.hidden = false;
        choice.focus();
        return;
      }
      const answer = await OW.api("POST", base + "/promised/" + item.serial + "/hand-over",
        { request_id: requestId, to_centre: choice.value, note: note.value.trim() });
      if (!answer.ok) { showRefusal(form, answer.body); return; }
      $("promised-message").textContent = OW.t("handed", { number: answer.body.number,
        centre: centreName(answer.body.handed_to) });
      await loadPromised();
    });
    return OW.el("span", { class: "handover-row" }, OW.el("span", { class: "muted small", text: OW.t("handover_to") }),
      choice, note, button);
  }

  $("promised-filter").addEventListener("change", () => loadPromised());

  // --- Live -------------------------------------------------------------------------------------------

  async function refreshCases() {
    await loadCases();
    await loadCase();
  }

  OW.live("/live/centres/" + encodeURIComponent(centre.code), () => { refreshCases(); loadPromised(); });
})();
