// Judge Studio: number boxes that start empty. Gradio's Number (6.x front end) shows 0 for an empty value
// (`value ??= 0`), so a box built with value=None showed "0" instead of its "e.g. 12" hint, and sent 0.
// Boxes marked with the class js-empty-number are emptied when they first appear; the input event makes
// Gradio's own state empty too (Svelte reads "" in a number input as null), so an untouched box sends
// nothing, and the server says "Enter the ... number" rather than "There is no #0".
(() => {
  const empty = () => {
    document.querySelectorAll(".js-empty-number input[type=number]").forEach((input) => {
      if (input.dataset.jsEmptied) return;
      input.dataset.jsEmptied = "1";
      if (input.value !== "0") return;
      input.value = "";
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
  };
  const start = () => {
    empty();
    new MutationObserver(empty).observe(document.body, { childList: true, subtree: true });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
