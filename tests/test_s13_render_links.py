"""Links in untrusted text (s13 redteam finding 6): a Markdown link or a bare address in model output, a prompt, a
response or a comment was a live link in front of annotators; in guidelines, ``<iframe src=https://evil.example>``
became a link to ``https://evil.example&gt;&lt;/iframe``. ``ui.render`` (the one place for the rule): text a model,
a dataset or a person wrote (``quote_block``) shows no link at all, every address as code; guidelines an admin
wrote (``safe_markdown``) keep their links, with a bare address bounded so escaped HTML stays out of it."""

from __future__ import annotations

import markdown_it

from ui.render import quote_block, safe_markdown

IFRAME = "<iframe src=https://evil.example></iframe>"


def _html(markdown: str) -> str:
    return markdown_it.MarkdownIt().render(markdown)


def test_model_text_shows_addresses_as_code_and_makes_no_link() -> None:
    text = (
        "Click [here](https://evil.example/login) or <https://evil.example/a> or www.evil.example, "
        "https://evil.example/?a=1&b=2. Mail boss@evil.example\n\n[r]: https://evil.example/ref\n\n[see][r] "
        f"![x](http://evil.example/x.png) {IFRAME}"
    )
    markdown = quote_block(text)
    shown = _html(markdown)
    assert "<a " not in shown and "<img" not in shown and "<iframe" not in shown
    for address in (
        "https://evil.example/login",
        "https://evil.example/a",
        "www.evil.example",
        "https://evil.example/?a=1&amp;b=2",
        "https://evil.example/ref",
        "http://evil.example/x.png",
        "https://evil.example",
    ):
        assert f"<code>{address}</code>" in shown, address
    assert "\\[here](`https://evil.example/login`)" in markdown  # the link's text and address, as written
    assert "boss\\@evil.example" in markdown  # no mailto autolink in GFM
    assert "&lt;iframe src=`https://evil.example`&gt;&lt;/iframe&gt;" in markdown
    assert "[see][r]" in shown.replace("\\", "")


def test_code_stays_literal_in_model_text() -> None:
    text = "`https://in.code/x` and\n\n```\n[a](https://fenced.example) <b>\n```\n"
    markdown = quote_block(text)
    assert "`https://in.code/x`" in markdown and "[a](https://fenced.example) <b>" in markdown


def test_guidelines_keep_links_but_show_an_iframe_as_text() -> None:
    markdown = safe_markdown(f"Read [the guide](https://good.example/guide) first. {IFRAME}")
    assert "[the guide](https://good.example/guide)" in markdown  # an admin's link stays a link
    # the address ends where the tag's text starts: no "&gt;&lt;/iframe" inside it
    assert "&lt;iframe src=<https://evil.example>&gt;&lt;/iframe&gt;" in markdown
    shown = _html(markdown)
    assert '<a href="https://evil.example">https://evil.example</a>&gt;&lt;/iframe&gt;' in shown
    assert '<a href="https://good.example/guide">the guide</a>' in shown
    assert "<iframe" not in shown and "%3E" not in shown


def test_guidelines_www_address_is_bounded_only_where_html_follows() -> None:
    assert safe_markdown("see www.good.example.") == "see www.good.example."
    assert safe_markdown("<b>www.x.example</b>") == "&lt;b&gt;<http://www.x.example>&lt;/b&gt;"
