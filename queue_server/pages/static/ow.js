// What every page shares: its data, the API with the session's CSRF value, one request id per
// intended action, problems shown next to their fields, and live updates from /live/... .
// Values are put in the page with textContent (OW.el), never as HTML.
"use strict";

const OW = (() => {
  const data = JSON.parse(document.getElementById("page-data").textContent);
  const words = data.words || {};

  function t(key, vars) {
    let text = words[key] !== undefined ? words[key] : key;
    for (const [name, value] of Object.entries(vars || {})) text = text.split("{" + name + "}").join(String(value));
    return text;
  }

  // crypto.randomUUID needs a secure context; a hall LAN page over plain HTTP has none.
  function requestId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (name === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // The JSON API as the page's session: returns {ok, status, body}; never throws.
  async function api(method, path, body) {
    const headers = { Accept: "application/json", "Accept-Language": data.lang === "en" ? "en" : "zh-CN" };
    const options = { method, headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    if (method !== "GET") headers["X-CSRF-Token"] = data.csrf || "";
    try {
      const response = await fetch("/api/v1" + path, options);
      const text = await response.text();
      let parsed = {};
      try { parsed = text ? JSON.parse(text) : {}; } catch (error) { parsed = { title: text }; }
      if (response.status === 401 && !data.public) {
        // A session that ended: a kiosk goes back to its enrolment, a person to the login page.
        const target = data.kiosk ? "/kiosk/enrol" : "/login?next=" + encodeURIComponent(location.pathname + location.search);
        window.location.assign(target);
      }
      return { ok: response.ok, status: response.status, body: parsed };
    } catch (error) {
      return { ok: false, status: 0, body: { title: t("offline"), detail: t("offline") } };
    }
  }

  // Only the newest call of a read is shown. A page reads again on a live change, a timer, a new
  // filter or a click while an earlier read may still be on its way; the answers can come back in
  // any order, and an older one drawn last would put stale rows over the newer ones. The wrapped
  // ``read(current, ...args)`` is called at once; ``current()`` stays true until a later call
  // begins, so the read checks it after each await and, once false, draws nothing.
  function latest(read) {
    let newest = 0;
    return (...args) => {
      const mine = ++newest;
      return read(() => mine === newest, ...args);
    };
  }

  // One intended action, one request id: a double click, or a retry after a lost answer, sends
  // the same id, so the server acts once. The button is disabled while the action is in flight.
  function action(button, run) {
    let pending = null;
    const go = async (...args) => {
      if (pending) return pending;
      const id = requestId();
      if (button) button.disabled = true;
      pending = (async () => {
        try {
          return await run(id, ...args);
        } finally {
          pending = null;
          if (button) button.disabled = false;
        }
      })();
      return pending;
    };
    if (button) button.addEventListener("click", (event) => { event.preventDefault(); go(); });
    return go;
  }

  // A refusal in the page's language: the server says each refusal of the hall in Chinese
  // (message) and English (message_en), naming windows, matters and tickets as people know them;
  // a problem without those words (the web's own 401, 403, 500) gets the page's word for it, so
  // neither a code nor an English detail reaches a Chinese page.
  function refusalWords(problem) {
    const body = problem || {};
    const said = data.lang === "en" ? body.message_en : body.message;
    if (said) return said;
    if (!body.type || data.lang === "en") return body.detail || body.title || t("not_done");  // api()'s own offline words
    return /:(forbidden|unauthorized)$/.test(body.type) ? t("not_allowed") : t("not_done");
  }

  // Each field error in the page's language: the server's English message on an English page,
  // the page's own word on a Chinese one (the field itself is marked either way).
  function fieldErrors(problem) {
    return ((problem && problem.errors) || []).map((item) => ({
      field: item.field, message: data.lang === "en" ? item.message : t("field_invalid"),
    }));
  }

  function clearProblems(form) {
    form.querySelectorAll(".field-error").forEach((node) => node.remove());
    form.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
    const general = form.querySelector(".form-error");
    if (general) { general.textContent = ""; general.hidden = true; }
  }

  // A problem+json answer shown where it belongs, in the page's language: each {field, message}
  // next to its field (by name or data-field, the dotted path the API names), the rest at the top
  // of the form; ``said`` overrides the words of a refusal (a page that adds its own lead), and
  // ``worded`` keeps the field messages a page has put in its own words already (a page's own
  // check passes {errors} without a type, in its words too).
  function showProblem(form, problem) {
    clearProblems(form);
    const rest = [];
    const errors = problem && problem.type && !problem.worded ? fieldErrors(problem) : ((problem && problem.errors) || []);
    for (const item of errors) {
      const field = item.field.replace(/^body\./, "");
      const input = form.querySelector(`[name="${CSS.escape(field)}"], [data-field="${CSS.escape(field)}"]`)
        || form.querySelector(`[name="${CSS.escape(field.split(".")[0])}"], [data-field="${CSS.escape(field.split(".")[0])}"]`);
      if (input) {
        input.setAttribute("aria-invalid", "true");
        const note = el("span", { class: "field-error", role: "alert", text: item.message });
        (input.closest(".field") || input).after(note);
      } else {
        rest.push(data.lang === "en" ? item.field + ": " + item.message : item.message);
      }
    }
    const general = form.querySelector(".form-error");
    const refused = problem && !(problem.errors || []).length;
    const message = rest.length ? rest.join("; ") : (refused ? (problem.said || refusalWords(problem)) : "");
    if (general && message) { general.textContent = message; general.hidden = false; }
    return message;
  }

  // Calls onChange() on every change of the centre (and at once when the stream (re)opens, so a
  // page that missed changes while offline reads again). The banner says when the link is down.
  function live(url, onChange) {
    const banner = document.getElementById("offline");
    let source = null;
    let timer = null;
    const open = () => {
      source = new EventSource(url);
      source.addEventListener("open", () => { if (banner) banner.hidden = true; onChange(); });
      source.addEventListener("change", () => onChange());
      source.addEventListener("error", () => {
        if (banner) banner.hidden = false;
        if (source.readyState === EventSource.CLOSED) {
          clearTimeout(timer);
          timer = setTimeout(open, 3000);
        }
      });
    };
    open();
    return () => source && source.close();
  }

  // Replaces a live list's rows without losing what a person was typing: a row whose data-key
  // matches an old row gets that row's typed values (inputs, selects and text areas, matched by
  // class and position) and keeps the focus and caret, so a refresh from another screen's change
  // never wipes a note half written.
  function replaceRows(container, rows) {
    const drafts = new Map();
    for (const old of container.children) {
      if (old.dataset.key) drafts.set(old.dataset.key, old);
    }
    const focused = document.activeElement;
    let refocus = null;
    for (const row of rows) {
      const old = row.dataset && row.dataset.key ? drafts.get(row.dataset.key) : null;
      if (!old) continue;
      const before = old.querySelectorAll("input, select, textarea");
      const after = row.querySelectorAll("input, select, textarea");
      before.forEach((field, i) => {
        const twin = after[i];
        if (!twin || twin.tagName !== field.tagName || twin.className !== field.className) return;
        if (field.type === "checkbox" || field.type === "radio") twin.checked = field.checked;
        else twin.value = field.value;
        if (field === focused) refocus = [twin, field.selectionStart, field.selectionEnd];
      });
    }
    container.replaceChildren(...rows);
    if (refocus) {
      const [field, start, end] = refocus;
      field.focus();
      if (typeof start === "number" && field.setSelectionRange) field.setSelectionRange(start, end);
    }
  }

  function minutes(seconds) {
    const whole = Math.max(0, Math.floor(seconds));
    const m = Math.floor(whole / 60);
    const s = whole % 60;
    return String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
  }

  // The devices that were online and now say offline (online === false; never heard is null),
  // named in the alert the manager's and the desk's pages keep above everything else.
  function showLostDevices(alert, devices) {
    const lost = devices.filter((d) => d.online === false);
    const named = lost.map((d) => t(d.window ? "lost_device_at" : "lost_device", { kind: t("kind_" + d.kind), id: d.id, window: d.window }));
    alert.textContent = lost.length ? t("devices_lost", { list: named.join(data.lang === "en" ? ", " : "、") }) : "";
    alert.hidden = !lost.length;
    alert.dataset.devices = lost.map((d) => d.id).join(" ");
  }

  // A photo made at most ``edge`` pixels on its longer side, upright as the camera said, as a JPEG
  // blob: a phone's photo leaves small (a staff photo, an appeal's evidence). Rejects what no image is.
  async function shrunkPhoto(file, edge, quality) {
    const picture = await createImageBitmap(file, { imageOrientation: "from-image" });
    const scale = Math.min(1, edge / Math.max(picture.width, picture.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(picture.width * scale));
    canvas.height = Math.max(1, Math.round(picture.height * scale));
    canvas.getContext("2d").drawImage(picture, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
  }

  // A blob's bytes in base64, as the API takes a file in JSON.
  async function base64Of(blob) {
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let binary = "";
    for (let k = 0; k < bytes.length; k += 0x8000) binary += String.fromCharCode(...bytes.subarray(k, k + 0x8000));
    return btoa(binary);
  }


  // A mobile number given for a ticket's SMS notices (叫号时短信提醒我), on the ticket page, the kiosk or
  // the desk: consent is asked before sending; the masked number the server kept replaces the form.
  // ``path()`` is the route to post to, ``extra`` more of the body, ``onKept`` runs once it is kept.
  function smsForm(form, kept, path, extra = {}, onKept = () => {}) {
    const give = action(null, async (id) => {
      clearProblems(form);
      if (!form.elements.consent.checked) {
        showProblem(form, { errors: [{ field: "consent", message: t("sms_need_consent") }] });
        return;
      }
      const body = { phone: form.elements.phone.value.trim(), consent: true, request_id: id, ...extra };
      const answer = await api("POST", path(), body);
      if (!answer.ok) {
        showProblem(form, answer.body);
        return;
      }
      kept.textContent = t("sms_kept", { phone: answer.body.phone });
      kept.hidden = false;
      form.hidden = true;
      onKept();
    });
    form.addEventListener("submit", (event) => { event.preventDefault(); give(); });
  }

  // A booking's slots of one day as radio buttons, read from ``path`` (the desk's slots or the public
  // page's), each with its places left (words slot_left, slot_extended); a full or begun slot cannot
  // be chosen. ``none`` (if any) is shown when the day has no slot. A null ``path`` (no matter or
  // day chosen) leaves the box empty. Only the newest drawing of a box is shown: another day
  // chosen while a day's slots are on their way never adds its slots to the new day's.
  const slotDrawings = new WeakMap();
  function drawSlots(box, path, time, none) {
    if (!slotDrawings.has(box)) slotDrawings.set(box, latest(drawSlotsOnce));
    return slotDrawings.get(box)(box, path, time, none);
  }

  async function drawSlotsOnce(current, box, path, time, none) {
    box.replaceChildren();
    if (path === null) return;
    const answer = await api("GET", path);
    if (!current()) return;
    const slots = answer.ok ? answer.body.slots : [];
    for (const slot of slots) {
      const text = t("slot_left", { start: time(slot.start), end: time(slot.end), left: slot.left })
        + (slot.extended ? t("slot_extended") : "");
      box.append(el("label", { class: slot.left ? "" : "full" },
        el("input", { type: "radio", name: box.id, value: slot.start, disabled: !slot.left }), text));
    }
    if (none) none.hidden = slots.length > 0;
  }

  // A refusal next to its fields and, said in the page's language, at the top of the form (the
  // field's own words are the page's generic ones on a Chinese page; the refusal's say why).
  function showRefusal(form, body) {
    showProblem(form, body);
    if (body && body.message) {
      const general = form.querySelector(".form-error");
      general.textContent = refusalWords(body);
      general.hidden = false;
    }
  }

  return {
    data, t, el, api, latest, action, requestId, showProblem, clearProblems, refusalWords, live, replaceRows, minutes,
    showLostDevices, shrunkPhoto, base64Of, smsForm, drawSlots, showRefusal,
  };
})();
