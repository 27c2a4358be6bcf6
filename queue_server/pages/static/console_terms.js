// The finish dialog's terms of an accepted case (告知承诺, 容缺受理, 联办件, 上报件) and the 帮办代办
// record at a window of an assisting kind: which outcomes the matter allows, which fields each
// outcome shows, and what the finish sends. console.js owns the dialog and calls these.
"use strict";

OW.finishTerms = (() => {
  const { t, el } = OW;
  const centre = OW.data.centre;
  const $ = (id) => document.getElementById(id);
  const assisting = new Set(centre.window_kinds.filter((kind) => kind.assists).map((kind) => kind.code));
  const LEVELS = ["district", "city", "province"];
  const SHOWN = {
    commitment: ["commitment-field", "terms-by-field"],
    deferred: ["to-follow-field", "terms-by-field"],
    joint: ["lead-field", "time-limit-field"],
    reported: ["level-field", "time-limit-field"],
  };
  const FIELDS = ["commitment-field", "to-follow-field", "terms-by-field", "lead-field", "level-field", "time-limit-field"];
  // A refusal about a term is shown on its field.
  const codeFields = {
    commitment_missing: "terms.commitment", to_follow_missing: "terms.to_follow",
    material_not_deferrable: "terms.to_follow", terms_date_out_of_policy: "terms.by",
    lead_department_missing: "terms.lead_department", level_missing: "terms.level",
    time_limit_missing: "terms.days", assisted_person_missing: "assisted.helped",
    assisted_person_identifies: "assisted.helped", assistance_consent_missing: "assisted.consent",
  };
  $("level").replaceChildren(el("option", { value: "", text: t("level_choose") }),
    ...LEVELS.map((level) => el("option", { value: level, text: t("level_" + level) })));

  function allowed(outcome, matter) {
    if (outcome === "commitment") return Boolean(matter && matter.commitment);
    if (outcome === "deferred") return Boolean(matter && matter.deferrable.length);
    return true;
  }

  function assists(windowConfig) {
    return Boolean(windowConfig && windowConfig.kinds.some((kind) => assisting.has(kind)));
  }

  // A new finish: the outcomes the matter allows, its materials that may follow, the record at an
  // assisting window (the ticket's matter chosen, nothing recorded unless the clerk fills it in).
  function reset(form, matter, windowConfig, choice) {
    for (const input of form.querySelectorAll('input[name="outcome"]')) {
      input.closest("label").hidden = !allowed(input.value, matter);
    }
    $("to-follow-choices").replaceChildren(...(matter ? matter.deferrable : []).map((m) => choice("checkbox", "terms.to_follow", m, m)));
    $("helped-matter").replaceChildren(...centre.matters.map((m) => el("option", { value: m.code, text: m.name })));
    if (matter) $("helped-matter").value = matter.code;
    $("assisted-field").hidden = !assists(windowConfig);
  }

  function show(outcome) {
    const shown = new Set(SHOWN[outcome] || []);
    for (const id of FIELDS) $(id).hidden = !shown.has(id);
    if (outcome === "commitment" || outcome === "deferred") {
      $("terms-by-label").textContent = t("terms_by_" + outcome);
      const days = outcome === "commitment" ? centre.policy.commitment_days : centre.policy.deferred_days;
      $("terms-by-help").textContent = t("terms_by_help", { days });
    }
  }

  // What the finish sends beside the outcome: { terms, assisted }, each left out when empty;
  // what the form can tell is missing goes to ``errors`` as the server would say it.
  function collect(form, outcome, errors) {
    const body = {};
    const by = $("terms-by").value;
    if (outcome === "commitment") {
      const commitment = $("commitment").value.trim();
      if (!commitment) errors.push({ field: "terms.commitment", message: t("need_commitment") });
      body.terms = { commitment, ...(by ? { by } : {}) };
    } else if (outcome === "deferred") {
      const toFollow = Array.from(form.querySelectorAll('input[name="terms.to_follow"]:checked'), (i) => i.value);
      if (!toFollow.length) errors.push({ field: "terms.to_follow", message: t("need_to_follow") });
      body.terms = { to_follow: toFollow, ...(by ? { by } : {}) };
    } else if (outcome === "joint" || outcome === "reported") {
      const raw = $("time-limit").value.trim();
      const days = Number(raw);
      if (!raw || !Number.isInteger(days) || days < 1 || days > 365) errors.push({ field: "terms.days", message: t("need_days") });
      if (outcome === "joint") {
        const lead = $("lead-department").value.trim();
        if (!lead) errors.push({ field: "terms.lead_department", message: t("need_lead_department") });
        body.terms = { lead_department: lead, days };
      } else {
        const level = $("level").value;
        if (!level) errors.push({ field: "terms.level", message: t("need_level") });
        body.terms = { level: level || null, days };
      }
    }
    const helped = $("helped").value.trim();
    if (!$("assisted-field").hidden && helped) {
      const consent = $("helped-consent").checked;
      if (!consent) errors.push({ field: "assisted.consent", message: t("need_consent") });
      body.assisted = { helped, matter: $("helped-matter").value, consent };
    }
    return body;
  }

  return { reset, show, collect, codeFields };
})();
