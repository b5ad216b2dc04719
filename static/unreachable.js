// Judge Studio: tell the page's scripts when Gradio's requests cannot reach the server (session 16, "outagesubmit").
// A Submit pressed while the app server was down (restarting, or the reverse proxy answering 502 / 504 for it) was
// not saved, and Gradio's "Connection to the server was lost" toast was the only sign of it; the draft of the answer
// had been removed by the click. This script only watches; static/drafts.js acts on what it tells (it keeps the
// answer in the tab and says in the page that it was not saved). It fires `judge-studio-server` on window with
// `detail.state`:
// - "joined": a `/gradio_api/queue/join` request (how Gradio's page sends an event: a Submit, a Skip, Start) was
//   answered; the server has the event (its result comes later, over the queue's stream);
// - "refused": such a request failed before the server had it (the connection was refused or dropped: a network
//   error), or a proxy answered 502 / 504 for it (the app behind it is down): nothing of that event ran;
// - "lost": Gradio's own "Connection to the server was lost" notice appeared (its client gave up on the server; it
//   reloads the page by itself when the server is back).
// The database being down is not this: the app answers then, with the sentence that says so (web/outage.py).
(() => {
  const LOST = "Connection to the server was lost";
  const tell = (state) => window.dispatchEvent(new CustomEvent("judge-studio-server", { detail: { state } }));
  const isJoin = (input) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input && input.url;
    try {
      return /\/gradio_api\/queue\/join\/?$/.test(new URL(url, window.location.href).pathname);
    } catch {
      return false;
    }
  };
  const original = window.fetch.bind(window);
  window.fetch = (input, init) => {
    const sent = original(input, init);
    if (!isJoin(input)) return sent;
    return sent.then(
      (response) => {
        tell(response.status === 502 || response.status === 504 ? "refused" : "joined");
        return response;
      },
      (error) => {
        if (!(error && error.name === "AbortError")) tell("refused");
        throw error;
      },
    );
  };
  // Gradio's notice (its text is not translated in Gradio 6.31): told once per notice shown
  let shown = false;
  const watch = () => {
    const toast = [...document.querySelectorAll('[data-testid="toast-body"]')].some((el) =>
      (el.textContent || "").includes(LOST),
    );
    if (toast && !shown) tell("lost");
    shown = toast;
  };
  let soon = null; // at most one look per 200 ms, however busy the page is
  const later = () => {
    if (soon === null) soon = setTimeout(() => ((soon = null), watch()), 200);
  };
  const start = () => new MutationObserver(later).observe(document.body, { childList: true, subtree: true });
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();

// The page-wide note of an answer not saved (session 17, "cardpolish"). static/drafts.js says it in a banner above
// the feedback line of the answer's own tab (#annotate-unsent / #grade-unsent); but after the reload that follows an
// outage the page opens on Annotate, and a Grade answer's banner was then out of sight. This note, at the top of the
// page and outside Gradio's tabs (role=alert, as text), names the tab while that tab is not on screen; once it is,
// the tab's own banner says the rest and this note goes. It reads the drafts drafts.js keeps in this tab's
// sessionStorage (keys: JSON arrays ["judge-studio-draft", page, account, session, item]; `unsent`: "refused" not
// sent, "lost" no answer, "sending" pressed and not answered: such a draft found when the page loads was left by a
// reload). Nothing here writes them.
(() => {
  const PREFIX = "judge-studio-draft";
  const TABS = { annotate: "Annotate", grade: "Grade" };
  // each page's Start button: its id, and its label (ui/annotate.py, ui/grading.py) for when the tab is not drawn
  const STARTS = {
    annotate: ["start-labelling", "Start / next item"],
    grade: ["start-grading", "Start / next response"],
  };
  const ID = "page-unsent";
  const loadedSending = new Set(); // drafts already "sending" when the page loaded: their press was never answered
  let firstLook = true;
  const onScreen = (page) => {
    const header = document.getElementById(`${page}-header`);
    return !!header && header.offsetParent !== null;
  };
  const unsentDrafts = () => {
    const found = [];
    let store = null;
    try {
      store = window.sessionStorage;
    } catch {
      return found; // storage switched off: no drafts
    }
    for (let i = 0; i < store.length; i += 1) {
      const key = store.key(i);
      if (!key || !key.startsWith(`["${PREFIX}",`)) continue;
      try {
        const page = JSON.parse(key)[1];
        const draft = JSON.parse(store.getItem(key) || "null");
        if (!TABS[page] || !draft || !draft.unsent) continue;
        if (draft.unsent === "sending" && firstLook) loadedSending.add(key);
        if (draft.unsent !== "sending" || loadedSending.has(key)) found.push({ page, draft });
      } catch {
        // not one of ours
      }
    }
    firstLook = false;
    return found;
  };
  const sentence = ({ page, draft }) => {
    const tab = TABS[page];
    const press = draft.press === "Skip" ? "Skip" : "Submit";
    const [id, named] = STARTS[page];
    const start = document.getElementById(id);
    const label = (start && (start.innerText || "").trim()) || named;
    const back = `open the ${tab} tab, press “${label}” and press ${press} again.`;
    return draft.unsent === "refused"
      ? `Not saved: your last ${press} on the ${tab} tab did not reach the server. Your answer is kept in this tab: ${back}`
      : `Not confirmed: the server did not answer your last ${press} on the ${tab} tab, so it may not have been ` +
          `saved. Your answer is kept in this tab: ${back}`;
  };
  const look = () => {
    const waiting = unsentDrafts().filter((found) => !onScreen(found.page));
    const text = waiting.length ? sentence(waiting[0]) : "";
    let note = document.getElementById(ID);
    if (!text) {
      if (note) note.remove();
      return;
    }
    if (!note) {
      note = document.createElement("div");
      note.id = ID;
      note.setAttribute("role", "alert");
      note.style.cssText =
        "position:sticky;top:0;z-index:1000;margin:0;padding:10px 14px;font-weight:bold;background:#fff4d6;" +
        "color:#5c3b00;border-bottom:2px solid #c98a00";
      document.body.insertBefore(note, document.body.firstChild); // outside Gradio's page: never redrawn away
    }
    if (note.textContent !== text) note.textContent = text; // as text, never HTML
  };
  const start = () => setInterval(look, 700);
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
