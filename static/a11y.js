// Judge Studio: what Gradio 6's components leave out for keyboard and screen-reader users (s11 a11y findings
// 3, 4, 5, 7, 12), set on the page's own elements by elem_id; no content is built here.
// - Radio groups: Gradio gives every radio input a name of its own ("radio-7"), and renames it each time the
//   choice changes, so each option was a one-option group: a Tab stop per option, no arrow keys, "1 of 1".
//   The inputs of one widget get one shared name again (the browser then gives one Tab stop and arrow keys),
//   and the fieldset becomes a named radiogroup ("Your answer", "Confidence (optional)"), so rating "3" and
//   confidence "3" are told apart. A MutationObserver puts the name back after each Gradio re-render.
// - What a submit did ("Saved ...", the gold check, revealed names, the next item's header) is said by the one
//   live region of the page, #js-announce (the s14 a11yaria block below): the feedback line and the header were
//   live regions themselves, and read Gradio's loading timers ("0.8s") with them.
// - The Annotate choice buttons show which answer is chosen (aria-pressed and a class), mirrored from the radio.
// - The session picker selects its text when focused, so typing a name replaces it ("Phone pairsDemo").
// - Names that read oddly (finding 12): the answer buttons show "1 · Left is better", read "1 dot Left is
//   better", so they are named "Left is better (key 1)"; the copy buttons in code blocks had no name at all
//   ("Copy code"), and each dropdown's arrow icon was an unnamed image (hidden: the combobox says it all).
// Written by hand: this is page glue for Gradio's markup, with no library that does it.
(() => {
  const GROUPS = ["annotate-choice", "annotate-confidence", "grade-rating", "grade-confidence"];
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

// s14 a11yscroll (a11y findings 1, 2, 3, 14): long text reachable and the focus never under the answer bar.
// - A response box (Gradio's markdown div, .prose.js-response, the element that scrolls) is a Tab stop, a
//   region named for its side ("Left response"), so PageDown and the arrows scroll it: Chrome made it a
//   focusable scroller by itself only when nothing in it could take the focus, and a code block's "Copy code"
//   button could, so 86% of a long answer was out of the keyboard's reach. A code block that is wider than the
//   box (it scrolls sideways) is a Tab stop too. Both carry data-scroll-region: static/shortcuts.js leaves
//   the arrows in them to the browser.
// - On a phone the "Your answer" radio repeats the sticky choice buttons and is hidden from sight
//   (static/page.css): its inputs leave the Tab order (focus landed on nothing visible), screen readers still
//   read it.
// - --js-sticky-bottom: how much of the screen's bottom the sticky answer bars cover (each bar's `bottom`
//   plus its height); static/page.css keeps a focused field that far above the screen's bottom edge.
(() => {
  const NAMES = {
    "annotate-response-1": "Left response",
    "annotate-response-2": "Right response",
    "grade-response": "Response",
    "case-response-1": "Response 1",
    "case-response-2": "Response 2",
    "review-response-1": "Response 1",
    "review-response-2": "Response 2",
  };
  const NARROW = window.matchMedia("(max-width: 640px)");
  const STICKY = ".js-answer-bar, .form:has(> #grade-rating)";
  const set = (el, name, value) => {
    if (el.getAttribute(name) !== value) el.setAttribute(name, value);
  };
  const unset = (el, name) => {
    if (el.hasAttribute(name)) el.removeAttribute(name);
  };

  const regions = () => {
    for (const prose of document.querySelectorAll(".prose.js-response")) {
      const block = prose.closest("[id]");
      set(prose, "tabindex", "0");
      set(prose, "role", "region");
      set(prose, "aria-label", (block && NAMES[block.id]) || "Response");
      set(prose, "data-scroll-region", "");
      for (const pre of prose.querySelectorAll("pre")) {
        if (pre.scrollWidth > pre.clientWidth + 1) {
          set(pre, "tabindex", "0");
          set(pre, "role", "region");
          set(pre, "aria-label", "Code (scrolls sideways)");
          set(pre, "data-scroll-region", "");
        } else if (pre.hasAttribute("data-scroll-region")) {
          ["tabindex", "role", "aria-label", "data-scroll-region"].forEach((name) => unset(pre, name));
        }
      }
    }
  };

  const hiddenRadio = () => {
    for (const input of document.querySelectorAll("#annotate-choice input[type=radio]")) {
      if (NARROW.matches) set(input, "tabindex", "-1");
      else unset(input, "tabindex");
    }
  };

  const stickyBottom = () => {
    let covered = 0;
    for (const bar of document.querySelectorAll(STICKY)) {
      const style = getComputedStyle(bar);
      const height = bar.getBoundingClientRect().height;
      if (style.position !== "sticky" || height === 0) continue;
      covered = Math.max(covered, (parseFloat(style.bottom) || 0) + height);
    }
    const value = `${Math.ceil(covered)}px`;
    if (document.documentElement.style.getPropertyValue("--js-sticky-bottom") !== value) {
      document.documentElement.style.setProperty("--js-sticky-bottom", value);
    }
  };

  let queued = false;
  const sync = () => {
    queued = false;
    regions();
    hiddenRadio();
    stickyBottom();
  };
  const later = () => {
    if (!queued) {
      queued = true;
      requestAnimationFrame(sync); // once a frame at most (the Case study streams the judge's text)
    }
  };
  const start = () => {
    sync();
    new MutationObserver(later).observe(document.body, { subtree: true, childList: true });
    window.addEventListener("resize", later);
    NARROW.addEventListener("change", later);
    document.addEventListener("click", later); // a tab switch shows the other page's bars
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

// s14 a11yaria (a11y findings 4, 7, 8, 9): one voice for the answer pages, a skip link, and the picker closed.
// - #js-announce (visually hidden, role=status) is the answer pages' one live region. After Start, ← Previous, a
//   submit or a skip (window.judgeStudioShowItem, static/show_feedback.js, wrapped here) it says the feedback line
//   ("Saved Left is better on comparison #140 ...", "⚠ Choose Left, Right or Tie first ...") and, when the focus
//   is not on it, the item's header. The feedback line and the header were live regions themselves and read
//   Gradio's loading timers with them ("0.8s", "processing | 0.6/0.6s"); those timers (the status trackers on
//   the Annotate and Grade pages) are now hidden from screen readers, and so is Gradio's own announcer while an
//   answer page is shown (it said "common.complete", an i18n key Gradio 6.31 leaves untranslated, "In queue: 1
//   of 1" and "Loading"; elsewhere only its untranslated keys are hidden, so an import's progress is still
//   read). A warning toast on an answer page repeats the feedback line (ui/errors.py `noted`): hidden too.
// - A submit refused for want of a choice keeps the focus on the answer (the radio group, or on a phone the
//   "1 · Left is better" button: the radio is hidden there) instead of the item's header at the top.
// - "Skip to the comparison" (or "... to the response" on the Grade page) is the page's first Tab stop: it
//   takes the focus to the item's header (Log out was the first stop, and Enter there logged out).
// - The session picker's list closes when the focus leaves it by Tab (it stayed drawn over the Guidelines bar):
//   an Escape is sent to the combobox, which closes it and keeps the name.
(() => {
  const PAGES = { annotate: ["annotate-choice", "comparison"], grade: ["grade-rating", "response"] };
  const PICKERS = ["annotate-session", "grade-session"];
  const NARROW = window.matchMedia("(max-width: 640px)");
  const KEY = /^[a-z_]+(\.[a-z_]+)+$/; // an i18n key Gradio shows untranslated ("common.complete")
  const set = (el, name, value) => {
    if (el.getAttribute(name) !== value) el.setAttribute(name, value);
  };
  const shown = (el) => !!el && el.offsetParent !== null;
  const box = (prefix, part) => document.getElementById(`${prefix}-${part}`);
  const textOf = (el) => {
    const md = el && el.querySelector('[data-testid="markdown"]');
    return md ? md.innerText.replace(/\s+/g, " ").trim() : "";
  };
  const answerPage = () => Object.keys(PAGES).find((prefix) => shown(box(prefix, "header")));

  let announcer = null;
  const announce = (text) => {
    if (!announcer || !announcer.isConnected) {
      announcer = document.createElement("div");
      announcer.id = "js-announce";
      announcer.className = "js-sr-only";
      announcer.setAttribute("role", "status");
      announcer.setAttribute("aria-live", "polite");
      announcer.setAttribute("aria-atomic", "true");
      document.body.appendChild(announcer);
    }
    announcer.textContent = ""; // emptied first: the same sentence twice is said twice
    setTimeout(() => (announcer.textContent = text), 60);
  };

  const quiet = () => {
    const page = answerPage();
    for (const prefix of Object.keys(PAGES)) {
      const tab = document.getElementById(`tab-${prefix}`);
      if (!tab) continue;
      for (const tracker of tab.querySelectorAll('[data-testid="status-tracker"]')) set(tracker, "aria-hidden", "true");
    }
    for (const gradio of document.querySelectorAll('.sr-only[role="status"]')) {
      if (gradio.id === "js-announce") continue;
      const hide = !!page || KEY.test(gradio.textContent.trim());
      if (hide) set(gradio, "aria-hidden", "true");
      else if (gradio.hasAttribute("aria-hidden")) gradio.removeAttribute("aria-hidden");
    }
    if (!page) return;
    for (const toast of document.querySelectorAll('[data-testid="toast-body"].warning')) {
      set(toast, "aria-hidden", "true");
      set(toast, "aria-live", "off");
    }
  };

  // no choice made and a "⚠" in the feedback line: the submit was refused for want of one
  const missingChoice = (prefix) => {
    const inputs = [...document.querySelectorAll(`#${PAGES[prefix][0]} input[type=radio]`)];
    return (
      textOf(box(prefix, "feedback")).startsWith("⚠") &&
      inputs.some((input) => !input.disabled) &&
      !inputs.some((input) => input.checked)
    );
  };
  const focusAnswer = (prefix) => {
    const button = document.getElementById("label-1");
    if (prefix === "annotate" && NARROW.matches && button) return button.focus();
    const first = document.querySelector(`#${PAGES[prefix][0]} input[type=radio]:not(:disabled)`);
    if (first) first.focus();
  };
  const showItem = window.judgeStudioShowItem;
  window.judgeStudioShowItem = (prefix) => {
    requestAnimationFrame(() => {
      const refused = PAGES[prefix] && missingChoice(prefix);
      if (refused) focusAnswer(prefix);
      else if (showItem) showItem(prefix);
      setTimeout(() => {
        const header = box(prefix, "header");
        const said = [textOf(box(prefix, "feedback"))];
        if (!refused && header && document.activeElement !== header) said.push(textOf(header));
        const text = said.filter(Boolean).join(" ");
        if (text) announce(text);
      }, 120); // after show_feedback.js has moved the focus (its own frame)
    });
  };

  const skipLink = () => {
    if (document.getElementById("js-skip-link")) return;
    const link = document.createElement("a");
    link.id = "js-skip-link";
    link.className = "js-skip-link";
    link.href = "#";
    link.textContent = "Skip to the comparison";
    link.addEventListener("focus", () => {
      const page = answerPage();
      link.textContent = page ? `Skip to the ${PAGES[page][1]}` : "Skip to the page's tabs";
    });
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const page = answerPage();
      const target = page ? box(page, "header") : document.querySelector('[role="tab"][aria-selected="true"]');
      if (!target) return;
      if (page) set(target, "tabindex", "-1");
      target.focus({ preventScroll: true });
      target.scrollIntoView({ block: "start", behavior: "instant" });
    });
    document.body.prepend(link);
  };

  document.addEventListener("focusout", (event) => {
    const input = event.target;
    const picker = input instanceof HTMLInputElement && input.closest(PICKERS.map((id) => `#${id}`).join(", "));
    const to = event.relatedTarget; // null: a click on the list itself, or the window left: left alone
    if (!picker || !to || picker.contains(to)) return;
    // after Gradio's own blur handling (which closes the list and opens it again)
    setTimeout(() => {
      if (input.getAttribute("aria-expanded") !== "true" || picker.contains(document.activeElement)) return;
      input.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", code: "Escape", bubbles: true }));
    }, 50);
  });

  const start = () => {
    skipLink();
    quiet();
    // at once (a MutationObserver's callback already takes a batch of changes): a toast or Gradio's announcer
    // is hidden before the page renders, so it is never in the accessibility tree with its text
    new MutationObserver(quiet).observe(document.body, { subtree: true, childList: true, characterData: true });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
