// Judge Studio: the answer being written on the Annotate / Grade page survives a reload (session 13, "invitesdraft").
// A reload (or a crashed tab restored) showed the item again with the chosen answer and the comment gone. The page
// keeps a draft in the tab's sessionStorage (this tab only, gone when the tab closes; never sent to the server):
// the choice (or rating), the comment, the confidence and the flag (the last two since session 14, "drafts2");
// - keyed by the page (annotate / grade), the signed-in account, the session picked and the item's number or handle
//   from its header ("Comparison #12", "Response #7"; an annotator's "Item 7KQ2MXA3FZ", which stays the same for
//   them in that session: session 15), so a draft is only ever put back onto that same item of that session
//   for that same account; the account is the opaque value the server writes into the Log out link
//   (data-account, ui/layout.py draft_owner), never the displayed name (`rita  x` and `rita x` display alike:
//   s13 redteam finding 2). The left/right choice is stored as shown: the order of an item is drawn once per
//   account and item and kept on its lease, so the same account sees the same order when it comes back;
// - all drafts are removed when Log out is pressed, and another account's drafts are removed as soon as the page
//   knows who is signed in;
// - written only after the person changed something on the item (a click, a key, typing: trusted events, not the
//   page showing an item or putting a draft back) and the answer on screen differs from what the item showed; then
//   after every change and when the page is left, while an answerable item is on screen (not the done screen, not a
//   read-only final answer). ← Previous to an answer, changing nothing, writes no draft (s13 newfeat finding 1: the
//   untouched draft was put back later over a newer answer, and Submit saved it as the next version);
// - each draft records what the item showed when it was written (`base`: the stored answer's version from the
//   header, "(version N)", or "new" when unanswered; a skipped item's header shows its skip's version too, since
//   session 14: a skip, an answer and a skip again elsewhere made the draft look current), and is put back only
//   while the item shows that same state;
//   when the item now shows a newer answer (changed in another tab, on another computer, over REST) the draft is
//   dropped and the feedback line says so (as text). Drafts written before this rule (no `base`) are put back
//   only onto an unanswered item;
// - put back when that item is shown again (after Start / ← Previous: window.judgeStudioShowItem, called by the
//   events' `.then(js=...)` in ui/answer_page.py), by clicking the chosen radio, confidence and flag and setting
//   the comment box's .value (never as HTML);
// - the login page (web/login.py) removes every draft of the tab too, so a session ended by typing /logout or by
//   an expired login leaves nothing behind for the next person; and a tab left open on the app page asks the server
//   whether its login still holds (GET /login/state: when the tab is shown again or gets the focus, every minute,
//   and before a draft is put back; only while it keeps a draft) and removes every draft when it has ended or the
//   cookie is now another account's (session 14);
// - a page loaded with no item on screen while the tab keeps a draft for the session picked (a reload; Gradio
//   reloads by itself after a server outage) says so in the feedback line and names Start (s15 expert finding 2);
// - removed when Submit or Skip is pressed for the item (and not written again until the page has shown the
//   result: a refused submit keeps what is on the page, and the next change writes it again).
(() => {
  const PAGES = {
    annotate: { answer: "annotate-choice", buttons: ["submit-label", "skip-item"], start: "start-labelling" },
    grade: { answer: "grade-rating", buttons: ["submit-rating", "skip-rating"], start: "start-grading" },
  };
  const PREFIX = "judge-studio-draft";
  const NUMBER = /^\s*(?:(?:Comparison|Response)\s+#(\d+)|Item\s+([A-Z2-7]+))\b/;
  const VERSION = /\(version (\d+)\)/;
  const DROPPED = "Your unsent draft was dropped: this answer was changed elsewhere";
  const NAV = ["start-labelling", "start-grading", "previous-item", "previous-rating", "logout-link"];
  const PENDING_MS = 15000; // a submit whose result never came back stops holding the drafts after this
  const CHECK_URL = "/login/state"; // whether the login still holds (web/login_state.py)
  const CHECK_EVERY_MS = 60000; // how often a tab that keeps a draft asks
  const CHECK_TIMEOUT_MS = 5000;
  let pendingUntil = 0;
  let timer = null;

  const byId = (id) => document.getElementById(id);
  const visible = (el) => !!el && el.offsetParent !== null;
  const storage = () => {
    try {
      return window.sessionStorage;
    } catch (_error) {
      return null; // storage switched off: no drafts, the page works as before
    }
  };
  // the page on screen: the one whose answer widget is visible
  const pageOnScreen = () => Object.keys(PAGES).find((prefix) => visible(byId(PAGES[prefix].answer))) || null;
  // the drafts' keys in this tab (JSON arrays starting with PREFIX)
  const draftKeys = (store) => {
    const keys = [];
    for (let i = 0; i < store.length; i += 1) {
      const key = store.key(i);
      if (key && key.startsWith(`["${PREFIX}",`)) keys.push(key);
    }
    return keys;
  };
  // remove the drafts not written by ``keep`` (all of them when ``keep`` is null)
  const forget = (keep) => {
    const store = storage();
    if (!store) return;
    for (const key of draftKeys(store)) {
      let owner = null;
      try {
        owner = JSON.parse(key)[2];
      } catch (_error) {
        owner = null;
      }
      if (keep === null || owner !== keep) store.removeItem(key);
    }
  };
  let loggingOut = false;
  let ended = false; // the login check found this tab's login ended (or another account's cookie): no drafts now
  let swept = "";
  // the signed-in account ("" until the page knows it); another account's drafts go the first time it is known
  const account = () => {
    if (loggingOut || ended) return "";
    const link = byId("logout-link");
    const user = link && link.dataset ? link.dataset.account || "" : "";
    if (user && user !== swept) {
      forget(user);
      swept = user;
    }
    return user;
  };
  // Whether the tab's login still holds (GET /login/state, web/login_state.py): asked only while the tab keeps a
  // draft; on 401 (or a redirect), or when the cookie is another account's than the page's Log out link says
  // (another person logged in in this browser meanwhile), every draft of the tab goes and none is written or put
  // back until the page is loaded again. A failed or slow request (network, server down) changes nothing.
  let checking = null; // the check under way (a promise), or null
  const endDrafts = () => {
    ended = true;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    forget(null);
  };
  const checkLogin = () => {
    const store = storage();
    if (checking) return checking;
    if (ended || loggingOut || !store || draftKeys(store).length === 0 || typeof window.fetch !== "function") {
      return Promise.resolve();
    }
    const page = account();
    const stop = typeof AbortController === "function" ? new AbortController() : null;
    const late = setTimeout(() => stop && stop.abort(), CHECK_TIMEOUT_MS);
    checking = window
      .fetch(CHECK_URL, {
        method: "GET",
        credentials: "same-origin",
        cache: "no-store",
        redirect: "manual",
        headers: { Accept: "application/json" },
        signal: stop ? stop.signal : undefined,
      })
      .then(async (response) => {
        if (response.status === 401 || response.type === "opaqueredirect") {
          endDrafts();
          return;
        }
        if (!response.ok) return;
        const state = await response.json();
        if (!state || state.signed_in !== true || (page && state.account !== page)) endDrafts();
      })
      .catch(() => {}) // cannot tell: keep the drafts
      .finally(() => {
        clearTimeout(late);
        checking = null;
      });
    return checking;
  };
  const keyOf = (prefix) => {
    const header = byId(`${prefix}-header`);
    const picker = document.querySelector(`#${prefix}-session input`);
    const found = header ? NUMBER.exec(header.innerText || "") : null;
    const user = account();
    if (!found || !picker || !picker.value || !user) return null;
    return JSON.stringify([PREFIX, prefix, user, picker.value, found[1] ? Number(found[1]) : found[2]]);
  };
  // what the item on screen shows: the stored answer's version ("(version N)" in its header) or "new"
  const baseOf = (prefix) => {
    const header = byId(`${prefix}-header`);
    const found = header ? VERSION.exec(header.innerText || "") : null;
    return found ? Number(found[1]) : "new";
  };
  const radios = (prefix) => [...document.querySelectorAll(`#${PAGES[prefix].answer} input[type=radio]`)];
  const commentBox = (prefix) => document.querySelector(`#${prefix}-comment textarea`);
  const answerable = (prefix) => {
    const inputs = radios(prefix);
    return inputs.length > 0 && inputs.every((input) => !input.disabled);
  };
  const confidences = (prefix) => [...document.querySelectorAll(`#${prefix}-confidence input[type=radio]`)];
  const flagBox = (prefix) => document.querySelector(`#${prefix}-flag input[type=checkbox]`);
  const onScreen = (prefix) => {
    const checked = radios(prefix).find((input) => input.checked);
    const box = commentBox(prefix);
    const sure = confidences(prefix).find((input) => input.checked);
    const flag = flagBox(prefix);
    return {
      choice: checked ? checked.value : null,
      comment: box ? box.value : "",
      confidence: sure ? sure.value : null,
      flagged: flag ? flag.checked : null,
    };
  };
  // something worth keeping: a choice, a comment, a confidence other than "–" (0), the flag
  const kept = (draft) =>
    !!(draft.choice || draft.comment || (draft.confidence && draft.confidence !== "0") || draft.flagged);
  const read = (key) => {
    const store = storage();
    if (!store || !key) return null;
    try {
      const draft = JSON.parse(store.getItem(key) || "null");
      if (!draft || typeof draft !== "object") return null;
      const choice = typeof draft.choice === "string" ? draft.choice : null;
      const comment = typeof draft.comment === "string" ? draft.comment : "";
      // (drafts written before session 14 have neither: the page's confidence and flag are left as shown)
      const confidence = typeof draft.confidence === "string" ? draft.confidence : null;
      const flagged = typeof draft.flagged === "boolean" ? draft.flagged : null;
      const base = draft.base === "new" || Number.isInteger(draft.base) ? draft.base : null;
      const found = { choice, comment, confidence, flagged, base };
      return kept(found) ? found : null;
    } catch (_error) {
      return null;
    }
  };
  const remove = (key) => {
    const store = storage();
    if (store && key) store.removeItem(key);
  };

  // the item the person last changed something on (its draft key), and what that item showed before any change
  // (``shownAs``: its key, and its choice and comment as the server sent them)
  let touched = null;
  let shownAs = null;
  const same = (a, b) =>
    a.choice === b.choice && a.comment === b.comment && a.confidence === b.confidence && a.flagged === b.flagged;
  // (``leaving``: the page is being left, so what it shows is written even while a restore is checking)
  const save = (leaving) => {
    timer = null;
    if (Date.now() < pendingUntil || (restoring && leaving !== true)) return;
    const prefix = pageOnScreen();
    const key = prefix ? keyOf(prefix) : null;
    const store = storage();
    if (!key || !store || !answerable(prefix) || touched !== key) return; // nothing changed by the person
    const draft = onScreen(prefix);
    try {
      if (kept(draft) && !(shownAs && shownAs.key === key && same(draft, shownAs))) {
        store.setItem(key, JSON.stringify({ ...draft, base: baseOf(prefix) }));
      } else {
        store.removeItem(key); // nothing chosen, or back to what the item showed: nothing to keep
      }
    } catch (_error) {
      // storage full or refused: keep the page working without a draft
    }
  };
  // a change made by the person (a trusted event, not on a button that moves between items or submits)
  const touch = (event) => {
    if (!event.isTrusted || !(event.target instanceof Element)) return;
    const target = event.target;
    if (target.closest("#annotate-session, #grade-session, [role=tab]")) return;
    const button = target.closest("button, a");
    if (button && NAV.includes(button.id)) return;
    if (event.type === "keydown") {
      const typing = target.closest("textarea, input");
      if (typing || !/^[0-9tTfF]$/.test(event.key)) return; // typing shows as "input"; keys: the shortcuts
    }
    const prefix = pageOnScreen();
    const key = prefix ? keyOf(prefix) : null;
    if (key) touched = key;
  };
  for (const type of ["input", "change", "keydown", "click"]) document.addEventListener(type, touch, true);
  const saveSoon = () => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(save, 150);
  };
  for (const type of ["input", "change", "keyup"]) document.addEventListener(type, saveSoon, true);
  document.addEventListener(
    "click",
    (event) => {
      if (event.target instanceof Element && event.target.closest("#logout-link")) {
        // Log out: no draft outlives it (a shared computer's next person must not find it)
        if (timer !== null) clearTimeout(timer);
        timer = null;
        loggingOut = true;
        forget(null);
        return;
      }
      const target = event.target instanceof Element ? event.target.closest("button") : null;
      if (target && NAV.includes(target.id)) {
        // Start / ← Previous: what was changed on the item being left is written now, before the next one shows
        if (timer !== null) clearTimeout(timer);
        save();
        return;
      }
      const prefix = target && Object.keys(PAGES).find((p) => PAGES[p].buttons.includes(target.id));
      if (prefix) {
        // Submit / Skip: the item is answered (or refused, and then the next change writes the draft again)
        if (timer !== null) clearTimeout(timer);
        timer = null;
        remove(keyOf(prefix));
        pendingUntil = Date.now() + PENDING_MS;
        return;
      }
      saveSoon();
    },
    true,
  );
  window.addEventListener("pagehide", () => save(true));
  // back to this page from the log-out confirmation (the browser's page cache): drafts may be written again
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) loggingOut = false;
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") save(true);
    else checkLogin(); // back to a tab left open: did its login end meanwhile?
  });
  window.addEventListener("focus", () => checkLogin());
  setInterval(() => checkLogin(), CHECK_EVERY_MS);

  // put the draft of the item on screen back (tries for a moment: the rating buttons of a Grade session are
  // drawn after its scale is known), then checks twice that the page kept it; no draft is written meanwhile (so a
  // value Gradio writes late cannot replace the draft), and what is on the page is written once it is done
  let restoring = 0; // the run of the restore under way (0: none)
  let runs = 0;
  // the note that a draft was dropped, added to the feedback line as text (Gradio may redraw the line: put back)
  let dropped = null; // { prefix, text }
  const showDropped = () => {
    if (!dropped) return;
    const area = byId(`${dropped.prefix}-feedback`);
    if (!area) return;
    const id = `${dropped.prefix}-draft-dropped`;
    if (byId(id)) return;
    const line = document.createElement("p");
    line.id = id;
    line.textContent = dropped.text; // as text, never HTML
    const prose = area.querySelector(".prose, .md") || area;
    prose.appendChild(line);
  };
  const apply = (prefix, key) => {
    const draft = read(key);
    if (!draft) return true;
    const base = baseOf(prefix);
    if (draft.base !== base && !(draft.base === null && base === "new")) {
      // written on another state of the item than it shows now: the stored answer wins
      remove(key);
      if (base !== "new" && (draft.base === "new" || draft.base === null || base > draft.base)) {
        dropped = { prefix, text: `${DROPPED} (version ${base}).` };
        showDropped();
      }
      return true;
    }
    const shown = onScreen(prefix);
    if (draft.choice && shown.choice !== draft.choice) {
      const input = radios(prefix).find((radio) => radio.value === draft.choice);
      if (!input) return false;
      input.click();
    }
    if (draft.confidence !== null && shown.confidence !== draft.confidence) {
      const input = confidences(prefix).find((radio) => radio.value === draft.confidence);
      if (!input) return false;
      input.click();
    }
    const flag = flagBox(prefix);
    if (draft.flagged !== null && flag && flag.checked !== draft.flagged) flag.click();
    const box = commentBox(prefix);
    // (a draft that keeps the flag keeps the whole answer: a comment cleared by the person is put back cleared)
    if (box && (draft.comment || draft.flagged !== null) && box.value !== draft.comment) {
      box.value = draft.comment; // as text: .value, never HTML
      box.dispatchEvent(new Event("input", { bubbles: true }));
    }
    return true;
  };
  const restore = (prefix, tries, checks, run) => {
    if (run !== restoring) return; // a newer item was shown meanwhile
    if (checking) {
      // no draft is put back before the login check says whose it may be (at most CHECK_TIMEOUT_MS)
      setTimeout(() => restore(prefix, tries, checks, run), 50);
      return;
    }
    const key = keyOf(prefix);
    const ready = !!key && answerable(prefix);
    if (ready && !(shownAs && shownAs.key === key)) shownAs = { key, ...onScreen(prefix) }; // before any draft
    const done = ready && apply(prefix, key);
    if ((!done && tries > 0) || (done && checks > 0)) {
      setTimeout(() => restore(prefix, done ? tries : tries - 1, done ? checks - 1 : checks, run), done ? 200 : 60);
      return;
    }
    restoring = 0;
    showDropped();
    save(); // what was chosen or typed meanwhile
  };

  // A page loaded with no item on screen while the tab keeps a draft for the session picked (a reload: Gradio
  // reloads the page by itself when the server is back after an outage, s15 expert finding 2): the feedback line
  // says so, as text, and names Start (which hands the same item back while it is theirs, and the draft goes
  // back onto it). Checked every RESUME_MS until the page first shows an item (the picker may change meanwhile).
  const RESUME_MS = 700;
  const itemShown = {}; // prefix -> true once the page showed an item: no hint from then on
  const resumeText = (prefix) => {
    const header = byId(`${prefix}-header`);
    if (header && NUMBER.exec(header.innerText || "")) {
      itemShown[prefix] = true;
      return null;
    }
    const picker = document.querySelector(`#${prefix}-session input`);
    const start = byId(PAGES[prefix].start);
    const label = start ? (start.innerText || "").trim() : "";
    const user = account();
    const store = storage();
    if (!store || !user || !picker || !picker.value || !header || !label) return null;
    const mine = draftKeys(store).find((key) => {
      try {
        const parts = JSON.parse(key);
        return parts[1] === prefix && parts[2] === user && parts[3] === picker.value && read(key) !== null;
      } catch (_error) {
        return false;
      }
    });
    if (!mine) return null;
    return `You were answering an item of ${picker.value}: press “${label}” to get it back; your unsent answer is kept.`;
  };
  const resumeHint = () => {
    for (const prefix of Object.keys(PAGES)) {
      if (itemShown[prefix]) continue;
      const id = `${prefix}-draft-resume`;
      const text = resumeText(prefix);
      const old = byId(id);
      if (old && old.textContent !== text) old.remove();
      const area = byId(`${prefix}-feedback`);
      if (text && area && !byId(id)) {
        const line = document.createElement("p");
        line.id = id;
        line.textContent = text; // as text, never HTML (the session's name is an admin's text)
        const prose = area.querySelector(".prose, .md") || area;
        prose.appendChild(line);
      }
    }
    if (Object.keys(PAGES).every((prefix) => itemShown[prefix])) clearInterval(resumeTimer);
  };
  const resumeTimer = setInterval(resumeHint, RESUME_MS);

  const shown = window.judgeStudioShowItem;
  window.judgeStudioShowItem = (prefix) => {
    if (typeof shown === "function") shown(prefix);
    if (!PAGES[prefix]) return;
    pendingUntil = 0;
    touched = null; // a new item (or the same one again, as the server sent it): nothing changed on it yet
    shownAs = null;
    dropped = null;
    // after Gradio has written the new item into the page
    const run = ++runs;
    restoring = run;
    checkLogin();
    requestAnimationFrame(() => setTimeout(() => restore(prefix, 15, 2, run), 0));
  };
  window.judgeStudioShowFeedback = window.judgeStudioShowItem;
})();
