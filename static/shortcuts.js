// Judge Studio keyboard shortcuts for the Annotate tab: 1, 2, T (or 0) for tie.
// Keys typed into a text field are left alone.
document.addEventListener("keydown", (event) => {
  const target = event.target;
  if (target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const ids = { "1": "label-1", "2": "label-2", t: "label-tie", T: "label-tie", "0": "label-tie" };
  const id = ids[event.key];
  if (!id) return;
  const button = document.getElementById(id);
  if (button && button.offsetParent !== null) {
    event.preventDefault();
    button.click();
  }
});
