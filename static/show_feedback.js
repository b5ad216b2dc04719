// Judge Studio: after Start, ← Previous, a submit or a skip on the Annotate / Grade page, show the new item.
// - The focus goes to the item's header (focusable with tabindex=-1, set here), so the keys act on the item:
//   a Start reached with Tab kept the focus, and every later Enter pressed Start again while the page said
//   "Enter submits it" (s12 crowd finding 2). On the header, 1 / 2 / T pick and Enter submits
//   (static/shortcuts.js: a tabindex=-1 element has no Enter of its own).
// - Wide screens: the feedback line ("Saved ...", the gold check's result) and the header are brought into
//   view when either is off screen, so a page that fits does not move.
// - Narrow screens (a phone): the header goes to the screen's top, with the feedback above it when both fit
//   in the top half: the item sat under the sticky answer bar, below the fold, after every Start and submit
//   (s12 crowd finding 8).
// Called by the events' `.then(js=...)` in ui/answer_page.py (window.judgeStudioShowFeedback is the old name).
(() => {
  const MARGIN = 8;
  const narrow = () => window.matchMedia("(max-width: 640px)").matches;
  const scrollBy = (top) => window.scrollTo({ top: Math.max(window.scrollY + top - MARGIN, 0), behavior: "instant" });
  const place = (prefix) => {
    const feedback = document.getElementById(`${prefix}-feedback`);
    const header = document.getElementById(`${prefix}-header`);
    if (!header || header.offsetParent === null) return;
    const box = header.getBoundingClientRect();
    const top = feedback && feedback.offsetParent !== null ? feedback.getBoundingClientRect().top : box.top;
    if (narrow()) {
      const to = box.bottom - top <= window.innerHeight / 2 ? top : box.top;
      if (Math.abs(to - MARGIN) > 2) scrollBy(to);
      return;
    }
    if (top >= 0 && box.bottom <= window.innerHeight) return;
    scrollBy(top);
  };
  const focusItem = (prefix) => {
    const header = document.getElementById(`${prefix}-header`);
    if (!header || header.offsetParent === null) return;
    if (header.getAttribute("tabindex") !== "-1") header.setAttribute("tabindex", "-1");
    const active = document.activeElement;
    // a text field being typed in (the comment of the next item, a picker) keeps its focus
    if (active && active !== document.body && (active.tagName === "TEXTAREA" || active.isContentEditable)) return;
    header.focus({ preventScroll: true });
  };
  // after Gradio has written the outputs into the page (the next frame), and once more when the new
  // item's text has laid out (a long response above nothing moves the feedback, but images may)
  window.judgeStudioShowItem = (prefix) => {
    requestAnimationFrame(() => {
      focusItem(prefix);
      place(prefix);
      setTimeout(() => place(prefix), 150);
    });
  };
  window.judgeStudioShowFeedback = window.judgeStudioShowItem;
})();
