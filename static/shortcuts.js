// Judge Studio keyboard shortcuts.
// Annotate tab: 1 / 2 pick the left / right response, T or 0 tie, S skip, F flag, Enter submit, ← previous item.
// Grade tab: a digit picks that rating (1-9; 0 is 10 on a 1-10 scale), S skip, F flag, Enter submit, ← previous.
// Keys act only on visible elements. Keys typed into a text field (the comment box, the session picker) are
// left alone; so are keys with Ctrl, Alt or Cmd.
// Enter acts on the focused control when the keyboard put the focus there (Tab, Shift+Tab): Previous goes
// back, a tab switches, the Guidelines accordion toggles, Log out logs out (s11: they all submitted the
// answer instead). Enter submits when the focus is on nothing interactive (the page), on a radio or box of
// the answer, or on a choice button with an answer chosen. A button focused by a mouse click shows no focus
// ring, so Enter there submits once an answer is chosen (s8: "1, Enter" after clicking Start re-ran Start and
// wiped the choice). A focused Skip / Submit always keeps its Enter. A key that picks an answer scrolls the
// choice into view when it is off screen (s11: pressing 1 showed no visible change); on a phone that is the
// sticky row of choice buttons, not the hidden radio (s14). In a response box or code block that has the focus
// (static/a11y.js) the arrow keys scroll it and Enter submits.
// After Start (and every new item) the focus is on the item's header (s12), so "Tab to Start, Enter, 2,
// Enter" submits.
(() => {
  const TEXT_INPUTS = ["text", "search", "number", "password", "email", "url", "tel", "date", "time"];
  const isTextField = (el) =>
    !!el &&
    (el.isContentEditable ||
      el.tagName === "TEXTAREA" ||
      el.tagName === "SELECT" ||
      (el.tagName === "INPUT" && TEXT_INPUTS.includes((el.type || "text").toLowerCase())));
  const visible = (el) => !!el && el.offsetParent !== null;
  const byId = (ids) => [].concat(ids).map((id) => document.getElementById(id)).find(visible) || null;
  // the answer widget of the page on screen, and whether an answer is chosen in it
  const answerBox = () => byId(["annotate-choice", "grade-rating"]);
  const chosen = () => {
    const box = answerBox();
    return !!box && !!box.querySelector("input:checked");
  };
  const OWN_ENTER = ["submit-label", "submit-rating", "skip-item", "skip-rating"];
  const CHOICE_BUTTONS = ["label-1", "label-2", "label-tie"];
  // (an element made focusable only by script, tabindex=-1, has no Enter of its own: after Start the focus is
  // on the item's header, static/show_feedback.js, and Enter there submits)
  const INTERACTIVE =
    'button, a[href], summary, select, [role=tab], [role=button], [role=link], [tabindex]:not([tabindex="-1"])';
  // the control a pointer last pressed (its focus shows no ring); a Tab or Shift+Tab forgets it
  let pointerFocus = null;
  document.addEventListener("pointerdown", (event) => {
    pointerFocus = event.target instanceof Element ? event.target.closest(INTERACTIVE) : null;
  }, true);
  // s14 a11yscroll: a response box or code block the keyboard scrolls (static/a11y.js): its arrows are its own
  const inScrollRegion = (el) => !!el && el instanceof Element && el.matches("[data-scroll-region]");
  // whether Enter on this focused element is its own (true) or may submit the answer (false)
  const ownsEnter = (target) => {
    if (!target || target === document.body || target === document.documentElement) return false;
    if (target.tagName === "INPUT") return false; // a radio or box: Enter does nothing of its own there
    if (inScrollRegion(target)) return false; // a response being read: Enter submits, as on the page
    if (OWN_ENTER.includes(target.id)) return true;
    if (!chosen()) return !!target.closest(INTERACTIVE); // nothing chosen: Enter on Start starts
    if (CHOICE_BUTTONS.includes(target.id)) return false;
    return !!target.closest(INTERACTIVE) && pointerFocus !== target;
  };
  // s14 a11yscroll: the control that shows the choice is the answer widget where it is on screen, else (a
  // phone: the "Your answer" radio is hidden from sight, page.css) the sticky row of choice buttons. The page
  // moves only when that control is off screen: on a phone it scrolled to the hidden radio near the top
  // (a11y finding 2: from the Right response back up to the session picker).
  const shown = (el) => {
    if (!visible(el) || getComputedStyle(el).visibility === "hidden") return false;
    const box = el.getBoundingClientRect();
    return box.width > 2 && box.height > 2 && getComputedStyle(el.closest(".form") || el).clipPath === "none";
  };
  const choiceControl = (picked) => {
    const box = answerBox();
    if (shown(box)) return box;
    const bar = picked && picked.closest(".js-answer-bar");
    return shown(bar) ? bar : null;
  };
  const showChoice = (picked) => {
    const control = choiceControl(picked);
    if (!control) return;
    const box = control.getBoundingClientRect();
    if (box.top >= 0 && box.bottom <= window.innerHeight) return;
    control.scrollIntoView({ block: "nearest", behavior: "instant" });
  };
  const ids = {
    "1": "label-1",
    "2": "label-2",
    t: "label-tie",
    T: "label-tie",
    "0": "label-tie",
    s: ["skip-item", "skip-rating"],
    S: ["skip-item", "skip-rating"],
    Enter: ["submit-label", "submit-rating"],
    ArrowLeft: ["previous-item", "previous-rating"],
  };

  // Grade tab: "7" checks the rating 7 (on 1-10, "0" is 10); a digit outside the scale does nothing.
  const ratingFor = (key) => {
    const box = document.getElementById("grade-rating");
    if (!visible(box) || !/^[0-9]$/.test(key)) return null;
    const value = key === "0" ? "10" : key;
    return box.querySelector(`input[type=radio][value="${value}"]`);
  };

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (isTextField(target)) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Tab") pointerFocus = null;
    const onControl = target && ["BUTTON", "INPUT"].includes(target.tagName);
    if (event.key === "Enter" && ownsEnter(target)) return; // the focused control's own Enter
    // a focused radio moves its choice with the arrow keys, and a focused button or box takes Space
    if (onControl && target.tagName === "INPUT" && event.key.startsWith("Arrow")) return;
    if (inScrollRegion(target) && event.key.startsWith("Arrow")) return; // ArrowLeft scrolls, not ← Previous
    let element = null;
    if (event.key === "f" || event.key === "F") {
      const boxes = ["#annotate-flag", "#grade-flag"].map((id) => document.querySelector(`${id} input[type=checkbox]`));
      element = boxes.find(visible) || null;
    } else if (ratingFor(event.key) !== null) {
      element = ratingFor(event.key);
      if (element.checked) element = null;
    } else if (ids[event.key]) {
      element = byId(ids[event.key]); // the first candidate on screen (only one tab shows at a time)
    }
    if (visible(element) || (element && element.type === "radio")) {
      event.preventDefault();
      element.click();
      if (event.key !== "Enter" && (ratingFor(event.key) !== null || CHOICE_BUTTONS.includes(element.id))) {
        requestAnimationFrame(() => showChoice(element)); // after the choice is drawn
      }
    }
  });
})();
