// What the window's printer did with a case's paper, followed until it settles: never "printed"
// before the printer said so. Past PATIENCE_MS untaken, or with its printer offline, it is a
// warning with the way out: the paper on A4. console.js starts it when a finish prints a paper,
// console_result.js when a result handed over prints its proof of delivery (each on its own line).
"use strict";

OW.noticePrint = (() => {
  const { t, api } = OW;
  const C = OW.data.centre.code;
  const PATIENCE_MS = 60000;
  const LOOK_MS = 1500;
  let watch = { serial: null, paper: "", timer: null, line: "notice-print" };

  // Only the newest paper is followed: a look for the one before never answers over it (OW.latest).
  const follow = OW.latest(async (current, serial, paper, line = "notice-print") => {
    clearTimeout(watch.timer);
    watch = { serial, paper, timer: null, line };
    const started = Date.now();
    const look = async () => {
      if (!current()) return;  // a later paper is followed now
      const prints = await api("GET", `/centres/${C}/tickets/${serial}/prints`);
      if (!current()) return;
      const jobs = prints.ok ? prints.body.jobs.filter((job) => job.kind === "notice") : [];
      const job = jobs.length ? jobs[jobs.length - 1] : null;
      show(job, Date.now() - started, prints.ok);
      if (!prints.ok || (job && (job.status === "queued" || job.status === "sending"))) {
        watch.timer = setTimeout(look, LOOK_MS);
      }
    };
    await look();
  });

  function show(job, waited, read) {
    const line = document.getElementById(watch.line);
    const paper = watch.paper;
    let text;
    let trouble = true;
    if (!read) text = t("notice_unknown", { paper });
    else if (!job) text = t("notice_no_printer", { paper });
    else if (job.status === "done") { text = t("notice_done", { paper }); trouble = false; }
    else if (job.status === "failed" || job.status === "unknown") text = t("notice_failed", { paper, reason: job.reason || t("notice_no_reason") });
    else if (job.printer_online === false) text = t("notice_printer_offline", { paper });
    else if (waited >= PATIENCE_MS) text = t("notice_stuck", { paper });
    else { text = t("notice_sending", { paper }); trouble = false; }
    line.textContent = text;
    line.classList.toggle("warning", trouble);
    line.setAttribute("role", trouble ? "alert" : "status");
    line.dataset.printStatus = job ? job.status : "none";
  }

  return { follow };
})();
