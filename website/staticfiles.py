"""Static files compressed and fingerprinted, as WhiteNoise stores them."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


def _without_source_maps(patterns):
    def keep(pattern) -> bool:
        regex = pattern[0] if isinstance(pattern, tuple) else pattern
        return "sourceMappingURL" not in regex

    return tuple((glob, tuple(filter(keep, found))) for glob, found in patterns)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's storage, leaving ``sourceMappingURL`` comments as they are.

    wagtail-nhsuk-frontend ships its minified CSS and JavaScript with those
    comments but without the maps, and Django's post-processing refuses to
    collect a file whose map it cannot find. A browser asks for a map only when
    its developer tools are open; a missing one is a 404, nothing more.
    """

    patterns = _without_source_maps(CompressedManifestStaticFilesStorage.patterns)
