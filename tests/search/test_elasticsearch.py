"""The Elasticsearch engine: its mapping and the requests it sends.

No Elasticsearch server can run on these machines, so these tests check what
would be sent (elasticsearch-dsl's request bodies) against what the PostgreSQL
engine does. ``test_shared_cases.py`` runs the same search cases against a real
cluster when ``ELASTICSEARCH_URL`` is set (docs/deploy.md).
"""

import datetime as dt

import pytest

from search.engines import Filters, get_engine
from search.engines.elasticsearch import ElasticsearchEngine, SearchDocument, mapping
from search.entries import Entry


@pytest.fixture
def engine():
    return ElasticsearchEngine("http://elasticsearch.invalid:9200")


def test_mapping_is_explicit():
    body = mapping()
    properties = body["mappings"]["properties"]
    assert properties["title"]["analyzer"] == "english_folded"
    assert properties["title"]["fields"]["raw"] == {"type": "keyword"}
    for keyword in ("type", "themes", "audiences", "language"):
        assert properties[keyword] == {"type": "keyword"}
    assert properties["url"] == {"index": False, "type": "keyword"}
    assert properties["date"]["type"] == "date"
    assert properties["title_suggest"]["type"] == "completion"
    analysis = body["settings"]["analysis"]
    assert analysis["analyzer"]["english_folded"]["filter"] == [
        "lowercase",
        "asciifolding",
        "english_possessive",
        "english_stop",
        "english_stemmer",
    ]
    assert analysis["filter"]["english_stemmer"] == {
        "language": "english",
        "type": "stemmer",
    }


def test_the_engine_is_chosen_by_setting(settings):
    settings.ELASTICSEARCH_URL = "http://elasticsearch.invalid:9200"
    assert isinstance(get_engine(), ElasticsearchEngine)
    settings.ELASTICSEARCH_URL = ""
    assert get_engine().name == "postgres"


def test_query_weights_syntax_and_freshness(engine):
    body = engine.body('"safe sleep" -bulletin', Filters())
    score = body["query"]["function_score"]
    text = score["query"]["simple_query_string"]
    assert text["query"] == '"safe sleep" -bulletin'
    assert text["fields"] == ["title^3", "summary^2", "body", "documents"]
    assert text["default_operator"] == "and"
    assert "PHRASE" in text["flags"] and "NOT" in text["flags"]
    assert score["functions"] == [
        {"gauss": {"date": {"origin": "now", "scale": "730d"}}}
    ]


def test_no_words_lists_everything(engine):
    assert engine.body("", Filters(type="qi-pack"))["query"] == {"match_all": {}}


def test_filters_narrow_hits_and_each_facet_is_counted_without_its_own(engine):
    body = engine.body("sleep", Filters(theme="safe-sleep", audience="schools"))
    hits_filter = body["post_filter"]["bool"]["must"]
    assert {"terms": {"themes": ["safe-sleep"]}} in hits_filter
    assert {"terms": {"audiences": ["schools"]}} in hits_filter
    aggs = body["aggs"]
    assert aggs["_filter_theme"]["filter"] == {"terms": {"audiences": ["schools"]}}
    assert aggs["_filter_audience"]["filter"] == {"terms": {"themes": ["safe-sleep"]}}
    assert aggs["_filter_theme"]["aggs"]["theme"]["terms"]["field"] == "themes"
    assert aggs["_filter_year"]["aggs"]["year"]["date_histogram"]["field"] == "date"


def test_year_filter_is_a_calendar_year(engine):
    body = engine.body("", Filters(year=2026))
    (year_range,) = [f["range"]["date"] for f in [body["post_filter"]] if "range" in f]
    assert year_range["gte"] == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert year_range["lt"] == dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


def test_pages_highlights_and_did_you_mean(engine):
    body = engine.body("sudc", Filters(), page=3, page_size=10)
    assert (body["from"], body["size"]) == (20, 10)
    assert set(body["highlight"]["fields"]) == {"summary", "body", "documents"}
    assert body["suggest"]["did_you_mean"]["term"]["field"] == "title.words"


def test_title_suggestions_use_the_completion_field(engine):
    body = engine.suggest_body("saf", 8)
    completion = body["suggest"]["titles"]["completion"]
    assert completion["field"] == "title_suggest"
    assert completion["fuzzy"] == {"fuzziness": "AUTO"}
    assert body["suggest"]["titles"]["prefix"] == "saf"


def test_documents_carry_every_field_of_an_entry():
    entry = Entry(
        page_id=7,
        title="Safe sleep",
        summary="Back to sleep.",
        body="Body",
        documents="Doc",
        type="safety-message",
        type_label="Safety message",
        themes=["safe-sleep"],
        audiences=["midwives"],
        date=dt.date(2026, 3, 1),
        url="/safety-messages/safe-sleep/",
    )
    document = SearchDocument.from_entry(entry).to_dict(include_meta=True)
    assert document["_id"] == 7
    source = document["_source"]
    assert source["themes"] == ["safe-sleep"]
    assert source["title_suggest"] == {"input": ["Safe sleep"], "weight": 1}
    assert source["url"] == "/safety-messages/safe-sleep/"
