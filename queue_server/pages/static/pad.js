// The rating tablet: reads its window's open rating request, lights the five levels while one is
// open, rates it once (a bad level asks the reasons first), and thanks the citizen.
"use strict";

(() => {
  const data = OW.data;
  const base = `/centres/${data.centre}/pads/${data.device}`;
  const $ = (id) => document.getElementById(id);
  let open = null; // the open request: {serial, number, expires_at}
  let thanking = false;
  let reasons = [];

  function setLevels(enabled) {
    document.querySelectorAll(".level").forEach((button) => { button.disabled = !enabled; });
    $("items").disabled = !enabled;
  }

  // The three items (服务效率, 服务水平, 服务态度) are optional: a citizen may mark any before the
  // overall level, which sends them with it; tapping a marked one unmarks it.
  function chosenItems() {
    const items = {};
    document.querySelectorAll(".item-level[aria-pressed=true]").forEach((button) => {
      items[button.dataset.item] = Number(button.dataset.level);
    });
    return items;
  }

  function clearItems() {
    document.querySelectorAll(".item-level").forEach((button) => button.setAttribute("aria-pressed", "false"));
  }

  document.querySelectorAll(".item-level").forEach((button) => {
    button.addEventListener("click", () => {
      const was = button.getAttribute("aria-pressed") === "true";
      document.querySelectorAll(`.item-level[data-item="${button.dataset.item}"]`).forEach((other) => {
        other.setAttribute("aria-pressed", "false");
      });
      button.setAttribute("aria-pressed", String(!was));
    });
  });

  // The level the citizen tapped stays marked (while the reasons are asked, and with the thanks),
  // so they see what they chose; tapping another level changes it.
  function choose(level) {
    document.querySelectorAll(".level").forEach((button) => {
      button.setAttribute("aria-pressed", String(Number(button.dataset.level) === level));
    });
  }

  function show() {
    if (thanking) return;
    // A refresh (another window's change) leaves the reasons being chosen for a request still open.
    const asking = !$("why").hidden && open !== null && $("why").dataset.serial === String(open.serial);
    if (!asking) {
      $("why").hidden = true;
      $("pad").classList.remove("asking");
      choose(null);
      if (!open) clearItems();
    }
    $("pad").classList.remove("thanking");
    $("prompt").hidden = false;
    $("hint").hidden = false;
    if (open) {
      $("prompt").textContent = OW.t("ask", { number: open.number });
      const until = open.expires_at ? new Date(open.expires_at) : null;
      $("hint").textContent = until ? OW.t("expires", { time: until.toLocaleTimeString(data.lang === "en" ? "en-GB" : "zh-CN", { timeZone: data.time_zone, hour: "2-digit", minute: "2-digit", hour12: false }) }) : "";
      setLevels(true);
    } else {
      $("prompt").textContent = OW.t("idle");
      $("hint").textContent = OW.t("idle_hint");
      setLevels(false);
    }
  }

  // Who serves at this window (工作证), as far as the centre shows it; nothing while it is closed.
  function showStaff(shown) {
    const line = $("staff");
    line.hidden = !shown;
    if (!shown) { line.textContent = ""; return; }
    const number = OW.t("staff_number", { number: shown.number });
    const words = OW.t("served_by", { who: shown.name ? shown.name + " " + number : number });
    const photo = shown.photo ? OW.el("img", { class: "pad-staff-photo", src: shown.photo, alt: OW.t("staff_photo", { name: shown.name || number }) }) : null;
    line.replaceChildren(...[photo, OW.el("span", {}, words)].filter(Boolean));
  }

  // Read on every change in the hall and after a rating: only the newest answer is shown.
  const refresh = OW.latest(async (current) => {
    const answer = await OW.api("GET", base);
    if (!current() || !answer.ok) return;
    reasons = answer.body.reasons || reasons;
    open = answer.body.state === "open" ? answer.body : null;
    showStaff(answer.body.shown_staff);
    show();
  });

  function askWhy(level) {
    if ($("why").hidden) { // a first bad level: fresh reasons; a change between 1 and 2 keeps those ticked
      $("reasons").replaceChildren(...reasons.map((reason, i) => OW.el("label", {},
        OW.el("input", { type: "checkbox", name: "reasons", value: reason, id: `reason-${i}` }), " ", reason)));
      $("comment").value = "";
    }
    $("why").dataset.level = String(level);
    $("why").dataset.serial = String(open ? open.serial : "");
    $("why").hidden = false;
    $("pad").classList.add("asking");
    choose(level);
  }

  const send = OW.action(null, async (requestId, level, chosen, comment) => {
    if (!open) return;
    const body = { request_id: requestId, serial: open.serial, level, reasons: chosen, comment, items: chosenItems() };
    const answer = await OW.api("POST", `${base}/rating`, body);
    if (answer.ok) {
      thanking = true;
      $("why").hidden = true;
      setLevels(false);
      choose(level);
      // The question is answered: only the thanks is left on the screen.
      $("pad").classList.remove("asking");
      $("pad").classList.add("thanking");
      $("prompt").hidden = true;
      $("hint").hidden = true;
      $("result").textContent = OW.t("thanks");
      open = null;
      setTimeout(() => { thanking = false; $("result").textContent = ""; clearItems(); refresh(); }, 5000);
    } else if (answer.status === 422 && !$("why").hidden) {
      OW.showProblem($("why"), answer.body);
    } else {
      $("result").textContent = OW.t("not_taken", { reason: OW.refusalWords(answer.body) });
      refresh();
    }
  });

  document.querySelectorAll(".level").forEach((button) => {
    button.addEventListener("click", () => {
      const level = Number(button.dataset.level);
      if (level <= 2) askWhy(level);
      else { choose(level); send(level, [], ""); }
    });
  });
  $("why").addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = Array.from(document.querySelectorAll("#reasons input:checked"), (input) => input.value);
    send(Number($("why").dataset.level), chosen, $("comment").value.trim());
  });

  OW.live(`/live/centres/${data.centre}`, () => refresh());
})();
