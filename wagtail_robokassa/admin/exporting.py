"""Streaming exports: CSV and JSON are written row by row from ``values_list().iterator()``, XLSX
with openpyxl's write-only mode, so memory does not grow with the number of rows."""

from __future__ import annotations

import csv
import functools
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils.encoding import force_str
from import_export.resources import ModelResource

from .resources import LabelField, NativeWidget

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json; charset=utf-8",
}
CHUNK_SIZE = 2000
#: A spreadsheet would run a cell starting with these as a formula (CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: What a character that XLSX cannot hold (a control character) is shown as.
REPLACEMENT = "\ufffd"


def neutralise(text: str) -> str:
    """Make a text cell inert for spreadsheets by prefixing a quote where it could be a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class Exporter:
    """The rows of a resource's export fields for a queryset.

    The library's hooks apply (``before_export``, ``filter_export``, ``get_export_fields``, each
    field's widget). When every column reads one attribute and has no ``dehydrate_`` method, rows
    come from ``values_list()`` and each widget renders the value alone (fast, no model
    instances); otherwise from the library's ``export_resource`` per instance. Both stream.
    """

    def __init__(
        self, resource: ModelResource, *, labels: bool = True, **render_options: Any
    ) -> None:
        """``labels=False`` leaves out the ``LabelField`` columns; ``render_options`` go to every
        widget's ``render`` (``native_dates=True``: times as ``datetime``, for XLSX)."""
        self.resource = resource
        self.render_options = render_options
        self.fields = [
            field
            for field in resource.get_export_fields()
            if labels or not isinstance(field, LabelField)
        ]
        self.names = [resource.get_field_name(field) for field in self.fields]
        self.headings = [force_str(field.column_name) for field in self.fields]
        self.by_value = all(self._renders_from_value(field) for field in self.fields)
        self.renders = [
            None
            if isinstance(field.widget, NativeWidget)
            else functools.partial(field.widget.render, **render_options)
            for field in self.fields
        ]

    def _renders_from_value(self, field: Any) -> bool:
        name = self.resource.get_field_name(field)
        dehydrate = field.get_dehydrate_method(name)
        return bool(field.attribute) and not (
            callable(dehydrate) or hasattr(self.resource, dehydrate)
        )

    def prepare(self, queryset: QuerySet) -> QuerySet:
        self.resource.before_export(queryset)
        return self.resource.filter_export(queryset)

    def values(self, queryset: QuerySet) -> Iterator[Sequence[Any]]:
        """Each row's values, before the widgets (those of the instance path are rendered)."""
        if self.by_value:
            return queryset.values_list(*self.columns).iterator(chunk_size=CHUNK_SIZE)
        resource, names, options = self.resource, self.names, self.render_options
        return (
            resource.export_resource(obj, selected_fields=names, **options)
            for obj in resource.iter_queryset(queryset)
        )

    @property
    def columns(self) -> list[str]:
        return [field.attribute for field in self.fields]

    def cell_makers(self, finish: Callable[[Any], Any]) -> list[Callable[[Any], Any]]:
        """One function per column, from the row's value to the cell: the widget (on the fast
        path; the library's path has rendered already), then ``finish`` for the format."""
        if not self.by_value:
            return [finish] * len(self.fields)
        return [
            finish if render is None else render if finish is _unchanged else _after(render, finish)
            for render in self.renders
        ]

    def rows(self, queryset: QuerySet, finish: Callable[[Any], Any]) -> Iterator[list[Any]]:
        makers = self.cell_makers(finish)
        for values in self.values(queryset):
            yield [make(value) for make, value in zip(makers, values, strict=True)]


def _after(first: Callable[[Any], Any], then: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: then(first(value))


def _unchanged(value: Any) -> Any:
    return value


def _text_cell(value: Any) -> str:
    if value.__class__ is str:
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict | list):
        return neutralise(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return str(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(exporter: Exporter, queryset: QuerySet, rows_per_chunk: int = 500) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(exporter.headings)  # the BOM lets Excel read UTF-8
    lines: list[str] = []
    for row in exporter.rows(queryset, _text_cell):
        lines.append(writer.writerow(row))
        if len(lines) >= rows_per_chunk:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def _json_value(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return json.dumps(value.isoformat())
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def json_chunks(exporter: Exporter, queryset: QuerySet) -> Iterator[str]:
    keys = [json.dumps(name) for name in exporter.names]
    separator = "[\n"
    for row in exporter.rows(queryset, _unchanged):
        body = ", ".join(
            f"{key}: {_json_value(value)}" for key, value in zip(keys, row, strict=True)
        )
        yield separator + "{" + body + "}"
        separator = ",\n"
    yield "[]\n" if separator == "[\n" else "\n]\n"


def _xlsx_cell(value: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str):
        # Shown, not dropped: a reader must see that the received value held such a character.
        return neutralise(ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT, value))
    return value


def xlsx_file(exporter: Exporter, queryset: QuerySet, title: str) -> Any:
    """An XLSX workbook written row by row to a temporary file (returned open, at its start)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(exporter.headings)
    for row in exporter.rows(queryset, _xlsx_cell):
        sheet.append(row)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response that streams it
    workbook.save(handle)
    handle.seek(0)
    return handle


def export_response(
    resource: ModelResource, queryset: QuerySet, file_format: str, filename: str, title: str
) -> StreamingHttpResponse | FileResponse:
    if file_format == "xlsx":  # the spreadsheet's own dates; words beside codes
        exporter = Exporter(resource, native_dates=True)
    else:
        exporter = Exporter(resource, labels=file_format == "csv")
    queryset = exporter.prepare(queryset)
    name = f"{filename}.{file_format}"
    if file_format == "xlsx":
        return FileResponse(
            xlsx_file(exporter, queryset, title),
            as_attachment=True,
            filename=name,
            content_type=FORMATS["xlsx"],
        )
    chunks: Iterable[str] = (
        csv_lines(exporter, queryset) if file_format == "csv" else json_chunks(exporter, queryset)
    )
    response = StreamingHttpResponse(chunks, content_type=FORMATS[file_format])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
