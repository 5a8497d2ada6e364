/* The outbox for the page modules: the one copy in outbox-core.js (shared with the service
 * worker, which sends what waits when the connection is back: Background Sync). */
import "./outbox-core.js";

export const {
  list, flush, submit, discard, discardAll, claimUnowned, setAccount, onChange, newKey, askForSync,
} = self.YstOutbox;
