"""The Journey Excel add-in: build it from ``macros/``, install it where Excel loads add-ins.

Needs the ``excel`` extra (xlwings, pyOpenVBA): ``pip install "journey-workbook[excel]"``;
both are imported only when a build runs.
"""
from journey_workbook.addin.build import build_addin
from journey_workbook.addin.errors import AddinError
from journey_workbook.addin.install import install_addin, uninstall_addin
from journey_workbook.addin.ribbon import LANGUAGES, ribbon_buttons, ribbon_tags, ribbon_title

__all__ = ["AddinError", "LANGUAGES", "build_addin", "install_addin", "ribbon_buttons",
           "ribbon_tags", "ribbon_title", "uninstall_addin"]
