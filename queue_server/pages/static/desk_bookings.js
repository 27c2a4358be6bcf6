// The desk's bookings (预约): book a slot for someone on the phone (their ID number and mobile), find
// a booking by its code, check it in (a ticket, booked or, too late, a walk-in one), move it to
// another slot or cancel it, and check someone in by their ID number. Through the JSON API with the
// session; the ID number is sent once and never shown back, the phone only masked.
"use strict";

(() => {
  const centre = OW.data.centre;
  const base = "/centres/" + encodeURIComponent(centre.code);
  const en = OW.data.lang === "en";
  const $ = (id) => document.getElementById(id);
  const named = (item) => (en && item.name_en) || item.name;
  const clock = new Intl.DateTimeFormat(en ? "en-GB" : "zh-CN", {
    timeZone: centre.time_zone, hour: "2-digit", minute: "2-digit", hour12: false,
  });
  const dayFormat = new Intl.DateTimeFormat(en ? "en-GB" : "zh-CN", {
    timeZone: centre.time_zone, year: "numeric", month: "2-digit", day: "2-digit",
  });
  const time = (iso) => clock.format(new Date(iso));
  const matterName = (code) => { const m = centre.matters.find((x) => x.code === code); return m ? named(m) : code; };

  const bookForm = $("book-form");
  const matterSelect = $("book-matter");
  const dayInput = $("book-day");
  for (const code of OW.data.bookable) matterSelect.append(OW.el("option", { value: code, text: matterName(code) }));
  dayInput.value = OW.data.today;
  $("move-day").value = OW.data.today;

  // The slots of a matter on a day, as radio buttons; a full or begun slot cannot be chosen (the
  // newest choice's slots only, whichever answer comes back first).
  async function drawSlots(box, matter, day, none) {
    const path = matter && day ? `${base}/booking-slots?matter=${encodeURIComponent(matter)}&day=${day}` : null;
    await OW.drawSlots(box, path, time, none);
  }
  const chosenSlot = (box) => { const input = box.querySelector("input:checked"); return input ? input.value : null; };
  const redrawBookSlots = () => drawSlots($("book-slots"), matterSelect.value, dayInput.value, $("book-slots-none"));
  matterSelect.addEventListener("change", redrawBookSlots);
  dayInput.addEventListener("change", redrawBookSlots);
  redrawBookSlots();

  const refused = OW.showRefusal;

  const book = OW.action($("book-button"), async (requestId) => {
    OW.clearProblems(bookForm);
    const start = chosenSlot($("book-slots"));
    if (!start) {
      OW.showProblem(bookForm, { errors: [{ field: "start", message: OW.t("slot_missing") }] });
      return;
    }
    const body = { request_id: requestId, matter: matterSelect.value, start, id_number: $("book-id").value, phone: $("book-phone").value };
    const answer = await OW.api("POST", base + "/bookings", body);
    if (!answer.ok) { refused(bookForm, answer.body); return; }
    $("book-id").value = "";
    $("book-phone").value = "";
    showBooking(answer.body, OW.t("booked", { code: answer.body.code }));
    redrawBookSlots();
  });
  bookForm.addEventListener("submit", (event) => { event.preventDefault(); book(); });

  // --- One booking ------------------------------------------------------------------------------------

  let shown = null;

  function showBooking(booking, message) {
    shown = booking;
    $("booking").hidden = false;
    $("booking-shown").textContent = booking.code;
    const state = $("booking-state");
    state.textContent = OW.t("booking_state_" + booking.status);
    state.className = "pill booking-" + booking.status;
    $("booking-matter").textContent = matterName(booking.matter);
    $("booking-slot").textContent = `${dayFormat.format(new Date(booking.slot_start))} ${time(booking.slot_start)}–${time(booking.slot_end)}`;
    $("booking-phone").textContent = booking.phone;
    $("booking-ticket").textContent = booking.ticket === null ? "—" : "#" + booking.ticket;
    $("booking-message").textContent = message || "";
    const active = booking.status === "booked";
    $("booking-actions").hidden = !active;  // only an active booking is checked in, moved or cancelled
    OW.clearProblems($("booking-actions"));
    if (active) drawSlots($("move-slots"), booking.matter, $("move-day").value, null);
  }
  $("move-day").addEventListener("change", () => { if (shown) drawSlots($("move-slots"), shown.matter, $("move-day").value, null); });

  const findForm = $("booking-find-form");
  const find = OW.action($("booking-find"), async () => {
    OW.clearProblems(findForm);
    const code = $("booking-code").value.trim().toUpperCase();
    const answer = await OW.api("GET", `${base}/bookings/${encodeURIComponent(code)}`);
    if (!answer.ok) { refused(findForm, answer.body); $("booking").hidden = true; return; }
    showBooking(answer.body);
  });
  findForm.addEventListener("submit", (event) => { event.preventDefault(); find(); });

  async function bookingAction(requestId, path, body, said) {
    const form = $("booking-actions");
    OW.clearProblems(form);
    const answer = await OW.api("POST", `${base}/bookings/${shown.code}/${path}`, { request_id: requestId, ...body });
    if (!answer.ok) { refused(form, answer.body); return; }
    showBooking(answer.body, OW.t(said));
    redrawBookSlots();
  }
  $("booking-cancel").addEventListener("click", OW.action($("booking-cancel"), (id) => bookingAction(id, "cancel", {}, "booking_cancelled")));
  $("booking-move").addEventListener("click", OW.action($("booking-move"), async (id) => {
    const start = chosenSlot($("move-slots"));
    if (!start) {
      OW.showProblem($("booking-actions"), { errors: [{ field: "start", message: OW.t("slot_missing") }] });
      return;
    }
    await bookingAction(id, "move", { start }, "moved");
  }));

  // --- Checking in -------------------------------------------------------------------------------------

  async function checkIn(requestId, form, body) {
    OW.clearProblems(form);
    const answer = await OW.api("POST", base + "/check-in", { request_id: requestId, ...body });
    if (!answer.ok) { refused(form, answer.body); return; }
    const said = en ? answer.body.message_en : answer.body.message;
    showBooking(answer.body.booking, OW.t("checked_in", { number: answer.body.ticket.number, message: said }));
    $("booking-ticket").textContent = answer.body.ticket.number;
  }
  $("booking-check-in").addEventListener("click", OW.action($("booking-check-in"),
    (id) => checkIn(id, $("booking-actions"), { code: shown.code })));
  const idForm = $("check-in-id-form");
  const byId = OW.action($("check-in-id-button"), async (id) => {
    await checkIn(id, idForm, { id_number: $("check-in-id").value.trim() });
    if (!idForm.querySelector(".form-error:not([hidden])")) $("check-in-id").value = "";
  });
  idForm.addEventListener("submit", (event) => { event.preventDefault(); byId(); });
})();
