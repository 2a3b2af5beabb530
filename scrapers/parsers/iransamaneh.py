"""IranSamaneh family: IranSamaneh (ایران سامانه): YJC, IRIB News, IQNA, Tabnak, SNN, Tabnak Gilan."""

from __future__ import annotations

from scrapers.parsers.base import Parser


class IranSamanehParser(Parser):
    """IranSamaneh (ایران سامانه): YJC, IRIB News, IQNA, Tabnak, SNN, Tabnak Gilan."""

    name = "iransamaneh"
    article = ".news_body_serv2, .news-box, .news_general_dl, .box_news, .gutter_news, .photo_body, .news_content"
    kicker = ".rutitr, .news-rutitr"
    title = ".title-news, .news-title, .title, h1"
    lead = ".subtitle, .news-subtitle, .news_strong, p.subtitle"
    body = ".body>*, .baznashr-body>*, .news_album_main_part>*"
    tags = ".tags_title a, .news_tags a, .tag_items a"
    date = ".news_pdate_c, .news-date, .fa_date, .item-date span, .date-color-news"
    section = ".news_path a, .news_path2 a, .path_bottom_body a"
    authors = ".news_reporter, .reporter_name"
