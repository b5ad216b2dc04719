// Judge Studio: what Gradio 6's components leave out for keyboard and screen-reader users (s11 a11y findings
// 3, 4, 5, 7, 12), set on the page's own elements by elem_id; no content is built here.
// - Radio groups: Gradio gives every radio input a name of its own ("radio-7"), and renames it each time the
//   choice changes, so each option was a one-option group: a Tab stop per option, no arrow keys, "1 of 1".
//   The inputs of one widget get one shared name again (the browser then gives one Tab stop and arrow keys),
//   and the fieldset becomes a named radiogroup ("Your answer", "Confidence (optional)"), so rating "3" and
//   confidence "3" are told apart. A MutationObserver puts the name back after each Gradio re-render.
// - The feedback line ("Saved ...", the gold check, revealed names) and the item header are polite live
//   regions, so a screen reader says what a submit did.
// - The Annotate choice buttons show which answer is chosen (aria-pressed and a class), mirrored from the radio.
// - The session picker selects its text when focused, so typing a name replaces it ("Phone pairsDemo").
// - Names that read oddly (finding 12): the answer buttons show "1 · Left is better", read "1 dot Left is
//   better", so they are named "Left is better (key 1)"; the copy buttons in code blocks had no name at all
//   ("Copy code"), and each dropdown's arrow icon was an unnamed image (hidden: the combobox says it all).
// Written by hand: this is page glue for Gradio's markup, with no library that does it.
(() => {
  const GROUPS = ["annotate-choice", "annotate-confidence", "grade-rating", "grade-confidence"];
  const LIVE = ["annotate-feedback", "grade-feedback", "annotate-header", "grade-header"];
  const PICKS = { "label-1": "left", "label-2": "right", "label-tie": "tie" };
  const PICKERS = ["annotate-session", "grade-session"];
  const NONE_WORDS = "No confidence given"; // the confidence option shown as "–" (read as "en dash")
  const BUTTON_NAMES = {
    "label-1": "Left is better (key 1)",
    "label-tie": "Tie (key T)",
    "label-2": "Right is better (key 2)",
    "submit-label": "Submit (Enter)",
    "submit-rating": "Submit (Enter)",
    "skip-item": "Skip (key S)",
    "skip-rating": "Skip (key S)",
  };

  const set = (el, name, value) => {
    if (el.getAttribute(name) !== value) el.setAttribute(name, value);
  };

  const groupUp = (id) => {
    const box = document.getElementById(id);
    if (!box) return;
    const title = box.querySelector('[data-testid="block-info"]');
    set(box, "role", "radiogroup");
    if (title) {
      if (!title.id) title.id = `${id}-name`;
      set(box, "aria-labelledby", title.id);
    }
    for (const input of box.querySelectorAll("input[type=radio]")) {
      if (input.name !== id) input.name = id;
      if (id.endsWith("-confidence") && input.value === "0") set(input, "aria-label", NONE_WORDS);
    }
  };

  const mirrorChoice = () => {
    const checked = document.querySelector("#annotate-choice input:checked");
    for (const [id, value] of Object.entries(PICKS)) {
      const button = document.getElementById(id);
      if (!button) continue;
      const on = !!checked && checked.value === value;
      set(button, "aria-pressed", String(on));
      button.classList.toggle("js-picked", on);
    }
  };

  let queued = false;
  const sync = () => {
    queued = false;
    GROUPS.forEach(groupUp);
    for (const id of LIVE) {
      const el = document.getElementById(id);
      if (el) {
        set(el, "aria-live", "polite");
        set(el, "aria-atomic", "true");
      }
    }
    mirrorChoice();
    for (const [id, name] of Object.entries(BUTTON_NAMES)) {
      const button = document.getElementById(id);
      if (button) set(button, "aria-label", name);
    }
    for (const copy of document.querySelectorAll("button.copy_code_button")) set(copy, "aria-label", "Copy code");
    for (const arrow of document.querySelectorAll("svg.dropdown-arrow")) set(arrow, "aria-hidden", "true");
  };
  const later = () => {
    if (!queued) {
      queued = true;
      queueMicrotask(sync);
    }
  };

  const start = () => {
    sync();
    new MutationObserver(later).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ["name", "aria-checked"],
    });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  // typing into the session picker replaces the name shown (Gradio's combobox appended to it): its text is
  // selected when it gets the focus, from Tab (focusin) or from a click or tap (whose caret would undo that)
  const isPicker = (el) => el instanceof HTMLInputElement && PICKERS.some((id) => el.closest(`#${id}`));
  let justFocused = null;
  document.addEventListener("focusin", (event) => {
    if (!isPicker(event.target)) return;
    justFocused = event.target;
    setTimeout(() => event.target.select(), 0); // after Gradio's own focus handling
  });
  document.addEventListener("click", (event) => {
    if (event.target === justFocused) event.target.select();
    justFocused = null;
  });
  document.addEventListener("keydown", () => (justFocused = null), true); // typed: a later click places the caret
})();
