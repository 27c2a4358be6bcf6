// A ticket's status page: read the ticket through the public status API whenever the centre
// changes (OW.live), show where it stands, buzz the phone when it is called, cancel it, rate it.
"use strict";

(() => {
  const token = OW.data.token;
  const statusPath = "/status/" + encodeURIComponent(token);
  const $ = (id) => document.getElementById(id);
  const panels = ["waiting", "called", "serving", "no-show", "cancelled", "finished", "rating-form", "rated"];
  let lastCalls = null;
  let ratingNote = "";

  function time(iso) {
    if (!iso) return "";
    const options = { timeZone: OW.data.time_zone, hour: "2-digit", minute: "2-digit", hour12: false };
    return new Intl.DateTimeFormat(OW.data.lang === "en" ? "en-GB" : "zh-CN", options).format(new Date(iso));
  }

  function windowText(ticket) {
    return OW.t("window_label", { n: ticket.window });
  }

  function show(...ids) {
    for (const id of panels) $(id).hidden = !ids.includes(id);
  }

  // A promised case (承诺件): its number, its date, where its result stands and how it comes.
  function renderPromised(promised) {
    $("promised").hidden = !promised;
    if (!promised) return;
    $("case-number").textContent = promised.case_number;
    $("promised-date").textContent = dayText(promised.due_date);
    $("result-state").textContent = OW.t("result_" + promised.state);
    $("result-state").dataset.state = promised.state;
    $("promised-how").textContent = howText(promised);
    const detail = promised.state === "refused" ? OW.t("refused_rights")
      : promised.state === "delivered" && promised.delivered_at ? OW.t("delivered_on", { date: dateTime(promised.delivered_at) })
      : promised.state !== "delivered" && promised.post_to ? OW.t("how_ready_post", { address: promised.post_to }) : "";
    $("promised-detail").textContent = detail;
    $("promised-detail").hidden = !detail;
  }

  function howText(promised) {
    const collection = promised.collection;
    switch (promised.state) {
      case "ready":
        return promised.collect_at ? OW.t("how_ready_elsewhere", { centre: promised.collect_at, collection })
          : OW.t("how_ready", { collection });
      case "delivered":
        return promised.method === "post"
          ? OW.t("how_posted", { courier: promised.courier, tracking: promised.tracking_number })
          : OW.t("how_collected", { date: dateTime(promised.delivered_at) });
      case "refused":
        return OW.t("how_refused", { reason: promised.reason });
      default:
        return OW.t("how_accepted", { collection });
    }
  }

  function dateTime(iso) {
    if (!iso) return "";
    const options = { timeZone: OW.data.time_zone, year: "numeric", month: "long", day: "numeric" };
    return new Intl.DateTimeFormat(OW.data.lang === "en" ? "en-GB" : "zh-CN", options).format(new Date(iso));
  }

  function buzz(ticket) {
    const calls = ticket.calls || 0;
    if (ticket.status === "called" && lastCalls !== null && calls > lastCalls && navigator.vibrate) {
      navigator.vibrate([400, 150, 400, 150, 400]);
    }
    lastCalls = calls;
  }

  // The wait as a range when the hall computed one (its width says how sure it is), else the single estimate.
  function waitText(position) {
    if (!position || position.estimated_wait_minutes === null) return OW.t("wait_unknown");
    const range = position.wait_range_minutes;
    if (range && range[1] > range[0]) return OW.t("wait_range", { low: range[0], high: range[1] });
    return OW.t("wait_minutes", { n: range ? range[1] : position.estimated_wait_minutes });
  }

  function movedText(moved) {
    const text = OW.t(moved.minutes > 0 ? "wait_later" : "wait_earlier", { time: time(moved.at), n: Math.abs(moved.minutes) });
    if (!moved.reasons.length) return text;
    return text + OW.t("moved_because") + moved.reasons.map((reason) => OW.t("moved_" + reason)).join(OW.t("moved_and"));
  }

  function render(view) {
    const ticket = view.ticket;
    const centre = view.centre;
    $("loading").hidden = true;
    $("load-error").hidden = true;
    $("ticket").hidden = false;
    $("centre-name").textContent = OW.data.lang === "en" && centre.name_en ? centre.name_en : centre.name;
    $("number").textContent = ticket.number;
    $("matter").textContent = OW.data.lang === "en" && ticket.matter_name_en ? ticket.matter_name_en : ticket.matter_name;
    $("green").hidden = !ticket.green_channel;
    $("state").textContent = OW.t("state_" + ticket.status);
    $("state").dataset.state = ticket.status;
    $("issued").textContent = OW.t("issued_at") + " " + time(ticket.issued_at);
    $("phone").textContent = centre.phone ? OW.t("centre_phone", { phone: centre.phone }) : "";
    buzz(ticket);
    renderPromised(view.promised);
    document.body.dataset.state = ticket.status;
    renderSms(ticket, view.promised);
    switch (ticket.status) {
      case "waiting": {
        const position = ticket.position;
        $("ahead").textContent = position ? OW.t("people_unit", { n: position.people_ahead }) : "—";
        $("wait").textContent = waitText(position);
        $("next-up").hidden = !(position && position.people_ahead === 0);
        // A wait that grew says why: green-channel citizens who came later go first (绿色通道优先).
        const green = position && position.green_ahead ? position.green_ahead : 0;
        $("green-ahead").textContent = green ? OW.t("green_ahead", { n: green }) : "";
        $("green-ahead").hidden = !green;
        // When the told wait moved, and why (the hall's changes between two workings-out).
        const moved = position && position.wait_moved;
        $("wait-moved").textContent = moved ? movedText(moved) : "";
        $("wait-moved").hidden = !moved;
        show("waiting");
        break;
      }
      case "called":
        $("call-text").textContent = OW.t("called_to", { window: windowText(ticket) });
        $("call-window-name").textContent = ticket.window_name || "";
        show("called");
        break;
      case "serving":
        $("serving-text").textContent = OW.t("serving_at", { window: windowText(ticket) })
          + (ticket.window_name ? " · " + ticket.window_name : "");
        show("serving");
        break;
      case "no_show":
        show("no-show");
        break;
      case "cancelled":
        show("cancelled");
        break;
      case "finished":
        renderOutcome(ticket);
        renderTerms(ticket);
        renderRating(ticket);
        break;
      default:
        show();
    }
  }

  // 叫号时短信提醒我: offered while the ticket waits or its promised case is not yet ready.
  function renderSms(ticket, promised) {
    const form = $("sms-form");
    if (!form) return; // the centre sends no SMS
    const open = ticket.status === "waiting" || (promised && promised.state === "accepted");
    form.hidden = !open || !$("sms-kept").hidden;
  }

  const smsForm = $("sms-form");
  if (smsForm) OW.smsForm(smsForm, $("sms-kept"), () => statusPath + "/sms");

  // How the case ended, in the citizen's words: a promised case's date, what to bring back, or why not.
  function renderOutcome(ticket) {
    const accepted = ["promised", "joint", "reported"].includes(ticket.outcome);
    $("finished-text").textContent = OW.t(accepted ? "finished_accepted" : ticket.outcome === "supplement"
      ? "finished_supplement" : ticket.outcome === "returned" ? "finished_returned" : "finished_help");
    const due = accepted && ticket.due_date ? dayText(ticket.due_date) : "";
    $("outcome-text").textContent = due
      ? OW.t(ticket.due_date_provisional ? "due_by_provisional" : "due_by", { date: due }) : "";
    $("outcome-text").hidden = !due;
  }

  // What the case was accepted on: a joint case's lead department or a reported case's level with the
  // time limit, a commitment's verification date, the materials to follow and by when.
  function renderTerms(ticket) {
    const terms = ticket.terms;
    const own = { commitment: "finished_commitment", deferred: "finished_deferred" }[ticket.outcome];
    if (own) $("finished-text").textContent = OW.t(own);
    let text = "";
    if (terms && ticket.outcome === "joint") text = OW.t("terms_lead", { department: terms.lead_department, days: terms.days });
    else if (terms && ticket.outcome === "reported") text = OW.t("terms_level", { level: OW.data.lang === "en" ? terms.level : terms.level_name, days: terms.days });
    else if (terms && ticket.outcome === "commitment" && terms.by) text = OW.t("terms_verify_by", { date: dayText(terms.by) });
    else if (terms && ticket.outcome === "deferred" && terms.by) {
      text = OW.t("terms_follow_by", { date: dayText(terms.by), materials: terms.to_follow.join(OW.data.lang === "en" ? ", " : "、") });
    }
    $("terms-text").textContent = text;
    $("terms-text").hidden = !text;
  }

  function dayText(iso) {
    const [year, month, day] = iso.split("-").map(Number);
    return OW.data.lang === "en" ? `${day}/${month}/${year}` : `${year}年${month}月${day}日`;
  }

  function renderRating(ticket) {
    if (ticket.rating_status === "requested" && !ratingNote) {
      $("rating-until").textContent = ticket.rating_expires_at
        ? OW.t("rating_until", { time: time(ticket.rating_expires_at) }) : "";
      show("finished", "rating-form");
      return;
    }
    if (ticket.rating_status === "rated") {
      $("rated-text").textContent = ratingNote || OW.t("rated_thanks");
      $("rated-level").textContent = ticket.rating ? OW.t("rated_as", { name: OW.t("level_" + ticket.rating) }) : "";
      show("finished", "rated");
      return;
    }
    if (ticket.rating_status === "expired" || ratingNote) {
      $("rated-text").textContent = ratingNote || OW.t("rating_expired");
      $("rated-level").textContent = "";
      show("finished", "rated");
      return;
    }
    show("finished");
  }

  // Read on every change of the ticket and after a cancel or a rating: only the newest answer is
  // shown, so a read begun before the cancel never shows the ticket waiting again.
  const refresh = OW.latest(async (current) => {
    const answer = await OW.api("GET", statusPath);
    if (!current()) return;
    if (answer.ok) render(answer.body);
    else if (answer.status === 404) window.location.reload();
    else { $("loading").hidden = true; $("load-error").hidden = false; }
  });

  // --- Cancelling: asked once more, then one request id for the intended cancel -------------------
  $("cancel-open").addEventListener("click", () => {
    $("cancel-confirm").hidden = false;
    $("cancel-open").hidden = true;
    $("cancel-no").focus();
  });
  $("cancel-no").addEventListener("click", () => {
    $("cancel-confirm").hidden = true;
    $("cancel-open").hidden = false;
    $("cancel-error").hidden = true;
    $("cancel-open").focus();
  });
  OW.action($("cancel-yes"), async (id) => {
    const answer = await OW.api("POST", statusPath + "/cancel", { request_id: id });
    if (answer.ok) {
      $("cancel-confirm").hidden = true;
      $("cancel-open").hidden = false;
      $("cancel-error").hidden = true;
    } else {
      $("cancel-error").textContent = OW.t("cancel_failed", { detail: OW.refusalWords(answer.body) });
      $("cancel-error").hidden = false;
    }
    await refresh();
  });

  // --- Rating (好差评) -------------------------------------------------------------------------------
  const form = $("rating-form");
  const reasonList = $("reason-list");
  for (const reason of OW.data.reasons || []) {
    reasonList.append(OW.el("label", { class: "reason" },
      OW.el("input", { type: "checkbox", name: "reason", value: reason }), " ", reason));
  }
  form.addEventListener("change", (event) => {
    OW.clearProblems(form);
    if (event.target.name !== "level") return;
    const bad = Number(event.target.value) <= 2;
    $("reasons").hidden = !bad;
    $("follow-up").hidden = !bad; // a call back is offered with a bad rating
    if (!bad) form.querySelectorAll("input[name=reason]").forEach((box) => { box.checked = false; });
  });
  const rate = OW.action(null, async (id) => {
    const chosen = form.querySelector("input[name=level]:checked");
    const level = chosen ? Number(chosen.value) : null;
    const reasons = Array.from(form.querySelectorAll("input[name=reason]:checked"), (box) => box.value);
    if (level === null) {
      OW.showProblem(form, { errors: [{ field: "level", message: OW.t("rate_pick_level") }] });
      return;
    }
    if (level <= 2 && reasons.length === 0) {
      OW.showProblem(form, { errors: [{ field: "reasons", message: OW.t("rate_pick_reason") }] });
      return;
    }
    // A number for the call back is kept only with the citizen's consent: asked before sending.
    if (level <= 2 && form.elements.contact_phone.value.trim() && !form.elements.contact_consent.checked) {
      OW.showProblem(form, { errors: [{ field: "contact_consent", message: OW.t("rate_need_consent") }] });
      return;
    }
    $("rate-submit").disabled = true;
    try {
      const body = { level, reasons, comment: form.elements.comment.value, request_id: id, items: {} };
      for (const select of form.querySelectorAll("#items select")) {
        if (select.value) body.items[select.dataset.item] = Number(select.value); // 服务效率, 服务水平, 服务态度
      }
      const phone = level <= 2 ? form.elements.contact_phone.value.trim() : "";
      if (phone) {
        body.contact_phone = phone;
        body.contact_consent = form.elements.contact_consent.checked;
      }
      const answer = await OW.api("POST", statusPath + "/rating", body);
      if (answer.ok) {
        OW.clearProblems(form);
        ratingNote = OW.t("rated_thanks") + (answer.body.contact ? " " + OW.t("follow_up_kept", { phone: answer.body.contact }) : "");
      } else if (answer.status === 409) {
        OW.clearProblems(form);
        const now = await OW.api("GET", statusPath);
        const state = now.ok ? now.body.ticket.rating_status : "";
        ratingNote = state === "rated" ? OW.t("rated_already")
          : state === "expired" || state === "requested" ? OW.t("rating_expired")
          : OW.t("rating_closed", { detail: OW.refusalWords(answer.body) });
      } else {
        OW.showProblem(form, answer.body);
        return;
      }
      await refresh();
    } finally {
      $("rate-submit").disabled = false;
    }
  });
  form.addEventListener("submit", (event) => { event.preventDefault(); rate(); });

  OW.live("/live/ticket/" + encodeURIComponent(token), () => refresh());
})();
