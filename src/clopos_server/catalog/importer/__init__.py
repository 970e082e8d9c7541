"""Import and export a whole brand as one JSON document: the operators' catalogue administration.

Clopos has no public write API for the catalogue, so a brand (venues, staff, credentials, catalogue, sale
types, payment methods, price lists, customers, stock, stop list, existing receipts) travels as one
document; ``docs/brand-document.md`` describes it. Every section is declared once, in ``SPECS``, and
one generic parser, checker, upsert and exporter are driven by those declarations, so that a new column
is one line here and export then import stays the identity.

Import checks everything first and reports every problem with its JSON path; only a clean document is
applied, in one transaction (a bad file changes nothing). Rows are upserted by id and never deleted.

The package: ``spec`` (how a section is declared), ``table`` (the sections), ``values`` (converters),
``reading`` (the document into rows), ``apply`` (checks and writes, ``import_brand``), ``export``.
"""

from clopos_server.catalog.importer.apply import bump_sequences, delete_brand_rows, import_brand
from clopos_server.catalog.importer.export import export_brand
from clopos_server.catalog.importer.spec import FORMAT_VERSION, BrandDocumentError, ImportReport

__all__ = [
    "FORMAT_VERSION",
    "BrandDocumentError",
    "ImportReport",
    "bump_sequences",
    "delete_brand_rows",
    "export_brand",
    "import_brand",
]
