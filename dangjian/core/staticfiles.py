"""Static files: compressed (gzip and Brotli) copies and content-hashed names made by
``collectstatic``, served by WhiteNoise with ``Cache-Control: max-age=315360000,
immutable`` for the hashed names (they never change) and short caching for the rest.

Pages name the hashed file whenever ``collectstatic`` has recorded it, with DEBUG on as
well (``make demo`` runs it, so the demo is served as production is). Where it has not
run (a fresh checkout's ``runserver``), pages name the plain file, which WhiteNoise then
serves from the app directories: a missing manifest never turns a page into a 500.
"""

from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    def url(self, name, force=False):
        try:
            return super().url(name, force=True)
        except ValueError:  # not collected: the file as it is in the source tree
            return FileSystemStorage.url(self, name)
