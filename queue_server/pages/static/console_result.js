// The console's result desk: find a promised case (承诺件) by its case number or its ticket's QR code
// (typed, or scanned by a keyboard-wedge scanner, which types the QR's address and Enter), show
// where it stands, record that the citizen collected it, and take a postal address with consent.
// A case just finished as promised at this window is shown here at once (event "ow:promised").
"use strict";

(() => {
  const { t, api, action, showProblem, clearProblems } = OW;
  const C = OW.data.centre.code;
  const zone = OW.data.centre.time_zone;
  const $ = (id) => document.getElementById(id);
  const search = $("result-search");
  const addressForm = $("result-address");
  let shown = null;

  function day(iso) {
    const [year, month, date] = iso.split("-").map(Number);
    return OW.data.lang === "en" ? `${date}/${month}/${year}` : `${year}年${month}月${date}日`;
  }

  function when(iso) {
    const options = { timeZone: zone, year: "numeric", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" };
    return new Intl.DateTimeFormat(OW.data.lang === "en" ? "en-GB" : "zh-CN", options).format(new Date(iso));
  }

  function detail(found) {
    if (found.state === "delivered") {
      const how = found.method === "post"
        ? t("result_how_post", { courier: found.courier, tracking: found.tracking_number }) : t("result_how_window");
      return t("result_delivered", { date: when(found.delivered_at), how });
    }
    return found.state === "refused" ? t("result_refused", { reason: found.reason }) : "";
  }

  function show(found) {
    shown = found;
    $("result-case").hidden = false;
    $("result-number").textContent = found.case_number;
    $("result-ticket").textContent = found.number;
    $("result-due").textContent = day(found.due_date);
    $("result-state").textContent = t("result_state_" + found.state);
    $("result-state").dataset.state = found.state;
    $("result-post-row").hidden = !found.post_to;
    $("result-post-to").textContent = found.post_to || "";
    $("result-detail").textContent = detail(found);
    const open = ["due", "overdue", "ready"].includes(found.state);
    $("result-collect").hidden = !open;
    $("result-address-open").hidden = !open;
    if (!open) addressForm.hidden = true;
  }

  // Only the newest search is shown (a search typed, a case just finished here: OW.latest).
  const find = OW.latest(async (current, query) => {
    clearProblems(search);
    $("result-message").textContent = "";
    const answer = await api("GET", `/centres/${C}/promised/find?q=${encodeURIComponent(query)}`);
    if (!current()) return;
    if (answer.ok) {
      show(answer.body);
      return;
    }
    $("result-case").hidden = true;
    shown = null;
    showProblem(search, answer.status === 404
      ? { errors: [{ field: "q", message: t("result_not_found", { detail: OW.refusalWords(answer.body) }) }] }
      : answer.body);
  });

  search.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = $("result-query").value.trim();
    if (!query) {
      showProblem(search, { errors: [{ field: "q", message: t("need_query") }] });
      return;
    }
    find(query);
  });

  const collect = action($("result-collect"), async (id) => {
    if (!shown) return;
    const origin = shown.centre !== C ? shown.centre : undefined;
    const answer = await api("POST", `/centres/${C}/promised/${shown.serial}/deliver`,
      { request_id: id, note: t("result_how_window"), origin, window: OW.windowNumber ?? undefined });
    if (!answer.ok) {
      showProblem(search, answer.body);
      return;
    }
    show(answer.body);
    $("result-message").textContent = t("result_collected", { number: answer.body.number, case: answer.body.case_number });
    // The window's printer prints the proof of delivery of a case accepted here: say what it did.
    if (!origin && OW.windowNumber) await OW.noticePrint.follow(shown.serial, t("paper_title_delivery"), "result-print");
  });
  $("result-collect").addEventListener("click", () => collect());

  $("result-address-open").addEventListener("click", () => {
    addressForm.hidden = !addressForm.hidden;
    if (!addressForm.hidden) $("address-recipient").focus();
  });

  const keep = action(addressForm.querySelector("button[type=submit]"), async (id) => {
    clearProblems(addressForm);
    if (!$("address-consent").checked) {
      showProblem(addressForm, { errors: [{ field: "consent", message: t("need_address_consent") }] });
      return;
    }
    const body = {
      request_id: id,
      recipient: $("address-recipient").value.trim(),
      phone: $("address-phone").value.trim(),
      address: $("address-text").value.trim(),
      consent: true,
    };
    const answer = await api("POST", `/centres/${C}/promised/${shown.serial}/postal-address`, body);
    if (!answer.ok) {
      showProblem(addressForm, answer.body);
      return;
    }
    addressForm.reset();
    addressForm.hidden = true;
    show(answer.body);
    $("result-message").textContent = t("result_address_kept", { case: answer.body.case_number });
  });
  addressForm.addEventListener("submit", (event) => { event.preventDefault(); keep(); });

  // Finished as promised here just now: its case number is this centre's, this year's, its serial.
  document.addEventListener("ow:promised", (event) => {
    const year = new Intl.DateTimeFormat("en", { timeZone: zone, year: "numeric" }).format(new Date());
    find(`${C.toUpperCase()}-${year}-${String(event.detail.serial).padStart(6, "0")}`);
  });
})();
