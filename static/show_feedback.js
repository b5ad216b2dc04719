// Judge Studio: after a submit or a skip on the Annotate / Grade page, bring the feedback line ("Saved ...",
// the gold check's result and explanation) and the new item's header into view. On a phone the page stayed
// scrolled at the bottom (where Submit is), so the feedback sat above the screen and the next item's end
// looked like the last one. Called by the submit event's `.then(js=...)` in ui/answer_page.py; scrolls only
// when the feedback's top or the header's bottom is off screen, so a page that fits does not move.
(() => {
  const MARGIN = 8;
  const place = (prefix) => {
    const feedback = document.getElementById(`${prefix}-feedback`);
    const header = document.getElementById(`${prefix}-header`);
    if (!feedback || feedback.offsetParent === null) return;
    const top = feedback.getBoundingClientRect().top;
    const bottom = (header || feedback).getBoundingClientRect().bottom;
    if (top >= 0 && bottom <= window.innerHeight) return;
    window.scrollTo({ top: Math.max(window.scrollY + top - MARGIN, 0), behavior: "instant" });
  };
  // after Gradio has written the outputs into the page (the next frame), and once more when the new
  // item's text has laid out (a long response above nothing moves the feedback, but images may)
  window.judgeStudioShowFeedback = (prefix) => {
    requestAnimationFrame(() => {
      place(prefix);
      setTimeout(() => place(prefix), 150);
    });
  };
})();
