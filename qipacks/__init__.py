"""QI packs, recommendations and organisations' uptake records."""
