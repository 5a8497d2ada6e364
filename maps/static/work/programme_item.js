/* /work/programme/items/{id}: one work item's record. Its plan against the baseline and every
 * reschedule with its reason, its phases (the one it is in, every move and reopening), the
 * courtyard's assessments, and the before and after pair (GET .../before-after): side by side,
 * and one over the other with a slider. Printed, it is the courtyard's A4 record. */
import { $, api, esc, painted, start } from "./app.js";

const id = Number(location.pathname.split("/").pop());
const day = (d) => (d ? esc(String(d).slice(0, 10)) : "—");

function shot(s, label) {
  return "<figure><img src=\"" + esc(s.url) + "\" alt=\"" + label + "\"><figcaption>" + label + " " +
    day(s.taken_at) + (s.bearing !== null ? " · 朝向 " + Math.round(s.bearing) + "°" : "") + "</figcaption></figure>";
}

async function run() {
  const [item, schedule, phase, pair] = await Promise.all([
    api("/api/renovation-items/" + id),
    api("/api/programme/items/" + id + "/schedule"),
    api("/api/programme/items/" + id + "/phase"),
    api("/api/programme/items/" + id + "/before-after"),
  ]);
  $("#w-title").innerHTML = esc(item.name) + " <small>" + esc(item.project) + (item.batch ? " · " + esc(item.batch) : "") + "</small>";
  document.title = item.name + " · 整治档案";
  $("#w-facts").innerHTML =
    "<dt>基线计划 Baseline</dt><dd>" + day(schedule.baseline.planned_start) + " — " + day(schedule.baseline.planned_end) + "</dd>" +
    "<dt>当前计划 Current</dt><dd>" + day(schedule.current.planned_start) + " — " + day(schedule.current.planned_end) + "</dd>" +
    "<dt>实际 Actual</dt><dd>" + day(item.actual_start) + " — " + day(item.actual_end) + "</dd>" +
    "<dt>完成 Done</dt><dd>" + esc(item.percent_done) + "%" + (item.late ? " · <b>滞后 late</b>" : "") + "</dd>";
  const here = phase.phase;
  $("#w-phases").innerHTML = phase.phases.map((p) =>
    "<li" + (p.code === here ? ' aria-current="step" class="current"' : "") + ">" + esc(p.label_zh) + " <small>" + esc(p.label_en) + "</small></li>").join("");
  const label = Object.fromEntries(phase.phases.map((p) => [p.code, p.label_zh]));
  $("#w-phase-history").innerHTML = phase.history.map((h) =>
    "<li>" + day(h.recorded_at) + " " + esc(label[h.from_phase] || h.from_phase) + " → " + esc(label[h.to_phase] || h.to_phase) +
    (h.reopened ? " <b>重新打开 reopened</b>" : "") + (h.reason ? " <small>" + esc(h.reason) + "</small>" : "") + "</li>").join("");
  $("#w-schedule").innerHTML = schedule.changes.map((c) =>
    "<li>" + day(c.recorded_at) + " " + day(c.from_plan.planned_start) + "—" + day(c.from_plan.planned_end) + " → " +
    day(c.to_plan.planned_start) + "—" + day(c.to_plan.planned_end) + " <small>" + esc(c.reason) + "</small></li>").join("") ||
    '<li class="w-empty">未改期 never rescheduled</li>';
  if (pair.before && pair.after) {
    $("#w-pair").innerHTML = shot(pair.before, "整治前 before") + shot(pair.after, "整治后 after");
    $("#w-slider-before").src = pair.before.url;
    $("#w-slider-after").src = pair.after.url;
    $("#w-slider").hidden = false;
    $("#w-slide").addEventListener("input", (e) => {
      $("#w-slider-top").style.clipPath = "inset(0 " + (100 - Number(e.target.value)) + "% 0 0)";
    });
  }
  if (item.courtyard_id) {
    const yard = await api("/api/heritage/courtyards/" + item.courtyard_id);
    const box = $("#w-assessments");
    box.hidden = false;
    box.querySelector("ol").innerHTML = yard.history.map((a) =>
      "<li>" + day(a.assessed_on) + " " + esc(a.kind) + ": <b>" + esc(a.value) + "</b>" + (a.basis ? " <small>" + esc(a.basis) + "</small>" : "") + "</li>").join("");
  }
  $("#w-record").setAttribute("aria-busy", "false");
  $("#w-print").addEventListener("click", () => window.print());
  painted();
}

start(run);
