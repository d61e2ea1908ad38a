"""Site search: PostgreSQL full text by default, Elasticsearch when configured."""
