"""Matching moves to a narrow table kept by a trigger (see ``SearchMatch``).

``cdr_vector()`` adds one lexeme per pair of adjacent words to the weighted
vector: "safe sleep" is then a plain GIN lookup of the lexeme ``'safe sleep'``
(no position check of every entry holding both words). The trigger writes the
match row (and its facet combination) whenever an entry is written; the
foreign key deletes it with the entry. The vectors are stored out of line,
uncompressed, so the heap keeps only page, combination and date; the title
and summary words that ranking scores live in their own table, in line.
"""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models


FUNCTIONS = """
CREATE FUNCTION cdr_pairs(v tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_to_tsvector(array_agg(DISTINCT a.lexeme || ' ' || b.lexeme)),
                    ''::tsvector)
    FROM (SELECT u.lexeme, p FROM unnest(v) AS u, unnest(u.positions) AS p) AS a
    JOIN (SELECT u.lexeme, p FROM unnest(v) AS u, unnest(u.positions) AS p) AS b
      ON b.p = a.p + 1
$$;

CREATE FUNCTION cdr_vector(title text, summary text, body text, documents text)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT v || cdr_pairs(v) FROM (SELECT
        setweight(to_tsvector('cdr', coalesce(title, '')), 'A')
        || setweight(to_tsvector('cdr', coalesce(summary, '')), 'B')
        || setweight(to_tsvector('cdr', coalesce(body, '')), 'C')
        || setweight(to_tsvector('cdr', coalesce(documents, '')), 'C') AS v) AS x
$$;

CREATE FUNCTION cdr_rank_vector(title text, summary text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT v || cdr_pairs(v) FROM (SELECT
        setweight(to_tsvector('cdr', coalesce(title, '')), 'A')
        || setweight(to_tsvector('cdr', coalesce(summary, '')), 'B') AS v) AS x
$$;

CREATE FUNCTION search_entry_match() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    new_themes varchar[] := ARRAY(SELECT DISTINCT t FROM unnest(NEW.themes) AS t ORDER BY 1);
    new_audiences varchar[] := ARRAY(
        SELECT DISTINCT a FROM unnest(NEW.audiences) AS a ORDER BY 1);
    new_year smallint := extract(year FROM NEW.date)::smallint;
    combination integer;
BEGIN
    SELECT c.id INTO combination FROM search_facetcombination c
    WHERE c.type = NEW.type AND c.themes = new_themes AND c.audiences = new_audiences
        AND c.year = new_year;
    IF combination IS NULL THEN
        INSERT INTO search_facetcombination (type, themes, audiences, year)
        VALUES (NEW.type, new_themes, new_audiences, new_year)
        ON CONFLICT DO NOTHING RETURNING id INTO combination;
    END IF;
    IF combination IS NULL THEN  -- written by a concurrent transaction
        SELECT c.id INTO STRICT combination FROM search_facetcombination c
        WHERE c.type = NEW.type AND c.themes = new_themes AND c.audiences = new_audiences
            AND c.year = new_year;
    END IF;
    INSERT INTO search_searchmatch (page_id, facets_id, date, vector)
    VALUES (NEW.page_id, combination, NEW.date,
        cdr_vector(NEW.title, NEW.summary, NEW.body, NEW.documents))
    ON CONFLICT (page_id) DO UPDATE SET
        facets_id = EXCLUDED.facets_id, date = EXCLUDED.date, vector = EXCLUDED.vector;
    INSERT INTO search_searchrank (page_id, facets_id, date, rank_vector)
    VALUES (NEW.page_id, combination, NEW.date, cdr_rank_vector(NEW.title, NEW.summary))
    ON CONFLICT (page_id) DO UPDATE SET
        facets_id = EXCLUDED.facets_id, date = EXCLUDED.date,
        rank_vector = EXCLUDED.rank_vector;
    RETURN NULL;
END
$$;

-- Once per transaction: its changes and the new version commit together.
-- (Once per statement would update the one row thousands of times in a bulk
-- write, each update walking the row's growing chain of versions.)
CREATE FUNCTION search_index_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('search.version_raised', true) IS DISTINCT FROM
            txid_current()::text THEN
        INSERT INTO search_indexversion (id, version) VALUES (1, 1)
        ON CONFLICT (id) DO UPDATE SET version = search_indexversion.version + 1;
        PERFORM set_config('search.version_raised', txid_current()::text, true);
    END IF;
    RETURN NULL;
END
$$;
"""

TABLE = """
ALTER TABLE search_searchmatch
    ADD CONSTRAINT search_searchmatch_entry FOREIGN KEY (page_id)
        REFERENCES search_searchentry (page_id) ON DELETE CASCADE,
    ALTER COLUMN vector SET STORAGE EXTERNAL,
    SET (toast_tuple_target = 128);

ALTER TABLE search_searchrank
    ADD CONSTRAINT search_searchrank_entry FOREIGN KEY (page_id)
        REFERENCES search_searchentry (page_id) ON DELETE CASCADE,
    ALTER COLUMN rank_vector SET STORAGE MAIN;

CREATE TRIGGER search_entry_match
    AFTER INSERT OR UPDATE OF title, summary, body, documents, type, themes,
        audiences, date
    ON search_searchentry FOR EACH ROW EXECUTE FUNCTION search_entry_match();

CREATE TRIGGER search_index_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON search_searchmatch
    FOR EACH STATEMENT EXECUTE FUNCTION search_index_changed();

INSERT INTO search_indexversion (id, version) VALUES (1, 0);

UPDATE search_searchentry SET title = title;
"""

UNDO_TABLE = """
DROP TRIGGER IF EXISTS search_entry_match ON search_searchentry;
DROP TRIGGER IF EXISTS search_index_changed ON search_searchmatch;
"""

UNDO_FUNCTIONS = """
DROP FUNCTION IF EXISTS search_index_changed();
DROP FUNCTION IF EXISTS search_entry_match();
DROP FUNCTION IF EXISTS cdr_rank_vector(text, text);
DROP FUNCTION IF EXISTS cdr_vector(text, text, text, text);
DROP FUNCTION IF EXISTS cdr_pairs(tsvector);
"""


class Migration(migrations.Migration):

    dependencies = [
        ('search', '0001_initial'),
    ]

    operations = [
        migrations.RunSQL(FUNCTIONS, UNDO_FUNCTIONS),
        migrations.CreateModel(
            name='FacetCombination',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('type', models.CharField(max_length=40)),
                ('themes', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=100), default=list, size=None)),
                ('audiences', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=100), default=list, size=None)),
                ('year', models.SmallIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name='IndexVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='SearchMatch',
            fields=[
                ('page', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name='match', serialize=False, to='search.searchentry')),
                ('date', models.DateField()),
                ('vector', django.contrib.postgres.search.SearchVectorField()),
            ],
            options={
                'verbose_name_plural': 'search matches',
            },
        ),
        migrations.CreateModel(
            name='SearchRank',
            fields=[
                ('page', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name='rank', serialize=False, to='search.searchentry')),
                ('date', models.DateField()),
                ('rank_vector', django.contrib.postgres.search.SearchVectorField()),
            ],
        ),
        migrations.CreateModel(
            name='TermCounts',
            fields=[
                ('lexeme', models.CharField(max_length=200, primary_key=True, serialize=False)),
                ('version', models.BigIntegerField()),
                ('combinations', django.contrib.postgres.fields.ArrayField(base_field=models.BigIntegerField(), size=None)),
                ('counts', django.contrib.postgres.fields.ArrayField(base_field=models.IntegerField(), size=None)),
            ],
            options={
                'verbose_name_plural': 'term counts',
            },
        ),
        migrations.RemoveIndex(
            model_name='searchentry',
            name='search_entry_vector',
        ),
        migrations.RemoveIndex(
            model_name='searchentry',
            name='search_entry_themes',
        ),
        migrations.RemoveIndex(
            model_name='searchentry',
            name='search_entry_audiences',
        ),
        migrations.RemoveIndex(
            model_name='searchentry',
            name='search_entry_date',
        ),
        migrations.RemoveField(
            model_name='searchentry',
            name='rank_vector',
        ),
        migrations.RemoveField(
            model_name='searchentry',
            name='vector',
        ),
        migrations.AddConstraint(
            model_name='facetcombination',
            constraint=models.UniqueConstraint(fields=('type', 'themes', 'audiences', 'year'), name='search_facet_combination'),
        ),
        migrations.AddField(
            model_name='searchmatch',
            name='facets',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='search.facetcombination'),
        ),
        migrations.AddField(
            model_name='searchrank',
            name='facets',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='search.facetcombination'),
        ),
        migrations.AddIndex(
            model_name='searchmatch',
            index=django.contrib.postgres.indexes.GinIndex(fields=['vector'], name='search_match_vector'),
        ),
        migrations.AddIndex(
            model_name='searchmatch',
            index=models.Index(fields=['-date', 'page'], name='search_match_date'),
        ),
        migrations.AddIndex(
            model_name='searchrank',
            index=django.contrib.postgres.indexes.GinIndex(fields=['rank_vector'], name='search_rank_vector'),
        ),
        migrations.AddIndex(
            model_name='searchrank',
            index=models.Index(fields=['-date', 'page'], name='search_rank_date'),
        ),
        migrations.RunSQL(TABLE, UNDO_TABLE),
    ]
