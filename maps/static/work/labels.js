/* The vocabulary's Chinese labels in the shapes the workspace pages use (display only: no rule
 * lives here). The words have one home, geo/core/vocabulary.py; ./vocabulary.js is generated from it
 * by `make vocabulary`, so nothing here names a label. */
import { VOCABULARY as V } from "./vocabulary.js";

const pick = (terms, field) => Object.fromEntries(Object.entries(terms).map(([code, t]) => [code, t[field]]));

export const STEP = pick(V.steps, "zh");
export const STEP_COLOUR = pick(V.steps, "colour");
export const FIVE = V.five_steps;
export const ACTION = pick(V.moves, "zh");
export const CLOSURE = pick(V.closure_reasons, "zh");
export const HIDE = pick(V.hide_reasons, "zh");
export const LEVEL = pick(V.levels, "zh");
export const EVENT = pick(V.events, "zh");
export const NOTICE = pick(V.notices, "zh");
export const PHASE = pick(V.phases, "zh");
export const UNIT = pick(V.units, "zh");
export const REVIEW = pick(V.reviews, "zh");
export const OUTCOME = pick(V.hall_decisions, "zh");
export const BODY = pick(V.hall_bodies, "zh");
// The bodies a session record ticks; member units are named one by one in a field of their own.
export const BODIES = Object.entries(V.hall_bodies).filter(([code]) => code !== "member_unit")
  .map(([code, t]) => [code, t.zh + " " + t.en]);
export const WISH_KIND = pick(V.wish_kinds, "zh");
export const WISH_STATE = pick(V.wish_states, "zh");
export const WISH_EVENT = pick(V.wish_events, "zh");
