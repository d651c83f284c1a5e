"""The ribbon's entry point: ``run(tag)`` on the workbook that called it.

The add-in's one VBA dispatcher runs ``import journey_workbook.excel as e; e.run('<tag>')``
for every button. ``run`` wraps ``xw.Book.caller()`` in a :class:`LiveBook`, calls the action
registered for the tag in :data:`ACTIONS` and shows the outcome in a message box. Adding a
button is one ribbon entry plus one registered function here.

``run`` never raises and never shows a traceback: problems in the workbook become a message
box listing them (and the first one is selected); a workbook that is not a journey workbook, or
any other :class:`JourneyError`, becomes its message and hint; anything unexpected is logged
with its traceback to :func:`log_path` and the message box says what failed and where the log
is. Warnings (matplotlib's, say) go to the log too: on macOS anything Python writes to stderr
pops up in Excel as an error.

Nothing is saved: the CSM decides when to save, as after any other edit. On desktop Excel the
values are in the open workbook as soon as they are written; on xlwings Server or Lite the
writes are queued in ``book.json()`` and applied by the client.
"""
from __future__ import annotations

import logging
import os
import platform
import warnings
from pathlib import Path
from typing import Callable, Optional, Sequence

from journey_workbook import __version__
from journey_workbook.book.livebook import LiveBook, import_xlwings
from journey_workbook.errors import JourneyError
from journey_workbook.report import Issue, Report
from journey_workbook.schema import header_map, table, texts
from journey_workbook.schema.tables import normalise_header

#: Environment variable naming the log file (tests point it at a temporary folder).
LOG_ENV = "JOURNEY_WORKBOOK_LOG"
#: Issues listed in one message box; the rest are counted.
MAX_LISTED = 10

Action = Callable[[LiveBook], Optional[str]]
#: tag (the ribbon button's ``tag``) -> the function it runs; its text is shown when done
ACTIONS: dict[str, Action] = {}


def action(tag: str) -> Callable[[Action], Action]:
    """Register ``fn`` as what the ribbon button with ``tag`` runs."""
    def register(fn: Action) -> Action:
        ACTIONS[tag] = fn
        return fn
    return register


class FoundProblems(JourneyError):
    """The workbook has problems to fix first: shown as a list, the first one selected."""

    def __init__(self, heading: str, report: Report) -> None:
        super().__init__(heading)
        self.report = report


# -- texts ----------------------------------------------------------------------------------

TEXTS = {
    "en": {
        "title": "Journey",
        "valid": "No problems found in {label}.",
        "valid_warnings": "No errors in {label}; {n} warning(s):",
        "invalid": "{n} error(s) to fix in {label}:",
        "not_refreshed": "Not refreshed: {n} error(s) to fix first. The workbook was not changed.",
        "not_redrawn": "Charts not redrawn: {n} error(s) to fix first.",
        "refreshed": "Refreshed as of {as_of}: {rows} attainment row(s), health score {health}, "
                     "{at_risk} metric(s) at risk, {overdue} overdue milestone(s), {days} day(s) "
                     "to renewal, {charts} chart(s).",
        "no_health": "n/a (no actuals yet)",
        "risks": "Risk flags:",
        "redrawn": "Redrew {charts} chart(s) as of {as_of}.",
        "planned": "Added {rows} plan row(s) for {metrics} metric(s).",
        "plan_complete": "Nothing to add: every target already has a plan.",
        "calendar": "Added {rows} row(s) to the milestone calendar.",
        "calendar_complete": "Nothing to add: the calendar already has every milestone.",
        "also": "To look at:",
        "warnings": "{n} warning(s):",
        "more": "... and {n} more.",
        "added_metric": "Added {metric} to the {sheet} sheet. Type its baseline and target, "
                        "starting at {cell}.",
        "pick_metric": "Select a metric first: no catalog row is selected.",
        "pick_metric_hint": "Click any cell in the metric's row on the {sheet} sheet, then "
                            "click Add metric.",
        "no_metric_id": "The selected catalog row ({cell}) has no Metric ID.",
        "no_metric_id_hint": "Give the metric an ID in the Metric ID column first.",
        "unknown_tag": "This button asks for '{tag}', which journey-workbook {version} does not "
                       "know.",
        "unknown_tag_hint": "The add-in and the Python package are different versions. Run "
                            "'journey-workbook addin install' to install the add-in that "
                            "matches, then restart Excel.",
        "failed": "{what} failed: {error}\n\nThe details are in the log file:\n{log}\n\nSome "
                  "changes may already be in the workbook: check it before you save.",
        "no_log": "(the log file {log} could not be written: {error})",
        "fix": "Fix",
        "versions": "journey-workbook {jw}\nxlwings {xw}\nPython {py} ({os})\nAdd-in: {addin}\n"
                    "This workbook: {workbook}\nLog file: {log}",
        "addin_unknown": "not reported by this add-in",
        "workbook": "schema {schema}, made by journey-workbook {made}, language {language}",
        "not_journey": "not a journey workbook",
        "no_guide": "This workbook has no Guide sheet.",
    },
    "zh-CN": {
        "title": "客户成功旅程",
        "valid": "{label} 没有发现问题。",
        "valid_warnings": "{label} 没有错误，有 {n} 条提示：",
        "invalid": "{label} 有 {n} 个错误需要修正：",
        "not_refreshed": "未刷新：请先修正 {n} 个错误。工作簿没有被修改。",
        "not_redrawn": "未重绘图表：请先修正 {n} 个错误。",
        "refreshed": "已刷新（截至 {as_of}）：{rows} 行达成数据，健康分 {health}，{at_risk} 个风险"
                     "指标，{overdue} 个逾期里程碑，距续约 {days} 天，{charts} 张图表。",
        "no_health": "暂无（还没有实际数据）",
        "risks": "风险提示：",
        "redrawn": "已重绘 {charts} 张图表（截至 {as_of}）。",
        "planned": "已为 {metrics} 个指标添加 {rows} 行阶段目标。",
        "plan_complete": "无需添加：每个目标都已有阶段目标。",
        "calendar": "已在里程碑日历中添加 {rows} 行。",
        "calendar_complete": "无需添加：日历中已有全部里程碑。",
        "also": "请留意：",
        "warnings": "{n} 条提示：",
        "more": "……还有 {n} 条。",
        "added_metric": "已把 {metric} 添加到“{sheet}”表。请从 {cell} 开始填写基线和目标值。",
        "pick_metric": "请先选择指标：当前没有选中指标库中的行。",
        "pick_metric_hint": "在“{sheet}”表中点击该指标所在行的任一单元格，再点击“添加指标”。",
        "no_metric_id": "选中的指标库行（{cell}）没有指标ID。",
        "no_metric_id_hint": "请先在“指标ID”列填写该指标的ID。",
        "unknown_tag": "此按钮请求的操作“{tag}”，journey-workbook {version} 无法识别。",
        "unknown_tag_hint": "加载项与 Python 包的版本不一致。请运行 journey-workbook addin install "
                            "安装匹配的加载项，然后重启 Excel。",
        "failed": "“{what}”失败：{error}\n\n详细信息见日志文件：\n{log}\n\n部分修改可能已写入工作簿，"
                  "保存前请检查。",
        "no_log": "（无法写入日志文件 {log}：{error}）",
        "fix": "修正",
        "versions": "journey-workbook {jw}\nxlwings {xw}\nPython {py}（{os}）\n加载项：{addin}\n"
                    "本工作簿：{workbook}\n日志文件：{log}",
        "addin_unknown": "此加载项未提供版本",
        "workbook": "结构版本 {schema}，由 journey-workbook {made} 生成，语言 {language}",
        "not_journey": "不是客户成功旅程工作簿",
        "no_guide": "本工作簿没有使用指南工作表。",
    },
}


def _t(lang: str, key: str, **values) -> str:
    table = TEXTS.get(lang, TEXTS["en"])
    return table.get(key, TEXTS["en"][key]).format(**values)


def language(book: LiveBook) -> str:
    """The workbook's language from its metadata: ``zh-CN`` or ``en`` (the fallback)."""
    try:
        lang = book.meta().get("language", "")
    except Exception:  # noqa: BLE001 - a message in English beats no message
        return "en"
    return "zh-CN" if lang.lower().startswith("zh") else "en"


# -- the dispatcher -------------------------------------------------------------------------

def run(tag: str, addin: Optional[str] = None) -> None:
    """Run the action registered for ``tag`` on ``xw.Book.caller()`` and show the outcome.

    ``addin`` is the add-in's version, for the support details of ``guide``, when the add-in
    passes it. Never raises.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            _dispatch(tag, addin)
        except Exception as exc:  # noqa: BLE001 - reporting a failure failed: log it, at least
            _log(logging.ERROR, "run(%r) could not show its outcome", tag, exc=exc)
    for w in caught:
        _log(logging.WARNING, "run(%r): %s", tag, warnings.formatwarning(
            w.message, w.category, w.filename, w.lineno).strip())


def _dispatch(tag: str, addin: Optional[str]) -> None:
    book, lang = None, "en"
    try:
        book = LiveBook.caller()
        book.addin_version = addin
        lang = language(book)
        fn = ACTIONS.get(tag)
        if fn is None:
            raise JourneyError(_t(lang, "unknown_tag", tag=tag, version=__version__),
                               hint=_t(lang, "unknown_tag_hint"))
        text = fn(book)
        if text:
            _show(book, text, lang)
    except FoundProblems as problems:
        # Select first: the message box is modal, and the cell should be in view behind it.
        first = next((i for i in problems.report.errors if i.sheet and i.cell), None)
        if first is not None:
            book.select(first.sheet, first.cell)
        _show(book, _problems_text(problems, lang), lang, critical=True)
    except JourneyError as exc:
        _show(book, exc.message + (f"\n\n{exc.hint}" if exc.hint else ""), lang, critical=True)
    except Exception as exc:  # noqa: BLE001 - the one place that must catch everything
        logged = _log_failure(tag, book, exc)
        _show(book, _t(lang, "failed", what=_what(tag, lang),
                       error=f"{type(exc).__name__}: {exc}", log=logged), lang, critical=True)
    finally:
        if book is not None:
            try:
                book.status(None)  # hand the status bar back to Excel
            except Exception as exc:  # noqa: BLE001
                _log_failure(tag, book, exc)


def _show(book: Optional[LiveBook], text: str, lang: str, critical: bool = False) -> None:
    if book is None:  # Book.caller() itself failed: the log is the only place left
        _log(logging.ERROR, "no workbook to show this in: %s", text)
        return
    try:
        book.alert(text, title=_t(lang, "title"), critical=critical)
    except Exception as exc:  # noqa: BLE001
        _log_failure("alert", book, exc)


def _problems_text(problems: FoundProblems, lang: str) -> str:
    report = problems.report
    return "\n".join([problems.message, ""] + _issue_lines(report.errors, lang,
                                                           report.warnings))


def _issue_lines(issues: Sequence[Issue], lang: str,
                 warnings_: Sequence[Issue] = ()) -> list[str]:
    """One line per issue, "Sheet!A1: what. Fix: how", at most MAX_LISTED in all; warnings
    after the errors under their own heading."""
    shown = list(issues[:MAX_LISTED])
    lines = [_line(issue, lang) for issue in shown]
    room = MAX_LISTED - len(shown)
    if warnings_ and room > 0:
        lines += ["", _t(lang, "warnings", n=len(warnings_))]
        lines += [_line(issue, lang) for issue in list(warnings_)[:room]]
    hidden = len(issues) + len(warnings_) - MAX_LISTED
    if hidden > 0:
        lines.append(_t(lang, "more", n=hidden))
    return lines


def _line(issue: Issue, lang: str) -> str:
    return issue.text().replace(" Fix: ", f" {_t(lang, 'fix')}: ")


def _what(tag: str, lang: str) -> str:
    """The button's label on the ribbon, for messages; the tag when it cannot be found."""
    try:
        from journey_workbook.addin.ribbon import ribbon_buttons

        for button in ribbon_buttons():
            if button.tag == tag:
                return button.labels.get(lang) or button.labels["en"]
    except Exception:  # noqa: BLE001 - a failure message must not fail itself
        pass
    return tag


# -- the log --------------------------------------------------------------------------------

def log_path() -> Path:
    """Where failures are logged: ``$JOURNEY_WORKBOOK_LOG``, else ``~/.journey/journey.log``
    (the folder the add-in installer writes the settings to)."""
    configured = os.environ.get(LOG_ENV)
    return Path(configured) if configured else Path.home() / ".journey" / "journey.log"


def _logger() -> logging.Logger:
    log = logging.getLogger("journey_workbook.excel")
    # Never to stderr: Excel on macOS shows whatever Python writes there as an error box.
    log.propagate = False
    log.setLevel(logging.INFO)
    path = log_path()
    if not any(getattr(h, "baseFilename", None) == os.path.abspath(path) for h in log.handlers):
        for old in list(log.handlers):
            log.removeHandler(old)
            old.close()
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8", delay=True)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
    return log


def _log(level: int, message: str, *args, exc: Optional[BaseException] = None) -> str:
    """Log a line (with ``exc``'s traceback); the log file's path, or why it could not be
    written. Never raises: logging is what is left when everything else failed."""
    path = log_path()
    try:
        log = _logger()
        log.log(level, message, *args,
                exc_info=(type(exc), exc, exc.__traceback__) if exc else None)
        for handler in log.handlers:
            handler.flush()
        return str(path)
    except Exception as problem:  # noqa: BLE001 - e.g. a read-only home folder
        return TEXTS["en"]["no_log"].format(log=path, error=problem)


def _log_failure(tag: str, book: Optional[LiveBook], exc: BaseException) -> str:
    return _log(logging.ERROR, "run(%r) on %s failed (journey-workbook %s, Python %s)", tag,
                book.label if book else "no workbook", __version__, platform.python_version(),
                exc=exc)


# -- the actions ----------------------------------------------------------------------------

@action("validate")
def validate_book(book: LiveBook) -> str:
    from journey_workbook.actions.validate import validate

    lang = language(book)
    report = validate(book)
    if report.errors:
        raise FoundProblems(_t(lang, "invalid", n=len(report.errors), label=book.label), report)
    warnings_ = report.warnings
    if warnings_:
        return "\n".join([_t(lang, "valid_warnings", n=len(warnings_), label=book.label), ""]
                         + _issue_lines(warnings_, lang))
    return _t(lang, "valid", label=book.label)


@action("refresh")
def refresh_book(book: LiveBook) -> str:
    from journey_workbook.actions.refresh import refresh

    lang = language(book)
    result = refresh(book)
    if not result.ok:
        raise FoundProblems(_t(lang, "not_refreshed", n=len(result.report.errors)),
                            result.report)
    h = result.headline
    text = [_t(lang, "refreshed", as_of=result.as_of.isoformat(), rows=result.rows,
               health=_t(lang, "no_health") if result.health is None else f"{result.health:.1f}",
               at_risk=h.metrics_at_risk, overdue=h.overdue_milestones,
               days="n/a" if h.days_to_renewal is None else h.days_to_renewal,
               charts=len(result.charts))]
    if result.risks:
        text += ["", _t(lang, "risks")]
        text += [f"- {r.item}: {r.detail}" for r in result.risks[:MAX_LISTED]]
        if len(result.risks) > MAX_LISTED:
            text.append(_t(lang, "more", n=len(result.risks) - MAX_LISTED))
    return "\n".join(text + _also(result.report, lang))


@action("redraw")
def redraw_book(book: LiveBook) -> str:
    from journey_workbook.actions.refresh import redraw

    lang = language(book)
    result = redraw(book)
    if not result.ok:
        raise FoundProblems(_t(lang, "not_redrawn", n=len(result.report.errors)), result.report)
    return _t(lang, "redrawn", charts=len(result.charts), as_of=result.as_of.isoformat())


@action("plan")
def plan_book(book: LiveBook) -> str:
    from journey_workbook.actions.plan import plan

    lang = language(book)
    result = plan(book, ("plan",))
    text = (_t(lang, "planned", rows=result.plan_rows, metrics=len(result.planned_metrics))
            if result.plan_rows else _t(lang, "plan_complete"))
    return "\n".join([text] + _also(result.report, lang))


@action("calendar")
def calendar_book(book: LiveBook) -> str:
    from journey_workbook.actions.plan import plan

    lang = language(book)
    result = plan(book, ("calendar",))
    text = (_t(lang, "calendar", rows=result.calendar_rows) if result.calendar_rows
            else _t(lang, "calendar_complete"))
    return "\n".join([text] + _also(result.report, lang))


def _also(report: Report, lang: str) -> list[str]:
    issues = report.errors + report.warnings
    return ["", _t(lang, "also")] + _issue_lines(issues, lang) if issues else []


@action("add_metric")
def add_metric_from_selection(book: LiveBook) -> str:
    """A Targets row for the catalog metric whose row holds the selected cell (any column)."""
    from journey_workbook.actions.common import read
    from journey_workbook.actions.targets import add_metric
    from journey_workbook.core.values import is_blank

    lang = language(book)
    catalog = book.read_table("tblCatalog")
    if catalog is None:
        read(book)  # refuses a workbook that is not a journey workbook, with its own message
    sheet = catalog.sheet if catalog else "Catalog"
    picked = book.selection()
    first = catalog.min_row + 1 if catalog else 0
    if (catalog is None or picked is None or picked[0] != sheet
            or not first <= picked[1] < first + len(catalog.rows)):
        raise JourneyError(_t(lang, "pick_metric"), hint=_t(lang, "pick_metric_hint", sheet=sheet))
    index = picked[1] - first
    names = header_map(table("tblCatalog"))
    col = next((j for j, h in enumerate(catalog.headers)
                if names.get(normalise_header(h)) == "metric_id"), 0)
    metric_id = catalog.rows[index][col]
    if is_blank(metric_id):
        raise JourneyError(_t(lang, "no_metric_id", cell=f"{sheet}!{catalog.cell(index, col)}"),
                           hint=_t(lang, "no_metric_id_hint"))
    cell = add_metric(book, str(metric_id).strip())
    targets = book.sheet_of_table("tblTargets")
    book.select(targets, cell)
    return _t(lang, "added_metric", metric=str(metric_id).strip(), sheet=targets,
              cell=f"{targets}!{cell}")


@action("guide")
def show_guide(book: LiveBook) -> str:
    """Show the Guide sheet, and the versions a support request needs."""
    lang = language(book)
    sheets = book.sheet_names()
    guide = next((n for n in (texts.GUIDE_SHEET.get(lang), *texts.GUIDE_SHEET.values())
                  if n in sheets), None)
    if guide:
        book.select(guide, "A1")
    meta = book.meta()
    workbook = (_t(lang, "workbook", schema=meta.get("schema_version", "?"),
                   made=meta.get("generator_version", "?"),
                   language=meta.get("language", "?"))
                if meta else _t(lang, "not_journey"))
    text = _t(lang, "versions", jw=__version__, xw=import_xlwings().__version__,
              py=platform.python_version(), os=f"{platform.system()} {platform.machine()}",
              addin=getattr(book, "addin_version", None) or _t(lang, "addin_unknown"),
              workbook=workbook, log=log_path())
    return text if guide else _t(lang, "no_guide") + "\n\n" + text
