"""The app's languages: English in the code, Chinese from ``i18n/tagrec_zh_CN.qm`` (Qt Linguist).

Chosen by ``$TAGREC_LANG`` (e.g. ``zh_CN``, ``en``), else the Settings' language, else the system's locale.
To change or add texts: ``pyside6-lupdate desktop/*.py -ts desktop/i18n/tagrec_zh_CN.ts``, translate, then
``pyside6-lrelease desktop/i18n/tagrec_zh_CN.ts -qm desktop/i18n/tagrec_zh_CN.qm`` (a test checks both are
current).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

I18N = Path(__file__).resolve().parent / "i18n"
LANG_ENV = "TAGREC_LANG"


def install(app: QCoreApplication, language: str | None = None) -> QTranslator | None:
    """Install the Chinese translation when the language is Chinese; returns it (``None``: English).
    The language: ``$TAGREC_LANG``, else ``language`` (the settings'), else the system's.

    Qt's own texts (the Yes and No of a question, the file dialogs) come from Qt's ``qtbase_zh_CN.qm``, shipped
    with PySide6; it is installed too, as a child of the returned translator (``uninstall`` removes both)."""
    chosen = os.environ.get(LANG_ENV) or language or QLocale.system().name()
    if not chosen.lower().startswith("zh"):
        return None
    translator = QTranslator(app)
    if not translator.load(str(I18N / "tagrec_zh_CN.qm")):
        return None
    qt = QTranslator(translator)
    if qt.load("qtbase_zh_CN", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
    app.installTranslator(translator)  # installed last, so asked first
    return translator


def uninstall(app: QCoreApplication, translator: QTranslator | None) -> None:
    """Remove what ``install`` installed (``translator`` and Qt's own translation under it)."""
    if translator is None:
        return
    for child in translator.findChildren(QTranslator):
        app.removeTranslator(child)
    app.removeTranslator(translator)
