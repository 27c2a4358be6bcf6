// The manager's page: the promised cases (承诺件) overdue today at this centre, the longest overdue
// first, read when the page opens and again every few minutes (a case turns overdue at midnight,
// and stops being overdue when the business system reports it decided).
"use strict";

(() => {
  const { t, el, api } = OW;
  const $ = (id) => document.getElementById(id);
  const REREAD_MS = 5 * 60 * 1000;

  const base = `/centres/${encodeURIComponent(OW.data.centre)}`;
  const names = { matters: new Map(), staff: new Map() };

  async function readNames() {
    const centre = await api("GET", base);
    if (!centre.ok) return;
    for (const matter of centre.body.matters) names.matters.set(matter.code, matter.name);
    for (const person of centre.body.staff) names.staff.set(person.code, `${person.name}（${person.code}）`);
  }

  // Read on a timer: a read slower than the timer never draws over the one after it (OW.latest).
  const load = OW.latest(async (current) => {
    if (!names.matters.size) await readNames();
    const answer = await api("GET", `${base}/promised?state=overdue`);
    if (!current() || !answer.ok) return;
    const cases = answer.body.cases;
    $("overdue-count").textContent = cases.length ? t("overdue_count", { n: cases.length }) : "";
    $("overdue-none").hidden = cases.length > 0;
    $("overdue-table").hidden = cases.length === 0;
    const rows = cases.map((item) => el("tr", { dataset: { serial: String(item.serial) } },
      el("th", { scope: "row", text: item.case_number }),
      el("td", { text: item.number }),
      el("td", { text: names.matters.get(item.matter) || item.matter }),
      el("td", { text: item.due_date }),
      el("td", { class: "overdue", text: t("overdue_days", { n: -item.days_left }) }),
      el("td", { text: item.staff ? names.staff.get(item.staff) || item.staff : "" })));
    OW.replaceRows($("overdue-cases"), rows);
  });

  load();
  setInterval(load, REREAD_MS);
})();
