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
