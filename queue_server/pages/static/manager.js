// The manager's page: the live hall (windows, queues, devices, printers' paper) and the centre's
// configuration edited in place, checked (a dry run lists the differences or puts each error next
// to its field) and applied, plus the centre file exported and imported. Everything goes through
// the JSON API with the session; values reach the page through OW.el (textContent), never as HTML.
"use strict";

(() => {
  const { t, el } = OW;
  const page = OW.data;
  const base = "/centres/" + encodeURIComponent(page.centre);
  const canEdit = Boolean(page.can_edit);
  const EDIT_TABS = ["windows", "matters", "staff", "hours", "bookings", "devices"];
  const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
  const DEVICE_KINDS = ["keypad", "pad", "kiosk", "printer", "display"];
  const REFRESH_MS = 10000;

  const form = document.getElementById("edit-form");
  const editActions = document.getElementById("edit-actions");
  const checkButton = document.getElementById("check");
  const applyButton = document.getElementById("apply");
  const difference = document.getElementById("difference");

  // --- Tabs --------------------------------------------------------------------------------------

  const tabButtons = Array.from(document.querySelectorAll("#tabs [data-tab]"));

  function showTab(name) {
    if (!tabButtons.some((b) => b.dataset.tab === name)) name = "hall";
    for (const button of tabButtons) button.setAttribute("aria-selected", String(button.dataset.tab === name));
    for (const section of document.querySelectorAll("section.tab")) section.hidden = section.dataset.tab !== name;
    if (editActions) editActions.hidden = !EDIT_TABS.includes(name);
    history.replaceState(null, "", "#" + name);
  }

  for (const button of tabButtons) button.addEventListener("click", () => showTab(button.dataset.tab));

  // --- The live hall -------------------------------------------------------------------------------

  let hall = null;
  let fetchedAt = 0;
  let refreshing = null;
  let again = false;

  // The server's clock now: the queue's "at" plus what elapsed in the browser since it came.
  function serverNow() {
    return Date.parse(hall.queue.at) + (performance.now() - fetchedAt);
  }

  function elapsed(since) {
    return el("span", { class: "elapsed", dataset: { since } }, sinceText(since));
  }

  function sinceText(since) {
    if (!hall || !since) return "";
    return OW.minutes((serverNow() - Date.parse(since)) / 1000);
  }

  function tick() {
    for (const node of document.querySelectorAll("[data-since]")) node.textContent = sinceText(node.dataset.since);
  }

  async function refreshHall() {
    if (refreshing) { again = true; return refreshing; }
    refreshing = (async () => {
      try {
        do {
          again = false;
          const [windows, queue, devices, printers, centre] = await Promise.all([
            OW.api("GET", base + "/windows"),
            OW.api("GET", base + "/queue"),
            OW.api("GET", base + "/devices"),
            OW.api("GET", base + "/printers"),
            OW.api("GET", base),
          ]);
          const failed = [windows, queue, devices, printers, centre].find((answer) => !answer.ok);
          const note = document.getElementById("hall-error");
          if (failed) {
            note.textContent = t("hall_unreadable", { detail: OW.refusalWords(failed.body) });
            note.hidden = false;
            continue;
          }
          note.hidden = true;
          fetchedAt = performance.now();
          hall = {
            windows: windows.body.windows,
            queue: queue.body,
            devices: devices.body.devices,
            printers: printers.body.printers,
            centre: centre.body,
          };
          renderHall();
          OW.showLostDevices(document.getElementById("devices-lost"), hall.devices);
          showStuckPrints(hall.printers);
        } while (again);
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  // Tickets and notices no printer took within a minute: the citizen may be waiting for a paper.
  const STUCK_SECONDS = 60;
  function showStuckPrints(printers) {
    const stuck = printers.filter((p) => p.waiting_jobs > 0 && p.waiting_seconds >= STUCK_SECONDS);
    const note = document.getElementById("prints-stuck");
    note.hidden = stuck.length === 0;
    note.textContent = stuck.map((p) => t("prints_stuck", {
      printer: p.name || p.id, n: p.waiting_jobs, minutes: Math.floor(p.waiting_seconds / 60),
    })).join(page.lang === "en" ? " " : "；");
  }

  function staffName(code) {
    if (!code) return "";
    const person = hall.centre.staff.find((s) => s.code === code);
    return person ? person.name + " (" + code + ")" : code;
  }

  function localName(item) {
    return page.lang === "en" && item.name_en ? item.name_en : item.name;
  }

  function clockOf(iso) {
    const zone = hall.centre.time_zone || "Asia/Shanghai";
    return new Date(iso).toLocaleTimeString(page.lang === "en" ? "en-GB" : "zh-CN", {
      hour: "2-digit", minute: "2-digit", timeZone: zone,
    });
  }

  function renderHall() {
    const queue = hall.queue;
    const total = queue.groups.reduce((sum, group) => sum + group.waiting, 0);
    const longest = queue.longest_wait_minutes;
    document.getElementById("summary").replaceChildren(
      el("div", { class: "stat", id: "waiting-total" },
        el("span", { class: "stat-value" }, String(total)), el("span", { class: "stat-label" }, t("waiting_total"))),
      ...queue.groups.map((group) => el("div", { class: "stat group", dataset: { prefix: group.prefix } },
        el("span", { class: "stat-value" }, String(group.waiting)),
        el("span", { class: "stat-label" }, group.prefix + " · " + localName(group)))),
      el("div", { class: "stat" + (longest !== null && longest >= 30 ? " warn" : ""), id: "longest-wait" },
        el("span", { class: "stat-value" }, longest === null ? "—" : t("minutes_value", { n: longest })),
        el("span", { class: "stat-label" }, t("longest_wait"))),
    );

    document.getElementById("hall-windows").replaceChildren(...hall.windows.map((w) => {
      const ticket = w.ticket;
      const pause = w.pause;
      return el("tr", { dataset: { window: w.number }, class: "state-" + w.status },
        el("td", { class: "num" }, String(w.number)),
        el("td", { class: "window-name" }, localName(w), w.green_channel ? el("span", { class: "tag green" }, t("green")) : null),
        el("td", {}, el("span", { class: "badge " + w.status }, t("state_" + w.status)),
          w.since ? el("span", { class: "muted small" }, " " + t("since", { time: clockOf(w.since) })) : null),
        el("td", { class: "staff" }, staffName(w.staff),
          w.cover ? el("div", { class: "muted small" }, t("cover", { name: staffName(w.cover) })) : null),
        el("td", { class: "ticket" }, ticket
          ? [el("strong", {}, ticket.number), " ", el("span", { class: "muted" }, ticket.matter_name), " ",
            elapsed(ticket.called_at)]
          : el("span", { class: "muted" }, "—")),
        el("td", { class: "pause" }, pause
          ? [el("span", { class: "reason" }, pause.reason ? t("reason_" + pause.reason) : ""),
            pause.note ? " · " + t(pause.note_public ? "note_shown" : "note_internal", { note: pause.note }) : "",
            el("div", { class: "muted small" }, t("paused_for"), " ", elapsed(w.since),
              pause.until ? " · " + t("until", { time: clockOf(pause.until) }) : "")]
          : ""),
      );
    }));

    const printers = Object.fromEntries(hall.printers.map((p) => [p.id, p]));
    document.getElementById("hall-devices").replaceChildren(...hall.devices.map((d) => {
      const printer = printers[d.id];
      const online = d.online === true ? "online" : d.online === false ? "offline" : "unknown";
      return el("tr", { dataset: { device: d.id } },
        el("td", {}, d.id),
        el("td", {}, t("kind_" + d.kind)),
        el("td", {}, d.name || ""),
        el("td", {}, d.window ? t("window_n", { n: d.window }) : ""),
        el("td", {}, el("span", { class: "badge " + online }, t("device_" + online))),
        el("td", { class: "paper" }, printer
          ? el("span", { class: "badge paper-" + (printer.state || "unknown") }, t("paper_" + (printer.state || "unknown")))
          : ""),
      );
    }));
    if (!hall.devices.length) {
      document.getElementById("hall-devices").append(el("tr", {}, el("td", { colspan: 6, class: "muted" }, t("no_devices"))));
    }
  }

  // --- The configuration: a draft edited in place ---------------------------------------------------

  let stored = null;
  let draft = null;

  // Read at the start and after each apply or import: only the newest answer becomes the draft.
  const loadConfig = OW.latest(async (current) => {
    const answer = await OW.api("GET", base + "/config");
    if (!current()) return;
    if (!answer.ok) {
      form.querySelector(".form-error").textContent = OW.refusalWords(answer.body);
      form.querySelector(".form-error").hidden = false;
      return;
    }
    stored = answer.body;
    draft = JSON.parse(JSON.stringify(answer.body.config));
    for (const key of ["staff", "devices"]) if (!draft[key]) draft[key] = [];
    renderEditors();
    touched();
  });

  function setAt(path, value) {
    const parts = path.split(".");
    let node = draft;
    for (const part of parts.slice(0, -1)) node = node[/^\d+$/.test(part) ? Number(part) : part];
    const last = parts[parts.length - 1];
    if (value === undefined) delete node[last]; else node[/^\d+$/.test(last) ? Number(last) : last] = value;
  }

  function touched() {
    if (!canEdit) return;
    applyButton.disabled = true;
    difference.replaceChildren();
  }

  const PARSE = {
    text: (raw) => raw,
    int: (raw) => (raw.trim() === "" ? undefined : /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw),
    number: (raw) => (raw.trim() === "" ? undefined : Number.isFinite(Number(raw)) ? Number(raw) : raw),
    list: (raw) => raw.split(/[\n,，、;；]+/).map((s) => s.trim()).filter(Boolean),
    ints: (raw) => raw.split(/[\s,，、;；]+/).filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s)),
    lines: (raw) => raw.split("\n").map((s) => s.trim()).filter(Boolean),
  };

  function shown(value, type) {
    if (value === undefined || value === null) return "";
    if (Array.isArray(value)) return value.join(type === "list" ? "、" : type === "lines" ? "\n" : ", ");
    return String(value);
  }

  // An input bound to the draft at ``path``; read-only text for a supervisor.
  function field(path, value, type = "text", attrs = {}) {
    if (!canEdit) return el("span", { class: "ro", dataset: { field: path } }, shown(value, type));
    const bound = {
      ...attrs,
      "data-field": path,
      oninput: (event) => { setAt(path, PARSE[type](event.target.value)); touched(); },
    };
    if (attrs.rows) return el("textarea", bound, shown(value, type));
    return el("input", { ...bound, value: shown(value, type) });
  }

  function choice(path, value, options, attrs = {}) {
    if (!canEdit) return el("span", { class: "ro", dataset: { field: path } }, value || "");
    const select = el("select", {
      ...attrs,
      "data-field": path,
      onchange: (event) => { setAt(path, event.target.value || undefined); touched(); },
    }, options.map(([code, label]) => el("option", { value: code, selected: code === (value || "") }, label)));
    return select;
  }

  function checks(path, values, options) {
    const chosen = new Set(values || []);
    if (!canEdit) {
      return el("span", { class: "ro", dataset: { field: path } }, options.filter(([c]) => chosen.has(c)).map(([, l]) => l).join("、"));
    }
    return el("span", { class: "field checks", "data-field": path }, options.map(([code, label]) => el("label", { class: "check" },
      el("input", {
        type: "checkbox",
        checked: chosen.has(code),
        onchange: (event) => {
          if (event.target.checked) chosen.add(code); else chosen.delete(code);
          setAt(path, options.map(([c]) => c).filter((c) => chosen.has(c)));
          touched();
        },
      }), label)));
  }

  function flag(path, value, label) {
    if (!canEdit) return el("span", { class: "ro" }, value ? "✓" : "");
    return el("input", {
      type: "checkbox", checked: Boolean(value), "data-field": path, "aria-label": label,
      onchange: (event) => { setAt(path, event.target.checked); touched(); },
    });
  }

  function removeButton(section, index) {
    if (!canEdit) return null;
    return el("button", {
      type: "button", class: "link remove", title: t("remove"),
      onclick: () => { draft[section].splice(index, 1); renderEditors(); touched(); },
    }, t("remove"));
  }

  function addButton(section, make) {
    if (!canEdit) return null;
    return el("button", {
      type: "button", class: "add", id: "add-" + section,
      onclick: () => { draft[section].push(make()); renderEditors(); touched(); },
    }, t("add_" + section));
  }

  function head(...keys) {
    return el("thead", {}, el("tr", {}, keys.map((key) => el("th", {}, key ? t(key) : ""))));
  }

  const kindOptions = () => draft.window_kinds.map((k) => [k.code, localName(k)]);

  function renderWindows() {
    const rows = draft.windows.map((w, i) => el("tr", { dataset: { row: i } },
      el("td", {}, field(`windows.${i}.number`, w.number, "int", { class: "narrow", "aria-label": t("col_number") })),
      el("td", {}, field(`windows.${i}.name`, w.name, "text", { "aria-label": t("col_name") })),
      el("td", {}, field(`windows.${i}.name_en`, w.name_en, "text", { "aria-label": t("col_name_en") })),
      el("td", {}, checks(`windows.${i}.kinds`, w.kinds, kindOptions())),
      el("td", {}, flag(`windows.${i}.green_channel`, w.green_channel, t("col_green"))),
      el("td", {}, removeButton("windows", i)),
    ));
    const next = () => ({
      number: Math.max(0, ...draft.windows.map((w) => Number(w.number) || 0)) + 1,
      name: "", kinds: draft.window_kinds.length ? [draft.window_kinds[0].code] : [],
    });
    return [el("table", { class: "edit", id: "edit-windows" },
      head("col_number", "col_name", "col_name_en", "col_kinds", "col_green", ""), el("tbody", {}, rows)),
    addButton("windows", next)];
  }

  // A matter's service guide (办事指南), edited under its row: the laws, the time limit, the steps,
  // the fees, the result and where it is collected, the source, and each material with its form.
  const MATERIAL_FORMS = ["original", "copy", "original_and_copy", "form", "electronic"];

  function guideRow(matter, i) {
    const cell = el("td", { colspan: 10 });
    const row = el("tr", { class: "guide-row", dataset: { guideOf: String(i) } }, cell);
    const guide = matter.guide;
    if (!guide) {
      if (canEdit) cell.append(el("button", { type: "button", class: "link", dataset: { writeGuide: String(i) }, onclick: () => {
        const names = Array.isArray(matter.materials) ? matter.materials : [];
        setAt(`matters.${i}.guide`, {
          legal_basis: [], time_limit: "", procedure: [], fees: "不收费",
          materials: names.map((name) => ({ name, form: "original", copies: 1, note: "" })),
          result: "", collection: "", source: "",
        });
        setAt(`matters.${i}.materials`, undefined);  // the guide's materials from now on
        openGuides.add(i);
        renderEditors();
        touched();
      } }, t("guide_write")));
      else cell.append(el("span", { class: "muted small" }, t("guide_none")));
      return row;
    }
    const p = `matters.${i}.guide`;
    const text = (key, name, attrs = {}) => el("label", { class: "guide-field" }, el("span", {}, t(name)),
      field(`${p}.${key}`, guide[key], attrs.rows ? "lines" : "text", { "aria-label": t(name), ...attrs }));
    const forms = MATERIAL_FORMS.map((f) => [f, t("form_" + f)]);
    const materials = (guide.materials || []).map((m, j) => el("tr", { dataset: { material: String(j) } },
      el("td", {}, field(`${p}.materials.${j}.name`, m.name, "text", { "aria-label": t("col_material") })),
      el("td", {}, choice(`${p}.materials.${j}.form`, m.form || "original", forms, { "aria-label": t("col_form") })),
      el("td", {}, field(`${p}.materials.${j}.copies`, m.copies === undefined ? 1 : m.copies, "int", { class: "narrow", "aria-label": t("col_copies") })),
      el("td", {}, field(`${p}.materials.${j}.note`, m.note, "text", { "aria-label": t("col_note") })),
      el("td", {}, canEdit ? el("button", { type: "button", class: "link remove", onclick: () => {
        guide.materials.splice(j, 1); renderEditors(); touched();
      } }, t("remove")) : null),
    ));
    const details = el("details", { class: "guide-editor", open: openGuides.has(i) || undefined,
      ontoggle: (event) => { if (event.target.open) openGuides.add(i); else openGuides.delete(i); } },
      el("summary", {}, t("guide_of", { name: matter.name || matter.code })),
      el("div", { class: "guide-fields" },
        text("legal_basis", "g_legal_basis", { rows: 2 }),
        text("time_limit", "g_time_limit"),
        text("procedure", "g_procedure", { rows: 3 }),
        text("fees", "g_fees"),
        text("result", "g_result"),
        text("collection", "g_collection"),
        text("source", "g_source")),
      el("table", { class: "edit guide-materials", "data-field": `${p}.materials` },
        head("col_material", "col_form", "col_copies", "col_note", ""), el("tbody", {}, materials)),
      canEdit ? el("button", { type: "button", class: "add", onclick: () => {
        guide.materials.push({ name: "", form: "original", copies: 1, note: "" }); renderEditors(); touched();
      } }, t("add_material")) : null,
      canEdit ? el("button", { type: "button", class: "link remove", onclick: () => {
        setAt(`matters.${i}.materials`, guide.materials.map((m) => m.name).filter(Boolean));
        setAt(`matters.${i}.guide`, undefined);
        openGuides.delete(i);
        renderEditors();
        touched();
      } }, t("guide_remove")) : null);
    cell.append(details);
    return row;
  }

  // Whether a case of the matter may be accepted on commitment (告知承诺), and which of its
  // materials may follow later (容缺受理): chosen among its own materials.
  function acceptance(m, i) {
    const materials = (m.guide ? m.guide.materials.map((x) => x.name) : m.materials || []).filter(Boolean);
    return el("div", { class: "acceptance" },
      el("label", { class: "check" }, flag(`matters.${i}.commitment`, m.commitment, t("col_commitment")), t("col_commitment")),
      el("span", { class: "muted small" }, t("col_deferrable")),
      checks(`matters.${i}.deferrable`, m.deferrable, materials.map((name) => [name, name])));
  }

  // Guides left open stay open when the editors are drawn again (an edit elsewhere, a check).
  const openGuides = new Set();

  function renderMatters() {
    const domains = draft.domains.map((d) => [d.code, localName(d)]);
    const prefixes = draft.ticket_groups.map((g) => [g.prefix, g.prefix + " · " + localName(g)]);
    const rows = draft.matters.map((m, i) => el("tr", { dataset: { row: i } },
      el("td", {}, field(`matters.${i}.code`, m.code, "text", { class: "code", "aria-label": t("col_code") })),
      el("td", {}, field(`matters.${i}.name`, m.name, "text", { "aria-label": t("col_name") })),
      el("td", {}, choice(`matters.${i}.domain`, m.domain, domains, { "aria-label": t("col_domain") })),
      el("td", {}, checks(`matters.${i}.window_kinds`, m.window_kinds, kindOptions())),
      el("td", {}, field(`matters.${i}.expected_minutes`, m.expected_minutes, "number", { class: "narrow", "aria-label": t("col_minutes") })),
      el("td", {}, choice(`matters.${i}.prefix`, m.prefix, prefixes, { "aria-label": t("col_prefix") })),
      el("td", {}, field(`matters.${i}.daily_quota`, m.daily_quota, "int", { class: "narrow", "aria-label": t("col_quota") }),
        el("label", { class: "check" }, flag(`matters.${i}.real_name`, m.real_name, t("col_real_name")), t("col_real_name"))),
      el("td", {}, field(`matters.${i}.promised_days`, m.promised_days, "int", { class: "narrow", "aria-label": t("col_promised") })),
      el("td", {}, m.guide
        ? el("span", { class: "muted small" }, t("materials_in_guide", { n: m.guide.materials.length }))
        : field(`matters.${i}.materials`, m.materials, "list", { rows: 2, "aria-label": t("col_materials") })),
      el("td", {}, acceptance(m, i)),
      el("td", {}, removeButton("matters", i)),
    )).flatMap((row, i) => [row, guideRow(draft.matters[i], i)]);
    const next = () => ({
      code: "", name: "", domain: draft.domains[0] ? draft.domains[0].code : "",
      window_kinds: draft.window_kinds.length ? [draft.window_kinds[0].code] : [],
      expected_minutes: 10, prefix: draft.ticket_groups[0] ? draft.ticket_groups[0].prefix : "",
    });
    // Real-name tickets (实名取号): how many one ID number gets a day, and the green channel's age,
    // which an ID number's birth date answers.
    const realName = el("p", { class: "real-name-policy" },
      el("label", {}, t("real_name_per_day"), " ", field("policy.real_name_tickets_per_day",
        draft.policy.real_name_tickets_per_day, "int", { class: "narrow", id: "real-name-per-day" })), " ",
      el("label", {}, t("green_channel_age"), " ", field("policy.green_channel_age",
        draft.policy.green_channel_age, "int", { class: "narrow", id: "green-channel-age" })));
    return [realName, el("table", { class: "edit", id: "edit-matters" },
      head("col_code", "col_name", "col_domain", "col_window_kinds", "col_minutes", "col_prefix", "col_quota",
        "col_promised", "col_materials", "col_acceptance", ""),
      el("tbody", {}, rows)),
    addButton("matters", next)];
  }

  // A staff member's photo (工作证): its thumbnail, a chooser and a way to take it off. The photo is
  // shrunk and turned upright here before it goes up (a phone's 5 MB photo leaves as 200 kB); the
  // server stores its own 300×400 copy and answers its hash, which the draft then names.
  function photoCell(i, person) {
    const who = person.name || person.code || String(i + 1);
    const thumb = person.photo
      ? el("img", { class: "staff-photo", src: `/api/v1${base}/staff-photos/${person.photo}.jpg`, alt: t("photo_of", { name: who }) })
      : el("span", { class: "muted small" }, t("no_photo"));
    if (!canEdit) return thumb;
    const status = el("span", { class: "photo-status small", role: "status" });
    const chooser = el("input", {
      type: "file",
      accept: "image/jpeg,image/png,image/webp",
      "aria-label": t("choose_photo", { name: who }),
      dataset: { photoFor: String(i) },
      onchange: async (event) => {
        const file = event.target.files[0];
        if (!file) return;
        status.textContent = t("photo_uploading");
        const answer = await uploadPhoto(file);
        if (!answer.ok) { status.textContent = OW.refusalWords(answer.body); return; }
        setAt(`staff.${i}.photo`, answer.body.photo);
        renderEditors();
        touched();
      },
    });
    const remove = person.photo
      ? el("button", { type: "button", class: "link", onclick: () => { setAt(`staff.${i}.photo`, undefined); renderEditors(); touched(); } }, t("remove_photo"))
      : null;
    return el("div", { class: "photo-cell" }, thumb, chooser, remove, status);
  }

  async function uploadPhoto(file) {
    let blob;
    try { blob = await OW.shrunkPhoto(file, 1200, 0.9); } catch (error) { blob = null; }
    if (!blob) return { ok: false, body: { detail: t("photo_unreadable") } };
    return OW.api("POST", base + "/staff-photos", { image: await OW.base64Of(blob), request_id: OW.requestId() });
  }

  function renderStaff() {
    const rows = draft.staff.map((s, i) => el("tr", { dataset: { row: i } },
      el("td", {}, field(`staff.${i}.code`, s.code, "text", { class: "code", "aria-label": t("col_code") })),
      el("td", {}, field(`staff.${i}.name`, s.name, "text", { "aria-label": t("col_name") })),
      el("td", {}, field(`staff.${i}.number`, s.number, "text", { class: "code", placeholder: s.code, "aria-label": t("col_work_number") })),
      el("td", {}, field(`staff.${i}.windows`, s.windows, "ints", { placeholder: t("any_window"), "aria-label": t("col_staff_windows") })),
      el("td", {}, flag(`staff.${i}.b_post`, s.b_post, t("col_b_post"))),
      el("td", {}, photoCell(i, s)),
      el("td", {}, removeButton("staff", i)),
    ));
    const shows = ["name_and_number", "number", "none"].map((v) => [v, t("show_staff_" + v)]);
    return [el("p", { class: "help" }, t("staff_help")),
      el("label", { class: "show-staff" }, t("show_staff"), " ",
        choice("policy.show_staff", draft.policy.show_staff, shows, { id: "show-staff" })),
      el("label", { class: "show-staff" }, t("advice_move_minutes"), " ", field("policy.advice_move_minutes",
        draft.policy.advice_move_minutes, "int", { class: "narrow", id: "advice-move-minutes" })),
      el("table", { class: "edit", id: "edit-staff" }, head("col_code", "col_name", "col_work_number", "col_staff_windows", "col_b_post", "col_photo", ""), el("tbody", {}, rows)),
      addButton("staff", () => ({ code: "", name: "", number: "", windows: [] }))];
  }

  function renderHours() {
    if (!draft.hours) draft.hours = {};
    const rows = WEEKDAYS.map((day) => {
      const periods = draft.hours[day] || [];
      const cells = periods.map((period, i) => {
        const path = `hours.${day}.${i}`;
        if (!canEdit) return el("span", { class: "ro period", dataset: { field: path } }, period[0] + "–" + period[1]);
        const time = (slot) => el("input", {
          class: "time", value: period[slot], "aria-label": t(slot ? "period_end" : "period_start"),
          placeholder: "08:30", "data-field": `${path}.${slot}`,
          oninput: (event) => { draft.hours[day][i][slot] = event.target.value.trim(); touched(); },
        });
        return el("span", { class: "field period", "data-field": path }, time(0), "–", time(1),
          el("button", {
            type: "button", class: "link remove", title: t("remove"),
            onclick: () => { draft.hours[day].splice(i, 1); renderEditors(); touched(); },
          }, "×"));
      });
      const breaks = [];
      for (let i = 1; i < periods.length; i++) breaks.push(periods[i - 1][1] + "–" + periods[i][0]);
      return el("tr", { dataset: { day } },
        el("th", {}, t("day_" + day)),
        el("td", {}, periods.length ? cells : el("span", { class: "muted" }, t("closed_day"))),
        el("td", { class: "muted" }, breaks.length ? t("lunch", { time: breaks.join(", ") }) : ""),
        el("td", {}, canEdit ? el("button", {
          type: "button", class: "add small",
          onclick: () => {
            const list = draft.hours[day] || (draft.hours[day] = []);
            list.push(list.length ? ["14:00", "17:30"] : ["08:30", "12:00"]);
            renderEditors(); touched();
          },
        }, t("add_period")) : null));
    });
    return [el("p", { class: "help" }, t("hours_help")),
      el("table", { class: "edit", id: "edit-hours" }, head("col_day", "col_periods", "col_lunch", ""), el("tbody", {}, rows))];
  }

  // --- Booking places (预约名额): each bookable matter's slots, standing and for one day ---------------

  let bookingDay = page.today || "";

  function bookingTarget(bookable) {
    if (!bookable.matter) return t("bookings_group", { prefix: bookable.prefix });
    const matter = draft.matters.find((m) => m.code === bookable.matter);
    return matter ? localName(matter) : bookable.matter;
  }

  // The places of one slot on the chosen day: empty follows the standing places, a number replaces
  // them that day (a ``days`` entry of the draft, added, changed or removed as the field is typed).
  function dayPlaces(i, bookable, rule) {
    const days = bookable.days || [];
    const at = days.findIndex((d) => d.day === bookingDay && d.start === rule.start);
    const value = at >= 0 ? String(days[at].places) : "";
    const path = at >= 0 ? `bookings.matters.${i}.days.${at}.places` : `bookings.matters.${i}.days`;
    if (!canEdit) return el("span", { class: "ro", dataset: { field: path } }, value);
    return el("input", {
      class: "narrow day-places", value, placeholder: String(rule.places), inputmode: "numeric",
      "aria-label": t("col_day_places") + " " + rule.start.slice(0, 5), "data-field": path,
      oninput: (event) => {
        const raw = event.target.value.trim();
        const list = bookable.days || (bookable.days = []);
        const found = list.findIndex((d) => d.day === bookingDay && d.start === rule.start);
        const places = /^\d+$/.test(raw) ? Number(raw) : raw;
        if (raw === "" && found >= 0) list.splice(found, 1);
        else if (raw !== "" && found >= 0) list[found].places = places;
        else if (raw !== "") list.push({ day: bookingDay, start: rule.start, places });
        if (!list.length) delete bookable.days;
        touched();
      },
    });
  }

  function slotRows(i, bookable) {
    const row = (rule, kind, j) => el("tr", { dataset: { slot: rule.start.slice(0, 5), kind } },
      el("th", { scope: "row" }, rule.start.slice(0, 5) + "–" + rule.end.slice(0, 5)),
      el("td", {}, kind === "slots" ? t("slot_every_open_day")
        : t("slot_extended_days", { days: rule.days.map((d) => t("day_" + d)).join("、") })),
      el("td", {}, field(`bookings.matters.${i}.${kind}.${j}.places`, rule.places, "int",
        { class: "narrow standing-places", "aria-label": t("col_places") + " " + rule.start.slice(0, 5) })),
      el("td", {}, dayPlaces(i, bookable, rule)));
    return [...(bookable.slots || []).map((rule, j) => row(rule, "slots", j)),
      ...(bookable.extended || []).map((rule, j) => row(rule, "extended", j))];
  }

  function renderBookings() {
    const matters = (draft.bookings && draft.bookings.matters) || [];
    if (!matters.length) return [el("p", { class: "help" }, t("bookings_none"))];
    const picker = el("input", {
      type: "date", id: "booking-day", value: bookingDay, "aria-label": t("bookings_day_label"),
      onchange: (event) => { bookingDay = event.target.value; renderEditors(); },
    });
    const tables = matters.map((bookable, i) => el("table", {
      class: "edit bookings", dataset: { bookable: bookable.matter || bookable.prefix, field: `bookings.matters.${i}` },
    },
    el("caption", {}, bookingTarget(bookable)),
    head("col_slot", "col_slot_days", "col_places", "col_day_places"),
    el("tbody", {}, slotRows(i, bookable))));
    return [el("p", { class: "help" }, t("bookings_help")),
      el("p", {}, el("label", { for: "booking-day" }, t("bookings_day") + " · " + t("bookings_day_label") + " "), picker),
      ...tables];
  }

  function renderDevices() {
    const kinds = DEVICE_KINDS.map((k) => [k, t("kind_" + k)]);
    const rows = draft.devices.map((d, i) => el("tr", { dataset: { row: i } },
      el("td", {}, field(`devices.${i}.id`, d.id, "text", { class: "code", "aria-label": t("col_id") })),
      el("td", {}, choice(`devices.${i}.kind`, d.kind, kinds, { "aria-label": t("col_kind") })),
      el("td", {}, field(`devices.${i}.name`, d.name, "text", { "aria-label": t("col_name") })),
      el("td", {}, field(`devices.${i}.window`, d.window, "int", { class: "narrow", "aria-label": t("col_window") })),
      el("td", {}, field(`devices.${i}.printer`, d.printer, "text", { class: "code", "aria-label": t("col_printer") })),
      el("td", {}, field(`devices.${i}.spare_printers`, d.spare_printers, "list", { class: "code", "aria-label": t("col_spares") })),
      el("td", {}, flag(`devices.${i}.self_service_area`, d.self_service_area, t("col_self_service"))),
      el("td", {}, removeButton("devices", i)),
    ));
    return [el("p", { class: "help" }, t("devices_help")),
      el("table", { class: "edit", id: "edit-devices" },
        head("col_id", "col_kind", "col_name", "col_window", "col_printer", "col_spares", "col_self_service", ""), el("tbody", {}, rows)),
      addButton("devices", () => ({ id: "", kind: "display", name: "" }))];
  }

  function renderEditors() {
    const parts = {
      windows: renderWindows, matters: renderMatters, staff: renderStaff, hours: renderHours,
      bookings: renderBookings, devices: renderDevices,
    };
    for (const [name, build] of Object.entries(parts)) {
      document.getElementById("editor-" + name).replaceChildren(...build().filter(Boolean));
    }
    OW.clearProblems(form);
    markTabs();
  }

  // --- Check and apply ------------------------------------------------------------------------------

  const MESSAGES = [
    [/^only a kiosk stands in the self-service area$/, () => t("msg_self_service_kiosk")],
    [/^must not be empty$/, () => t("msg_empty")],
    [/names unknown window (\d+)$/, (m) => t("msg_unknown_window", { n: m[1] })],
    [/^two (.+) share the (\w+) (.+)$/, (m) => t("msg_duplicate", { value: m[3] })],
    [/^no window takes matter/, () => t("msg_no_window")],
    [/^a period must end after it starts/, () => t("msg_period_order")],
    [/^periods overlap or are out of order/, () => t("msg_period_overlap")],
    [/^a time is written HH:MM/, () => t("msg_time")],
    [/is not a time of day/, () => t("msg_time")],
    [/should be a code|String should match pattern '\^\[a-z0-9\]/, () => t("msg_code")],
    [/belongs to a window: give its window number/, () => t("msg_needs_window")],
    [/^Input should be a valid integer/, () => t("msg_integer")],
    [/^Input should be a valid number/, () => t("msg_number")],
  ];

  // The server speaks English to every client; the page says the common cases in its own words.
  function message(text) {
    if (page.lang === "en") return text;
    for (const [pattern, say] of MESSAGES) {
      const found = text.match(pattern);
      if (found) return say(found) + "（" + text + "）";
    }
    return text;
  }

  // Each error next to the nearest field the page shows for its path (windows.3.kinds.0 → windows.3.kinds).
  function placeProblem(problem) {
    const errors = (problem.errors || []).map((item) => {
      const parts = item.field.split(".");
      while (parts.length > 1 && !form.querySelector(`[data-field="${CSS.escape(parts.join("."))}"]`)) parts.pop();
      return { field: parts.join("."), message: message(item.message) };
    });
    OW.showProblem(form, { ...problem, errors, worded: true });
    for (const details of form.querySelectorAll("details.guide-editor")) {
      if (details.querySelector("[aria-invalid]")) details.open = true;
    }
    markTabs();
    const first = form.querySelector("[aria-invalid]");
    if (first) {
      showTab(first.closest("section.tab").dataset.tab);
      first.scrollIntoView({ block: "center" });
    }
  }

  function markTabs() {
    for (const button of tabButtons) {
      const section = document.getElementById("tab-" + button.dataset.tab);
      button.classList.toggle("has-error", Boolean(section && section.querySelector("[aria-invalid]")));
    }
  }

  const SECTIONS = ["windows", "matters", "staff", "devices", "domains", "window_kinds", "ticket_groups"];

  // "added 费用清单; removed 发票原件" (a list's change as the server lists it) in the page's words.
  function listChange(text) {
    if (text === "reordered") return t("list_reordered");
    return text.split("; ").map((part) => part
      .replace(/^added (.*)$/, (_, items) => t("list_added", { items }))
      .replace(/^removed (.*)$/, (_, items) => t("list_removed", { items }))).join(english() ? "; " : "；");
  }

  const english = () => page.lang === "en";

  // A flag's value as the server lists it (Python's True / False), in the page's words.
  function yesNo(value) {
    return value === "True" ? t("value_yes") : value === "False" ? t("value_no") : value;
  }

  // "~ windows 3: name: 公安 -> 公安户籍" in the page's words.
  function differenceText(line) {
    const keyed = line.match(/^([+~-]) (\w+) (\S+?): (.*)$/);
    if (keyed && SECTIONS.includes(keyed[2])) {
      const [, sign, section, key, rest] = keyed;
      const what = t("sec_" + section) + " " + key;
      if (sign === "+") return t("diff_added", { what });
      if (sign === "-") return t("diff_removed", { what });
      const change = rest.match(/^(\w+): (.*) -> (.*)$/);
      if (change && change[1] === "photo") return t(change[3] ? "diff_photo_new" : "diff_photo_removed", { what });
      if (change && change[1] === "guide") {
        return t(change[2] === "None" ? "diff_guide_new" : change[3] === "None" ? "diff_guide_removed" : "diff_guide_changed", { what });
      }
      if (change) return t("diff_changed", { what, field: t("f_" + change[1]), before: yesNo(change[2]), after: yesNo(change[3]) });
      const listed = rest.match(/^(\w+): ((?:added|removed) .*|reordered)$/);
      if (listed) return t("diff_list", { what, field: t("f_" + listed[1]), change: listChange(listed[2]) });
    }
    const places = line.match(/^~ bookings (group )?(\S+)(?: (\d{4}-\d\d-\d\d))? (\d\d:\d\d): places: (\d+) -> (\d+)$/);
    if (places) {
      const [, group, target, day, slot, before, after] = places;
      const what = bookingTarget(group ? { prefix: target } : { matter: target });
      return t(day ? "diff_day_places" : "diff_places", { what, day, slot, before, after });
    }
    const plain = line.match(/^~ (\w+)\.(\w+): (.*) -> (.*)$/);
    if (plain) {
      const what = t("sec_" + plain[1]) + (plain[1] === "hours" ? " " + t("day_" + plain[2]) : " " + plain[2]);
      return t("diff_changed_plain", { what, before: plain[3], after: plain[4] });
    }
    return line;
  }

  function differenceList(lines) {
    return el("ul", { class: "differences" }, lines.map((line) => el("li", { dataset: { line } }, differenceText(line))));
  }

  function showAnswer(target, answer, applied) {
    if (answer.status === 422) {
      target.replaceChildren(el("p", { class: "error" }, t("check_invalid")));
      return false;
    }
    if (!answer.ok) {
      const lines = answer.body.differences || [];
      target.replaceChildren(el("p", { class: "error", role: "alert" }, answer.status ? OW.refusalWords(answer.body) : t("offline")),
        lines.length ? differenceList(lines) : null);
      return false;
    }
    const lines = answer.body.differences;
    if (!lines.length) {
      target.replaceChildren(el("p", { class: "ok no-difference" }, t("no_difference")));
      return false;
    }
    target.replaceChildren(
      el("p", { class: applied ? "ok applied" : "" }, applied ? t("applied", { n: lines.length }) : t("would_change", { n: lines.length })),
      differenceList(lines));
    return true;
  }

  async function check() {
    OW.clearProblems(form);
    markTabs();
    const answer = await OW.api("PUT", base + "/config", { config: draft, dry_run: true });
    if (answer.status === 422) placeProblem(answer.body);
    applyButton.disabled = !showAnswer(difference, answer, false);
  }

  async function apply(requestId) {
    const answer = await OW.api("PUT", base + "/config", { config: draft, dry_run: false, request_id: requestId });
    if (answer.status === 422) placeProblem(answer.body);
    const done = showAnswer(difference, answer, true);
    applyButton.disabled = true;
    if (done) {
      const shownAnswer = Array.from(difference.childNodes);
      await loadConfig();
      difference.replaceChildren(...shownAnswer);
      refreshHall();
    }
  }

  if (canEdit) {
    OW.action(checkButton, () => check());
    OW.action(applyButton, (id) => apply(id));
    form.addEventListener("submit", (event) => event.preventDefault());
    document.getElementById("revert").addEventListener("click", () => {
      draft = JSON.parse(JSON.stringify(stored.config));
      renderEditors();
      touched();
    });
  }

  // --- Export and import of the centre file -------------------------------------------------------

  function download() {
    const blob = new Blob([stored.toml], { type: "application/toml" });
    const link = el("a", { href: URL.createObjectURL(blob), download: page.centre + "-centre.toml" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  document.getElementById("export").addEventListener("click", () => { if (stored) download(); });

  const importFile = document.getElementById("import-file");
  const importResult = document.getElementById("import-result");
  const importApply = document.getElementById("import-apply");
  let importText = null;

  function fileErrors(answer, name) {
    const items = (answer.body.errors || []).map((item) => item.message.replace(/^centre\.toml/, name));
    importResult.replaceChildren(el("p", { class: "error", role: "alert" }, t("import_invalid")),
      el("ul", { class: "file-errors" }, items.map((text) => el("li", {}, text))));
  }

  if (canEdit) {
    importFile.addEventListener("change", async () => {
      importApply.hidden = true;
      importText = null;
      const file = importFile.files[0];
      if (!file) return;
      const text = await file.text();
      const answer = await OW.api("PUT", base + "/config", { toml: text, dry_run: true });
      if (answer.status === 422) { fileErrors(answer, file.name); return; }
      if (showAnswer(importResult, answer, false)) {
        importText = text;
        importApply.hidden = false;
      }
    });
    OW.action(importApply, async (id) => {
      if (importText === null) return;
      const answer = await OW.api("PUT", base + "/config", { toml: importText, dry_run: false, request_id: id });
      if (answer.status === 422) { fileErrors(answer, importFile.files[0] ? importFile.files[0].name : "centre.toml"); return; }
      if (showAnswer(importResult, answer, true)) {
        importApply.hidden = true;
        importText = null;
        await loadConfig();
        refreshHall();
      }
    });
  }

  // --- Start -------------------------------------------------------------------------------------------

  showTab(location.hash.slice(1) || "hall");
  loadConfig();
  OW.live("/live/centres/" + encodeURIComponent(page.centre), refreshHall);
  setInterval(refreshHall, REFRESH_MS); // device availability and paper do not move the centre's version
  setInterval(tick, 1000);
})();
