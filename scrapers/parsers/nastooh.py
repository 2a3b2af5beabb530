"""Nastooh family: Nastooh (نستوه): IRNA, Mehr, Hamshahri, Khabaronline, Mashregh, IMNA, ISNA's variant."""

from __future__ import annotations

from scrapers.parsers.base import Parser


class NastoohParser(Parser):
    """Nastooh (نستوه): IRNA, Mehr, Hamshahri, Khabaronline, Mashregh, IMNA, ISNA's variant."""

    name = "nastooh"
    article = "article, #photos, .main-content, #item"
    kicker = ".rutitr, .kicker"
    title = "h1.title, h1.first-title, .title h1, span.headline, h1"
    lead = ".item-summary, p.summary, .introtext, .lead"
    body = ".item-body .item-text>*, .item-text[itemprop=articleBody]>*"
    tags = ".tags li, section.tags a, .trending-tags li a"
    # ISNA: «<span class="text-meta">۹ خرداد ۱۴۰۴ / ۱۹:۳۱</span>» (its other .text-meta are the code and section)
    date = ".item-date>span, .item-date, .item-time, .meta-news time, .meta-news .text-meta"
    section = ".breadcrumb li"
    authors = ".item-author, .author-name, [itemprop=author] [itemprop=name]"
    # Photo/video stories (meta nastooh:newsType photo|video) have no .item-text: their captions are the body.
    captions = ".gallery figcaption, #gallery figcaption, .item-img figcaption, figure figcaption, .caption, .photo-caption"
