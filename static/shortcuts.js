// Judge Studio keyboard shortcuts for the Annotate tab:
// 1 / 2 pick the left / right response, T or 0 tie, S skip, F flag, Enter submit, ← previous item.
// On the Grade tab: Enter submits the rating, S skips, F flags, ← previous. Keys act only on visible elements.
// Keys typed into a text field are left alone; so are keys with Ctrl, Alt or Cmd.
document.addEventListener("keydown", (event) => {
  const target = event.target;
  if (target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "Enter" && target && target.tagName === "BUTTON") return; // the focused button's own click
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
  const visible = (el) => el && el.offsetParent !== null;
  let element = null;
  if (event.key === "f" || event.key === "F") {
    const boxes = ["#annotate-flag", "#grade-flag"].map((id) => document.querySelector(`${id} input[type=checkbox]`));
    element = boxes.find(visible) || null;
  } else if (ids[event.key]) {
    // the first of the candidates that is on screen (only one tab shows at a time)
    const candidates = [].concat(ids[event.key]).map((id) => document.getElementById(id));
    element = candidates.find(visible) || null;
  }
  if (visible(element)) {
    event.preventDefault();
    element.click();
  }
});
