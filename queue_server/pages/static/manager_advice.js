// The manager's page: the live staffing advice (人员调配建议). Which matters will wait longest, and
// each change that would help (a B-post signed on, a staff member moved, a pause ended) with the
// waits it would give, best first. Read when the page opens and every little while; the server
// plays the hall forward at most every few seconds. Advice only: the page changes nothing.
"use strict";

(() => {
  const { t, el, api } = OW;
  const $ = (id) => document.getElementById(id);
  const REREAD_MS = 20 * 1000;
  const en = OW.data.lang === "en";

  const base = `/centres/${encodeURIComponent(OW.data.centre)}`;
  const names = { matters: new Map(), staff: new Map(), windows: new Map() };

  async function readNames() {
    const centre = await api("GET", base);
    if (!centre.ok) return;
    for (const m of centre.body.matters) names.matters.set(m.code, en ? m.name_en || m.name : m.name);
    for (const p of centre.body.staff) names.staff.set(p.code, en ? `${p.name} (${p.code})` : `${p.name}（${p.code}）`);
  }

  const minutes = (value) => (value === null || value === undefined ? "–" : String(Math.round(value)));
  const matterName = (code) => names.matters.get(code) || code;
  const windowName = (n) => t("advice_window", { n });

  function said(s) {
    const matters = s.matters.map(matterName).join(t("advice_list_sep"));
    const who = s.staff ? names.staff.get(s.staff) || s.staff : "";
    const key = { sign_on: "advice_sign_on", move: "advice_move", end_pause: "advice_end_pause" }[s.kind];
    let text = t(key, { staff: who, window: windowName(s.window), from: windowName(s.from_window), matters });
    if (s.move_minutes > 0) text += t("advice_ready", { minutes: minutes(s.move_minutes) });
    return text;
  }

  function effect(s) {
    let text = t("advice_effect", {
      before: minutes(s.longest_before), after: minutes(s.longest_after),
      mean_before: minutes(s.mean_before), mean_after: minutes(s.mean_after),
    });
    if (s.green_mean_before !== null && s.green_mean_after !== null) {
      text += t("advice_effect_green", { before: minutes(s.green_mean_before), after: minutes(s.green_mean_after) });
    }
    if (s.unserved_before !== s.unserved_after) {
      text += t("advice_effect_unserved", { before: s.unserved_before, after: s.unserved_after });
    }
    return text;
  }

  // Read on a timer: a read slower than the timer never draws over the one after it (OW.latest).
  const load = OW.latest(async (current) => {
    if (!names.matters.size) await readNames();
    const answer = await api("GET", `${base}/advice`);
    if (!current() || !answer.ok) return;
    const advice = answer.body;
    let now = t("advice_longest", { minutes: minutes(advice.longest_minutes), mean: minutes(advice.mean_minutes) });
    if (advice.green_mean_minutes !== null) now += t("advice_green", { minutes: minutes(advice.green_mean_minutes) });
    if (advice.unserved) now += t("advice_unserved", { n: advice.unserved });
    $("advice-now").textContent = advice.matters.length ? now : "";
    $("advice-matters").hidden = advice.matters.length === 0;
    OW.replaceRows($("advice-matter-rows"), advice.matters.map((m) => el("tr", { dataset: { matter: m.matter } },
      el("th", { scope: "row", text: en ? m.name_en : m.name }),
      el("td", { text: String(m.waiting) }),
      el("td", { text: String(m.waiting_in_an_hour) }),
      el("td", { text: m.longest_minutes === null ? t("advice_no_window") : minutes(m.longest_minutes) }),
      el("td", { text: minutes(m.mean_minutes) }))));
    $("advice-none").hidden = advice.suggestions.length > 0;
    OW.replaceRows($("advice-suggestions"), advice.suggestions.map((s) => el("li",
      { dataset: { kind: s.kind, window: String(s.window) } },
      el("span", { class: "advice-what", text: said(s) }),
      el("span", { class: "advice-effect", text: effect(s) }),
      el("span", { class: "advice-effect advice-matters", text: s.matter_effects.map((m) => t("advice_matter_effect", {
        matter: matterName(m.matter),
        before: m.longest_before === null ? t("advice_no_window") : minutes(m.longest_before),
        after: minutes(m.longest_after), mean_before: minutes(m.mean_before), mean_after: minutes(m.mean_after),
      })).join(t("advice_matter_sep")) }))));
  });

  load();
  setInterval(load, REREAD_MS);
})();
