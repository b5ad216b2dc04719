// Judge Studio: when the login has ended (everyone signed out, the login expired, the account was
// deactivated, or a logout in another tab), Gradio's requests under /gradio_api/ get 401 and every output
// of the page would only show a red "Error" pill. Instead: say so on the page and go to the login page,
// which says it again. Nothing was stored: the server refused the request before any handler ran.
(() => {
  const LOGIN = "/login?signed_out=1";
  const MESSAGE = "You are signed out: log in again. Your last answer was not saved.";
  let leaving = false;
  const signedOut = () => {
    if (leaving) return;
    leaving = true;
    const note = document.createElement("div");
    note.id = "js-signed-out";
    note.setAttribute("role", "alert");
    note.textContent = MESSAGE;
    note.style.cssText =
      "position:fixed;top:0;left:0;right:0;z-index:10000;padding:14px;text-align:center;font-size:1.1em;" +
      "font-weight:bold;background:#fff4d6;color:#5c3b00;border-bottom:2px solid #c98a00";
    document.body.appendChild(note);
    setTimeout(() => window.location.assign(LOGIN), 1500);
  };
  const isGradioApi = (input) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input && input.url;
    try {
      return new URL(url, window.location.href).pathname.includes("/gradio_api/");
    } catch {
      return false;
    }
  };
  const original = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const response = await original(input, init);
    if (response.status === 401 && isGradioApi(input)) signedOut();
    return response;
  };
})();
