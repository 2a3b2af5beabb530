"""Aasaam family: Aasaam (آسام): Tasnim, ILNA, Rokna, Shargh, Khabarfoori, Jamaran."""

from __future__ import annotations

from scrapers.parsers.base import Parser


class AasaamParser(Parser):
    """Aasaam (آسام): Tasnim, ILNA, Rokna, Shargh, Khabarfoori, Jamaran."""

    name = "aasaam"
    article = "article.single-news, article.media, article, .news-page, #news"
    kicker = ".uptitle, .up-title, .kicker"
    title = "h1.title, .title h1, h1"
    lead = ".lead, p.news-lead"
    body = ".article_body #echo_detail>*, #main_ck_editor>*, .story>*, .article_body>*"
    tags = ".tags li a, .tags li, .article_tags a"
    date = "time[datetime], .time"
    section = ".breadcrumb_list li a, li.service"
    authors = ".reporter, .news-author"
