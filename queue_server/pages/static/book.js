// The public booking page: choose a matter, a day and a slot (with the places left), have a code
// texted to the mobile number, type it and book; then the booking's code and QR. A booking is
// cancelled or moved with its code, the same number and a fresh code. Through the public API; the
// number is shown back only masked.
"use strict";

(() => {
  const data = OW.data;
  const base = "/public/centres/" + encodeURIComponent(data.centre);
  const en = data.lang === "en";
  const $ = (id) => document.getElementById(id);
  const clock = new Intl.DateTimeFormat(en ? "en-GB" : "zh-CN", {
    timeZone: data.time_zone, hour: "2-digit", minute: "2-digit", hour12: false,
  });
  const dayFormat = new Intl.DateTimeFormat(en ? "en-GB" : "zh-CN", {
    timeZone: data.time_zone, month: "2-digit", day: "2-digit",
  });
  const time = (iso) => clock.format(new Date(iso));
  const slotText = (start, end) => `${dayFormat.format(new Date(start))} ${time(start)}–${time(end)}`;

  const matterSelect = $("book-matter");
  const moveMatter = $("manage-matter");
  for (const matter of data.matters) {
    matterSelect.append(OW.el("option", { value: matter.code, text: matter.name }));
    moveMatter.append(OW.el("option", { value: matter.code, text: matter.name }));
  }
  for (const input of [$("book-day"), $("manage-day")]) {
    input.min = data.today;
    input.max = data.last_day;
    input.value = data.today;
  }

  // The slots of a matter on a day, as radio buttons; a full or begun slot cannot be chosen (the
  // newest choice's slots only, whichever answer comes back first).
  async function drawSlots(box, matter, day, none) {
    const path = matter && day ? `${base}/booking-slots?matter=${encodeURIComponent(matter)}&day=${day}` : null;
    await OW.drawSlots(box, path, time, none);
  }
  const chosen = (box) => { const input = box.querySelector("input:checked"); return input ? input.value : null; };
  const redraw = () => drawSlots($("book-slots"), matterSelect.value, $("book-day").value, $("book-slots-none"));
  matterSelect.addEventListener("change", redraw);
  $("book-day").addEventListener("change", redraw);
  redraw();

  const refused = OW.showRefusal;

  function codeButton(button, phoneInput, form, status) {
    OW.action(button, async (requestId) => {
      OW.clearProblems(form);
      status.textContent = "";
      const answer = await OW.api("POST", base + "/booking-code", { request_id: requestId, phone: phoneInput.value });
      if (!answer.ok) { refused(form, answer.body); return; }
      status.textContent = OW.t("book_code_sent", { phone: answer.body.phone, minutes: answer.body.minutes });
    });
  }
  codeButton($("book-send-code"), $("book-phone"), $("book-form"), $("book-code-sent"));
  codeButton($("manage-send-code"), $("manage-phone"), $("manage-form"), $("manage-code-sent"));

  const bookForm = $("book-form");
  const book = OW.action($("book-submit"), async (requestId) => {
    OW.clearProblems(bookForm);
    const start = chosen($("book-slots"));
    if (!start) {
      OW.showProblem(bookForm, { errors: [{ field: "start", message: OW.t("book_slot_missing") }] });
      return;
    }
    const body = {
      request_id: requestId, matter: matterSelect.value, start, phone: $("book-phone").value,
      sms_code: $("book-code").value.trim(), reminder: $("book-reminder").checked,
    };
    const idNumber = $("book-id").value.trim();
    if (idNumber) body.id_number = idNumber;
    const answer = await OW.api("POST", base + "/bookings", body);
    if (!answer.ok) { refused(bookForm, answer.body); return; }
    const booking = answer.body;
    $("booked").hidden = false;
    $("booked-code").textContent = booking.code;
    $("booked-slot").textContent = slotText(booking.slot_start, booking.slot_end);
    $("booked-qr").src = booking.qr;
    $("manage-booking").value = booking.code;
    $("manage-phone").value = $("book-phone").value;
    $("book-code").value = "";
    $("book-id").value = "";
    moveMatter.value = booking.matter;
    redrawMove();
    redraw();
    $("booked").scrollIntoView();
  });
  bookForm.addEventListener("submit", (event) => { event.preventDefault(); book(); });

  // --- Cancel or move ----------------------------------------------------------------------------------

  const redrawMove = () => drawSlots($("manage-slots"), moveMatter.value, $("manage-day").value, null);
  $("manage-day").addEventListener("change", redrawMove);
  moveMatter.addEventListener("change", redrawMove);
  redrawMove();

  const manageForm = $("manage-form");
  async function change(requestId, path, extra, said) {
    OW.clearProblems(manageForm);
    $("manage-done").textContent = "";
    const code = $("manage-booking").value.trim().toUpperCase();
    const body = { request_id: requestId, phone: $("manage-phone").value, sms_code: $("manage-code").value.trim(), ...extra };
    const answer = await OW.api("POST", `${base}/bookings/${encodeURIComponent(code)}/${path}`, body);
    if (!answer.ok) { refused(manageForm, answer.body); return; }
    $("manage-code").value = "";
    $("manage-done").textContent = OW.t(said, { code: answer.body.code, slot: slotText(answer.body.slot_start, answer.body.slot_end) });
    if (path === "cancel") $("booked").hidden = true;
    else $("booked-slot").textContent = slotText(answer.body.slot_start, answer.body.slot_end);
    redraw();
    redrawMove();
  }
  OW.action($("manage-cancel"), (id) => change(id, "cancel", {}, "book_cancelled"));
  OW.action($("manage-move"), async (id) => {
    const start = chosen($("manage-slots"));
    if (!start) {
      OW.showProblem(manageForm, { errors: [{ field: "start", message: OW.t("book_slot_missing") }] });
      return;
    }
    await change(id, "move", { start }, "book_moved");
  });
})();
