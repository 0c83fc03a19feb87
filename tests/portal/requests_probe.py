"""Run by tests/portal/test_no_requests_import.py in a Python of its own.

``installed DIST...``: outside the checkout (``python -I``, so the portal's own ``requests`` app
is not on the path), imports every top-level module of every installed distribution, and every
submodule of the distributions named, with any import of a module called ``requests`` refused
and recorded.

``portal``: inside the checkout, starts Django with the test settings and imports every module
of the portal's apps and its Celery app; only the portal's own ``requests`` app may load.

Prints one JSON object: how many modules were imported, and who tried to import PyPI requests.
"""

import importlib
import json
import pkgutil
import sys
import traceback
import warnings
from importlib.metadata import distribution, distributions

attempts: list[dict[str, str]] = []


class RefuseRequests:
    def __init__(self, own: str = "") -> None:
        self.own = own  # the portal's own app, which may load

    def find_spec(self, name, path=None, target=None):
        if name != "requests" and not name.startswith("requests."):
            return None
        if self.own:
            if name != "requests":
                return None  # a submodule of the package already allowed
            from importlib.machinery import PathFinder

            spec = PathFinder.find_spec(name, sys.path)
            if spec is not None and (spec.origin or "").startswith(self.own):
                return None
        callers = [
            frame.filename
            for frame in traceback.extract_stack()[:-1]
            if "importlib" not in frame.filename and frame.filename != __file__
        ]
        attempts.append({"module": name, "from": callers[-1] if callers else "?"})
        raise ImportError(f"{name} refused: nothing may import the PyPI requests library")


def top_level(dist) -> list[str]:
    listed = dist.read_text("top_level.txt")
    if listed:
        return [name for name in listed.split() if name]
    names = set()
    for file in dist.files or []:
        first = file.parts[0]
        if first.endswith((".dist-info", ".data")) or first == "..":
            continue
        if len(file.parts) == 1 and file.name.endswith(".py"):
            names.add(file.name[:-3])
        elif len(file.parts) > 1 and file.parts[1] == "__init__.py":
            names.add(first)
    return sorted(names)


def try_import(name: str) -> bool:
    try:
        importlib.import_module(name)
    except BaseException:  # only the attempts on requests count
        return False
    return True


def portal() -> int:
    import os
    from pathlib import Path

    root = str(Path.cwd())
    sys.path.insert(0, root)
    sys.meta_path.insert(0, RefuseRequests(own=os.path.join(root, "requests", "")))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    imported = 0
    for app in ("portal", "acknowledgements", "requests"):
        package = importlib.import_module(app)
        for sub in pkgutil.walk_packages(package.__path__, f"{app}.", onerror=lambda _: None):
            if ".migrations." not in sub.name:
                imported += try_import(sub.name)
    from portal.celery import app as celery_app

    celery_app.loader.import_default_modules()
    celery_app.finalize()
    return imported


def installed(walk: set[str]) -> int:
    sys.meta_path.insert(0, RefuseRequests())
    imported = 0
    for dist in distributions():
        for name in top_level(dist):
            if name.startswith("_") or name == "requests":
                continue
            imported += try_import(name)
            module = sys.modules.get(name)
            if dist.metadata["Name"].lower() in walk and hasattr(module, "__path__"):
                for sub in pkgutil.walk_packages(
                    module.__path__, f"{name}.", onerror=lambda _: None
                ):
                    imported += try_import(sub.name)
    return imported


if __name__ == "__main__":
    distribution("pip")  # the metadata machinery is ready before the refusal is installed
    warnings.simplefilter("ignore")
    if sys.argv[1] == "portal":
        count = portal()
    else:
        count = installed({name.lower() for name in sys.argv[2:]})
    print(json.dumps({"imported": count, "attempts": attempts}))
