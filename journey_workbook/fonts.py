"""Fonts for charts that mix Chinese and Latin text.

matplotlib's default font (DejaVu Sans) has no Chinese glyphs: a chart titled 线索转化率 would
come out as empty boxes. The chain below lists a platform-native CJK face for Windows, macOS
and Linux; :func:`font_context` narrows it to the families that are actually installed (asking
matplotlib for a family it does not know logs "findfont: Font family ... not found" once per
family) and applies it for the duration of a ``with`` block only, so importing or using this
package never changes the caller's global ``rcParams``.

When a chart needs Chinese and no CJK font is installed, the chart is still drawn (with boxes
in place of the missing characters) and :class:`NoCJKFontWarning` says which font to install.
"""
from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from contextlib import contextmanager
from typing import Iterator, Optional, Sequence

import matplotlib
from matplotlib import font_manager

#: Preferred families, most native first: Windows, macOS, Linux, then DejaVu Sans (bundled with
#: matplotlib) for the Latin glyphs and signs that a CJK face may lack. matplotlib uses the first
#: installed family and falls back glyph by glyph through the rest.
CJK_FONT_CHAIN: list[str] = [
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "DejaVu Sans",
]

#: The family used when no family of the chain is installed (always shipped with matplotlib).
FALLBACK_FAMILY = "DejaVu Sans"

INSTALL_HINT = (
    "Install a CJK font and restart Python: on Debian/Ubuntu `sudo apt-get install "
    "fonts-noto-cjk` (or the smaller `fonts-wqy-microhei`); on Windows, Microsoft YaHei or "
    "SimHei (shipped with Windows, add the Chinese language features if missing); on macOS, "
    "PingFang SC (shipped with macOS)."
)

# Ideographs, CJK punctuation, kana, hangul, fullwidth forms: any of these needs a CJK face.
_CJK_RE = re.compile(
    "[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]"
)
_PROBE = "中"  # a character every Simplified Chinese face has

# Chains already warned about: the warning is shown once per process (per chain), not per chart.
_warned_chains: set[tuple[str, ...]] = set()


class NoCJKFontWarning(UserWarning):
    """A chart contains Chinese (or other CJK) text but no CJK font is installed."""


def contains_cjk(texts: Iterable[object] | str) -> bool:
    """True if any of ``texts`` (a string or an iterable of values) has a CJK character."""
    if isinstance(texts, str):
        texts = [texts]
    return any(isinstance(t, str) and _CJK_RE.search(t) for t in texts)


def _chain(chain: Optional[Sequence[str]]) -> list[str]:
    # Looked up at call time so that tests (and callers) may replace CJK_FONT_CHAIN.
    return list(CJK_FONT_CHAIN if chain is None else chain)


def installed_families(chain: Optional[Sequence[str]] = None) -> list[str]:
    """The families of ``chain`` (default :data:`CJK_FONT_CHAIN`) that matplotlib can load,
    in chain order; ``[FALLBACK_FAMILY]`` if none is."""
    known = {entry.name for entry in font_manager.fontManager.ttflist}
    found = [family for family in _chain(chain) if family in known]
    return found or [FALLBACK_FAMILY]


def _covers(family: str, char: str) -> bool:
    """True if a regular face of ``family`` has a glyph for ``char``."""
    faces = [e for e in font_manager.fontManager.ttflist if e.name == family]
    faces.sort(key=lambda e: (e.style != "normal", abs(int(_weight(e.weight)) - 400)))
    for entry in faces[:1]:
        try:
            font = font_manager.get_font(font_manager.FontPath(entry.fname, entry.index))
        except (OSError, RuntimeError, ValueError):
            return False
        return font.get_char_index(ord(char)) != 0
    return False


def _weight(weight: object) -> int:
    return weight if isinstance(weight, int) else font_manager.weight_dict.get(str(weight), 400)


def has_cjk_font(chain: Optional[Sequence[str]] = None) -> bool:
    """True if an installed family of ``chain`` (default :data:`CJK_FONT_CHAIN`) has Chinese
    glyphs. Checked on the font file itself, so a Latin-only family in the chain does not
    count."""
    return any(_covers(family, _PROBE) for family in installed_families(chain))


def warn_if_cjk_unrenderable(
    texts: Iterable[object], chain: Optional[Sequence[str]] = None
) -> bool:
    """Warn (:class:`NoCJKFontWarning`, once per process) if ``texts`` contain CJK characters
    and no CJK font of ``chain`` is installed. Returns True if the text can be drawn."""
    if not contains_cjk(list(texts)):
        return True
    if has_cjk_font(chain):
        return True
    key = tuple(_chain(chain))
    if key not in _warned_chains:
        _warned_chains.add(key)
        warnings.warn(
            "The chart contains Chinese text but no CJK font is installed (looked for: "
            f"{', '.join(key)}); the characters will be drawn as boxes. {INSTALL_HINT}",
            NoCJKFontWarning,
            stacklevel=2,
        )
    return False


def font_rc(chain: Optional[Sequence[str]] = None) -> dict[str, object]:
    """rcParams that select the installed part of ``chain``.

    ``font.family`` is set to concrete family names (not the ``sans-serif`` alias) because a
    text's font is fixed when the text is created, whereas an alias is resolved when the figure
    is drawn, which may happen outside :func:`font_context` (e.g. xlwings saving the figure).
    """
    return {
        "font.family": installed_families(chain),
        # U+2212 (minus sign) is missing from several CJK faces; use the ASCII hyphen-minus.
        "axes.unicode_minus": False,
    }


@contextmanager
def font_context(
    texts: Iterable[object] = (), chain: Optional[Sequence[str]] = None
) -> Iterator[list[str]]:
    """Within the block, figures and texts are created with the installed CJK font chain.

    ``texts`` are the strings the chart will draw; if they contain CJK characters and no CJK
    font is installed, :class:`NoCJKFontWarning` is issued (once) and drawing goes on.
    Yields the list of families in use.
    """
    warn_if_cjk_unrenderable(texts, chain)
    rc = font_rc(chain)
    with matplotlib.rc_context(rc):
        yield list(rc["font.family"])  # type: ignore[arg-type]
