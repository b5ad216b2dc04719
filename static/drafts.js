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
// - removed when the server has answered a Submit or Skip of the item (and not written again until the page has
//   shown the result: a refused submit keeps what is on the page, and the next change writes it again). Until then
//   (session 16, "outagesubmit") the draft is kept, marked as being sent (`unsent: "sending"`): a Submit pressed while
//   the app server was down (restarting) removed the draft at the click, and only Gradio's toast said that nothing
//   was saved. static/unreachable.js tells when Gradio's request for the event could not reach the server
//   ("refused": the draft is marked `unsent: "refused"`) or the connection was lost before the answer came
//   ("lost"); the page then says in a banner above the feedback line (`#annotate-unsent` / `#grade-unsent`,
//   role=alert) that the answer was not saved and is kept in the tab. After the reload Gradio does when the server is
//   back, the banner names Start, and once Start has put the draft back it says the answer is not saved yet until
//   Submit is pressed again.
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
  const LOST_CHECK_MS = 2500; // a Submit whose request was never answered, while Gradio says the server is lost
  const UNSENT = ["sending", "refused", "lost"]; // a draft's `unsent`: pressed and not answered; not sent; unknown
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
      const unsent = UNSENT.includes(draft.unsent) ? draft.unsent : null; // a Submit / Skip not answered
      const press = draft.press === "Skip" ? "Skip" : "Submit";
      const found = { choice, comment, confidence, flagged, base, unsent, press };
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
        const was = read(key); // a draft whose Submit never reached the server stays marked as not saved
        const mark = was && was.unsent && was.unsent !== "sending" ? { unsent: was.unsent, press: was.press } : {};
        store.setItem(key, JSON.stringify({ ...draft, base: baseOf(prefix), ...mark }));
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
        // Submit / Skip: the item is answered (or refused, and then the next change writes the draft again); the
        // draft stays, marked as being sent, until the server answers (removed then) or cannot be reached
        if (timer !== null) clearTimeout(timer);
        timer = null;
        send(prefix, PAGES[prefix].buttons[1] === target.id ? "Skip" : "Submit");
        return;
      }
      saveSoon();
    },
    true,
  );
  // A Submit / Skip that did not reach the server (session 16, "outagesubmit"). ``sending``: the one pressed and not
  // answered yet ({ prefix, key, press, joined }); static/unreachable.js says whether Gradio's request for it was
  // taken ("joined"), could not be sent ("refused"), or whether the connection was lost.
  let sending = null;
  let serverLost = false; // Gradio's "Connection to the server was lost" notice is up
  const write = (key, draft) => {
    const store = storage();
    if (!store || !key) return;
    try {
      store.setItem(key, JSON.stringify(draft));
    } catch (_error) {
      // storage full or refused: the banner still says the answer was not saved
    }
  };
  const send = (prefix, press) => {
    const key = keyOf(prefix);
    const draft = onScreen(prefix);
    const had = read(key);
    // what the person chose or typed (or a draft put back) is kept until the server has answered
    if (key && kept(draft) && (touched === key || had) && !(shownAs && shownAs.key === key && same(draft, shownAs))) {
      write(key, { ...draft, base: baseOf(prefix), unsent: "sending", press });
    } else {
      remove(key);
    }
    pendingUntil = Date.now() + PENDING_MS;
    const pressed = { prefix, key, press, joined: false };
    sending = pressed;
    setTimeout(() => {
      // no request left the page (Gradio had already lost the server): nothing reached it
      if (sending === pressed && !pressed.joined && serverLost) fail("refused");
    }, LOST_CHECK_MS);
  };
  const fail = (how) => {
    const { prefix, key, press } = sending;
    sending = null;
    pendingUntil = 0;
    const draft = read(key);
    if (draft) write(key, { ...draft, unsent: how, press });
    touched = key; // what is changed on the item from now on is written again
    banner(prefix, how === "refused" ? notSent(press) : notAnswered(press), true);
  };
  window.addEventListener("judge-studio-server", (event) => {
    const state = event.detail && event.detail.state;
    if (state === "lost") serverLost = true;
    if (state === "joined") serverLost = false;
    if (!sending) return;
    if (state === "joined") sending.joined = true;
    else if (state === "refused" && !sending.joined) fail("refused");
    else if (state === "lost") fail(sending.joined ? "lost" : "refused");
  });
  // the banner above the feedback line (role=alert, as text): kept there while Gradio redraws the page
  const banners = {}; // prefix -> text
  // why a draft is marked: its Submit / Skip was not sent, or not answered ("sending": the page was reloaded first)
  const reason = (how, press) =>
    how === "refused" ? `your last ${press} did not reach the server` : `the server did not answer your last ${press}`;
  // after a reload, before Start: what happened, and the way back
  const resumeUnsent = (draft, label) =>
    draft.unsent === "refused"
      ? `Not saved: ${reason(draft.unsent, draft.press)}. Your answer is kept in this tab: press “${label}” to get ` +
        `the item back, then press ${draft.press}.`
      : `Not confirmed: ${reason(draft.unsent, draft.press)}, so it may not have been saved. Your answer is kept in ` +
        `this tab: press “${label}”; if the item comes back, press ${draft.press} again.`;
  const notSent = (press) =>
    press === "Skip"
      ? "Not skipped: the server could not be reached. Your answer is kept in this tab; press Skip again when the server is back."
      : "Not saved: the server could not be reached. Your answer is kept in this tab; press Submit again when the server is back.";
  const notAnswered = (press) =>
    `Not confirmed: the connection to the server was lost before it answered your ${press}, so it may not have been ` +
    `saved. Your answer is kept in this tab; press ${press} again when the server is back.`;
  const placeBanner = (prefix) => {
    const id = `${prefix}-unsent`;
    const text = banners[prefix];
    let note = byId(id);
    if (!text) {
      if (note) note.remove();
      return null;
    }
    const anchor = byId(`${prefix}-feedback`);
    if (!anchor || !anchor.parentNode) return null;
    if (!note) {
      note = document.createElement("div");
      note.id = id;
      note.setAttribute("role", "alert");
      note.style.cssText =
        "margin:6px 0;padding:10px 14px;font-weight:bold;background:#fff4d6;color:#5c3b00;" +
        "border:2px solid #c98a00;border-radius:6px";
    }
    if (note.textContent !== text) note.textContent = text; // as text, never HTML
    if (note.nextSibling !== anchor) anchor.parentNode.insertBefore(note, anchor);
    return note;
  };
  const banner = (prefix, text, show) => {
    if (text) banners[prefix] = text;
    else delete banners[prefix];
    const note = placeBanner(prefix);
    if (note && show) {
      const box = note.getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) note.scrollIntoView({ block: "center" });
    }
  };
  setInterval(() => Object.keys(banners).forEach(placeBanner), 500);

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
      // (a draft whose Submit got no answer: the newer answer is most likely that Submit's own, saved after all)
      const own = draft.unsent === "sending" || draft.unsent === "lost";
      if (!own && base !== "new" && (draft.base === "new" || draft.base === null || base > draft.base)) {
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
    if (draft.unsent) {
      const then = draft.press === "Skip" ? "Press Skip again to skip it." : "Press Submit to save it.";
      banner(prefix, `Not saved yet: your answer was put back from this tab because ${reason(draft.unsent, draft.press)}. ${then}`);
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

  // The done screen (ui/answer_page.py ``show`` with no item: the page kind's ``done_text``, or NOTHING_NEW with the
  // person's open skips listed): the server has nothing left for this person in the session, so a draft of it
  // still marked unsent was saved after all (its Submit was stored and the answer lost on the way back, or the tab
  // reloaded while it was in flight): it is dropped, else resumeHint puts back a false "Not confirmed" banner every
  // RESUME_MS and at every reload (s17 review finding 3). A draft on one of the open skips listed is kept (← Previous
  // brings that item and the draft back), and with more skips than the list names ("…") every draft is kept.
  const DONE = /You have (?:answered|rated) every .* Thank you!/;
  const NOTHING_NEW = "Nothing new is left for you in this session.";
  const finished = (text) => {
    if (NUMBER.exec(text)) return null;
    if (DONE.test(text)) return () => true;
    if (!text.includes(NOTHING_NEW) || text.includes("…")) return null;
    return (item) => !(typeof item === "number" ? text.includes(`#${item}`) : new RegExp(`\\b${item}\\b`).test(text));
  };
  const dropFinished = (prefix) => {
    const header = byId(`${prefix}-header`);
    const droppable = header ? finished(header.innerText || "") : null;
    const picker = document.querySelector(`#${prefix}-session input`);
    const user = account();
    const store = storage();
    if (!droppable || !store || !user || !picker || !picker.value) return false;
    for (const key of draftKeys(store)) {
      try {
        const parts = JSON.parse(key);
        const draft = read(key);
        const mine = parts[1] === prefix && parts[2] === user && parts[3] === picker.value;
        if (mine && draft && draft.unsent && /^[A-Z2-7]+$|^\d+$/.test(String(parts[4])) && droppable(parts[4])) {
          remove(key);
        }
      } catch (_error) {
        // not one of ours
      }
    }
    return true;
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
    if (header && dropFinished(prefix)) return null; // Start was answered with the done screen: no "press Start"
    const picker = document.querySelector(`#${prefix}-session input`);
    const start = byId(PAGES[prefix].start);
    const label = start ? (start.innerText || "").trim() : "";
    const user = account();
    const store = storage();
    if (!store || !user || !picker || !picker.value || !header || !label) return null;
    const mine = draftKeys(store).filter((key) => {
      try {
        const parts = JSON.parse(key);
        return parts[1] === prefix && parts[2] === user && parts[3] === picker.value && read(key) !== null;
      } catch (_error) {
        return false;
      }
    });
    if (mine.length === 0) return null;
    // a Submit that did not reach the server (or was not answered): said in the banner, not the feedback line
    const unsent = mine.map(read).find((draft) => draft && draft.unsent);
    if (unsent) return { text: resumeUnsent(unsent, label), unsent: true };
    return {
      text: `You were answering an item of ${picker.value}: press “${label}” to get it back; your unsent answer is kept.`,
      unsent: false,
    };
  };
  const resumeBanner = {}; // prefix -> the banner's text while it is resumeHint's
  const resumeHint = () => {
    for (const prefix of Object.keys(PAGES)) {
      if (itemShown[prefix]) continue;
      const id = `${prefix}-draft-resume`;
      const found = resumeText(prefix);
      const text = found && !found.unsent ? found.text : null;
      const note = found && found.unsent ? found.text : null;
      if (note !== (resumeBanner[prefix] || null) && (banners[prefix] || null) === (resumeBanner[prefix] || null)) {
        banner(prefix, note);
        resumeBanner[prefix] = note;
      }
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
    if (sending && sending.prefix === prefix) {
      remove(sending.key); // the server answered the Submit / Skip (saved, or refused with its reason on the page)
      sending = null;
    }
    banner(prefix, null); // the item shown now: put back with its draft when that is one not saved yet
    resumeBanner[prefix] = null;
    pendingUntil = 0;
    touched = null; // a new item (or the same one again, as the server sent it): nothing changed on it yet
    shownAs = null;
    dropped = null;
    // after Gradio has written the new item into the page
    const run = ++runs;
    restoring = run;
    checkLogin();
    requestAnimationFrame(() =>
      setTimeout(() => {
        dropFinished(prefix);
        restore(prefix, 15, 2, run);
      }, 0),
    );
  };
  window.judgeStudioShowFeedback = window.judgeStudioShowItem;
})();
