"""HTML as an lxml tree: what article pages (scrapers/parsers/) and listing pages (scrapers/discover.py) share.

One parser makes every tree (libxml2's HTML parser, through lxml); CSS selectors are compiled to XPath once.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Collection, Iterable, Iterator

from cssselect import HTMLTranslator
from lxml import etree

# An element of the parsed page (lxml). Parsers read the tree directly with XPath compiled from CSS.
type Node = etree._Element

_TRANSLATOR = HTMLTranslator()
# Inline formatting tags (start or end), dropped when unclosed ones nest the page too deep (parse_html).
_INLINE_TAG = re.compile(r"</?(?:span|font|b|i|u|s|em|strong|small|big|mark|sup|sub|o:p)(?:\s[^>]*)?/?>", re.I)
_local = threading.local()  # lxml parsers must not be shared between threads


def parse_html(html: str) -> Node:
    """The page as an lxml tree (its <html> element); libxml2's HTML parser, as BeautifulSoup's "lxml" uses.

    The text is handed over as UTF-8 bytes with the encoding named, so a `<meta charset>` or an XML
    declaration left in the already-decoded text cannot make libxml2 decode it a second time.

    Tolerant of what browsers tolerate: every unclosed inline tag (a `<span>` per `<br>` line, as
    pasted from Word) nests the rest of the page one level deeper, and libxml2 stops reading at its
    depth limit (256; 2048 with huge_tree), silently losing the rest of the article. Past the limit,
    the page is read again without its inline formatting tags, which show no text of their own.
    """
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.HTMLParser(encoding="utf-8", huge_tree=True)
    root = _parse_with(parser, html)
    if any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
        root = _parse_with(parser, _INLINE_TAG.sub("", html))
    return root if root is not None else etree.Element("html")


def _parse_with(parser: etree.HTMLParser, html: str) -> Node | None:
    try:
        return etree.fromstring(html.encode("utf-8", "surrogatepass"), parser)
    except etree.XMLSyntaxError:  # an empty document: libxml2 builds nothing
        return None


@functools.cache
def compiled(selector: str) -> etree.XPath:
    """A CSS selector compiled once per process to XPath (matched from the document's root)."""
    return etree.XPath(_TRANSLATOR.css_to_xpath(selector, prefix="descendant-or-self::"))


def select(root: Node, selector: str) -> list[Node]:
    """Elements below `root` matching the CSS selector, in document order (as soupsieve's select).

    Like soupsieve, combinators may reach above `root` (".item-body .item-text>*" inside an article
    matches even when .item-body encloses the article), but only `root`'s descendants are returned.
    """
    if not selector:
        return []
    top = root.getroottree().getroot()
    found = compiled(selector)(top)
    if root is top:  # the whole document
        return found
    return [el for el in found if any(a is root for a in el.iterancestors())]


def iselect(root: Node, selector: str) -> Iterator[Node]:
    """Matches one by one (the first is what most fields want)."""
    return iter(select(root, selector))


def remove(elements: Iterable[Node], ends_line: Collection[str] = ()) -> None:
    """Take elements out of their page. Each leaves an empty comment that carries its tail, so the text
    around it stays as it was (two pieces, not one run-together word); one whose tag is in `ends_line`
    also leaves a line break, as a browser ends a line where a block was."""
    for el in list(elements):
        parent = el.getparent()
        if parent is None:
            continue
        mark = etree.Comment("")
        mark.tail = ("\n" if el.tag in ends_line else "") + (el.tail or "")
        parent.replace(el, mark)


# Elements whose text a reader never sees as text: code, styles, inert templates, ruby annotations.
_UNSEEN = frozenset(("script", "style", "template", "rt", "rp"))


def stripped_text(el: Node) -> str:
    """Every piece of text inside `el`, each stripped, joined by one space (BeautifulSoup's
    `get_text(" ", strip=True)`); comments, scripts, styles and templates add nothing."""
    if any(a.tag in _UNSEEN for a in el.iterancestors()):
        return ""
    pieces: list[str] = []
    # Iterative walk: a page of unclosed tags nests thousands deep, past Python's recursion limit.
    stack: list[tuple[Node, bool]] = [(el, False)]
    while stack:
        node, closing = stack.pop()
        if isinstance(node.tag, str) and node.tag not in _UNSEEN and not closing:
            pieces.append(node.text or "")
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node))
        elif node is not el:  # after an element's content, or a comment or unseen element: its tail
            pieces.append(node.tail or "")
    return " ".join(piece for piece in map(str.strip, pieces) if piece)
