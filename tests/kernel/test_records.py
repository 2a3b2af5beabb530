"""Records: content hashing and the national-source Gilan filter default."""

from mediawatch.records import Scope, Source, SourceKind, content_hash


def test_content_hash_ignores_whitespace_only_differences():
    assert content_hash("عنوان", "بند اول\n\nبند دوم") == content_hash("عنوان ", "بند اول \n بند  دوم")
    assert content_hash("عنوان", "بند اول") != content_hash("عنوان", "بند دوم")


def test_national_sources_filter_gilan_by_default_and_can_opt_out():
    national = Source("a", "A", "https://a.example", SourceKind.agency, Scope.national)
    local = Source("b", "B", "https://b.example", SourceKind.news_site, Scope.rasht)
    assert national.filters_gilan and not local.filters_gilan
    opted_out = Source("c", "C", "https://c.example", SourceKind.agency, Scope.national, gilan_filter=False)
    assert not opted_out.filters_gilan
