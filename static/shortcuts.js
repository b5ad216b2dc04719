// Judge Studio keyboard shortcuts.
// Annotate tab: 1 / 2 pick the left / right response, T or 0 tie, S skip, F flag, Enter submit, ← previous item.
// Grade tab: a digit picks that rating (1-9; 0 is 10 on a 1-10 scale), S skip, F flag, Enter submit, ← previous.
// Keys act only on visible elements. Keys typed into a text field (the comment box, the session picker) are
// left alone; so are keys with Ctrl, Alt or Cmd.
// Enter submits once an answer is chosen, wherever the focus is (a button clicked before, the answer's radio):
// a focused button used to take the Enter, so "1, Enter" after clicking Start re-ran Start and wiped the
// choice. With no answer chosen, a focused button keeps its own Enter (Tab to Start, Enter), and Enter
// elsewhere presses Submit, which says what to choose. Only a focused Skip / Submit keeps its Enter always.
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
    const onControl = target && ["BUTTON", "INPUT"].includes(target.tagName);
    if (event.key === "Enter" && target && target.tagName === "BUTTON") {
      if (OWN_ENTER.includes(target.id) || !chosen()) return; // the focused button's own click
    }
    // a focused radio moves its choice with the arrow keys, and a focused button or box takes Space
    if (onControl && target.tagName === "INPUT" && event.key.startsWith("Arrow")) return;
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
    }
  });
})();
